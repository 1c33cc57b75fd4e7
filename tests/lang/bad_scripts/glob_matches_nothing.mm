wasm:opcode:*zzz*:before {
    report var n: u32;
    n++;
}
