// String values are passed in the engine buffer; storing one copies it.
report var last: str;
var calls: map<str, u32>;
wasm:opcode:call:before { calls[target_fn_name]++; last = target_imp_module; }
wasm:func:entry / fname.starts_with("show") / { report var f: str; f = fname; }
