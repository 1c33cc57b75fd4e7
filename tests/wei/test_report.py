"""report.py: wasm:exit and the default report of a monitor (WEI.md §7)."""
from __future__ import annotations

import wasmtime


BANNER = "================================= REPORT CSV FLUSH ===================================="


def test_no_rows_no_report(DEMO, run_rewritten, run_wei):
    """Site rows exist only where $A ran; with none and no static instances nothing is printed."""
    script = 'wasm:opcode:call:before / fname == "none" / { report var n: u32; n++; }'
    out, e = run_wei(script, DEMO)
    assert e.attachments == () and BANNER not in out
    assert out == run_rewritten(script, DEMO)


def test_group_order_site_rows_then_shared_rows(DEMO, run_wei):
    out, _ = run_wei("wasm:opcode:call:before { report var f: f32; report shared var all: u32; report var n: u32;"
                     " n++; all++; f = 0.5; }", DEMO)
    kinds = [(row.split(", ")[2], row.split(", ")[6]) for row in out.splitlines() if ", memaddr, " in row]
    assert kinds[:2] == [("n", "print"), ("n", "calc")]
    assert kinds[len(kinds) // 2 - 1:len(kinds) // 2 + 2] == [("n", "main"), ("all", ""), ("f", "print")]
    assert kinds[-1] == ("f", "main")


def test_unnamed_functions_print_their_index(masked, run_rewritten, run_wei):
    app = wasmtime.wat2wasm('(module (func (export "_start") call 1 call 1) (func))')
    script = "wasm:opcode:call:before { report var n: u32; n++; }"
    out, _ = run_wei(script, app)
    assert ", memaddr, n, u32, i32, script0, #0, 0, 1, 0_wasm:opcode:call, 1" in out
    assert masked(out) == masked(run_rewritten(script, app))


def test_report_probes_replace_the_default_report_and_end_runs_first(DEMO, run_wei):
    out, _ = run_wei("use whamm_core; report var n: u32; wasm:opcode:call:before { n++; }"
                     "wasm:end { whamm_core.putc(69); } wasm:report { whamm_core.putu32(n as i32); }", DEMO)
    assert out.endswith("steps\nE95") and BANNER not in out
