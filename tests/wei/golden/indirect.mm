// call_indirect: table_entry_idx aliases arg0; resolved_fid and target_funcref come from the engine.
report var edges: map<(u32, i32), u32>;
var slot: i32;
wasm:opcode:call_indirect:before { slot = table_entry_idx; edges[(fid, resolved_fid)]++; }
