// WEI.md §5.1: first textual occurrence, aliases expanded: (arg0, fid, pc).
var x: u32;
var y: u32;
var z: u32;
wasm:opcode:i32.load:before { x = addr + fid; y = pc; z = fid; }
