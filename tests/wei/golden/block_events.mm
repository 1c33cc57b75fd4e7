// Basic-block events: start and end (instr_count), with a static predicate.
wasm:block:start { report var blocks: u32; blocks++; }
wasm:block:end / instr_count > 2 / { report var long_blocks: u32; report var instrs: u64; long_blocks++; instrs = instrs + instr_count as u64; }
