var x: u32;
if (x == 0) { x = 1; }
wasm:begin { x = 2; }
