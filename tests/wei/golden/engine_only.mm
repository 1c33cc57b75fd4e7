// probe_id: the engine's id of the attached probe (engine target only).
var ids: map<i32, u32>;
wasm:opcode:call:before { ids[probe_id]++; }
