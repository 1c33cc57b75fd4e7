// WEI.md §4: a predicate on an operand is pushed into the body (addr requests arg0).
var x: u32;
wasm:opcode:i32.load:before / addr == 0 / { x = fid; }
