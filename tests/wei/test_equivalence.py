"""Equivalence of the two targets (issue 6, must-show 2): for every script the engine interface can
express, ``whamm run`` (rewriting) and ``whamm run --wei-monitor`` (the emulated engine) print the
same output, apart from the report's ``memaddr``/``global_id`` ids and the probe ids' mode suffix.

Covered: every example of ``examples/`` (those the interface cannot express — ``faults``, ``latency``
and ``profile`` — are rejected), and every golden script on the demo application and on ``apps/mixed.wat`` — except
``engine_only`` (``probe_id`` does not exist when rewriting) and ``merged``, whose merged probes
legitimately report rows at every site of the merged export (WEI.md §8; see test_emulator.py).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler.wei.support import UnsupportedError
from .wei_fixtures import DEMO, EXAMPLES, Lib, masked, monitor, run_rewritten, run_wei

HERE = Path(__file__).parent
MIXED = (HERE / "apps" / "mixed.wat").read_text()

#: example → (application, library name and path or None)
EXPRESSIBLE = {
    "branches": (DEMO, None),
    "cache": (EXAMPLES / "cache" / "matrix.wasm", ("cache", EXAMPLES / "cache" / "cache.wasm")),
    "callgraph": (EXAMPLES / "callgraph" / "app.wasm", None),
    "calls": (DEMO, None),
    "hotness": (DEMO, None),
    "instr_count": (DEMO, None),
    "memtrace": (EXAMPLES / "memtrace" / "app.wasm", None),
}
REJECTED = {"faults": "mode `alt` is not supported by the wei target",
            "latency": "`stack_depth` is not supported by the wei target",
            "profile": "`callstack` is not supported by the wei target"}
NOT_COMPARED = {"engine_only", "merged"}


def test_every_example_is_classified():
    scripts = {p.parent.name for p in EXAMPLES.glob("*/*.mm")}
    assert scripts == set(EXPRESSIBLE) | set(REJECTED)


@pytest.mark.parametrize("name", sorted(EXPRESSIBLE))
def test_example(name):
    app, lib = EXPRESSIBLE[name]
    libs = (Lib(None, lib[0], path=lib[1]),) if lib else ()
    script = (EXAMPLES / name / f"{name}.mm").read_text()
    rewritten = run_rewritten(script, app, libs)
    emulated, emulation = run_wei(script, app, libs)
    assert emulation.result.message is None
    assert "REPORT CSV FLUSH" in rewritten or name == "memtrace"
    assert masked(emulated) == masked(rewritten)


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_example(name):
    with pytest.raises(UnsupportedError) as info:
        monitor((EXAMPLES / name / f"{name}.mm").read_text())
    assert REJECTED[name] in str(info.value)


GOLDEN = sorted(p.stem for p in (HERE / "golden").glob("*.mm") if p.stem not in NOT_COMPARED)


@pytest.mark.parametrize("app", ["demo", "mixed"])
@pytest.mark.parametrize("name", GOLDEN)
def test_golden_scripts(tmp_path, name, app):
    script = (HERE / "golden" / f"{name}.mm").read_text()
    libs = (Lib(tmp_path),) if "use lib;" in script else ()
    application = DEMO if app == "demo" else MIXED
    assert masked(run_wei(script, application, libs)[0]) == masked(run_rewritten(script, application, libs))


DIFFERENTIAL = [
    # report variables of every scalar group, tuples and per-site maps, in one probe
    """wasm:opcode:i32.store:before {
        report var b: bool; report var s8: i8; report var u16v: u16; report var f: f64;
        report var t: (u32, i64); report var m: map<u32, u32>;
        b = arg0 > 4; s8 = arg0 as i8; u16v = addr as u16; f = arg0 as f64 / 3.0;
        t = (addr, offset as i64); m[arg0 as u32]++;
    }""",
    # shared and global report variables next to site rows
    """report var g: u64; wasm:opcode:call:before { report shared var calls: u32; report var here: u32;
       calls++; here++; g = g + 1; }""",
    # wasm:begin/end/report, user functions, whamm_core printing
    """use whamm_core; var n: u32;
       fn twice(x: u32) -> u32 { return x * 2; }
       wasm:begin { whamm_core.putc(66); whamm_core.putc(10); }
       wasm:opcode:i32.add:before { n = n + twice(1); }
       wasm:end { whamm_core.putu32(n as i32); whamm_core.putc(10); }
       wasm:report { whamm_core.putc(82); whamm_core.putc(10); }""",
    # a predicate mixing static and dynamic parts, locals, a return in the body
    """report var hits: u32; wasm:opcode:i64.add:before / fid == 4 && arg0 > 5 / { if (arg1 == 0) { return; } hits++; }""",
    # block events with instr_count in a map keyed by (fid, pc)
    """report var sizes: map<(u32, u32), u32>; wasm:block:end { sizes[(fid, pc)] = instr_count; }""",
    # br_table: the derived target and the immediates
    """report var taken: map<u32, u32>; wasm:opcode:br_table:before { taken[target]++; taken[100 + imm1]++; }""",
]


@pytest.mark.parametrize("script", DIFFERENTIAL)
def test_differential(script):
    assert masked(run_wei(script, MIXED)[0]) == masked(run_rewritten(script, MIXED))
