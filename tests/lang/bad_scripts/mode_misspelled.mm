wasm:opcode:call:befor {
    report var n: u32;
    n++;
}
