"""The checker: the spec's example scripts are accepted, and the checked program carries what the later
stages need (probe numbering, kinds, literal types, constants, map ids, bound variables used)."""
from __future__ import annotations

import pytest
import wasmtime

from compiler.lang import ast
from compiler.lang.checker import MAX_ERRORS
from compiler.lang.diagnostics import ScriptError
from compiler.lang.frontend import check_source
from compiler.lang.libraries import library_from_bytes
from compiler.lang.scopes import CalleeKind, VarKind
from compiler.lang.types import MapType, Prim, TupleType, parse_type

LIBRARY_WAT = {
    "cache": '(module (func (export "reset")) (func (export "check") (param i32) (result i32) i32.const 0)'
             ' (func (export "check_access") (param i32 i32) (result i32) i32.const 0))',
    "alpha": '(module (memory (export "memory") 1)'
             ' (func (export "mem_alloc") (param i32) (result i32) i32.const 8)'
             ' (func (export "write_alphabet") (param i32 i32) (result i32) i32.const 0)'
             ' (func (export "mem_free") (param i32)))',
    "toggle": '(module (func (export "should_inject") (param i32 i32) (result i32) i32.const 1)'
              ' (func (export "next") (result i32) i32.const 0))',
}
LIBS = {n: library_from_bytes(n, wasmtime.wat2wasm(w), f"{n}.wasm") for n, w in LIBRARY_WAT.items()}


def check(text: str):
    return check_source(text, "t.mm", LIBS)


def errors(text: str) -> list[str]:
    with pytest.raises(ScriptError) as info:
        check(text)
    return [d.message for d in info.value.diagnostics if d.is_error]


# The example scripts of LANGUAGE.md and EVENTS.md.  Fragments are wrapped in the smallest script that
# gives them their context (a probe, the variables they use); `{ ... }` bodies become `{ }`.
SPEC_EXAMPLES = {
    "first_example": """
report var calls: u32;
report var edges: map<(u32, u32), u32>;
wasm:opcode:call:before / fname != "helper" / {
    calls++;
    edges[(fid, imm0)]++;
}""",
    "everything": """
use cache;
var total: u64;
report var misses: u32;
@init cache.reset();
fn bucket(addr: u32) -> u32 {
    return addr >> 12;
}
wasm:opcode:*load*:before {
    total++;
    if (cache.check(effective_addr as i32) == 0) { misses++; }
}
wasm:end {
    total = total + 0;
}""",
    "type_bounds": """
wasm:opcode:call(arg0: i32, arg1: i64):before { }
wasm(local0: i32):func:entry { }
wasm:opcode:call(res0: f64):after { }
wasm:opcode:*(arg0: i32):before { }""",
    "statements": """
report var counts: map<(u32, u32), u32>;
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
    var t: (i32, (i32, i32));
    t.1.0 = 12;
    arg0 = 1;
}""",
    "literal_typing": """
var f: f32 = 1;
var ok: bool = (1 as f32) == 0;
report var counts: map<(u32, u32, u32), u32>;
wasm:opcode:br_if:before / fid == 0 / {
    var t: (u8, i32, i64) = (0, 1, -2);
    counts[(fid, pc, 1)]++;
    var idx: u32 = arg0 != 0 ? 1 : 0;
    report var val: i16 = bytecode;
}""",
    "frame": """
wasm:func:entry  { frame var calls_seen: u32; calls_seen = 0; }
wasm:opcode:call:before { frame var calls_seen: u32; calls_seen++; }
wasm:func:exit   { frame var calls_seen: u32; report unshared var max_calls: u32;
                   if (calls_seen > max_calls) { max_calls = calls_seen; } }""",
    "initializers": """
wasm:opcode:memory.size:before {
    report var pages_at_start: u32 = mem_size(APP_MEMID);
    report var pages_now: u32;
    pages_now = mem_size(APP_MEMID);
}""",
    "constant": """
var TARGET: u32 = 27;
wasm:opcode:call:before / fid == TARGET / { }""",
    "maps_and_tuples": """
report var counts: map<u32, u64>;
var names: map<str, u32>;
report var edges: map<(u32, u32), u32>;
var a: (bool, i32) = (true, 78);
var d: (i32, (i32, i32)) = (1, (12, 13));
var e: i32 = d.1.0;
a.0 = false;
wasm:opcode:call:before {
    report var where: (u32, u32) = (fid, pc);
}""",
    "string_methods": """
wasm:func:entry / fname.ends_with("stmt") && !fname.starts_with("if") / { }""",
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
}""",
    "memory_builtins": """
