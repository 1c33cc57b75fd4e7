"""matching.py: type-bound filtering, folding per site, §8 order, @static order, alt conflicts."""
from __future__ import annotations

import pytest
import wasmtime

from compiler.lang import ast
from compiler.lang.diagnostics import ScriptError
from compiler.lang.frontend import check_source
from compiler.lang.libraries import Library, LibFunc
from compiler.lang.types import Prim
from compiler.sites.matching import AltConflictError, match
from compiler.sites.finding import Placement
from compiler.wasm import read_module


def module_of(wat: str):
    return read_module(wasmtime.wat2wasm(wat))


def run(wat: str, script: str, **kw):
    program = check_source(script, **{k: v for k, v in kw.items() if k == "libraries"})
    kw.pop("libraries", None)
    module = module_of(wat)
    return module, program, match(module, program, **kw)


def nops(n: int) -> str:
    return " nop" * n


# -------------------------------------------------------------------------------- type bounds

BOUNDS_APP = """(module
  (func $f (param i64 i32) (result i32) local.get 1)
  (func $g (param i32 i64))
  (func $app (param $p i32) (result i32) (local $x i32) (local $y i64)
    block
      local.get $p
      br_if 0
    end
    local.get $p
    if nop end
    local.get $p
    i32.eqz
    local.set $x
    i64.const 1
    local.set $y
    i32.const 1 i32.const 2 local.get $p
    select
    drop
    f64.const 1
    drop
    i64.const 1 i32.const 2
    call $f
    drop
    i32.const 2 i64.const 1
    call $g
    local.get $p
    return))"""


def test_operand_type_bound_filters_sites():
    """LANGUAGE.md §4.2's example: arg0: i32 matches br_if, if, i32.eqz, select, drop of an i32, call of
    f(…, i32), local.set of an i32 local — and not return or the final end."""
    module, program, ms = run(BOUNDS_APP, "wasm:opcode:*(arg0: i32):before { report var n: u32; n++; }")
    fs_instrs = module.code[2].instrs
    got = [(fs_instrs[s.index].op.name, s.index) for s in ms.by_function[2]]
    names = [name for name, _ in got]
    assert names == ["br_if", "if", "i32.eqz", "local.set", "select", "drop", "call", "drop"]
    local_sets = [i for i, ins in enumerate(fs_instrs) if ins.op.name == "local.set"]
    assert ("local.set", local_sets[0]) in got and ("local.set", local_sets[1]) not in got
    assert all(s.operands[0] == "i32" for s in ms.by_function[2])
    assert ms.by_function[0] == () and ms.by_function[1] == ()   # local.get / end only


def test_bound_on_a_later_operand_and_on_results():
    _, _, ms = run(BOUNDS_APP, """
        wasm:opcode:call(arg1: i64):before { report var a: u32; a++; }
        wasm:opcode:call(res0: i32):after { report var b: u32; b++; }
        wasm:opcode:i32.eqz(arg0: i64):before { report var c: u32; c++; }""")
    got = [(s.probe.number, s.bindings["imm0"] if "imm0" in s.bindings else None) for s in ms.sites]
    assert got == [(0, 0), (1, 0)]             # call $f(i64, i32) -> i32 only; i32.eqz is i32
    assert ms.sites[1].results == ("i32",) and ms.sites[0].operands == ("i32", "i64")


def test_local_bounds():
    _, _, ms = run("""(module (func (param i64)) (func (param i32) (local f64))
                       (func (param i32 f64)))""",
                   """wasm(local0: i32, local1: f64):func:entry { report var a: u32; a++; }""")
    assert [s.fid for s in ms.sites] == [1, 2]
    assert ms.sites[0].placement is Placement.FUNC_ENTRY


def test_walk_runs_only_where_needed():
    app = """(module (func (param i32) (result i32)
               local.get 0 local.get 0 br_if 0 drop local.get 0))"""
    _, _, ms = run(app, "wasm:opcode:br_if:before / arg0 == 1 / { report var a: u32; a++; }")
    assert not ms.types[0].walked
    assert ms.sites[0].operands == ("i32", "i32")
    _, _, ms = run(app, "wasm:opcode:drop:before { report var a: u32; a++; }")
    assert not ms.types[0].walked and ms.sites[0].operands == (None,)
    _, _, ms = run(app, "wasm:opcode:drop(arg0: i32):before { report var a: u32; a++; }")
    assert ms.types[0].walked and ms.sites[0].operands == ("i32",)


def test_alt_and_bounds_skip_sites_with_unknown_operands():
    app = """(module (func (result i32)
               block (result i32) i32.const 1 br 0 drop i64.const 2 drop end))"""
    _, _, ms = run(app, "wasm:opcode:drop:alt { }")
    assert [s.operands for s in ms.sites] == [("i64",)]       # the first drop pops an unknown value
    _, _, ms = run(app, "wasm:opcode:drop(arg0: i64):before { report var a: u32; a++; }")
    assert len(ms.sites) == 1


