// Call graph: count every (caller, callee) pair, for direct calls (callee = imm0) and indirect calls
// (callee = the function stored in the table slot, resolved through the table's shadow; -1 if unknown).
// Render the report as Graphviz DOT with examples/callgraph/to_dot.py.
report var edges: map<(u32, u32), u32>;

wasm:opcode:call:before {
    edges[(fid, imm0)]++;
}

wasm:opcode:call_indirect:before {
    edges[(fid, resolved_fid as u32)]++;
}
