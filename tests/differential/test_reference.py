"""Integer arithmetic against an independent reference (issue 9): Python integers with the wrapping,
shift and division rules of LANGUAGE.md §6.5 written out here (not compiler.lang.values), compared
with what the instrumented module computes at run time and what the folder computes at compile time.

Each script holds many operations (one report variable each) on operands of every integer width;
divisions are generated only where they do not trap (the divisor is known)."""
from __future__ import annotations

import random

import pytest


BITS = {"u8": 8, "i8": 8, "u16": 16, "i16": 16, "u32": 32, "i32": 32, "u64": 64, "i64": 64}
OPS = ("+", "-", "*", "&", "|", "^", "<<", ">>", "/", "%", "<", "<=", "==", "!=", ">", ">=")


def wrap(v: int, t: str) -> int:
    b = BITS[t]
    v &= (1 << b) - 1
    return v - (1 << b) if t[0] == "i" and v >= 1 << (b - 1) else v


def reference(op: str, a: int, b: int, t: str) -> int | bool | None:
    """The value of ``a op b`` in type ``t``; None where it would trap."""
    if op in ("<", "<=", "==", "!=", ">", ">="):
        return {"<": a < b, "<=": a <= b, "==": a == b, "!=": a != b, ">": a > b, ">=": a >= b}[op]
    if op in ("<<", ">>"):
        count = b % (64 if BITS[t] == 64 else 32)
        return wrap(a << count if op == "<<" else a >> count, t)
    if op in ("/", "%"):
        if b == 0 or (BITS[t] >= 32 and t[0] == "i" and b == -1 and a == -(1 << (BITS[t] - 1))):
            return None
        q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
        return wrap(q if op == "/" else a - b * q, t)
    return wrap({"+": a + b, "-": a - b, "*": a * b, "&": a & b, "|": a | b, "^": a ^ b}[op], t)


def operand(rng: random.Random, t: str) -> int:
    b = BITS[t]
    lo, hi = (-(1 << (b - 1)), (1 << (b - 1)) - 1) if t[0] == "i" else (0, (1 << b) - 1)
    return rng.choice((lo, hi, 0, 1, -1 if t[0] == "i" else 2, rng.randint(lo, hi), rng.randint(-9, 9) % (hi + 1)))


def cases(seed: int, count: int = 60) -> list[tuple[str, str, int, int, object]]:
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        t, op = rng.choice(sorted(BITS)), rng.choice(OPS)
        a, b = operand(rng, t), operand(rng, t)
        if op in ("<<", ">>"):
            b = wrap(rng.choice((0, 1, 7, 8, 15, 31, 32, 33, 63, 64, 65)), t)
        expected = reference(op, a, b, t)
        if expected is not None:
            out.append((t, op, a, b, expected))
    return out


def script(cs: list, constant: bool) -> str:
    """Operands in globals (compile-time constants, or assigned twice so that they are not) and each
    result in a report variable assigned in ``wasm:begin``."""
    lines, body = [], []
    for i, (t, op, a, b, expected) in enumerate(cs):
        rt = "bool" if isinstance(expected, bool) else t
        lines += [f"var a{i}: {t} = {a};", f"var b{i}: {t} = {b};", f"report var r{i}: {rt};"]
        if not constant:
            lines += [f"a{i} = {a};", f"b{i} = {b};"]
        body.append(f"    r{i} = a{i} {op} b{i};")
    return "\n".join(lines + ["wasm:begin {", *body, "}", "wasm:opcode:call:before { }"]) + "\n"


@pytest.mark.parametrize("constant", [False, True], ids=["run-time", "folded"])
@pytest.mark.parametrize("seed", range(4))
def test_integer_operations(Report, run_rewritten, seed, constant):
    cs = cases(seed)
    text = script(cs, constant)
    rows = Report.parse(run_rewritten(text, "app.wasm")).rows
    got = {k[1]: v[0] for k, v in rows.items()}
    wrong = []
    for i, (t, op, a, b, expected) in enumerate(cs):
        want = str(expected).lower()
        if got.get(f"r{i}") != want:
            wrong.append(f"{a} {op} {b} as {t}: expected {want}, got {got.get(f'r{i}')}")
    assert not wrong, "\n".join(wrong)
