wasm:func:entry / fname == "a\q" / { }
