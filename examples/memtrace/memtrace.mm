// Memory-access tracing: one line per executed load or store, with the instruction, the effective
// address (address operand + static offset) and the function, plus totals in the report.
use whamm_core;

report var reads: u32;
report var writes: u32;

wasm:opcode:*load*|*store*:before {
    if (is_write) { writes++; } else { reads++; }
    whamm_core.puts(opname.addr() as i32, opname.len() as i32);
    whamm_core.putc(32);
    whamm_core.putu32(effective_addr as i32);
    whamm_core.puts(" in ".addr() as i32, 4);
    whamm_core.puts(fname.addr() as i32, fname.len() as i32);
    whamm_core.putc(10);
}
