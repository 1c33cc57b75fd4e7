"""Code generation (compiler/backend/codegen.py) against the value semantics oracle
(compiler/lang/values.py): every operator, comparison and cast on every type computes at run time what the
oracle computes.  Operands are assigned in ``wasm:begin`` so nothing folds at compile time; results are
read back through the exported getters ``get_<name>`` (or the report for ``str``/tuples)."""
from __future__ import annotations

import itertools
import math
import struct

import pytest
import wasmtime

from compiler.lang import values
from compiler.lang.types import Prim, parse_type
from compiler.wasm.validate import engine

APP = '(module (memory (export "memory") 1) (data (i32.const 16) "app bytes!") (func (export "_start")))'

INTS = {
    Prim.U8: [0, 1, 127, 128, 255],
    Prim.I8: [-128, -1, 0, 1, 127],
    Prim.U16: [0, 1, 32767, 65535],
    Prim.I16: [-32768, -1, 0, 3, 32767],
    Prim.U32: [0, 1, 0x7FFFFFFF, 0xFFFFFFFF],
    Prim.I32: [-2**31, -1, 0, 7, 2**31 - 1],
    Prim.U64: [0, 1, 2**63, 2**64 - 1],
    Prim.I64: [-2**63, -1, 0, 7, 2**63 - 1],
}
FLOATS = {
    Prim.F32: ["0.0", "-0.0", "1.5", "-2.25", "3.4028234663852886e38", "1e-45", "0.1", "inf", "-inf", "nan"],
    Prim.F64: ["0.0", "-0.0", "1.5", "-2.25", "1.7976931348623157e308", "5e-324", "0.1", "inf", "-inf", "nan"],
}
INT_OPS = ["+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^"]
CMP_OPS = ["==", "!=", "<", "<=", ">", ">="]


@pytest.fixture
def getters(instrument):
    """``getters(script)``: instrument a trivial app with ``script``; instantiating runs ``wasm:begin``;
    returns the exports."""
    def getters(script: str) -> tuple[wasmtime.Store, dict]:
        out = instrument(script, APP)
        store = wasmtime.Store(engine())
        linker = wasmtime.Linker(store.engine)
        linker.define_wasi()
        store.set_wasi(wasmtime.WasiConfig())
        inst = linker.instantiate(store, wasmtime.Module(store.engine, out.wasm))
        return store, inst.exports(store)
    return getters


def as_type(raw: object, t: Prim) -> object:
    """A getter's result (``i32``/``i64`` as a signed Python int, floats) read as whamm type ``t``."""
    if t is Prim.BOOL:
        return bool(raw)
    if t in (Prim.F32, Prim.F64):
        return raw
    return values.wrap(raw, t)  # type: ignore[arg-type]


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return struct.pack("<d", a) == struct.pack("<d", b)
    return a == b


def literal(v: object) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


@pytest.mark.parametrize("t", list(INTS), ids=str)
def test_integer_operators(getters, t):
    samples = INTS[t]
    decls = [f"var a{i}: {t};" for i in range(len(samples))]
    sets = [f"a{i} = {v};" for i, v in enumerate(samples)]
    cases = []
    for (i, a), (j, b), op in itertools.product(enumerate(samples), enumerate(samples), INT_OPS + CMP_OPS):
        try:
            expected = values.compare(op, a, b) if op in CMP_OPS else values.binary(op, a, b, t)
        except values.Trap:
            continue
        rt = Prim.BOOL if op in CMP_OPS else t
        k = len(cases)
        decls.append(f"var r{k}: {rt};")
        sets.append(f"r{k} = a{i} {op} a{j};")
        cases.append((f"a{i} {op} a{j} = {expected}", rt, expected))
    for i, a in enumerate(samples):
        k = len(cases)
        decls.append(f"var r{k}: {t};")
        sets.append(f"r{k} = ~a{i};")
        cases.append((f"~{a}", t, values.unary("~", a, t)))
    script = "\n".join(decls) + "\nwasm:begin {\n" + "\n".join(sets) + "\n}\n"
    store, ex = getters(script)
    for k, (what, rt, expected) in enumerate(cases):
        got = as_type(ex[f"get_r{k}"](store), rt)
        assert got == expected, what


@pytest.mark.parametrize("t", list(FLOATS), ids=str)
def test_float_operators(getters, t):
    samples = FLOATS[t]
    decls = [f"var a{i}: {t};" for i in range(len(samples))]
    sets = [f"a{i} = {v};" for i, v in enumerate(samples)]
    vals = [values.float_literal(v, t) for v in samples]
    cases = []
    for (i, a), (j, b), op in itertools.product(enumerate(vals), enumerate(vals), ["+", "-", "*", "/", "%"] + CMP_OPS):
        expected = values.compare(op, a, b) if op in CMP_OPS else values.binary(op, a, b, t)
        rt = Prim.BOOL if op in CMP_OPS else t
        k = len(cases)
        decls.append(f"var r{k}: {rt};")
        sets.append(f"r{k} = a{i} {op} a{j};")
        cases.append((f"{samples[i]} {op} {samples[j]}", rt, expected))
    script = "\n".join(decls) + "\nwasm:begin {\n" + "\n".join(sets) + "\n}\n"
    store, ex = getters(script)
    for k, (what, rt, expected) in enumerate(cases):
        assert same(as_type(ex[f"get_r{k}"](store), rt), expected), what


