"""Parser tests: every construct of LANGUAGE.md, the examples printed there, precedence, literals,
probe rules, spans, the shell entry points and the AST traversal helpers."""
from __future__ import annotations

import math

import pytest
from lark import Token, Tree

from compiler.lang import ast
from compiler.lang.diagnostics import ScriptError
from compiler.lang.parser import (
    is_complete, parse_expression, parse_items, parse_probe, parse_script, parse_statement,
)
from compiler.lang.types import UNIT, MapType, Prim, TupleType

# --------------------------------------------------------------------------- spec examples (verbatim)

SPEC_EXAMPLES = {
    "first_example": """
// count every executed `call`, and remember which (caller, callee) pairs occurred
report var calls: u32;
report var edges: map<(u32, u32), u32>;

wasm:opcode:call:before / fname != "helper" / {
    calls++;
    edges[(fid, imm0)]++;
}
""",
    "everything": """
use cache;                              // library import (before the first probe)

var total: u64;                         // global
report var misses: u32;                 // global, printed at exit
@init cache.reset();                    // script-level statement, runs at program start

fn bucket(addr: u32) -> u32 {           // user function
    return addr >> 12;
}

wasm:opcode:*load*:before {             // probe
    total++;
    if (cache.check(effective_addr as i32) == 0) { misses++; }
}

wasm:end {                              // runs once at program exit, before the report
    total = total + 0;
}
""",
    "type_bounds": """
wasm:opcode:call(arg0: i32, arg1: i64):before { }
wasm(local0: i32):func:entry { }
wasm:opcode:call(res0: f64):after { }
wasm:opcode:*(arg0: i32):before { }
""",
    "statements": """
wasm:opcode:br_if:before {
var a: i32 = 5;
if (a == 4) {
    a = 3;
} elif (a == 5) {
    a = 1;
} else {
    a = 0;
}
counts[(fid, pc)]++;
t.1.0 = 12;
arg0 = 1;          // in a before probe on br_if: the branch is now always taken
}
""",
    "literal_typing": """
wasm:opcode:call:before {
var f: f32 = 1;                  // 1.0
var ok: bool = (1 as f32) == 0;  // 0 is typed f32 → false
var t: (u8, i32, i64) = (0, 1, -2);
counts[(fid, pc, 1)]++;           // 1 becomes u32 (key type (u32, u32, u32))
var idx: u32 = arg0 != 0 ? 1 : 0; // branches become u32
}
""",
    "frame": """
  wasm:func:entry  { frame var calls_seen: u32; calls_seen = 0; }
  wasm:opcode:call:before { frame var calls_seen: u32; calls_seen++; }
  wasm:func:exit   { frame var calls_seen: u32; report unshared var max_calls: u32;
                     if (calls_seen > max_calls) { max_calls = calls_seen; } }
""",
    "initializers": """
wasm:opcode:memory.size:before {
    report var pages_at_start: u32 = mem_size(APP_MEMID);   // once, at program start
    report var pages_now: u32;
    pages_now = mem_size(APP_MEMID);                        // every visit
}
""",
    "constants": """
var TARGET: u32 = 27;
wasm:opcode:call:before / fid == TARGET / { }   // folds statically
""",
    "maps": """
report var counts: map<u32, u64>;
var names: map<str, u32>;
report var edges: map<(u32, u32), u32>;
wasm:end { }
""",
    "tuples": """
wasm:begin {
var a: (bool, i32) = (true, 78);
var d: (i32, (i32, i32)) = (1, (12, 13));
var e: i32 = d.1.0;        // 12
a.0 = false;               // element assignment
report var where: (u32, u32) = (fid, pc);
}
""",
    "string_methods": """
wasm:func:entry / fname.ends_with("stmt") && !fname.starts_with("if") / { }
""",
    "functions": """
var calls: u32;
fn is_hot(fid: u32, n: u32) -> bool {
    calls++;
    return n > 100 && fid != 0;
}
fn fact(n: u64) -> u64 {
    if (n <= 1) { return 1; }
    return n * fact(n - 1);
}
wasm:opcode:call:before {
    unshared var n: u32;
    n++;
    if (is_hot(fid, n)) { /* ... */ }
}
""",
    "builtins": """
use whamm_core;
var data_len: u32 = active_data_len(APP_MEMID);
var ptr: i32 = whamm_core.mem_alloc(data_len as i32);
memcpy(APP_MEMID, active_data_start(APP_MEMID), memid(whamm_core), ptr as u32, data_len);
whamm_core.puts(ptr, data_len as i32);       // prints the application's initial data bytes
wasm:end { }
""",
    "library": """
use cache;                                   // before the first probe
wasm:opcode:*load*:before {
    var r: i32 = cache.check_access(effective_addr as i32, data_size as i32);
}
""",
    "library_strings": """
use alpha;
wasm:opcode:drop:before {
    var ptr: i32 = alpha.mem_alloc(100);
    var n: i32 = alpha.write_alphabet(ptr, 100);
    report var s: str;
    s = read_str(memid(alpha), ptr, n as u32);   // copy out of the library
    alpha.mem_free(ptr);
}
""",
    "static_call": """
use toggle;
wasm:opcode:*:before / @static toggle.should_inject(fid as i32, pc as i32) as bool / {
    report var hits: i32;
    hits++;
}
""",
    "worked_example": """
wasm:opcode:br_if:before / fname == "calc" && (pc > 80 || arg0 != 0) / {
    report var taken: u32;
    taken++;
}
""",
    "static_and_dynamic": """
use toggle;
wasm:opcode:i32.load:before / addr == 0 && @static toggle.should_inject(fid as i32, pc as i32) as bool / {
    report var val: i32;
    val++;
}
""",
    "static_in_initializer": """
wasm:opcode:call:before { report var v: i32 = @static lib.next(); }
""",
    "report_map": "wasm:report { whamm_core.print_map_as_csv(0); }\n",
}


