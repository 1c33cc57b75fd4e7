wasm:opcode:br_iff:before {
    report var n: u32;
    n++;
}