def test_br_table_immediates_beyond_n_do_not_match():
    app = """(module (func (param i32)
               block block local.get 0 br_table 0 1 end
               local.get 0 br_table 1 1 1 0 end))"""
    _, _, ms = run(app, "wasm:opcode:br_table:before / imm2 == 1 / { report var a: u32; a++; }")
    assert [s.bindings["num_targets"] for s in ms.sites] == [3]


def test_array_len_has_no_type_immediate():
    """EVENTS.md §10: the standard encoding of ``array.len`` has no immediate, so the event binds no
    ``imm0``/``tid`` (a script using them is rejected at the variable); other probes still match."""
    app = """(module (type $a (array i32))
               (func (result i32) i32.const 3 array.new_default $a array.len))"""
    with pytest.raises(ScriptError) as err:
        run(app, "wasm:opcode:array.len:before { report var t: u32; t = tid; }")
    assert "tid" in str(err.value)
    _, _, ms = run(app, "wasm:opcode:array.len:before { report var n: u32; n++; }\n"
                        "wasm:opcode:array.new_default:before { report var u: u32; u = tid; }")
    assert [(s.probe.number, "tid" in s.bindings) for s in ms.sites] == [(1, True), (0, False)]


# ------------------------------------------------------------------------------------- folding

CALC_APP = f"""(module
  (func $main (param i32){nops(9)} local.get 0 br_if 0)
  (func $calc (param i32){nops(17)} local.get 0 br_if 0{nops(64)} local.get 0 br_if 0))"""


def test_worked_folding_example():
    """LANGUAGE.md §13.3: main pc 12 → false; calc pc 88 → true; calc pc 20 → residual arg0 != 0."""
    _, _, ms = run(CALC_APP, """wasm:opcode:br_if:before / fname == "calc" && (pc > 80 || arg0 != 0) / {
        report var taken: u32;
        taken++;
    }""")
    assert [(s.fname, s.pc) for s in ms.sites] == [("calc", 20), ("calc", 88)]
    residual, static = ms.sites[0].folded.predicate, ms.sites[1].folded.predicate
    assert static is True
    assert isinstance(residual, ast.Binary) and residual.op == "!="
    assert isinstance(residual.left, ast.Name) and residual.left.id == "arg0"
    assert ms.by_function[0] == ()


def test_app_memid_is_bound():
    app = """(module (import "env" "m" (memory 1)) (memory 1) (func call 0))"""
    _, _, ms = run(app, "wasm:opcode:call:before / APP_MEMID == 1 / { report var a: u32; a++; }")
    assert len(ms.sites) == 1 and ms.sites[0].folded.predicate is True


# -------------------------------------------------------------------------------------- ordering

def test_order_at_one_instruction():
    """§8: pass-1 sites grouped by package, event and mode first appearance, then script order; then
    the structural (wasm:func) sites grouped the same way."""
    script = """
        wasm:opcode:br_if:after { report var a: u32; a++; }
        wasm:block:end { report var b: u32; b++; }
        wasm:func:exit { report var c: u32; c++; }
        wasm:opcode:br_if:before { report var d: u32; d++; }
        wasm:opcode:br_if:before { report var e: u32; e++; }
        wasm:func:entry { report var f: u32; f++; }
        wasm:opcode:local.get:before { report var g: u32; g++; }
    """
    _, _, ms = run("(module (func (param i32) local.get 0 br_if 0))", script)
    assert [(s.index, s.probe.number) for s in ms.sites] == [
        (0, 6), (0, 2), (0, 5), (1, 0), (1, 3), (1, 4), (1, 1)]
    assert [s.placement for s in ms.sites] == [
        Placement.BEFORE, Placement.FUNC_EXIT, Placement.FUNC_ENTRY, Placement.AFTER, Placement.BEFORE,
        Placement.BEFORE, Placement.BEFORE]
    assert ms.sites[2].bindings["pc"] == 0 and ms.sites[2].pc == 1


def test_sites_follow_function_then_instruction_order():
    app = """(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (func $a i32.const 0 call $exit)
      (func $b nop))"""
    _, _, ms = run(app, "wasm:func:exit { report var c: u32; c++; } wasm:opcode:nop:before { report var n: u32; n++; }")
    assert [(s.fid, s.index, s.placement) for s in ms.sites] == [
        (1, 0, Placement.FUNC_EXIT), (1, 1, Placement.PROC_EXIT), (2, 0, Placement.BEFORE),
        (2, 0, Placement.FUNC_EXIT)]
    assert ms.sites[1].pc == 3 and ms.sites[1].bindings["pc"] == 3
    assert list(ms.by_function) == [1, 2] and ms.functions == (1, 2)


# --------------------------------------------------------------------------------- @static order

RECORDING_LIB = Library("lib", None, "lib", tuple(
    LibFunc(name, (Prim.I32, Prim.I32), Prim.I32, True) for name in ("p", "i", "b")), False)


