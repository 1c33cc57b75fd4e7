// WEI.md §4: a body with no requested values and no callbacks.
var count: u32;
wasm:opcode:call:before { count++; }
