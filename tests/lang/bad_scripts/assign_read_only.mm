wasm:opcode:call:before {
    pc = 3;
}
