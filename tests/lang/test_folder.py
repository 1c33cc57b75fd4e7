"""The constant folder (LANGUAGE.md §13): the worked examples, string methods, @static order."""
from __future__ import annotations

import math

import pytest
import wasmtime

from compiler.lang import ast
from compiler.lang.folder import FoldError, fold_expr, fold_probe, fold_shared_initializers
from compiler.lang.frontend import check_source
from compiler.lang.libraries import library_from_bytes
from compiler.lang.types import Prim

TOGGLE = library_from_bytes("toggle", wasmtime.wat2wasm(
    '(module (func (export "should_inject") (param i32 i32) (result i32) i32.const 0)'
    ' (func (export "next") (result i32) i32.const 0))'), "toggle.wasm")
LIBS = {"toggle": TOGGLE, "lib": library_from_bytes("lib", wasmtime.wat2wasm(
    '(module (func (export "next") (result i32) i32.const 0))'), "lib.wasm")}


def print_expr(e: ast.Expr) -> str:
    """Just enough of a printer for the residuals these tests expect."""
    if isinstance(e, ast.Binary):
        return " ".join((_operand(e.left), e.op, _operand(e.right)))
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.IntLit):
        return e.text
    raise AssertionError(f"unexpected residual node {e!r}")


def _operand(e: ast.Expr) -> str:
    return f"({print_expr(e)})" if isinstance(e, ast.Binary) else print_expr(e)


def probe(text: str, index: int = 0):
    program = check_source(text, "t.mm", LIBS)
    return program, program.probes[index]


def residual(folded) -> str:
    assert isinstance(folded.predicate, ast.Expr), folded.predicate
    return print_expr(folded.predicate)


WORKED = """
wasm:opcode:br_if:before / fname == "calc" && (pc > 80 || arg0 != 0) / {
    report var taken: u32;
    taken++;
}
"""


def test_worked_example_three_sites():
    _, p = probe(WORKED)
    at_main = fold_probe(p, {"fname": "main", "pc": 12, "fid": 0})
    assert at_main.predicate is False and at_main.body is None
    at_88 = fold_probe(p, {"fname": "calc", "pc": 88, "fid": 1})
    assert at_88.predicate is True
    assert at_88.body is p.body          # nothing static in the body: unchanged
    at_20 = fold_probe(p, {"fname": "calc", "pc": 20, "fid": 1})
    assert residual(at_20) == "arg0 != 0"
    # the residual keeps the original spans (messages about it point into the script)
    assert at_20.predicate is p.predicate.right.right  # the untouched dynamic operand itself


def test_upstream_pc_example():
    _, p = probe("wasm:opcode:br_if:before / pc == 25 && arg0 == 1 / { report var n: u32; n++; }")
    assert residual(fold_probe(p, {"pc": 25})) == "arg0 == 1"
    for pc in (1, 24, 26, 300):
        assert fold_probe(p, {"pc": pc}).predicate is False


def test_string_methods_fold():
    _, p = probe('wasm:func:entry / fname.starts_with("basic") / { report var n: u32; n++; }')
    assert fold_probe(p, {"fname": "basic_br"}).predicate is True
    assert fold_probe(p, {"fname": "main"}).predicate is False
    _, p = probe('wasm:func:entry / fname.ends_with("stmt") && !fname.starts_with("if") / { }')
    assert fold_probe(p, {"fname": "for_stmt"}).predicate is True
    assert fold_probe(p, {"fname": "if_stmt"}).predicate is False
    _, p = probe('wasm:func:entry / fname.len() > 3 && fname.contains("a") / { }')
    assert fold_probe(p, {"fname": "main"}).predicate is True
    assert fold_probe(p, {"fname": "ab"}).predicate is False


def test_or_rules_and_dropped_dynamic_operand():
    _, p = probe("wasm:opcode:br_if:before / arg0 == 0 || fid == 3 / { }")
    assert fold_probe(p, {"fid": 3}).predicate is True
    assert residual(fold_probe(p, {"fid": 4})) == "arg0 == 0"
    _, p = probe("wasm:opcode:br_if:before / arg0 == 0 && fid == 3 / { }")
    assert fold_probe(p, {"fid": 4}).predicate is False


def test_if_with_static_condition_keeps_taken_branch():
    _, p = probe("""
    wasm:opcode:br_if:before {
        report var a: u32;
        if (pc > 10) { a = 1; } elif (arg0 == 0) { a = 2; } else { a = 3; }
        if (pc > 100) { a = 4; } elif (arg0 == 1) { a = 5; }
    }""")
    body = fold_probe(p, {"pc": 50}).body
    stmts = body.stmts
    assert isinstance(stmts[1], ast.Assign) and stmts[1].value.value == 1
    assert isinstance(stmts[2], ast.If) and print_expr(stmts[2].cond) == "arg0 == 1"
    assert stmts[2].elifs == () and stmts[2].orelse is None
    body = fold_probe(p, {"pc": 5}).body
    assert isinstance(body.stmts[1], ast.If) and print_expr(body.stmts[1].cond) == "arg0 == 0"