def test_static_calls_follow_the_traversal_order():
    """§13.4: per site in traversal order, per probe in §8 order: predicate, then the per-site
    initialisation, then the body; a predicate folding to false stops that probe there."""
    calls: list[tuple] = []

    def record(library, function, args):
        calls.append((function, *args))
        return 0 if (function, *args) == ("p", 3, 4) else 1

    script = """use lib;
        wasm:opcode:i32.const:after / @static lib.p(1, pc as i32) as bool / {
            report var a: i32 = @static lib.i(1, pc as i32); a = @static lib.b(1, pc as i32); }
        wasm:func:entry / @static lib.p(2, pc as i32) as bool / {
            report var c: i32 = @static lib.i(2, pc as i32); c = @static lib.b(2, pc as i32); }
        wasm:opcode:i32.const:before / @static lib.p(3, pc as i32) as bool / {
            report var d: i32 = @static lib.i(3, pc as i32); d = @static lib.b(3, pc as i32); }
    """
    _, _, ms = run("(module (func i32.const 1 drop i32.const 2 drop))", script,
                   libraries={"lib": RECORDING_LIB}, static_call=record)
    assert calls == [
        ("p", 1, 1), ("i", 1, 1), ("b", 1, 1),      # pc 1: the after probe (mode first seen first)
        ("p", 3, 1), ("i", 3, 1), ("b", 3, 1),      # the before probe
        ("p", 2, 0), ("i", 2, 0), ("b", 2, 0),      # then func:entry (structural; its pc is 0)
        ("p", 1, 4), ("i", 1, 4), ("b", 1, 4),      # pc 4
        ("p", 3, 4),                                # folds to false: no initialiser, no body
    ]
    assert [(s.probe.number, s.pc) for s in ms.sites] == [(0, 1), (2, 1), (1, 1), (0, 4)]
    init = ms.sites[0].folded.inits["a"]
    assert isinstance(init, ast.IntLit) and init.value == 1


# ------------------------------------------------------------------------------------ alt conflicts

ALT_APP = """(module (func $callee) (func $main call $callee call $callee))"""


def test_two_alt_probes_on_one_instruction_are_an_error():
    script = "wasm:opcode:call:alt { }\nwasm:opcode:call:alt / pc > 0 / { }\n"
    with pytest.raises(AltConflictError) as info:
        run(ALT_APP, script)
    text = str(info.value)
    assert "error: multiple alt probes match the same instruction" in text
    assert "--> <script>:2:1" in text
    assert "= note: at main (fid 1), pc 1" in text
    assert info.value.diagnostics[0].span.line == 2


def test_alt_probes_folded_away_do_not_conflict():
    script = 'wasm:opcode:call:alt / pc == 1 / { }\nwasm:opcode:call:alt / pc == 3 / { }\n'
    _, _, ms = run(ALT_APP, script)
    assert [(s.probe.number, s.pc) for s in ms.sites] == [(0, 1), (1, 3)]
    assert all(s.operands == () and s.placement is Placement.ALT for s in ms.sites)


# ------------------------------------------------------------------------------- partial matching

def test_partial_match_summary_and_replacement():
    app = "(module (func nop) (func nop nop) (func))"
    program = check_source("wasm:opcode:nop:before { report var n: u32; n++; } wasm:opcode:drop:before { }")
    module = module_of(app)
    full = match(module, program)
    part = match(module, program, functions=[1, 7, 1])
    assert part.functions == (1,) and len(part.sites) == 2
    assert [(s.fid, s.index) for s in part.sites] == [(s.fid, s.index) for s in full.by_function[1]]
    again = full.replaced(part)
    assert [(s.fid, s.index) for s in again.sites] == [(s.fid, s.index) for s in full.sites]
    assert again.by_function[1] == part.by_function[1]
    summary = full.summary(program.probes)
    assert [(p.number, p.sites, p.functions) for p in summary] == [(0, 3, (0, 1)), (1, 0, ())]
    assert summary[0].probe_id == "0_wasm:opcode:nop:before"
    assert len(full.of_probe(0)) == 3


# ---------------------------------------------------------------------------------- shared folds

def test_sites_share_a_fold_only_when_its_static_inputs_agree():
    app = "(module (func f32.const 0 drop f32.const -0 drop f32.const 0 drop nop nop))"
    _, _, ms = run(app, """
        wasm:opcode:f32.const:before / imm0 == 0.0 / { report var a: f32 = imm0; }
        wasm:opcode:nop:before { report var n: u32; n++; }
        wasm:opcode:nop:before / pc > 0 / { report var m: u32; m++; }""")
    consts = [s for s in ms.sites if s.probe.number == 0]
    assert len(consts) == 3
    assert consts[0].folded is consts[2].folded               # same imm0 (+0.0)
    assert consts[1].folded is not consts[0].folded           # -0.0 is a different value
    nops_ = [s for s in ms.sites if s.probe.number == 1]
    assert nops_[0].folded is nops_[1].folded                 # reads no site-dependent static name
    by_pc = [s for s in ms.sites if s.probe.number == 2]
    assert by_pc[0].folded is not by_pc[1].folded             # reads pc
