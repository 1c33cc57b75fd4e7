// WEI.md §8: probes with identical names merge; clashing names are renamed; predicates go into the body.
var total: u32;
wasm:opcode:call:before { report var n: u32; n++; }
wasm:opcode:call:before { report var n: u32; n = n + 2; }
wasm:opcode:call:before / fname == "calc" / { report var n: u32; n = n + 4; total++; }
wasm:opcode:call:before / fname == "main" / { report var n: u32; n = n + 8; }
wasm:opcode:nop:before { total++; }
wasm:opcode:nop:before { total = total + 2; }
