wasm:opcode:call:before {
    if (fid) { return; }
}
