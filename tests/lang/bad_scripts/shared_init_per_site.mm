wasm:opcode:call:before {
    shared var where: u32 = pc;
}
