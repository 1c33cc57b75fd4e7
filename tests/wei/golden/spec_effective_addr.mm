// WEI.md §4: one export per load event; effective_addr requests its inputs.
var a: map<u32, u32>;
wasm:opcode:*load*:before { a[effective_addr]++; }
