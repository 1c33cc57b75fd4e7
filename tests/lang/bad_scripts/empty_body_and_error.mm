wasm:opcode:call:before { }
wasm:opcode:bogus { }
