wasm:opcode:local.get:before {
    var x: u32 = arg0 as u32;
}
