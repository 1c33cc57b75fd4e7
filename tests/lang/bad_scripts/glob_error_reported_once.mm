wasm:opcode:*:before {
    report var last: u32;
    last = arg0;
}
