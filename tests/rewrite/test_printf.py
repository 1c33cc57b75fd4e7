"""printf (ANALYSIS.md §2) end to end: every conversion with flags, widths and precisions printed by the
instrumented module (and by the wei emulator) equals C's ``printf`` (glibc's ``snprintf`` through
ctypes) and, where C and Python agree, Python's ``%`` formatting on the same values; the runtime's float
formatting alone on many more random values; the checker's diagnostics with their carets.  Every module
run here is validated by wasm-tools through tests/conftest.py."""
from __future__ import annotations

import ctypes
import math
import random
import struct

import pytest

from compiler.lang.diagnostics import ScriptError
from compiler.lang.printf_format import FLAG_BITS
from compiler.lang.values import wrap
from compiler.lang.types import Prim

_LIBC = ctypes.CDLL(None)

INT_TYPES = (Prim.U8, Prim.I8, Prim.U16, Prim.I16, Prim.U32, Prim.I32, Prim.U64, Prim.I64)


def c_printf(fmt: str, value) -> str:
    """C's output for one conversion of ``value`` (``ll`` length so every integer type fits)."""
    buf = ctypes.create_string_buffer(8192)
    if isinstance(value, float):
        _LIBC.snprintf(buf, len(buf), fmt.encode(), ctypes.c_double(value))
    elif isinstance(value, bytes):
        _LIBC.snprintf(buf, len(buf), fmt.encode(), ctypes.c_char_p(value))
    else:
        _LIBC.snprintf(buf, len(buf), fmt.encode(), ctypes.c_longlong(value) if value < 0
                       else ctypes.c_ulonglong(value))
    return buf.value.decode("latin-1")


def _spec(rng: random.Random, conv: str) -> str:
    flags = "".join(f for f in "-0+ " if rng.random() < 0.25)
    width = rng.choice(["", "", "1", "6", "14", "25"])
    precision = rng.choice(["", "", "", ".0", ".1", ".3", ".8", ".20"])
    return "%" + flags + width + precision + conv


def _int_value(rng: random.Random, t: Prim) -> int:
    bits = {Prim.U8: 8, Prim.I8: 8, Prim.U16: 16, Prim.I16: 16, Prim.U32: 32, Prim.I32: 32}.get(t, 64)
    v = rng.choice([0, 1, -1, rng.getrandbits(bits), rng.getrandbits(rng.randint(1, bits)), 1 << (bits - 1)])
    return wrap(v, t)


def _float_value(rng: random.Random) -> float:
    kind = rng.random()
    if kind < 0.4:
        return round(rng.uniform(-1e5, 1e5), rng.randint(0, 6))
    if kind < 0.6:
        v = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        return 0.0 if math.isnan(v) else v
    return rng.choice([0.0, -0.0, 0.5, 2.5, 0.125, 1e-7, 9.9999, 123456789.0, math.inf, -math.inf, 5e-324])


def _c_expected(fmt: str, value, t) -> str:
    """What C prints for the whamm value of type ``t``: %u %x %X %o see the bits of the type's width."""
    conv = fmt[-1]
    if conv in "uxXo" and isinstance(value, int):
        bits = {Prim.U8: 8, Prim.I8: 8, Prim.U16: 16, Prim.I16: 16, Prim.U32: 32, Prim.I32: 32}.get(t, 64)
        value &= (1 << bits) - 1
        return c_printf(fmt.replace(conv, "ll" + conv), value)
    if conv in "di":
        if value > (1 << 63) - 1:  # a u64 beyond i64: C's %llu prints it
            return c_printf(fmt.replace(conv, "llu").replace("+", "").replace(" ", ""), value) \
                if not any(f in fmt for f in "+ ") else _python(fmt, value)
        return c_printf(fmt.replace(conv, "ll" + conv), value)
    return c_printf(fmt, value)


def _python(fmt: str, value) -> str:
    return fmt % value


def _literal(value, t) -> str:
    if t is Prim.STR:
        return '"' + value.decode() + '"'
    if t is Prim.BOOL:
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isinf(value):
            return "(1.0 / 0.0)" if value > 0 else "(-1.0 / 0.0)"
        return f"({float.hex(value)} as f64)" if False else repr(value) if value != 0 or math.copysign(1, value) > 0 \
            else "(-0.0)"
    return f"({value} as {t})" if value >= 0 else f"(({value}) as {t})"


