// Fault injection: make `collatz(27)` fail by returning -1 instead of calling it.  The predicate's
// static part (`target_fn_name == "collatz"`) picks the call sites; its dynamic part (`arg0 == 27`)
// decides at run time, so collatz(6) still runs normally.
report var injected: u32;

wasm:opcode:call(arg0: i32):alt / target_fn_name == "collatz" && arg0 == 27 / {
    injected++;
    return -1;
}
