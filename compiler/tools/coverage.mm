// coverage: per basic block, whether and how often it ran (no DWARF needed)
//
// Every instruction gets a per-site counter, `block_runs`.  The rewriter coalesces the counters of a
// straight-line run of instructions -- a basic block: control enters it only at its first instruction
// and leaves it only after its last (a branch, a call, a branch target ends one) -- into one add and
// one shared slot (docs/COALESCING.md), so counting costs one add per block executed and the table
// groups the rows sharing a slot into one block.  With `--no-coalesce` every instruction is its own
// block (the counts are the same, only slower and finer).
//
// Table: blocks run of all, in all and per function; then per block its runs (`#####` for a block that
// never ran, as gcov marks a line), fid, first pc, number of instructions, function -- in code order.
wasm:opcode:*:before {
    report var block_runs: u64;
    block_runs++;
}
