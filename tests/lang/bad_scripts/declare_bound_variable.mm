wasm:opcode:call:before {
    var fid: u32;
}
