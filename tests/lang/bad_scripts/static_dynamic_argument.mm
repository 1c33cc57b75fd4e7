use toggle;
wasm:opcode:br_if:before / @static toggle.should_inject(arg0 as i32, 0) as bool / {
    report var n: u32;
    n++;
}
