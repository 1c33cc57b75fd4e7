wasm:opcdoe:call:before { }
