var m: map<f32, u32>;
wasm:begin { m[1.5] = 1; }
