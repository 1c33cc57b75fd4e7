wasm:opcode:call:before {
    report var n: u32;
    n++;
