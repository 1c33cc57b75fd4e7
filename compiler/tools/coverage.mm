// coverage: per basic block, whether and how often it ran (no DWARF needed)
//
// `wasm:block:start` has one site at the first instruction of every basic block (EVENTS.md section 6), so
// the per-site counter `block_runs` is one report row per block.  Counting runs rather than setting a
// flag lets the rewriter coalesce the counters of a straight line (docs/COALESCING.md).
//
// Table: runs (`#####` for a block that never ran, as gcov marks a line), fid, function, pc -- in code
// order, after a summary of how many blocks ran, in all and per function.
wasm:block:start {
    report var block_runs: u64;
    block_runs++;
}
