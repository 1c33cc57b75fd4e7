wasm:func:entry {
    var v: i32 = local0;
}