use whamm_core;
var data_len: u32 = active_data_len(APP_MEMID);
var ptr: i32 = whamm_core.mem_alloc(data_len as i32);
memcpy(APP_MEMID, active_data_start(APP_MEMID), memid(whamm_core), ptr as u32, data_len);
whamm_core.puts(ptr, data_len as i32);
wasm:begin { }""",
    "library_call": """
use cache;
wasm:opcode:*load*:before {
    var r: i32 = cache.check_access(effective_addr as i32, data_size as i32);
}""",
    "library_strings": """
use alpha;
wasm:opcode:drop:before {
    var ptr: i32 = alpha.mem_alloc(100);
    var n: i32 = alpha.write_alphabet(ptr, 100);
    report var s: str;
    s = read_str(memid(alpha), ptr, n as u32);
    alpha.mem_free(ptr);
}""",
    "static_toggle": """
use toggle;
wasm:opcode:*:before / @static toggle.should_inject(fid as i32, pc as i32) as bool / {
    report var hits: i32;
    hits++;
}""",
    "worked_example": """
wasm:opcode:br_if:before / fname == "calc" && (pc > 80 || arg0 != 0) / {
    report var taken: u32;
    taken++;
}""",
    "static_toggle_load": """
use toggle;
wasm:opcode:i32.load:before / addr == 0 && @static toggle.should_inject(fid as i32, pc as i32) as bool / {
    report var val: i32;
    val++;
}""",
    "static_next": """
use toggle;
wasm:opcode:call:before { report var v: i32 = @static toggle.next(); }""",
    "report_probe": """
use whamm_core;
report var zeta: map<u32, u32>;
wasm:report { whamm_core.print_map_as_csv(0); }""",
    "events_rules": """
wasm:opcode:*if:before { }
wasm:opcode:*load*|*store*:before { }
wasm:opcode:call|return_call:before { }
wasm:opcode:i32.[ls]t_?:before { }
wasm:opcode:br*:* { }
wasm:opcode:block:after { }
WASM:OPCODE:CALL:BEFORE { }
wasm:func:* { }
wasm:opcode:* { }
wasm:begin { }
wasm::br_if:before { }
wasm:::alt { }""",
}


@pytest.mark.parametrize("name", SPEC_EXAMPLES)
def test_spec_examples_check(name):
    program = check(SPEC_EXAMPLES[name])
    assert not [w for w in program.warnings if w.message != "probe has an empty body"]


def test_probe_numbers_and_ids():
    p = check("wasm::br:before { }\nwasm::br_if:* { }\nwasm:func:entry { }\nwasm:end { }")
    assert [cp.probe_id for cp in p.probes] == [
        "0_wasm:opcode:br:before", "1_wasm:opcode:br_if:before", "2_wasm:opcode:br_if:after",
        "3_wasm:opcode:br_if:alt", "4_wasm:opcode:br_if:at_target", "5_wasm:func:entry:<no-mode>",
        "6_wasm:end"]
    p = check("wasm:opcode:*:before { }")
    assert len(p.probes) == 310 and p.probes[11].probe_id == "11_wasm:opcode:br_if:before"
    assert all(cp.probe is p.probes[0].probe for cp in p.probes)


def test_per_expansion_types():
    p = check("wasm:opcode:i32.store|i64.store:before { var v: u64 = arg1 as u64 + (arg0 as u64); }")
    i32_store, i64_store = p.probes
    for cp, t in ((i32_store, Prim.I32), (i64_store, Prim.I64)):
        arg0 = next(n for n in ast.walk(cp.body) if isinstance(n, ast.Name) and n.id == "arg0")
        assert arg0.checked_type is t
        assert list(cp.bound_used) == ["arg1", "arg0"]


def test_symbol_kinds():
    p = check("""