CAST_TYPES = list(INTS) + list(FLOATS) + [Prim.BOOL]


def test_casts_between_every_type(getters):
    samples: list[tuple[Prim, str, object]] = []
    for t, vs in INTS.items():
        samples += [(t, str(v), v) for v in vs]
    for t, vs in FLOATS.items():
        samples += [(t, v, values.float_literal(v, t)) for v in vs + ["-7.9", "300.5", "65535.9"]]
    samples += [(Prim.BOOL, "true", True), (Prim.BOOL, "false", False)]
    decls, sets, cases = [], [], []
    for i, (src, text, v) in enumerate(samples):
        decls.append(f"var s{i}: {src};")
        sets.append(f"s{i} = {text};")
        for dst in CAST_TYPES:
            try:
                expected = values.cast(v, src, dst)
            except values.Trap:
                continue
            k = len(cases)
            decls.append(f"var r{k}: {dst};")
            sets.append(f"r{k} = s{i} as {dst};")
            cases.append((f"{text} as {src} -> {dst}", dst, expected))
    script = "\n".join(decls) + "\nwasm:begin {\n" + "\n".join(sets) + "\n}\n"
    store, ex = getters(script)
    for k, (what, rt, expected) in enumerate(cases):
        assert same(as_type(ex[f"get_r{k}"](store), rt), expected), what


@pytest.mark.parametrize("expr", ["nan as i32", "inf as u64", "-1.0 as u32", "4294967296.0 as u32",
                                  "300.0 as i8 as i32", "1.0 / 0.0 as i64"])
def test_trapping_float_to_int_casts(instrument, run, expr):
    # the float is stored first so the cast happens at run time; 300.0 as i8 does not trap (wraps: 44)
    text, _, rest = expr.partition(" as ")
    script = f"var f: f64; var r: i64;\nwasm:begin {{ f = {text}; r = (f as {rest}) as i64; }}"
    if expr == "1.0 / 0.0 as i64":
        script = "var f: f64; var r: i64;\nwasm:begin { f = 1.0; f = f / 0.0; r = f as i64; }"
    out = instrument(script, APP)
    status = run(out.wasm, None)[0]
    if expr.startswith("300.0"):
        assert status == 0
    else:
        assert isinstance(status, str) and status.startswith("trap")


def test_integer_division_by_zero_traps_at_run_time(instrument, run):
    out = instrument("var a: u8; var b: u8; var r: u8;\nwasm:begin { a = 1; b = 0; r = a / b; }", APP)
    status = run(out.wasm, None)[0]
    assert isinstance(status, str) and "divide by zero" in status


def test_short_circuit_and_ternary_evaluate_only_what_is_needed(getters):
    script = """
    var calls: u32;
    var t: bool; var f: bool;
    var r1: bool; var r2: bool; var r3: bool; var r4: bool; var r5: u32; var r6: i64;
    fn side(v: bool) -> bool { calls++; return v; }
    wasm:begin {
        t = true; f = false;
        r1 = f && side(true);
        r2 = t || side(true);
        r3 = t && side(false);
        r4 = f || side(true);
        r5 = t ? 10 : (side(true) ? 1 : 2);
        r6 = (f ? 1 : 2) + (t ? 40 : 0);
    }
    """
    store, ex = getters(script)
    got = [ex[f"get_{n}"](store) for n in ("calls", "r1", "r2", "r3", "r4", "r5", "r6")]
    assert got == [2, 0, 1, 0, 1, 10, 42]


def test_user_functions_recursion_globals_maps_by_reference_and_tuples(instrument, run, report):
    script = """
    var depth: u32;
    var counts: map<u32, u32>;
    report var out: (u64, str);
    report var fact20: u64;
    report var seen: u32;
    fn fact(n: u64) -> u64 { depth++; if (n <= 1) { return 1; } return n * fact(n - 1); }
    fn bump(m: map<u32, u32>, k: u32) { m[k]++; }
    fn swap(t: (u64, str)) -> (u64, str) { var x: (u64, str); x.0 = t.0 + 1; x.1 = "swapped"; return x; }
    wasm:begin {
        fact20 = fact(20);
        bump(counts, 3); bump(counts, 3);
        seen = counts[3] + depth;
        out = swap((fact20, "orig"));
    }
    """
    out = instrument(script, APP)
    g = {v.name: v.location.globals for v in out.layout.report}
    fact20 = math.factorial(20)
    status, text, _ = run(out.wasm)
    assert status == 0
    assert text == report(
        f"{g['fact20'][0]}, global_id, fact20, u64, i64, script0, , , , , {fact20}",
        f"({g['out'][0]}; {g['out'][1]}; {g['out'][2]}), (global_id; global_id; global_id), out, (u64,str), "
        f"(i64; i32; i32), script0, , , , , ({fact20 + 1}; swapped)",
        f"{g['seen'][0]}, global_id, seen, u32, i32, script0, , , , , 22")


