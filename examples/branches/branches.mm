// Branch monitor: per-site counters of how often each conditional branch was taken.
// `br_if` branches when its operand is non-zero; `if` enters its then-arm when its operand is non-zero.
wasm:opcode:br_if:before {
    report var taken: u32;
    report var not_taken: u32;
    if (arg0 != 0) { taken++; } else { not_taken++; }
}

wasm:opcode:if:before {
    report var taken: u32;
    report var not_taken: u32;
    if (arg0 != 0) { taken++; } else { not_taken++; }
}
