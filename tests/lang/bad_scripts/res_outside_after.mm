wasm:opcode:i32.load:before {
    var v: i32 = res0;
}
