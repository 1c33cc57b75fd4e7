wasm:opcode:br_if:before {
    unshared var first: u32 = arg0;
}
