wasm:begin {
    var f: u32 = fid;
}
