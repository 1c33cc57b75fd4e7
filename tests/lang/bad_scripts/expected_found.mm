wasm:opcode:call:before {
    var x: i64 = fid;
}
