// branches: per conditional branch, how often it was taken and not taken
//
// A conditional branch is a `br_if` (taken when its operand is non-zero) or an `if` (its then-arm runs,
// "taken", when its operand is non-zero).  Each site gets its own two counters, one report row each.
//
// Table: taken, not taken, fid, pc, branch instruction, function -- the most executed first; branches
// that never ran are left out (their number is given below the table).  When the application carries
// DWARF line information (built with -g) a `file:line` column names each branch's source line (blank
// for a branch in code the line table says nothing about).
wasm:opcode:br_if:before {
    report var taken: u64;
    report var not_taken: u64;
    if (arg0 != 0) { taken++; } else { not_taken++; }
}

wasm:opcode:if:before {
    report var taken: u64;
    report var not_taken: u64;
    if (arg0 != 0) { taken++; } else { not_taken++; }
}
