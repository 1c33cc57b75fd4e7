wasm:opcode:*store:before {
    var v: i32 = arg0;
}
