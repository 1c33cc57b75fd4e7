// Opcode events with immediates: a static predicate on imm0, br_table's family and derived target.
report var calls: u32;
var last: u32;
var consts: map<i32, u32>;
wasm:opcode:call:before / imm0 == 2 / { calls++; }
wasm:opcode:br_table:before / num_targets > 1 / { last = imm1 + default_target + target; }
wasm:opcode:i32.const:before { consts[imm0]++; }
wasm:opcode:local.get:before { last = imm0; }
