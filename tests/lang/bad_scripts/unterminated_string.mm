wasm:func:entry / fname == "main / {
}
