"""Plan, then bytes (compiler/rewrite/plan.py, splice.py, bodycache.py): the incremental cache keys on
each function's plan, so any change to what a function's code embeds — even one made by a probe in
another function — changes its plan and cannot be served the old bytes."""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler.lang.frontend import check_source
from compiler.rewrite.bodycache import FunctionCache
from compiler.rewrite.emit import instrument
from compiler.rewrite.plan import FunctionPlan, Replacement, code_bytes
from compiler.rewrite.splice import splice
from compiler.wasm.reader import read_module

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo" / "app.wasm"

#: a probe whose code embeds a string literal's address (the map's key)
CALLS = "report var calls: map<str, u32>;\nwasm:opcode:call:before { calls[target_fn_name]++; }\n"
#: a probe with a block of unshared variables per site (slot addresses in the code)
BRANCHES = "wasm:opcode:br_if:before { report var taken: u32; taken++; }\n"


@pytest.fixture(scope="module")
def module():
    return read_module(DEMO.read_bytes())


def plans(cache: FunctionCache, emit: int) -> dict[int, FunctionPlan]:
    return {plan.fid: plan for plan, (_, used) in cache.bodies.items() if used == emit}


def build(module, source: str, cache: FunctionCache | None):
    return instrument(module, check_source(source), cache=cache).wasm


def test_an_empty_plan_reproduces_the_input_body(module) -> None:
    nimp = module.num_imported_funcs
    for k, body in enumerate(module.code):
        plan = FunctionPlan(nimp + k, (0, 0, 0, 0), (), b"", (), (), (), (), (), ())
        assert splice(plan, body, body.instrs) == body.raw


def test_splice_reads_only_the_plan(module) -> None:
    """Code before and after positions, and an alt replacement, land where the plan says."""
    body = module.code[0]
    nop, drop = b"\x01", b"\x1a"
    last = len(body.instrs) - 1
    plan = FunctionPlan(module.num_imported_funcs, (0, 0, 0, 0), ((1, "i32"),), b"", ((0, (nop,)),),
                        ((0, (((b"\x41", 5, b"\x1a"), 0x100),)),), (), (), (), ())
    out = splice(plan, body, body.instrs)
    first = body.raw[body.instrs[0].offset:body.instrs[1].offset]
    assert first + b"\x41\x85\x02\x1a" in out and nop + first in out
    assert code_bytes((((b"\x41", 5, b"\x1a"), 0x100),)) == b"\x41\x85\x02\x1a"
    assert Replacement(0, 1, (nop,), False, b"") == Replacement(0, 1, (nop,), False, b"")
    assert out.endswith(body.raw[body.instrs[last].offset:])


def test_a_moved_string_literal_changes_the_plan_of_its_user(module) -> None:
    """The second probe's slots move the string literals of the first probe's functions, whose sites
    are unchanged: their plans differ, so the cache cannot hand back the old bodies."""
    cache = FunctionCache()
    build(module, CALLS, cache)
    first = plans(cache, cache.emits)
    wasm = build(module, CALLS + BRANCHES, cache)
    second = plans(cache, cache.emits)
    assert wasm == build(module, CALLS + BRANCHES, None)
    changed = [fid for fid in first if fid in second and first[fid] != second[fid]]
    assert changed, "no function embedding a string literal was planned anew"


def test_a_moved_slot_changes_the_plan_of_its_user(module) -> None:
    """A map added by a probe in other functions reserves runtime memory before the slots."""
    cache = FunctionCache()
    build(module, BRANCHES, cache)
    first = plans(cache, cache.emits)
    maps = "wasm:opcode:call:before { report var b: map<u32, u32>; b[1]++; }\n"
    wasm = build(module, BRANCHES + maps, cache)
    second = plans(cache, cache.emits)
    assert wasm == build(module, BRANCHES + maps, None)
    assert any(fid in second and second[fid] != plan for fid, plan in first.items())


def test_an_unchanged_script_is_served_from_the_cache(module) -> None:
    cache = FunctionCache()
    wasm = build(module, BRANCHES, cache)
    misses = cache.misses
    assert build(module, BRANCHES, cache) == wasm
    assert cache.misses == misses and cache.hits > 0


#: sites whose code takes two temporaries of one type (given back in the other order), one with a
#: temporary of the body's own, and counters: the shapes whose code inject.py's fast path shares
SHAPES = ("wasm:opcode:i32.add:before { report var s: u32; s = s + (arg0 + arg1) as u32; }\n"
          "wasm:opcode:i32.sub:before { report var d: i32; var t: i32 = arg0 * 2; d = d + t; }\n" + BRANCHES)


def test_sites_of_one_shape_share_code_only_while_the_temporaries_are_unchanged(module, monkeypatch) -> None:
    """The fast path reuses a shape's code for the next site only while the function's free
    temporaries are as they were: the bytes are those of planning every site on its own."""
    shared = build(module, SHAPES, None)
    import compiler.rewrite.inject as inject
    calls = iter(range(1 << 30))
    monkeypatch.setattr(inject, "_free_state", lambda pool: next(calls))   # never "unchanged"
    assert build(module, SHAPES, None) == shared


def test_report_metadata_follows_rows_added_and_removed(module) -> None:
    """Rows of a disabled probe missing, then rows of a new probe among the old ones: with cached
    bodies, each emit's module (its ``whamm.report`` section included) is the one a fresh build writes."""
    cache = FunctionCache()
    for source in (CALLS + BRANCHES, BRANCHES, SHAPES, CALLS + BRANCHES):
        assert build(module, source, cache) == build(module, source, None)


def test_proc_exit_callers_found_once_serve_every_emit() -> None:
    """The functions calling ``proc_exit`` (flush points before the call, §10) are scanned once per
    cached module; later emits flush there all the same."""
    import wasmtime
    app = read_module(wasmtime.wat2wasm("""
    (module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (func $work (nop) (if (i32.const 0) (then (call $exit (i32.const 1)))))
      (func $_start (export "_start") (call $work) (call $exit (i32.const 0))))
    """))
    cache = FunctionCache()
    for source in ("report var n: u32;\nwasm:opcode:nop:before { n++; }\n",
                   "report var n: u32;\nwasm:opcode:nop:before { n++; }\nwasm:opcode:call:before { n++; }\n"):
        assert build(app, source, cache) == build(app, source, None)
    assert list(cache.callers.values()) == [frozenset({1, 2})]
