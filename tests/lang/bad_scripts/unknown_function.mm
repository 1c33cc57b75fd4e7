fn helper() -> u32 { return 1; }
wasm:opcode:call:before {
    var x: u32 = helpr();
}
