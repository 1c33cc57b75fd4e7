var m: u32;
wasm:begin {
    var n: u32 = mem_size(m);
}
