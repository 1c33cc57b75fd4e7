use toggle;
wasm:begin { toggle.shuold_inject(1, 2); }
