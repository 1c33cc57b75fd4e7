var count: u32;
wasm:opcode:call:before {
    cnt++;
}
