// WEI.md §6: pc is static but arg0 is not, so the whole predicate is pushed down: (pc, arg0).
var c: u32;
wasm:opcode:br_if:before / pc == 25 && arg0 == 1 / { c++; }
