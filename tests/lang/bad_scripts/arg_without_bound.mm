wasm:opcode:call:before {
    report var last: i32;
    last = arg0;
}
