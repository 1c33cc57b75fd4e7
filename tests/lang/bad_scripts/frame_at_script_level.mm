frame var x: u32;
wasm:begin { x = 1; }
