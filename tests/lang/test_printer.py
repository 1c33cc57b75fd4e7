"""Printer tests: canonical text, and text → AST → text → AST round trips (spans ignored)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.lang import ast
from compiler.lang.diagnostics import ScriptError
from compiler.lang.parser import STRING_METHODS, decode_string, parse_expression, parse_script
from compiler.lang.printer import expression_source, string_literal, to_source, type_source
from compiler.lang.types import MapType, Prim, TupleType

S = ast.NO_SPAN

CANONICAL = """\
use cache;
report var calls: u32;
report var edges: map<(u32, u32), u32>;
var names: map<str, (u8, bool)>;
@init cache.reset();

fn fact(n: u64) -> u64 {
    if (n <= 1) {
        return 1;
    }
    return n * fact(n - 1);
}

fn touch() {}

wasm:opcode:call(arg0: i32, arg1: i64):before / fname != "helper" && (pc > 80 || arg0 != 0) / {
    calls++;
    edges[(fid, imm0)]++;
    report unshared var last: (u32, (u32, u32)) = (fid, (pc, 0));
    last.1.0 = -12;
    frame var f: f64 = -inf;
    if (cache.check(effective_addr as i32) == 0) {
        f = f + 1.5e3;
    } elif (x & 1 == 0) {
        return;
    } else {
        names["a\\n\\0\\xff"] = (1 as u8, !flag);
    }
}

wasm::br_if:before {}

::: / size / 2 > 4 / {
    @static toggle.tick(fid as i32);
}

