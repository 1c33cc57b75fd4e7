wasm:opcode:call:before {
    var x: u32;
    var x: i32;
}
