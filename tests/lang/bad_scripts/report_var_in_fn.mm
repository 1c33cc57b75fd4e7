fn count() {
    report var n: u32;
    n++;
}
wasm:opcode:call:before { count(); }
