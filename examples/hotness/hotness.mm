// Hotness: how often each function is entered, one report row per function (a per-site variable of a
// wasm:func:entry probe has one site per function).
wasm:func:entry {
    report var calls: u32;
    calls++;
}
