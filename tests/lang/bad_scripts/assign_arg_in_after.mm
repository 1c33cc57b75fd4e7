wasm:opcode:br_if:after {
    arg0 = 1;
}
