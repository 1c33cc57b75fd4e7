var b: bool = 1;
wasm:begin { b = false; }
