// wasm:func:entry and wasm:func:exit with provider variables.
var depth: u32;
wasm:func:entry { report var entries: u32; entries++; depth = depth + fid; }
wasm:func:exit / fname != "main" / { report var exits: u32; exits++; depth = depth - pc; }
