/* a comment /* nested */
wasm:begin { }
