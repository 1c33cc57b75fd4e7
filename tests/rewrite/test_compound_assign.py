"""Compound assignment ``x OP= e`` (ANALYSIS.md §2) run on a WAT program and a C program, on both
targets: every operator on variables of several widths (wrapping and re-normalised like ``x = x OP e``),
tuple elements, map elements including absent keys (D7: they start at zero), and a map key with a side
effect evaluated once.  Modules run here are validated by wasm-tools through tests/conftest.py."""
from __future__ import annotations

import re

import pytest

from compiler.lang.diagnostics import ScriptError
from compiler.lang.frontend import check_source
from compiler.lang.values import wrap
from compiler.lang.types import Prim

OPS = ("+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>")


def _python(op: str, a: int, b: int, t: Prim) -> int:
    """``a OP b`` in whamm's integer semantics (truncating division, shifts modulo the width)."""
    width = 64 if t in (Prim.U64, Prim.I64) else 32
    if op == "/":
        r = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    elif op == "%":
        r = a - b * (abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1))
    elif op == "<<":
        r = a << (b % width)
    elif op == ">>":
        r = a >> (b % width)
    else:
        r = {"+": a + b, "-": a - b, "*": a * b, "&": a & b, "|": a | b, "^": a ^ b}[op]
    return wrap(r, t)


CASES = [(t, op, a, b) for t, a, b in ((Prim.U8, 200, 77), (Prim.I16, -300, 7), (Prim.I32, -123456, 5),
                                         (Prim.U64, 2**63 + 5, 3))
         for op in OPS]


def _script() -> str:
    lines = []
    for i, (t, op, a, b) in enumerate(CASES):
        lines.append(f"var v{i}: {t} = {a};")
    lines.append("var t: (u32, i64) = (7, -9);")
    lines.append("var m: map<str, i64>;")
    lines.append("var keys: u32;")
    lines.append("fn key() -> str { keys++; return \"k\"; }")
    lines.append("var calls: u64;")
    lines.append("wasm:opcode:call:before { calls += 2; m[\"calls\"] += 1; }")
    body = [f"  v{i} {op}= {b};" for i, (_, op, _, b) in enumerate(CASES)]
    body += ["  t.0 <<= 3; t.1 *= -3;", "  m[\"absent\"] -= 5; m[key()] += 10; m[key()] *= 4;",
             "  m[\"calls\"] <<= 1;"]
    body += [f'  printf("v{i}=%d\\n", v{i});' for i in range(len(CASES))]
    body += ['  printf("t=%d,%d absent=%d k=%d keys=%d\\n", t.0, t.1, m["absent"], m["k"], keys);',
             '  printf("calls=%d map=%d\\n", calls, m["calls"]);']
    return "\n".join(lines) + "\nwasm:end {\n" + "\n".join(body) + "\n}\n"


@pytest.mark.parametrize("app", ["app.wasm", "interp.wasm"])
def test_compound_assignment_semantics_on_both_targets(stdout_rewritten, stdout_wei, app):
    script = _script()
    out = stdout_rewritten(script, app)
    for i, (t, op, a, b) in enumerate(CASES):
        assert f"v{i}={_python(op, a, b, t)}\n" in out, (t, op, a, b)
    assert "t=56,27 absent=-5 k=40 keys=2\n" in out
    calls = int(out.split("calls=")[1].split(" ")[0])
    assert calls > 0 and calls % 2 == 0 and f"calls={calls} map={calls}\n" in out
    assert stdout_wei(script, app) == out


def test_float_and_bool_compound_assignment(stdout_rewritten, stdout_wei):
    # float % is LANGUAGE.md §6.5's copysign(a - floor(a / b) * b, a): -7.5 % 2.0 is -0.5
    script = ("var f: f64 = 7.5;\nvar g: f32 = -7.5;\nvar b: bool = true;\n"
              "wasm:end { f %= 2.0; g %= 2.0; f /= 4.0; b &= false; b |= true; b ^= true;\n"
              '  printf("%g %g %s\\n", f, g, b); }\n')
    out = stdout_rewritten(script, "app.wasm")
    assert out.endswith("0.375 -0.5 false\n")
    assert stdout_wei(script, "app.wasm") == out


@pytest.mark.parametrize("src, message", [
    ('var s: str;\nwasm:end { s += "a"; }', "operator `+=` cannot be applied to str"),
    ("var f: f64;\nwasm:end { f <<= 1; }", "operator `<<=` cannot be applied to f64"),
    ("var x: u32;\nwasm:end { x /= 0; }", "division by zero in constant expression"),
    ("var x: u32;\nvar y: u64;\nwasm:end { x += y; }", "expected u32, found u64"),
    ("wasm:opcode:call:before { fid += 1; }", "cannot assign to `fid`"),
])
def test_compound_assignment_errors(src, message):
    with pytest.raises(ScriptError, match=re.escape(message)):
        check_source(src + "\n", "c.mm", {})