@pytest.mark.parametrize("name", sorted(SPEC_EXAMPLES))
def test_spec_examples_parse(name: str) -> None:
    script = parse_script(SPEC_EXAMPLES[name], f"{name}.mm")
    assert any(isinstance(i, ast.Probe) for i in script.items)


def _no_parser_objects(value: object) -> None:
    if isinstance(value, ast.Node):
        for name in type(value).__dataclass_fields__:  # type: ignore[attr-defined]
            _no_parser_objects(getattr(value, name))
    elif isinstance(value, tuple):
        for v in value:
            _no_parser_objects(v)
    else:
        assert not isinstance(value, (Tree, Token)), value
        assert type(value).__module__ in ("builtins", "compiler.lang.types", "compiler.lang.diagnostics"), \
            type(value)


@pytest.mark.parametrize("name", sorted(SPEC_EXAMPLES))
def test_no_lark_tree_or_token_survives(name: str) -> None:
    _no_parser_objects(parse_script(SPEC_EXAMPLES[name]))


def test_first_example_shape() -> None:
    script = parse_script(SPEC_EXAMPLES["first_example"])
    calls, edges, probe = script.items
    assert calls == ast.VarDecl(("report",), "calls", calls.type, None, calls.name_span, calls.span)
    assert calls.type.type is Prim.U32
    assert edges.type.type == MapType(TupleType((Prim.U32, Prim.U32)), Prim.U32)
    assert isinstance(probe, ast.Probe)
    assert probe.rule.text == "wasm:opcode:call:before"
    pred = probe.predicate
    assert isinstance(pred, ast.Binary) and pred.op == "!="
    assert pred.right == ast.StrLit(b"helper", pred.right.span)
    inc, inc_map = probe.body.stmts
    assert isinstance(inc, ast.IncDec) and inc.op == "++" and inc.target.id == "calls"
    assert isinstance(inc_map.target, ast.Index)
    assert isinstance(inc_map.target.key, ast.TupleLit) and len(inc_map.target.key.elems) == 2


def test_everything_example_shape() -> None:
    items = parse_script(SPEC_EXAMPLES["everything"]).items
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["Use", "VarDecl", "VarDecl", "CallStmt", "FnDef", "Probe", "Probe"]
    init = items[3].call
    assert (init.target, init.lib, init.func, init.annotation) == ("cache.reset", "cache", "reset", "init")
    fn = items[4]
    assert fn.name == "bucket" and [p.name for p in fn.params] == ["addr"]
    assert fn.result.type is Prim.U32
    assert fn.body.stmts[0] == ast.Return(fn.body.stmts[0].value, fn.body.stmts[0].span)
    probe = items[5]
    cond = probe.body.stmts[1].cond
    assert isinstance(cond.left, ast.Call) and cond.left.target == "cache.check"
    assert isinstance(cond.left.args[0], ast.Cast) and cond.left.args[0].type.type is Prim.I32


