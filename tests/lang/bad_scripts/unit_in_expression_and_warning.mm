var pc: u32;
wasm:opcode:call:before {
    return;
    pc = 1;
}