def test_constants_and_static_values_are_substituted():
    program, p = probe("""
    var TARGET: u32 = 27;
    var NOT_CONST: u32 = 1;
    wasm:opcode:call:before / fid == TARGET / {
        report var x: u32;
        x = imm0 + TARGET + NOT_CONST;
    }
    wasm:begin { NOT_CONST = 2; }
    """)
    assert program.constants == {"TARGET": 27}
    assert fold_probe(p, {"fid": 5}, constants=program.constants).predicate is False
    f = fold_probe(p, {"fid": 27, "imm0": 3}, constants=program.constants)
    assert f.predicate is True
    assign = f.body.stmts[1]
    assert print_expr(assign.value) == "30 + NOT_CONST"
    assert assign.value.left.checked_type is Prim.U32


def test_per_event_constants_fold_like_literals():
    _, p = probe("wasm:opcode:*:before / category_name == \"load\" && bytecode != 0x28 / { }")
    assert fold_probe(p, {}).predicate is False   # probe 0 is `unreachable`: category misc
    program = check_source("wasm:opcode:*load*:before / bytecode == 0x28 / { }", "t.mm")
    results = [fold_probe(cp, {}).predicate for cp in program.probes]
    assert results.count(True) == 1 and results[0] is True  # i32.load comes first


def test_literal_arithmetic_in_context_type():
    program, p = probe("wasm:opcode:call:before { var x: u8 = -1 >> 2; var y: f64 = 0.1; }")
    body = fold_probe(p, {}).body
    assert body.stmts[0].init.value == 63      # computed in u8
    assert body.stmts[1].init.value == 0.1     # straight to f64


def test_division_by_zero_in_constant_expression():
    _, p = probe("wasm:opcode:call:before { var x: u32 = fid / (pc - pc); }")
    with pytest.raises(FoldError, match="division by zero in constant expression"):
        fold_probe(p, {"fid": 1, "pc": 4})


def test_ternary_with_static_condition():
    _, p = probe("wasm:opcode:br_if:before { var x: u32 = pc > 5 ? arg0 : 7; }")
    assert print_expr(fold_probe(p, {"pc": 9}).body.stmts[0].init) == "arg0"
    assert fold_probe(p, {"pc": 1}).body.stmts[0].init.value == 7


def test_stateful_static_toggle():
    """§13.3: ``should_inject`` returns 0, 1, 0, 1, ... on successive calls; two i32.load sites."""
    _, p = probe("""use toggle;
wasm:opcode:i32.load:before / addr == 0 && @static toggle.should_inject(fid as i32, pc as i32) as bool / {
    report var val: i32;
    val++;
}""")
    calls = []

    def static_call(lib, func, args):
        calls.append((lib, func, args))
        return len(calls) % 2 == 0 and 1 or 0

    site10 = fold_probe(p, {"fid": 0, "pc": 10}, static_call=static_call)
    site13 = fold_probe(p, {"fid": 0, "pc": 13}, static_call=static_call)
    assert calls == [("toggle", "should_inject", (0, 10)), ("toggle", "should_inject", (0, 13))]
    assert site10.predicate is False
    assert residual(site13) == "addr == 0"


def test_static_order_predicate_then_site_init_then_body():
    _, p = probe("""use lib;
wasm:opcode:call:before / @static lib.next() >= 0 / {
    var a: i32 = @static lib.next();
    report var v: i32 = @static lib.next();
    @init lib.next();
}""")
    counter = iter(range(100))
    seen = []

    def static_call(lib, func, args):
        v = next(counter)
        seen.append(v)
        return v

    f = fold_probe(p, {}, static_call=static_call)
    # predicate (0), then the unshared initializer (1) and @init (2: not static, so no call), then the
    # probe-local initializer (2)
    assert f.predicate is True
    assert f.inits["v"].value == 1
    assert f.body.stmts[0].init.value == 2
    assert seen == [0, 1, 2]


def test_shared_initializers_fold_once():
    _, p = probe("""use lib;
wasm:opcode:call:before { shared var s: i32 = @static lib.next(); report var u: i32 = 5; }""")
    values = iter([41])
    out = fold_shared_initializers(p, {}, static_call=lambda lib, f, a: next(values))
    assert out["s"].value == 41
    assert fold_probe(p, {}).inits["u"].value == 5


def test_static_builtins_through_callback():
    program = check_source("""
wasm:opcode:call:before / page_size(APP_MEMID) == 1 / { }""", "t.mm")
    p = program.probes[0]

    def builtins(lib, func, args):
        assert lib is None and func == "page_size" and args == (0,)
        return 1

    assert fold_probe(p, {"APP_MEMID": 0}, static_call=builtins).predicate is True
    assert isinstance(fold_probe(p, {"APP_MEMID": 0}).predicate, ast.Expr)


def test_fold_expr_for_script_level():
    program = check_source("var x: f32 = 1.5 * 2.0 % 0.7;\nwasm:begin { }", "t.mm")
    decl = program.statements[0]
    value = fold_expr(decl.init)
    assert math.isclose(value, 0.2, rel_tol=1e-6) and program.constants["x"] == value


def test_per_event_constants_differ_between_expansions():
    program = check_source('wasm:opcode:*load*:before / opname == "i64.load" || data_size == 2 / { }', "t.mm")
    folded = {cp.expansion.event: fold_probe(cp, {}).predicate for cp in program.probes}
    assert sorted(e for e, pred in folded.items() if pred is True) == [
        "i32.atomic.load16_u", "i32.load16_s", "i32.load16_u", "i64.atomic.load16_u", "i64.load",
        "i64.load16_s", "i64.load16_u"]
    assert all(pred is False or pred is True for pred in folded.values())