def test_functions_example() -> None:
    items = parse_script(SPEC_EXAMPLES["functions"]).items
    fact = items[2]
    ret = fact.body.stmts[1].value
    assert ret.op == "*" and isinstance(ret.right, ast.Call) and ret.right.target == "fact"
    assert isinstance(fact.body.stmts[0], ast.If)
    assert items[1].result.type is Prim.BOOL
    assert items[3].body.stmts[0].modifiers == ("unshared",)


def test_statements_example() -> None:
    probe = parse_script(SPEC_EXAMPLES["statements"]).items[0]
    decl, if_, inc, tup, arg = probe.body.stmts
    assert decl.init == ast.IntLit(5, "5", decl.init.span)
    assert len(if_.elifs) == 1 and if_.orelse is not None
    assert isinstance(tup.target, ast.Field) and tup.target.index == 0
    assert isinstance(tup.target.tuple, ast.Field) and tup.target.tuple.index == 1
    assert arg.target == ast.Name("arg0", arg.target.span)


# ----------------------------------------------------------------------------------- probe rules

@pytest.mark.parametrize(("rule", "patterns"), [
    ("wasm:opcode:br_if:before", ["wasm", "opcode", "br_if", "before"]),
    ("wasm:func:exit", ["wasm", "func", "exit"]),
    ("wasm:end", ["wasm", "end"]),
    ("wasm:opcode:*if:before", ["wasm", "opcode", "*if", "before"]),
    ("wasm:opcode:*load*|*store*:before", ["wasm", "opcode", "*load*|*store*", "before"]),
    ("wasm:opcode:call|return_call:before", ["wasm", "opcode", "call|return_call", "before"]),
    ("wasm:opcode:i32.[ls]t_?:before", ["wasm", "opcode", "i32.[ls]t_?", "before"]),
    ("wasm:opcode:[!b]r*:*", ["wasm", "opcode", "[!b]r*", "*"]),
    ("wasm:opcode:[a-c]*|i32.[l-m]oad:before", ["wasm", "opcode", "[a-c]*|i32.[l-m]oad", "before"]),
    ("wasm:opcode:a+b\\c:*", ["wasm", "opcode", "a+b\\c", "*"]),
    ("WASM:OPCODE:CALL:BEFORE", ["WASM", "OPCODE", "CALL", "BEFORE"]),
    ("wasm::br_if:before", ["wasm", "", "br_if", "before"]),
    ("wasm:::alt", ["wasm", "", "", "alt"]),
    (":::", ["", "", "", ""]),
    ("wasm : opcode:call:before", ["wasm", "opcode", "call", "before"]),
    ("wasm /* p */ : /* k */ opcode : call\n: before", ["wasm", "opcode", "call", "before"]),
    ("wasm:opcode:br*:*", ["wasm", "opcode", "br*", "*"]),
])
def test_rule_patterns(rule: str, patterns: list[str]) -> None:
    probe = parse_probe(rule + " { }")
    assert [p.pattern for p in probe.rule.parts] == patterns
    assert probe.predicate is None and probe.body.stmts == ()


def test_dash_outside_a_class_is_not_a_rule_character() -> None:
    """``-`` belongs to a rule part only inside ``[...]``, where it makes a range (LANGUAGE.md §4.1)."""
    with pytest.raises(ScriptError, match="found `-`"):
        parse_probe("wasm:opcode:a-c:before { }")


def test_rule_part_spans_point_at_patterns() -> None:
    text = "wasm : opcode:*load*:before {}"
    parts = parse_probe(text).rule.parts
    assert [text[p.span.start:p.span.end] for p in parts] == ["wasm", "opcode", "*load*", "before"]
    empty = parse_probe("wasm::br_if:before {}").rule.parts[1]
    assert (empty.span.start, empty.span.end, empty.span.column) == (5, 5, 6)


def test_type_bounds_on_every_part() -> None:
    probe = parse_probe("wasm(local0: i32):opcode(arg1: u64):call(arg0: i32, res0: f64):after(x: u8) {}")
    assert [[(b.name, b.type.type) for b in p.bounds] for p in probe.rule.parts] == [
        [("local0", Prim.I32)], [("arg1", Prim.U64)], [("arg0", Prim.I32), ("res0", Prim.F64)],
        [("x", Prim.U8)]]
    assert probe.rule.text == "wasm:opcode:call:after"
    assert [b.name for b in probe.rule.bounds] == ["local0", "arg1", "arg0", "res0", "x"]
    assert probe.rule.span.end == len("wasm(local0: i32):opcode(arg1: u64):call(arg0: i32, res0: f64):after(x: u8)")


