// WEI.md §6: per-event constants fold first: only the call event keeps an export.
var c: u32;
wasm:opcode:*:before / opname == "call" / { c++; }
