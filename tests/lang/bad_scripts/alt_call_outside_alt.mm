wasm:opcode:call:before {
    alt_call_by_id(0);
}
