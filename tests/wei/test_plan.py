"""plan.py: folding, predicate placement, callbacks and their parameters, merging, export order."""
from __future__ import annotations

from compiler.lang.frontend import check_source
from compiler.wei.plan import plan_probes


def plan(script: str, libs=()):
    return plan_probes(check_source(script, libraries={lib.name: lib.signature for lib in libs}, wei=True))


def test_static_and_pushed_predicates():
    p_static, p_global, p_builtin, p_call = plan(
        'var g: u32; wasm:opcode:call:before / fname == "a" && imm0 > 1 / { g++; }'
        'wasm:opcode:br:before / g > 0 / { g++; }'
        'wasm:opcode:br_if:before / fname.starts_with("b") / { g++; }'
        'fn f() -> bool { return true; } wasm:opcode:nop:before / f() / { g++; }')
    assert (p_static.static_predicate, p_static.pred_params, p_static.body_params) == (True, ("fname", "imm0"), ())
    assert (p_global.static_predicate, p_global.body_params) == (False, ())
    assert p_builtin.static_predicate and p_builtin.pred_params == ("fname",)
    assert not p_call.static_predicate


def test_static_call_in_pushed_predicate_becomes_a_callback(Lib, tmp_path):
    (p,) = plan("use lib; var c: u32; wasm:opcode:i32.load:before / addr == 0 && @static lib.hot(fid as i32, pc as i32) "
                "as bool / { c++; }", (Lib(tmp_path),))
    assert not p.static_predicate
    assert [s.params for s in p.statics] == [("fid", "pc")]
    assert p.body_params == ("arg0",)
    assert str(p.export_name((7,))) == "wasm:opcode:i32.load  ($7(fid, pc), arg0)"


def test_alloc_params_come_from_initialisers(Lib, tmp_path):
    (p,) = plan("use lib; wasm:opcode:br_table:before { report var d: u32 = default_target;"
                " @init lib.note(imm0 as i32); report var n: u32 = num_targets + fid; d++; }", (Lib(tmp_path),))
    assert p.alloc and p.alloc_params == ("fname", "fid", "pc", "default_target", "imm0", "num_targets")
    assert p.body_params == ()


def test_init_only_probe_has_alloc_and_empty_body(Lib, tmp_path):
    (p,) = plan("use lib; wasm:opcode:nop:before { @init lib.note(pc as i32); }", (Lib(tmp_path),))
    assert p.alloc and p.alloc_params == ("fname", "fid", "pc") and p.body_params == ()


def test_merging_renames_and_pushes_predicates():
    (calls, other) = plan(
        'wasm:opcode:call:before / fname == "x" / { report var n: u32; n++; }'
        'wasm:opcode:call:before / fname == "y" / { report var n: u32; report var n_1: u32; n++; n_1++; }'
        'wasm:opcode:call:before / fname == "z" / { report var n: u32; n++; }'
        'var c: u32; wasm:opcode:nop:before { c++; }')
    assert calls.merged and not calls.static_predicate
    assert [m.number for m in calls.members] == [0, 1, 2]
    assert [m.names for m in calls.members] == [{"n": "n"}, {"n": "n_1", "n_1": "n_1_1"}, {"n": "n_2"}]
    assert calls.body_params == ("fname",)
    assert str(calls.export_name((4,))) == "wasm:opcode:call  ($4(fname, fid, pc), fname)"
    assert not other.merged


def test_merging_repeats_until_unique():
    """A merged probe (predicates pushed) can coincide with a third probe, which then joins it."""
    probes = plan('var c: u32;'
                  'wasm:opcode:call:before / fid == 1 / { c = c + fid; }'
                  'wasm:opcode:call:before / fid == 2 / { c = c + fid; }'
                  'wasm:opcode:call:before { c = c + fid; }')
    (p,) = probes
    assert [m.number for m in p.members] == [0, 1, 2] and p.body_params == ("fid",)


def test_export_order_follows_rewriting_order():
    """REWRITING.md §8: pass-1 packages first, then first appearance of package, event, mode; func last."""
    probes = plan("var c: u32; wasm:func:entry { c++; } wasm:opcode:br:before { c++; } "
                  "wasm:block:start { c++; } wasm:opcode:call:before { c++; } wasm:opcode:br:before { c = 2; }")
    assert [(p.rule, [m.number for m in p.members]) for p in probes] == [
        ("wasm:opcode:br", [1, 4]), ("wasm:opcode:call", [3]), ("wasm:block:start", [2]), ("wasm:func:entry", [0])]


def test_false_predicate_drops_the_export():
    assert plan("var c: u32; wasm:opcode:call:before / 1 > 2 / { c++; }") == []
