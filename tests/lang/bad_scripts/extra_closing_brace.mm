wasm:opcode:call:before {
    n++;
}
}
