wasm:opcode:call(fid: i32):before {
    report var n: u32;
    n++;
}
