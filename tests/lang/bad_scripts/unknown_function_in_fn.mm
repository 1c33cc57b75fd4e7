fn helper(x: u32) -> u32 {
    return fid + x;
}
wasm:opcode:call:before { var y: u32 = helper(1); }
