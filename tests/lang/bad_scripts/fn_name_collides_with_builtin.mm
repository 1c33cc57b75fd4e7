fn memcpy() { }
wasm:begin { memcpy(); }
