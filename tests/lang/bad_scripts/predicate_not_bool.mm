wasm:opcode:call:before / fid + 1 / {
    report var n: u32;
    n++;
}
