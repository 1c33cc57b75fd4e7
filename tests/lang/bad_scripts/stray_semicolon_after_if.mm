wasm:begin {
    var x: u32;
    if (x == 0) { x = 1; };
}
