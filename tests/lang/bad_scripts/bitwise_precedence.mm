wasm:opcode:br_if:before / arg0 & 1 == 0 / {
    report var n: u32;
    n++;
}
