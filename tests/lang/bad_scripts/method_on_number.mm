wasm:func:entry / pc.len() == 0 / {
    report var n: u32;
    n++;
}
