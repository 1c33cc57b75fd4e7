wasm:func:entry / fname.startswith("a") / {
    report var n: u32;
    n++;
}