def test_bounds_with_comments_and_whitespace() -> None:
    probe = parse_probe("wasm:opcode:call /* b */ ( arg0 : i32 ) : before { }")
    assert probe.rule.parts[2].bounds[0].name == "arg0"


def test_predicate_with_division() -> None:
    probe = parse_probe("wasm:opcode:i32.load:before / size / 2 > 4 / { }")
    pred = probe.predicate
    assert pred.op == ">" and pred.left.op == "/"
    probe = parse_probe("wasm:opcode:call:before /(a / b) == c/{ x = a / b; }")
    assert probe.predicate.left.op == "/" and probe.body.stmts[0].value.op == "/"


def test_predicate_with_comment_before_body() -> None:
    probe = parse_probe("wasm:end / a / 2 == 1 / /* body next */ { }")
    assert probe.predicate.left.op == "/"


def test_rule_after_statements_and_functions() -> None:
    items = parse_items("x = 1; wasm:end {} fn f() {} y++; wasm:begin {}")
    assert [type(i).__name__ for i in items] == ["Assign", "Probe", "FnDef", "IncDec", "Probe"]


def test_identifiers_that_look_like_rule_parts_are_statements() -> None:
    items = parse_items("f(x); t.1.0 = 3; counts[(a, b)]++; lib.g(1);")
    assert [type(i).__name__ for i in items] == ["CallStmt", "Assign", "IncDec", "CallStmt"]


# ------------------------------------------------------------------------------------ precedence

def _paren(e: ast.Expr) -> str:
    """Fully parenthesised rendering, to assert the tree shape."""
    if isinstance(e, ast.Binary):
        return f"({_paren(e.left)} {e.op} {_paren(e.right)})"
    if isinstance(e, ast.Unary):
        return f"({e.op}{_paren(e.operand)})"
    if isinstance(e, ast.Ternary):
        return f"({_paren(e.cond)} ? {_paren(e.then)} : {_paren(e.orelse)})"
    if isinstance(e, ast.Cast):
        return f"({_paren(e.expr)} as {e.type.type})"
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, (ast.IntLit, ast.FloatLit)):
        return e.text
    if isinstance(e, ast.BoolLit):
        return str(e.value).lower()
    if isinstance(e, ast.Field):
        return f"{_paren(e.tuple)}.{e.index}"
    if isinstance(e, ast.Index):
        return f"{_paren(e.map)}[{_paren(e.key)}]"
    if isinstance(e, ast.Call):
        return f"{e.target}({', '.join(_paren(a) for a in e.args)})"
    if isinstance(e, ast.MethodCall):
        return f"{_paren(e.receiver)}.{e.method}({', '.join(_paren(a) for a in e.args)})"
    if isinstance(e, ast.TupleLit):
        return f"<{', '.join(_paren(a) for a in e.elems)}>"
    raise AssertionError(e)


@pytest.mark.parametrize(("text", "shape"), [
    ("a || b && c", "((a || b) && c)"),
    ("a && b || c", "((a && b) || c)"),
    ("x & 1 == 0", "(x & (1 == 0))"),
    ("a | b ^ c & d", "(a | (b ^ (c & d)))"),
    ("a == b < c", "((a == b) < c)"),
    ("a < b << c", "(a < (b << c))"),
    ("a << b + c", "(a << (b + c))"),
    ("a + b * c", "(a + (b * c))"),
    ("a - b - c", "((a - b) - c)"),
    ("a / b % c", "((a / b) % c)"),
    ("a + b as i64", "(a + (b as i64))"),
    ("!x as bool", "(!(x as bool))"),
    ("~x * y", "((~x) * y)"),
    ("!!x", "(!(!x))"),
    ("x as u8 as i32", "((x as u8) as i32)"),
    ("c ? a : b", "(c ? a : b)"),
    ("c ? a : d ? e : f", "(c ? a : (d ? e : f))"),
    ("a || b ? x + 1 : y", "((a || b) ? (x + 1) : y)"),
    ("x + (c ? 1 : 2)", "(x + (c ? 1 : 2))"),
    ("f(c ? 1 : 2, m[c ? a : b])", "f((c ? 1 : 2), m[(c ? a : b)])"),
    ("(a, (b, c ? d : e))", "<a, <b, (c ? d : e)>>"),
    ("t.1.0 + m[k].0", "(t.1.0 + m[k].0)"),
    ("a -1", "(a - 1)"),
    ("a - -1", "(a - -1)"),
    ("a*-1", "(a * -1)"),
    ("f(-1) -2", "(f(-1) - 2)"),
    ("(a) -1", "(a - 1)"),
    ("m[k] -1", "(m[k] - 1)"),
    ("true -1", "(true - 1)"),
    ("-1 as u8", "(-1 as u8)"),
    ("x as u8 -1", "((x as u8) - 1)"),
    ("-inf < x", "(-inf < x)"),
    ("s.len() + 1", "(s.len() + 1)"),
    ("a >= b != c <= d", "(((a >= b) != c) <= d)"),
])
def test_precedence(text: str, shape: str) -> None:
    assert _paren(parse_expression(text)) == shape