def _cases(seed: int, n: int):
    """(format, whamm literal, C's output, Python's output or None where Python differs from C)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        conv = rng.choice("diuxXocsfeg")
        fmt = _spec(rng, conv)
        if conv == "c":
            fmt = fmt.split(".")[0] + "c" if "." in fmt else fmt
            value, t = rng.randint(33, 126), Prim.U8
            want = c_printf(fmt, value)
        elif conv in "diuxXo":
            t = rng.choice(INT_TYPES)
            value = _int_value(rng, t)
            want = _c_expected(fmt, value, t)
        elif conv == "s":
            t = rng.choice([Prim.STR, Prim.STR, Prim.BOOL])
            value = bytes(rng.choice(b"abcxyz ") for _ in range(rng.randint(0, 12))) if t is Prim.STR \
                else rng.random() < 0.5
            text = value if t is Prim.STR else (b"true" if value else b"false")
            want = c_printf(fmt.replace("0", "") if fmt[1:2] == "0" else fmt, text)
        else:
            t = Prim.F64
            value = _float_value(rng)
            want = c_printf(fmt, value)
        py = None
        # Python differs from C on zero-padded infinities and on integer precisions
        if (conv in "feg" and math.isfinite(value)) or (conv in "di" and "." not in fmt):
            py = _python(fmt, value)
        out.append((fmt, _literal(value, t), want, py))
    return out


@pytest.fixture(scope="module")
def printed(stdout_rewritten):
    """One script printing 120 generated conversions, each between bars, run on the demo app."""
    cases = _cases(13, 120)
    body = "\n".join(f'  printf("|{fmt}|\\n", {lit});' for fmt, lit, _, _ in cases)
    script = f"wasm:end {{\n{body}\n}}\n"
    return cases, script, stdout_rewritten(script, "app.wasm")


def test_every_conversion_matches_c_and_python(printed):
    cases, _, output = printed
    lines = [ln for ln in output.split("\n") if ln.startswith("|")]
    assert len(lines) == len(cases)
    for (fmt, lit, want, py), line in zip(cases, lines):
        assert line == f"|{want}|", (fmt, lit)
        if py is not None:
            assert line == f"|{py}|", (fmt, lit)


def test_the_engine_target_prints_the_same(stdout_wei, printed):
    _, script, output = printed
    assert stdout_wei(script, "app.wasm") == output


def test_printf_on_a_c_program_counts_calls_with_formatting(stdout_rewritten, stdout_wei):
    script = ("var calls: u64;\nwasm:opcode:call:before { calls += 1; }\n"
              'wasm:end { printf("calls=%-8d|%08.3f|%s\\n", calls, calls as f64 / 7.0, calls > 10); }\n')
    out = stdout_rewritten(script, "sort_hash.wasm")
    line = out.split("calls=")[1].split("\n")[0]
    n = int(line.split("|")[0])
    assert n > 10 and line == f"{n:<8d}|{n / 7.0:08.3f}|true"
    assert stdout_wei(script, "sort_hash.wasm") == out


def test_runtime_float_conversions_match_glibc_on_random_values(Runtime):
    rng = random.Random(7)
    for _ in range(1500):
        conv = rng.choice("feg")
        flags = "".join(f for f in "-0+ " if rng.random() < 0.25)
        width = rng.choice([-1, -1, 0, 7, 30])
        precision = rng.choice([-1, -1, 0, 1, 4, 17, 60])
        value = _float_value(rng)
        fmt = "%" + flags + (str(width) if width >= 0 else "") + (f".{precision}" if precision >= 0 else "") + conv
        rt = Runtime()
        rt.whamm_printf_float(value, ord(conv) | sum(FLAG_BITS[f] for f in flags) << 8, width, precision)
        assert rt.text() == c_printf(fmt, value), (fmt, value)


def test_extreme_precisions_and_widths(Runtime):
    for fmt, value in (("%.400f", 5e-324), ("%.400e", 5e-324), ("%.400f", 1.7976931348623157e308),
                       ("%1000.3g", -1e-300), ("%.0f", 0.5), ("%.0f", 1.5), ("%.1e", 9.96e99)):
        conv = fmt[-1]
        width, _, precision = fmt[1:-1].partition(".")
        rt = Runtime()
        rt.whamm_printf_float(value, ord(conv), int(width) if width else -1, int(precision) if precision else -1)
        assert rt.text() == c_printf(fmt, value), fmt


# ------------------------------------------------------------------------------------------ checker

@pytest.mark.parametrize("call, message, caret", [
    ('printf("%d\\n", "s")', "printf: %d expects an integer, found str", '"s"'),
    ('printf("x=%f y\\n", n)', "printf: %f expects a float, found u32", "n"),
    ('printf("%s", 1.5)', "printf: %s expects a str or bool, found f32", "1.5"),
    ('printf("%d %d", 1)', "printf: %d has no argument", "%d"),
    ('printf("%d", 1, 2)', "printf: too many arguments (the format has 1 conversion)", "2"),
    ('printf("%lu", 1)', "printf: length modifiers are not supported", "%l"),
    ('printf("%y", 1)', "printf: unknown conversion `%y`", "%y"),
    ('printf("%5", 1)', "printf: incomplete conversion at the end of the format", "%5"),
])
def test_diagnostics_point_at_the_offending_argument(call, message, caret):
    from compiler.lang.frontend import check_source
    line = f"wasm:end {{ {call}; }}"
    with pytest.raises(ScriptError) as info:
        check_source("var n: u32;\n" + line + "\n", "p.mm", {})
    text = str(info.value)
    assert message in text
    rendered = text.split("\n")
    src = next(i for i, ln in enumerate(rendered) if ln.endswith(line))
    carets = rendered[src + 1]
    col = carets.index("^") - (rendered[src].index(line))
    assert line[col:].startswith(caret), (line, carets)


def test_printf_in_an_expression_is_rejected():
    from compiler.lang.frontend import check_source
    with pytest.raises(ScriptError, match="printf does not return a value"):
        check_source('var x: u32;\nwasm:end { x = printf("a"); }\n', "p.mm", {})


def test_the_format_must_be_a_literal():
    from compiler.lang.frontend import check_source
    with pytest.raises(ScriptError, match="the format must be a string literal"):
        check_source('var f: str = "%d";\nwasm:end { printf(f, 1); }\n', "p.mm", {})
