use toggle;
wasm:opcode:call:before {
    var x: i32 = toggle.should_inject(fid, 1);
}