# -------------------------------------------------------------------------------------- literals

@pytest.mark.parametrize(("text", "value"), [
    ("0", 0), ("42", 42), ("-7", -7), ("1_000_000", 1_000_000),
    ("18_446_744_073_709_551_615", 2**64 - 1), ("-9223372036854775808", -2**63),
    ("0xFF", 255), ("0X0000FFFF", 0xFFFF), ("0b1011", 11), ("0B1", 1), ("007", 7),
    ("0xFFFFFFFFFFFFFFFF", 2**64 - 1),
])
def test_integer_literals(text: str, value: int) -> None:
    lit = parse_expression(text)
    assert lit == ast.IntLit(value, text, lit.span)


@pytest.mark.parametrize(("text", "value"), [
    ("1.5", 1.5), ("1.", 1.0), ("-2.0e10", -2.0e10), ("3.40282347E+38", 3.40282347e38), ("1e5", 1e5),
    ("1_000.5", 1000.5), ("2.5e-3", 2.5e-3),
    ("inf", math.inf), ("-inf", -math.inf), ("Infinity", math.inf), ("-INFINITY", -math.inf),
])
def test_float_literals(text: str, value: float) -> None:
    lit = parse_expression(text)
    assert isinstance(lit, ast.FloatLit) and lit.value == value and lit.text == text


@pytest.mark.parametrize("text", ["nan", "NaN", "-nan", "NAN"])
def test_nan_literals(text: str) -> None:
    lit = parse_expression(text)
    assert isinstance(lit, ast.FloatLit) and math.isnan(lit.value)


def test_leading_dot_is_not_a_float() -> None:
    with pytest.raises(ScriptError):
        parse_expression(".5")


def test_bool_literals() -> None:
    assert parse_expression("true").value is True
    assert parse_expression("false").value is False


@pytest.mark.parametrize(("text", "value"), [
    (r'"hi\n"', b"hi\n"),
    (r'"\r\t\"\'\\\0"', b"\r\t\"'\\\0"),
    (r'"\x41\xff"', b"A\xff"),
    (r'"\u{41}\u{e9}\u{1F600}"', "A\u00e9\U0001F600".encode()),
    ('"raw\nnewline \u00e9"', "raw\nnewline \u00e9".encode()),
    ('""', b""),
    ('"//not a comment /* nor this */"', b"//not a comment /* nor this */"),
])
def test_string_literals(text: str, value: bytes) -> None:
    assert parse_expression(text).value == value


def test_spec_string_example() -> None:
    # LANGUAGE.md §2.4 calls this "19 bytes"; the bytes it lists are 10 + 4 + 4 + 1 + 1 = 20.
    lit = parse_expression(r'"hello drop\u{1F600}😀\x41\n"')
    assert lit.value == "hello drop😀😀A\n".encode() and len(lit.value) == 20


# --------------------------------------------------------------------------------- lexical rules

def test_nested_block_comments_and_line_comments() -> None:
    script = parse_script("""
/* a /* b */ c */
wasm:end {
    count++; // per call /* not a block start */
    /* multi
       /* nested */ line */ x = 1;
}
""")
    assert [type(s).__name__ for s in script.items[0].body.stmts] == ["IncDec", "Assign"]


