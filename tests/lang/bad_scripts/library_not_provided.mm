use nosuchlib;
wasm:begin { nosuchlib.f(); }
