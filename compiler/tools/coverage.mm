// coverage: line coverage from the app's DWARF lines, or per basic block without them
//
// With DWARF line information (an application built with -g: ANALYSIS.md §5) this file is not the
// script: the tool builds its script from the application -- the probes of `whamm run --coverage`, a
// counter at each line's first statement (compiler/tools/app_scripts.py) -- and its table gives the
// lines hit of the lines with code, in all and per source file, then per file whose source is on this
// machine the lines never executed as ranges (`12, 15-18`), as gcov marks them `#####`.
//
// Without a line table (and where there is no application, as for `whamm check` and the engine target)
// the script is this file's: every instruction gets a per-site counter, `block_runs`.  The rewriter
// coalesces the counters of a straight-line run of instructions -- a basic block: control enters it only
// at its first instruction and leaves it only after its last (a branch, a call, a branch target ends
// one) -- into one add and one shared slot (docs/COALESCING.md), so counting costs one add per block
// executed and the table groups the rows sharing a slot into one block.  With `--no-coalesce` every
// instruction is its own block (the counts are the same, only slower and finer).
//
// Table without DWARF: blocks run of all, in all and per function; then per block its runs (`#####` for
// a block that never ran, as gcov marks a line), fid, first pc, number of instructions, function -- in
// code order.
wasm:opcode:*:before {
    report var block_runs: u64;
    block_runs++;
}
