wasm:opcode:call:before {
    var x: u32 = fname as u32;
}
