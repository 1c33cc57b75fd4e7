wasm:func:entry {
    frame var depth: u32 = 1;
}
