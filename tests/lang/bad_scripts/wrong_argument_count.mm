fn add(a: u32, b: u32) -> u32 { return a + b; }
wasm:opcode:call:before {
    var y: u32 = add(1);
}