wasm:end {}
"""


def test_canonical_text_is_a_fixed_point() -> None:
    assert to_source(parse_script(CANONICAL)) == CANONICAL


def test_layout_is_normalised() -> None:
    messy = "var x:u32;wasm:end{x=x+1;if(x>2){x--;}else{}}"
    assert to_source(parse_script(messy)) == (
        "var x: u32;\n"
        "\n"
        "wasm:end {\n"
        "    x = x + 1;\n"
        "    if (x > 2) {\n"
        "        x--;\n"
        "    } else {}\n"
        "}\n"
    )


@pytest.mark.parametrize(("text", "printed"), [
    ("(a + b) * c", "(a + b) * c"),
    ("a + (b * c)", "a + b * c"),
    ("a - (b - c)", "a - (b - c)"),
    ("(a - b) - c", "a - b - c"),
    ("(a || b) && c", "a || b && c"),
    ("a || (b && c)", "a || (b && c)"),
    ("(x & 1) == 0", "(x & 1) == 0"),
    ("!(a && b)", "!(a && b)"),
    ("(!x) as bool", "(!x) as bool"),
    ("(a + b) as u8", "(a + b) as u8"),
    ("(c ? a : b) + 1", "(c ? a : b) + 1"),
    ("(c ? a : b) ? d : e", "(c ? a : b) ? d : e"),
    ("c ? (a ? b : d) : e", "c ? a ? b : d : e"),
    ("a - -1", "a - -1"),
    ("(x as (u8)).0", "(x as u8).0"),
    ("(1).0", "(1).0"),
    ("( 0xFF )", "0xFF"),
    ("1_000 + 1.", "1_000 + 1."),
    ("@static lib.f(1, (2, 3), ())", "@static lib.f(1, (2, 3), ())"),
    ("m[k].0.len()", "m[k].0.len()"),
])
def test_expression_printing(text: str, printed: str) -> None:
    assert expression_source(parse_expression(text)) == printed


@pytest.mark.parametrize(("value", "text"), [
    (b"plain", '"plain"'),
    (b'q"b\\', '"q\\"b\\\\"'),
    (b"\n\r\t\0", '"\\n\\r\\t\\0"'),
    (b"\x01\x7f", '"\\x01\\x7f"'),
    ("é😀".encode(), '"é😀"'),
    (b"\xff\xfe", '"\\xff\\xfe"'),
    ("\u200b".encode(), '"\\u{200b}"'),
])
def test_string_literal(value: bytes, text: str) -> None:
    assert string_literal(value) == text
    assert decode_string(text)[0] == value


def test_type_source() -> None:
    assert type_source(MapType(TupleType((Prim.U32, Prim.U32)), Prim.U64)) == "map<(u32, u32), u64>"
    assert type_source(TupleType(())) == "()"


def _repo_scripts() -> list[Path]:
    root = Path(__file__).resolve().parents[1]
    return sorted(root.rglob("*.mm"))


def test_round_trip_of_repository_scripts() -> None:
    """Every committed .mm that parses survives print → parse unchanged."""
    checked = 0
    for path in _repo_scripts():
        text = path.read_text(encoding="utf-8")
        try:
            script = parse_script(text, path.name)
        except ScriptError:
            continue
        again = parse_script(to_source(script))
        assert ast.strip_spans(again) == ast.strip_spans(script), path
        assert to_source(again) == to_source(script)
        checked += 1
    assert checked >= 10


# ----------------------------------------------------------------------- generated expressions

_NAMES = st.sampled_from(["a", "b", "fid", "pc", "arg0", "iffy", "x_1", "APP_MEMID"])
_PRIMS = st.sampled_from(list(Prim))


def _int_lit() -> st.SearchStrategy[ast.Expr]:
    dec = st.integers(-(2**63), 2**64 - 1).map(lambda v: ast.IntLit(v, str(v), S))
    hexa = st.integers(0, 2**64 - 1).map(lambda v: ast.IntLit(v, hex(v), S))
    return dec | hexa


_FLOATS = st.sampled_from(["1.5", "1.", "-2.0e10", "3.40282347E+38", "1e5", "inf", "-Infinity", "0.1"]).map(
    lambda t: ast.FloatLit(float(t), t, S))
_LEAVES = (
    _int_lit()
    | _FLOATS
    | st.booleans().map(lambda b: ast.BoolLit(b, S))
    | st.binary(max_size=6).map(lambda b: ast.StrLit(b, S))
    | _NAMES.map(lambda n: ast.Name(n, S))
)
_BINOPS = st.sampled_from(sorted(ast.BINARY_OPS))


def _extend(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    args = st.lists(children, max_size=3).map(tuple)
    target = _NAMES | st.tuples(_NAMES, _NAMES).map(lambda p: f"{p[0]}.{p[1]}")
    method_on_name = st.tuples(_NAMES, st.sampled_from(sorted(STRING_METHODS)), args).map(
        lambda t: ast.MethodCall(ast.Name(t[0], S), t[1], t[2], S))
    return st.one_of(
        st.tuples(_BINOPS, children, children).map(lambda t: ast.Binary(t[0], t[1], t[2], S)),
        st.tuples(st.sampled_from(ast.UNARY_OPS), children).map(lambda t: ast.Unary(t[0], t[1], S)),
        st.tuples(children, children, children).map(lambda t: ast.Ternary(*t, S)),
        st.tuples(children, _PRIMS).map(lambda t: ast.Cast(t[0], ast.TypeRef(t[1], S), S)),
        st.tuples(target, args, st.sampled_from([None, "static", "init"])).map(
            lambda t: ast.Call(t[0], t[1], t[2], S)),
        method_on_name,
        st.tuples(children, st.sampled_from(["len", "other"]), args).filter(
            lambda t: not isinstance(t[0], ast.Name)).map(lambda t: ast.MethodCall(t[0], t[1], t[2], S)),
        st.lists(children, min_size=2, max_size=3).map(lambda es: ast.TupleLit(tuple(es), S)),
        st.just(ast.TupleLit((), S)),
        st.tuples(children, children).map(lambda t: ast.Index(t[0], t[1], S)),
        st.tuples(children, st.integers(0, 12)).map(lambda t: ast.Field(t[0], t[1], S)),
    )


EXPRESSIONS = st.recursive(_LEAVES, _extend, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(EXPRESSIONS)
def test_generated_expressions_round_trip(expr: ast.Expr) -> None:
    text = expression_source(expr)
    assert ast.strip_spans(parse_expression(text)) == expr, text


@settings(max_examples=100, deadline=None)
@given(EXPRESSIONS, EXPRESSIONS)
def test_generated_probes_round_trip(pred: ast.Expr, value: ast.Expr) -> None:
    block = ast.Block((ast.Assign(ast.Name("x", S), value, S),), S)
    rule = ast.ProbeRule((ast.RulePart("wasm", (), S), ast.RulePart("opcode", (), S),
                          ast.RulePart("*", (), S), ast.RulePart("before", (), S)), S)
    script = ast.Script((ast.Probe(rule, pred, block, S),), S)
    text = to_source(script)
    assert ast.strip_spans(parse_script(text)) == script, text
