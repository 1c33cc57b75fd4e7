wasm:opcode:call:before {
    var m: map<u32, u32>;
}
