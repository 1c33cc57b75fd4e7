var arg0: i32;
wasm:begin { arg0 = 1; }