report var total: u64;
var m: map<str, u32>;
fn f(a: u32) -> u32 { var loc: u32 = a; return loc; }
wasm:opcode:call:before {
    var plain: u32;
    report var r: u32;
    unshared var u: u32;
    shared var s: u32;
    frame var fr: u32;
    report shared var rs: map<u32, u32>;
}""")
    g = p.globals
    assert g["total"].kind is VarKind.GLOBAL and g["total"].report
    assert g["m"].is_map and not g["m"].report
    cp = p.probes[0]
    kinds = {s.name: (s.kind, s.report) for s in cp.symbols}
    assert kinds == {
        "plain": (VarKind.PROBE_LOCAL, False), "r": (VarKind.UNSHARED, True),
        "u": (VarKind.UNSHARED, False), "s": (VarKind.SHARED, False), "fr": (VarKind.FRAME, False),
        "rs": (VarKind.SHARED, True)}
    fn = p.functions["f"]
    assert [s.kind for s in fn.params] == [VarKind.PARAM]
    assert [(s.name, s.kind) for s in fn.symbols] == [("loc", VarKind.FUNCTION_LOCAL)]
    assert fn.result is Prim.U32


def test_literal_types_recorded():
    p = check("""
var t: (u8, i32, i64) = (0, 1, -2);
var big = 0;
wasm:begin { }""".replace("var big = 0;\n", ""))
    lits = [n for n in ast.walk(p.statements[0]) if isinstance(n, ast.IntLit)]
    assert [n.checked_type for n in lits] == [Prim.U8, Prim.I32, Prim.I64]
    p = check("wasm:opcode:call:before { var x: bool = 5000000000 == 5000000000; var y: bool = 1.5 > 2; }")
    cp = p.probes[0]
    lits = [n for n in ast.walk(cp.body) if isinstance(n, (ast.IntLit, ast.FloatLit))]
    assert [n.checked_type for n in lits] == [Prim.I64, Prim.I64, Prim.F32, Prim.F32]


def test_per_event_constant_wins_next_to_literal():
    p = check("wasm:opcode:call:before / category_id == 4 / { }")
    cp = p.probes[0]
    lit = next(n for n in ast.walk(cp.predicate) if isinstance(n, ast.IntLit))
    assert lit.checked_type is Prim.U32


def test_constants_and_map_ids():
    p = check("""
report var zeta: map<u32, u32>;
var alpha: map<u32, u32>;
var Beta: map<str, u32>;
var K: u32 = 27;
var L: i64 = 2;
var M: u32 = 1;
L = 3;
wasm:opcode:call:before / fid == K / { M = 2; }""")
    assert p.map_ids == {"Beta": 0, "alpha": 1, "zeta": 2}   # byte order: uppercase first
    assert p.constants == {"K": 27}


def test_calls_are_resolved():
    p = check("""
use toggle;
fn f() -> u32 { return 1; }
wasm:opcode:call:before { var a: u32 = f(); var b: i32 = toggle.next(); var c: u32 = mem_size(0); }""")
    cp = p.probes[0]
    kinds = [n.callee.kind for n in ast.walk(cp.body) if isinstance(n, ast.Call)]
    assert kinds == [CalleeKind.USER, CalleeKind.LIBRARY, CalleeKind.BUILTIN]
    assert p.uses == ["toggle"] and set(p.libraries) == {"toggle"}


def test_warnings():
    p = check("""
