// WEI.md §4: a report variable needs the allocation callback $A(fname, fid, pc).
wasm:opcode:call:before { report var n: u32; n++; }
