// WEI.md §4: a predicate on match-time data becomes $P; the body asks for arg0.
wasm:opcode:br_if:before / fname == "calc" / { report var t: u32; if (arg0 != 0) { t++; } }
