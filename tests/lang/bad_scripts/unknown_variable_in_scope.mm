wasm:opcode:br:before {
    var q: u32 = zork;
}