def test_reserved_words_as_prefixes() -> None:
    stmt = parse_statement("iffy = formatted + variable + asx + mapping + returned + info;")
    assert stmt.target.id == "iffy"


def test_crlf_line_endings() -> None:
    script = parse_script("var x: u32;\r\nwasm:end {\r\n    x++;\r\n}\r\n")
    assert script.items[1].body.stmts[0].span.line == 3


# ------------------------------------------------------------------------------------ statements

@pytest.mark.parametrize(("text", "mods"), [
    ("var x: u32;", ()),
    ("report var x: u32;", ("report",)),
    ("unshared var x: u32;", ("unshared",)),
    ("shared var x: u32;", ("shared",)),
    ("frame var x: u32;", ("frame",)),
    ("report unshared var x: u32;", ("report", "unshared")),
    ("unshared report var x: u32;", ("unshared", "report")),
    ("report shared var x: u32;", ("report", "shared")),
    ("shared report var x: u32;", ("shared", "report")),
    ("report frame var x: u32;", ("report", "frame")),
    ("frame report var x: u32;", ("frame", "report")),
    ("report report var x: u32;", ("report", "report")),
])
def test_modifiers_any_order(text: str, mods: tuple[str, ...]) -> None:
    decl = parse_statement(text)
    assert decl.modifiers == mods and decl.name == "x" and decl.init is None
    assert text[decl.name_span.start:decl.name_span.end] == "x"


@pytest.mark.parametrize(("text", "expected"), [
    ("u8", Prim.U8), ("i64", Prim.I64), ("f32", Prim.F32), ("bool", Prim.BOOL), ("str", Prim.STR),
    ("funcref", Prim.FUNCREF), ("()", UNIT), ("(u32)", Prim.U32),
    ("(u32, bool)", TupleType((Prim.U32, Prim.BOOL))),
    ("(i32, (i32, i32))", TupleType((Prim.I32, TupleType((Prim.I32, Prim.I32))))),
    ("map<u32, u64>", MapType(Prim.U32, Prim.U64)),
    ("map<(u32, u32), u64>", MapType(TupleType((Prim.U32, Prim.U32)), Prim.U64)),
    ("map<u32, map<u32, u32>>", MapType(Prim.U32, MapType(Prim.U32, Prim.U32))),
    ("map<str,(u8,u8)>", MapType(Prim.STR, TupleType((Prim.U8, Prim.U8)))),
])
def test_types(text: str, expected: object) -> None:
    assert parse_statement(f"var v: {text};").type.type == expected


def test_comparison_after_map_type_still_works() -> None:
    decl = parse_statement("var m: map<u32, u32> = a >> b > c;")
    assert decl.init.op == ">" and decl.init.left.op == ">>"


def test_return_forms() -> None:
    assert parse_statement("return;").value is None
    assert parse_statement("return a + 1;").value.op == "+"


def test_call_statements() -> None:
    assert parse_statement("f();").call == ast.Call("f", (), None, parse_statement("f();").call.span)
    lib = parse_statement("lib.f(1, 2);").call
    assert isinstance(lib, ast.Call) and lib.target == "lib.f" and len(lib.args) == 2
    method = parse_statement("s.contains(\"x\");").call
    assert isinstance(method, ast.MethodCall) and method.method == "contains"
    init = parse_statement("@init lib.setup();").call
    assert init.annotation == "init" and init.target == "lib.setup"
    static = parse_expression("@static g(1)")
    assert static.annotation == "static" and static.target == "g" and static.lib is None


def test_string_methods_and_library_calls() -> None:
    for m in ("len", "addr", "starts_with", "ends_with", "contains"):
        assert isinstance(parse_expression(f"s.{m}()"), ast.MethodCall)
    assert isinstance(parse_expression("whamm_core.putc(65)"), ast.Call)
    chained = parse_expression('"abc".len()')
    assert isinstance(chained, ast.MethodCall) and chained.receiver.value == b"abc"


def test_if_chain() -> None:
    stmt = parse_statement("if (a) { x = 1; } elif (b) { x = 2; } elif (c) { } else { return; }")
    assert isinstance(stmt, ast.If) and len(stmt.elifs) == 2 and stmt.orelse.stmts[0].value is None
    assert stmt.elifs[1].body.stmts == ()
    bare = parse_statement("if (a) { }")
    assert bare.elifs == () and bare.orelse is None


