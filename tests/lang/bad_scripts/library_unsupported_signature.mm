use toggle;
wasm:begin { toggle.pair(); }