def test_string_methods_comparisons_and_memory_builtins(getters):
    script = """
    use whamm_core;
    var s: str; var e: str;
    var r: u32; var n: u32; var copy: str;
    wasm:begin {
        s = "hello world"; e = "";
        if (s.starts_with("hello")) { r = r | 1; }
        if (s.ends_with("world")) { r = r | 2; }
        if (s.contains("o w")) { r = r | 4; }
        if (!s.contains("xyz")) { r = r | 8; }
        if (s.contains(e) && e.len() == 0) { r = r | 16; }
        if (s == "hello world" && s != "hello") { r = r | 32; }
        if (!e.starts_with("x") && !"ab".ends_with("abc")) { r = r | 64; }
        if (strcmp((s.addr() as i32, s.len() as i32), "hello world")) { r = r | 128; }
        if (strcontains((s.addr() as i32, s.len() as i32), "lo w")) { r = r | 256; }
        copy = read_str(APP_MEMID, 16, 10);
        if (copy == "app bytes!") { r = r | 512; }
        write_str(APP_MEMID, 100, "XYZ");
        n = s.len() + copy.len();
        var p: i32 = whamm_core.mem_alloc(8);
        memcpy(APP_MEMID, 16, memid(whamm_core), p as u32, 3);
        if (read_str(memid(whamm_core), p, 3) == "app") { r = r | 1024; }
    }
    """
    store, ex = getters(script)
    assert ex["get_r"](store) == 2047
    assert ex["get_n"](store) == 21
    assert bytes(ex["memory"].read(store, 100, 103)) == b"XYZ"


MAP_CASES = [
    ("u8", "i64", ["255", "7"], ["-5", "9"]),
    ("i16", "f32", ["-3", "3"], ["1.5", "-0.25"]),
    ("u64", "f64", ["18446744073709551615", "0"], ["2.5", "1e300"]),
    ("bool", "u16", ["true", "false"], ["65535", "1"]),
    ("str", "str", ['"k1"', '""'], ['"value one"', '"v2"']),
    ("(u32, str, bool)", "(i8, str)", ['(1, "a", true)', '(1, "a", false)'], ['(-1, "x")', '(2, "yy")']),
    ("i32", "bool", ["-1", "1"], ["true", "false"]),
]


@pytest.mark.parametrize("key,value,keys,vals", MAP_CASES, ids=[f"{k}->{v}" for k, v, *_ in MAP_CASES])
def test_maps_put_get_absent_and_increment(instrument, run, key, value, keys, vals):
    vt = parse_type(value)
    incr = "m[k1]++;" if vt in INTS or vt in FLOATS else ""
    script = f"""
    var m: map<{key}, {value}>;
    var empty: map<{key}, {value}>;
    var k0: {key}; var k1: {key};
    report var r0: {value}; report var r1: {value}; report var absent: {value};
    wasm:begin {{
        k0 = {keys[0]}; k1 = {keys[1]};
        m[k0] = {vals[0]};
        m[k1] = {vals[1]};
        {incr}
        r0 = m[k0];
        r1 = m[k1];
        absent = empty[k0];
    }}
    """
    out = instrument(script, APP)
    status, text, _ = run(out.wasm)
    assert status == 0
    from compiler.report.values import format_value
    rows = {line.split(", ")[2]: line.rsplit(", ", 1)[1] if "(" not in value else line.split(", script0, , , , , ")[1]
            for line in text.splitlines()[3:]}

    def expect(text: str, bump: bool) -> str:
        if vt in FLOATS:
            v = values.float_literal(text, vt)
            if bump:
                v = values.binary("+", v, values.int_literal(1, vt), vt)
        elif vt in INTS:
            v = values.int_literal(int(text), vt)
            if bump:
                v = values.binary("+", v, 1, vt)
        else:
            v = eval(text.replace("true", "True").replace("false", "False"))  # literal values
            v = v.encode() if isinstance(v, str) else tuple(x.encode() if isinstance(x, str) else x for x in v) \
                if isinstance(v, tuple) else v
        return format_value(vt, v)

    assert rows["r0"] == expect(vals[0], False)
    assert rows["r1"] == expect(vals[1], bool(incr))
    assert rows["absent"] == format_value(vt, values.zero(vt))