def test_unit_and_tuple_literals() -> None:
    assert parse_expression("()").elems == ()
    assert len(parse_expression("(1, 2, 3)").elems) == 3
    assert isinstance(parse_expression("(1)"), ast.IntLit)


def test_fn_without_params_or_result() -> None:
    fn = parse_items("fn f() { return; }")[0]
    assert fn.params == () and fn.result is None
    fn = parse_items("fn g(m: map<u32, u32>, t: (u8, u8)) -> (u8, u8) { return t; }")[0]
    assert fn.params[0].type.type == MapType(Prim.U32, Prim.U32)
    assert fn.result.type == TupleType((Prim.U8, Prim.U8))


# ---------------------------------------------------------------------------------------- spans

def test_spans_are_exact() -> None:
    text = "var x: u32;\nwasm:end / x > 1 / {\n    x = x + 1;\n}\n"
    script = parse_script(text)
    assert script.span.start == 0 and script.span.end == len(text)
    probe = script.items[1]
    assert text[probe.span.start:probe.span.end] == "wasm:end / x > 1 / {\n    x = x + 1;\n}"
    assign = probe.body.stmts[0]
    assert text[assign.span.start:assign.span.end] == "x = x + 1;"
    assert (assign.span.line, assign.span.column, assign.span.end_column) == (3, 5, 15)
    assert text[assign.value.span.start:assign.value.span.end] == "x + 1"


@pytest.mark.parametrize("name", sorted(SPEC_EXAMPLES))
def test_every_span_lies_inside_its_parent(name: str) -> None:
    text = SPEC_EXAMPLES[name]
    script = parse_script(text)

    def check(node: ast.Node, lo: int, hi: int) -> None:
        assert lo <= node.span.start <= node.span.end <= hi, node
        # A rule part's span is its pattern only (so "no match" points at it); bounds follow it.
        inner = (lo, hi) if isinstance(node, ast.RulePart) else (node.span.start, node.span.end)
        for child in ast.children(node):
            check(child, *inner)

    for item in script.items:
        check(item, 0, len(text))
    for node in ast.walk(script):
        if isinstance(node, (ast.VarDecl, ast.FnDef, ast.Param, ast.Use)):
            assert text[node.name_span.start:node.name_span.end] == node.name


# ------------------------------------------------------------------------ shell entry points

@pytest.mark.parametrize(("text", "complete"), [
    ("wasm:end {", False),
    ("wasm:end { x = 1; }", True),
    ('wasm:end { x = "ab', False),
    ("wasm:end { /* open", False),
    ("wasm:opcode:call:before", False),
    ("wasm:opcode:call:before / x > 1", False),
    ("var x: u32", False),
    ("var x: u32;", True),
    ("fn f(a: u32", False),
    ("if (x) {", False),
    ("wasm:end { x = 1 + ; }", True),      # an error more input cannot fix
    ("wasm:end { } }", True),
    ("", True),
])
def test_is_complete(text: str, complete: bool) -> None:
    assert is_complete(text) is complete


def test_is_complete_for_other_kinds() -> None:
    assert is_complete("a +", "expression") is False
    assert is_complete("a + 1", "expression") is True
    assert is_complete("x = 1", "statement") is False
    assert is_complete("wasm:end {", "probe") is False


def test_parse_probe_rejects_trailing_items() -> None:
    with pytest.raises(ScriptError, match="expected end of file, found `wasm`"):
        parse_probe("wasm:end {} wasm:begin {}")


# ------------------------------------------------------------------------------- AST helpers

def test_children_walk_and_visitor() -> None:
    expr = parse_expression("f(a, b + 1) ? m[k] : t.0 as u8")
    assert [type(c).__name__ for c in ast.children(expr)] == ["Call", "Index", "Cast"]
    names = [n.id for n in ast.walk(expr) if isinstance(n, ast.Name)]
    assert names == ["a", "b", "m", "k", "t"]

    class Counter(ast.NodeVisitor):
        def __init__(self) -> None:
            self.names: list[str] = []

        def visit_Name(self, node: ast.Name) -> None:
            self.names.append(node.id)

    counter = Counter()
    counter.visit(expr)
    assert counter.names == names


def test_strip_spans_compares_shapes() -> None:
    a = parse_expression("a + 1")
    b = parse_expression("  a  +  1")
    assert a != b
    assert ast.strip_spans(a) == ast.strip_spans(b)
    assert ast.strip_spans(a).span == ast.NO_SPAN
