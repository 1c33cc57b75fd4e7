// Instruction counter: how many instructions the program executed (every opcode event, mode before).
report var executed: u64;

wasm:opcode:*:before {
    executed++;
}