var pc: u32;
wasm:opcode:call:before { }
wasm:opcode:call:alt { }
wasm:opcode:br:before { report var n: u32; return; n++; }""")
    msgs = [w.message for w in p.warnings]
    assert msgs == ["global `pc` is shadowed by a bound variable in wasm:opcode:call:before",
                    "probe has an empty body", "unreachable statement"]


def test_at_most_15_errors_in_source_order():
    body = "".join(f"    v{i} = 1;\n" for i in range(30))
    with pytest.raises(ScriptError) as info:
        check("wasm:begin {\n" + body + "}\n")
    diags = info.value.diagnostics
    assert len(diags) == MAX_ERRORS == 15
    assert [d.span.line for d in diags] == list(range(2, 17))


@pytest.mark.parametrize("text, message", [
    ("wasm:opcode:call:alt { alt_call_by_id(fid as i32); }", "the function id must be compile-time constants"),
    ("wasm:opcode:call:alt { return 1; }\nwasm:opcode:call:alt { drop_args(); }", None),
    ("wasm:opcode:memory.copy:before { dup_at(0, arg2 as u32); }", None),
    ("wasm:opcode:memory.copy:before { dup_at(arg0 as u32, 0); }", "memory ids must be compile-time constants"),
    ("var K: u32 = 0;\nwasm:opcode:call:before { var n: u32 = mem_size(K); }", None),
    ("wasm:opcode:call:before { var x: u32 = probe_id as u32; }",
     "probe_id is only available in the engine target (--wei)"),
    ("wasm:opcode:call:before { var m: map<u32, u32>; }", "map variables must be global, unshared or shared"),
    ("var m: map<u32, map<u32, u32>>;\nwasm:begin { }", "unsupported map value type map<u32,u32>"),
    ("var t: (u32, map<u32, u32>);\nwasm:begin { }", "tuples may not contain maps"),
    ("fn f(x: u32) -> u32 { if (x > 1) { return 1; } else { return 2; } }\nwasm:begin { }", None),
    ("fn f(x: u32) -> u32 { if (x > 1) { return 1; } elif (x > 0) { return 3; } }\nwasm:begin { }",
     "function f may finish without returning a value"),
    ("wasm:opcode:call:before { var a: u32 = 1; var b: u32 = a < 2 ? a : 5; }", None),
    ("wasm:opcode:call:before { var b: u32 = fid > 2 ? fid : pc as i32; }", "mismatched types u32 and i32 (add an explicit cast with 'as')"),
    ("wasm:opcode:call:before { var t: (u32, u32) = (1, 2); var b: bool = t == t; }", "operator `==` cannot be applied to (u32,u32)"),
    ("wasm:opcode:call:before { var s: str = \"a\"; var b: bool = s == \"a\" && s.len() > 1; }", None),
    ("wasm:opcode:call:before { var x: u32 = fid << 40; var y: f32 = 1.5 % 2; }", None),
    ("wasm:opcode:call:before { var x: f32 = 1.5 << 2; }", "operator `<<` cannot be applied to f32"),
    ("wasm:opcode:call:before { var x: bool = !fid; }", "`!` needs a bool operand, found u32"),
    ("wasm:opcode:call:before { var x: u32 = ~fid; var y: u8 = ~0; }", None),
    ("wasm:opcode:call:before { var x: str = fname; x = 3; }", "expected str, found i32"),
    ("wasm:opcode:br_table:before { var t: u32 = targets[arg0]; var n: u32 = num_targets; }", None),
    ("wasm:opcode:br_table:before { targets[0] = 1; }", "cannot assign to `targets`"),
    ("wasm:opcode:i32.load:after { res0 = 1; }\nwasm(local1: f64):func:exit { local1 = 2.5; }", None),
    ("wasm:opcode:call(arg0: str):before { }", "a type bound must be a numeric type, bool or funcref, found str"),
    ("use toggle;\nwasm:begin { toggle.next(); }\nuse cache;", "'use' must appear before the first probe"),
    ("use toggle;\nuse toggle;\nwasm:begin { }", "`toggle` is already defined"),
    ("fn f() { }\nfn f() { }\nwasm:begin { }", "`f` is already defined"),
    ("use toggle;\nfn toggle() { }\nwasm:begin { }", "`toggle` is already defined"),
    ("wasm:opcode:call:before { @init whamm_core.putc(1); }", "unknown library `whamm_core`"),
    ("use whamm_core;\nwasm:opcode:call:before { var x: i32 = @init whamm_core.mem_alloc(1); }",
     "@init can only be used on a call statement"),
    ("wasm:opcode:call:before { var x: u32 = @static mem_size(0); }", "@static can only annotate library calls"),
    ("use toggle;\nwasm:opcode:call:before { unshared var u: u32 = pc; shared var s: i32 = @static toggle.next(); }", None),
    ("use toggle;\nvar g: i32;\nwasm:opcode:call:before / @static toggle.should_inject(g, 1) == 1 / { }",
     "cannot use dynamic data in a static library call"),
    ("use toggle;\nvar G: i32 = 7;\nwasm:opcode:call:before / @static toggle.should_inject(G, fid as i32) == 1 / { }", None),
    ("wasm:opcode:call:before { var x: u32 = strcmp((1, 2), \"a\") as u32; }", None),
    ("wasm:opcode:call:before { var c: u32 = memid(nolib); }", "unknown library `nolib`"),
    ("wasm:opcode:call:before { return; }", None),
    ("wasm:opcode:call:before { var x: i32 = 1; var x2: u32 = x; }", "expected u32, found i32"),
    ("wasm:opcode:call:before { y = 1; var y: u32; }", "unknown variable `y`"),
    ("wasm:opcode:call:before { if (fid == 0) { var y: u32; } y = 1; }", None),
])
def test_rules(text, message):
    if message is None:
        check(text)
    else:
        assert message in errors(text)


def test_probes_are_independent_scopes():
    check("wasm:opcode:br_if:before { report var taken: u32; taken++; }\n"
          "wasm:opcode:br:before { report var taken: u32; taken++; }")


def test_global_types_and_map_type_display():
    p = check("report var edges: map<(u32, u32), u32>;\nwasm:begin { }")
    assert p.globals["edges"].type == MapType(TupleType((Prim.U32, Prim.U32)), Prim.U32)
    assert str(p.globals["edges"].type) == "map<(u32,u32),u32>" == str(parse_type("map<(u32,u32),u32>"))


def test_script_level_static_call_with_a_constant_argument():
    p = check("use toggle;\nvar K: i32 = 3;\n@static toggle.should_inject(K, K + 1);\nwasm:begin { }")
    assert p.constants == {"K": 3}
    assert "cannot use dynamic data in a static library call" in errors(
        "use toggle;\nvar K: i32 = 3;\nK = 4;\n@static toggle.should_inject(K, 1);\nwasm:begin { }")


def test_type_bounds():
    p = check("wasm:opcode:call_indirect(arg1: funcref, arg2: u8):before(fid: i32) { var x: u8 = arg2; }")
    assert p.probes[0].bounds == {"arg1": Prim.FUNCREF, "arg2": Prim.U8}   # the mode's bound is ignored
    assert p.probes[0].body.stmts[0].init.checked_type is Prim.U8  # checked
    assert "a type bound must be a numeric type, bool or funcref, found (i32,i32)" in errors(
        "wasm:opcode:call(arg0: (i32, i32)):before { }")
    p = check("wasm:opcode:br_if(arg0: i32):before { var x: i32 = arg0; }")
    assert list(p.probes[0].bound_used) == ["arg0"]


def test_mutated_scripts_never_crash():
    """D11: whatever the input, the front end answers with diagnostics, never a Python exception."""
    import random
    import re

    from compiler.errors import WhammError

    corpus = list(SPEC_EXAMPLES.values())
    tokens = sorted({t for c in corpus for t in re.findall(r"\w+|[^\w\s]{1,2}", c)})
    rnd = random.Random(20261121)
    for _ in range(400):
        parts = re.findall(r"\w+|[^\w\s]|\s+", rnd.choice(corpus))
        for _ in range(rnd.randint(1, 3)):
            k = rnd.randrange(len(parts))
            r = rnd.random()
            if r < 0.4:
                parts[k] = rnd.choice(tokens)
            elif r < 0.7:
                parts.insert(k, rnd.choice(tokens) + " ")
            else:
                del parts[k]
        try:
            check("".join(parts))
        except WhammError:
            pass


def test_glob_warnings_are_reported_once():
    p = check("wasm:opcode:*:before { report var n: u32; return; n++; }")
    assert [w.message for w in p.warnings] == ["unreachable statement"]
