var t: (i32, i32);
wasm:begin {
    var x: i32 = t.2;
}
