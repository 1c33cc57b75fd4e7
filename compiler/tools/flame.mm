// flame: an exact profile -- application instructions executed per call stack, as a flame graph
//
// Every application instruction adds one to `flame_executed`.  Whenever the call stack is about to change
// (before a call, at a function's exit), the instructions executed since
// the last change are added to `flame[callstack]`: the stack that executed them.  A program ends at a
// function's exit or by calling `proc_exit` (a call: the count is added before it), so the counts of
// `flame` sum to the number of instructions the application executed, and reading `callstack` costs once
// per call, not once per instruction.  A trap or an exception that unwinds frames leaves the
// instructions since the last call uncounted (the run stops there anyway for a trap).
//
// Table: the profile as a top-down call tree with percentages (the shell's `flame flame` draws the
// same); `whamm run --tool flame --folded flame=FILE` also writes it as folded stacks for flamegraph.pl,
// inferno or speedscope.
var flame_executed: u64;
var flame_mark: u64;
report var flame: map<str, u64>;

wasm:opcode:*:before { flame_executed++; }

wasm:opcode:call*:before {
    flame[callstack] += flame_executed - flame_mark;
    flame_mark = flame_executed;
}

wasm:opcode:return_call*:before {
    flame[callstack] += flame_executed - flame_mark;
    flame_mark = flame_executed;
}

wasm:func:exit {
    flame[callstack] += flame_executed - flame_mark;
    flame_mark = flame_executed;
}
