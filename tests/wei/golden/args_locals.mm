// Operands with type bounds and catalog types, locals at function exit.
var s: i64;
var w: u32;
wasm:opcode:call(arg0: i32, arg1: i64):before { s = s + arg1 + (arg0 as i64); }
wasm:opcode:i32.store:before { w = addr + arg0 as u32 + offset as u32; }
wasm(local1: i64):func:exit { s = local1; }
