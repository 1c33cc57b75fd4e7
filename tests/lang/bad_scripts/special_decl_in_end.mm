wasm:end {
    report var n: u32;
}
