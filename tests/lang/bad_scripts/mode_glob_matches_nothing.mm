wasm:opcode:call:at_* {
    report var n: u32;
    n++;
}
