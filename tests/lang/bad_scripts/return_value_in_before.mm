wasm:opcode:call:before {
    return 1;
}
