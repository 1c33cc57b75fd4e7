var z: u32 = 1 / 0;
wasm:begin { z++; }
