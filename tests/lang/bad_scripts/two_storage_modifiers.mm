wasm:opcode:call:before {
    shared unshared var x: u32;
}
