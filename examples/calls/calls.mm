// The seed demo: count the top-level calls of `calc` (function 2 of the demo app) whose last
// argument (arg0, the top of the stack) is 0.  `imm0 == 2` folds per site, so only calls of calc get
// code; `arg0 == 0` stays as a run-time check.
report var count: u32;

wasm:opcode:call(arg0: i32):before / imm0 == 2 && arg0 == 0 / {
    count++;
}
