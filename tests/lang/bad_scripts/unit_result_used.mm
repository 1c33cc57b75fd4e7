fn f() { }
wasm:begin {
    var x: u32 = f();
}
