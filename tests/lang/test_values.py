"""values.py against the spec's examples and against Wasm itself (wasmtime runs the instruction the
code generator will emit for each operation; hypothesis picks the operands)."""
from __future__ import annotations

import math
import struct

import pytest
import wasmtime
from hypothesis import given, settings, strategies as st

from compiler.lang import values as V
from compiler.lang.types import INTEGER_TYPES, Prim, TupleType, MapType, bit_width, is_signed

P = Prim

# ------------------------------------------------------------------------------------- spec examples


@pytest.mark.parametrize("value, from_t, to_t, expected", [
    (-1, P.I32, P.U8, 255),
    (300, P.I32, P.U8, 44),
    (255, P.U8, P.I8, -1),
    (-1, P.I32, P.U64, 18446744073709551615),
    (-1, P.I8, P.I64, -1),                 # sign-extension
    (255, P.U8, P.I64, 255),               # zero-extension
    (1.9, P.F64, P.I32, 1),
    (-1.9, P.F64, P.I32, -1),
    (300.7, P.F32, P.U8, 44),              # via u32 300, then wrap
    (-129.5, P.F64, P.I8, 127),            # via i32 -129, then wrap
    (math.nan, P.F64, P.BOOL, True),
    (0.0, P.F32, P.BOOL, False),
    (7, P.U16, P.BOOL, True),
    (True, P.BOOL, P.F64, 1.0),
    (False, P.BOOL, P.U8, 0),
    (16777217, P.I32, P.F32, 16777216.0),  # nearest, ties to even
    (0.1, P.F64, P.F32, 0.10000000149011612),
])
def test_cast_examples(value, from_t, to_t, expected):
    got = V.cast(value, from_t, to_t)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("value, from_t, to_t, message", [
    (math.nan, P.F64, P.I32, "invalid conversion to integer"),
    (2.0 ** 31, P.F64, P.I32, "integer overflow"),
    (-1.0, P.F32, P.U32, "integer overflow"),
    (math.inf, P.F32, P.U64, "integer overflow"),
    (2.0 ** 40, P.F64, P.U8, "integer overflow"),  # the 32-bit step traps before the wrap
])
def test_cast_traps(value, from_t, to_t, message):
    with pytest.raises(V.Trap, match=message):
        V.cast(value, from_t, to_t)


@pytest.mark.parametrize("op, a, b, t, expected", [
    ("+", 255, 1, P.U8, 0),
    ("+", 127, 1, P.I8, -128),
    ("<<", 1, 2, P.U8, 4),
    ("<<", 255, 2, P.U8, 252),
    (">>", 255, 2, P.U8, 63),
    (">>", -1, 2, P.I8, -1),
    ("<<", 1, 9, P.U8, 0),
    ("<<", 1, 33, P.I32, 2),               # count mod 32
    ("<<", 1, 65, P.U64, 2),               # count mod 64
    ("/", -128, -1, P.I8, -128),           # 8/16-bit MIN / -1 wraps
    ("/", -32768, -1, P.I16, -32768),
    ("/", -7, 2, P.I32, -3),               # truncating
    ("%", -7, 2, P.I32, -1),               # sign of the dividend
    ("%", 7, -2, P.I32, 1),
    ("%", -2 ** 31, -1, P.I32, 0),
    ("/", 7, 2, P.U32, 3),
    ("&", -1, 0x0F, P.I8, 15),
    ("^", 0xFF, 0x0F, P.U8, 0xF0),
    ("-", 0, 1, P.U64, 2 ** 64 - 1),
    ("*", 2 ** 31, 2, P.I64, 2 ** 32),
    ("%", 5.5, 2.0, P.F64, 1.5),
    ("%", -5.5, 2.0, P.F64, -0.5),         # copysign(a - floor(a/b)*b, a): differs from fmod (-1.5)
    ("%", 5.5, -2.0, P.F64, 0.5),
    ("/", 1.0, 0.0, P.F64, math.inf),
    ("/", -1.0, 0.0, P.F32, -math.inf),
    ("+", 0.1, 0.2, P.F64, 0.30000000000000004),
    ("&", True, False, P.BOOL, False),
    ("^", True, False, P.BOOL, True),
])
def test_binary_examples(op, a, b, t, expected):
    assert V.binary(op, a, b, t) == expected


def test_f32_rounds_after_every_operation():
    a = V.cast(0.1, P.F64, P.F32)
    b = V.cast(0.2, P.F64, P.F32)
    s = V.binary("+", a, b, P.F32)
    assert s == struct.unpack("<f", struct.pack("<f", a + b))[0] == 0.30000001192092896
    assert V.binary("*", 3.4028234663852886e38, 2.0, P.F32) == math.inf


def test_nan_remainder_and_division():
    assert math.isnan(V.binary("/", 0.0, 0.0, P.F64))
    assert math.isnan(V.binary("%", 1.0, 0.0, P.F64))


@pytest.mark.parametrize("op, t", [("/", P.I32), ("%", P.U64), ("/", P.U8)])
def test_division_by_zero_traps(op, t):
    with pytest.raises(V.Trap, match="integer divide by zero"):
        V.binary(op, 1, 0, t)


@pytest.mark.parametrize("t", [P.I32, P.I64])
def test_min_div_minus_one_traps(t):
    with pytest.raises(V.Trap, match="integer overflow"):
        V.binary("/", V.int_range(t)[0], -1, t)


def test_unary_and_compare():
    assert V.unary("~", 0, P.U8) == 255
    assert V.unary("~", 0, P.I32) == -1
    assert V.unary("!", True, P.BOOL) is False
    assert V.compare("<", -1, 0) is True
    assert V.compare("!=", math.nan, math.nan) is True
    assert V.compare("==", math.nan, math.nan) is False
    assert V.compare("<=", math.nan, 1.0) is False
    assert V.compare("==", b"calc", b"calc") is True


# ---------------------------------------------------------------------------------------- literals


@pytest.mark.parametrize("n, t", [(0, P.I32), (2 ** 31 - 1, P.I32), (-2 ** 31, P.I32), (2 ** 31, P.I64),
                                  (-2 ** 63, P.I64), (2 ** 63, P.U64), (2 ** 64 - 1, P.U64)])
def test_int_literal_type(n, t):
    assert V.int_literal_type(n) is t


@pytest.mark.parametrize("text, t", [("1.5", P.F32), ("3.40282347E+38", P.F32), ("3.5e38", P.F64),
                                     ("-inf", P.F32), ("NaN", P.F32), ("1e-50", P.F32), ("1e309", P.F64)])
def test_float_literal_type(text, t):
    assert V.float_literal_type(text) is t


def test_literal_conversions():
    assert V.int_literal(300, P.U8) == 44
    assert V.int_literal(-1, P.U8) == 255
    assert V.int_literal(1, P.F32) == 1.0
    assert V.float_literal("1.9", P.I32) == 1
    assert V.float_literal("-1.9", P.I32) == -1
    assert V.float_literal("1e10", P.I32) == 2 ** 31 - 1      # saturated
    assert V.float_literal("-1e10", P.U8) == 0
    assert V.float_literal("nan", P.I64) == 0
    assert V.float_literal("inf", P.U16) == 65535
    assert V.float_literal("0.1", P.F64) == 0.1               # straight from the text, no f32 detour
    assert V.float_literal("0.1", P.F32) == 0.10000000149011612
    assert V.float_literal("1_000.5", P.F64) == 1000.5


def test_f32_literal_avoids_double_rounding():
    # just above the midpoint between 1.0 and the next f32: the double nearest to the text *is* the
    # midpoint, so rounding through f64 would give 1.0 (ties to even); the correct answer is 1 + 2^-23.
    text = "1.000000059604644775390625000001"
    assert V.to_f32(float(text)) == 1.0
    assert V.float_literal(text, P.F32) == 1.0 + 2.0 ** -23


def test_float_literal_subnormal_and_overflow():
    assert V.float_literal("1e-45", P.F32) == 2.0 ** -149       # smallest subnormal
    assert V.float_literal("1e-46", P.F32) == 0.0
    assert V.float_literal("3.4028236e38", P.F32) == math.inf   # rounds past the largest finite f32


def test_zero_and_str_methods():
    assert V.zero(TupleType((P.U8, TupleType((P.STR, P.BOOL))))) == (0, (b"", False))
    assert V.zero(P.F32) == 0.0 and V.zero(MapType(P.U32, P.U32)) is None
    assert V.str_method("starts_with", b"basic_br", b"basic") is True
    assert V.str_method("ends_with", b"if_stmt", b"stmt") is True
    assert V.str_method("contains", b"abc", b"") is True
    assert V.str_method("len", "😀".encode()) == 4


# ------------------------------------------------------------------------- Wasm as the oracle

_INT_OPS = {"+": "add", "-": "sub", "*": "mul", "&": "and", "|": "or", "^": "xor", "<<": "shl"}


def _wat() -> str:
    funcs = []
    for w in ("i32", "i64"):
        for name in ("add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor",
                     "shl", "shr_s", "shr_u"):
            funcs.append(f'(func (export "{w}.{name}") (param {w} {w}) (result {w}) '
                         f'local.get 0 local.get 1 {w}.{name})')
    for w in ("f32", "f64"):
        for name in ("add", "sub", "mul", "div"):
            funcs.append(f'(func (export "{w}.{name}") (param {w} {w}) (result {w}) '
                         f'local.get 0 local.get 1 {w}.{name})')
    for i in ("i32", "i64"):
        for f in ("f32", "f64"):
            for s in ("s", "u"):
                funcs.append(f'(func (export "{i}.trunc_{f}_{s}") (param {f}) (result {i}) '
                             f'local.get 0 {i}.trunc_{f}_{s})')
                funcs.append(f'(func (export "{f}.convert_{i}_{s}") (param {i}) (result {f}) '
                             f'local.get 0 {f}.convert_{i}_{s})')
    funcs.append('(func (export "f32.demote_f64") (param f64) (result f32) local.get 0 f32.demote_f64)')
    return "(module " + "\n".join(funcs) + ")"


class _Wasm:
    def __init__(self) -> None:
        self.store = wasmtime.Store()
        module = wasmtime.Module(self.store.engine, wasmtime.wat2wasm(_wat()))
        self.exports = wasmtime.Instance(self.store, module, []).exports(self.store)

    def __call__(self, name: str, *args):
        return self.exports[name](self.store, *args)


@pytest.fixture(scope="module")
def wasm() -> _Wasm:
    return _Wasm()


def _rep(t: Prim) -> Prim:
    return P.I64 if bit_width(t) == 64 else P.I32


def _ints(t: Prim):
    lo, hi = V.int_range(t)
    return st.one_of(st.integers(lo, hi), st.sampled_from([lo, hi, 0, 1, -1 if lo < 0 else hi - 1]))


def _reference_int(wasm, op: str, a: int, b: int, t: Prim) -> int:
    """The instruction sequence of REWRITING: operate on the sign/zero-extended 32/64-bit
    representation, then re-normalise to the width."""
    rep = _rep(t)
    w = str(rep)
    s = "s" if is_signed(t) else "u"
    name = {"/": f"div_{s}", "%": f"rem_{s}", ">>": f"shr_{s}"}.get(op) or _INT_OPS[op]
    r = wasm(f"{w}.{name}", V.wrap(a, rep), V.wrap(b, rep))
    return V.wrap(r, t)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_integer_ops_match_wasm(wasm, data):
    t = data.draw(st.sampled_from(INTEGER_TYPES))
    op = data.draw(st.sampled_from(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"]))
    a, b = data.draw(_ints(t)), data.draw(_ints(t))
    try:
        expected = _reference_int(wasm, op, a, b, t)
    except wasmtime.Trap:
        with pytest.raises(V.Trap):
            V.binary(op, a, b, t)
        return
    if op == "/" and bit_width(t) < 32 and b == -1 and a == V.int_range(t)[0]:
        expected = a                           # 8/16-bit: the 32-bit division cannot overflow
    assert V.binary(op, a, b, t) == expected


def _floats(t: Prim):
    return st.floats(width=32 if t is P.F32 else 64, allow_nan=True, allow_infinity=True)


def _same_float(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or (x == y and math.copysign(1, x) == math.copysign(1, y))


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_float_ops_match_wasm(wasm, data):
    t = data.draw(st.sampled_from([P.F32, P.F64]))
    op = data.draw(st.sampled_from(["+", "-", "*", "/"]))
    a, b = data.draw(_floats(t)), data.draw(_floats(t))
    name = {"+": "add", "-": "sub", "*": "mul", "/": "div"}[op]
    assert _same_float(V.binary(op, a, b, t), wasm(f"{t}.{name}", a, b))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_float_remainder_reference(data):
    t = data.draw(st.sampled_from([P.F32, P.F64]))
    a = data.draw(st.floats(-1e6, 1e6, width=32))
    b = data.draw(st.floats(0.5, 1e3, width=32) | st.floats(-1e3, -0.5, width=32))
    r = V.to_f32 if t is P.F32 else float
    expected = math.copysign(r(a - r(math.floor(r(a / b)) * b)), a)
    assert _same_float(V.binary("%", a, b, t), expected)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_float_to_int_casts_match_wasm(wasm, data):
    f = data.draw(st.sampled_from([P.F32, P.F64]))
    t = data.draw(st.sampled_from(INTEGER_TYPES))
    x = data.draw(_floats(f) | st.floats(-3e9, 3e9, width=32 if f is P.F32 else 64))
    rep = _rep(t)
    s = "s" if is_signed(t) else "u"
    try:
        expected = V.wrap(wasm(f"{rep}.trunc_{f}_{s}", x), t)
    except wasmtime.Trap:
        with pytest.raises(V.Trap):
            V.cast(x, f, t)
        return
    assert V.cast(x, f, t) == expected


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_int_to_float_casts_match_wasm(wasm, data):
    src = data.draw(st.sampled_from(INTEGER_TYPES))
    f = data.draw(st.sampled_from([P.F32, P.F64]))
    a = data.draw(_ints(src))
    rep = _rep(src)
    s = "s" if is_signed(src) else "u"
    assert V.cast(a, src, f) == wasm(f"{f}.convert_{rep}_{s}", V.wrap(a, rep))


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False))
def test_demotion_matches_wasm(wasm, x):
    assert _same_float(V.cast(x, P.F64, P.F32), wasm("f32.demote_f64", x))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_integer_casts_reference(data):
    src = data.draw(st.sampled_from(INTEGER_TYPES))
    dst = data.draw(st.sampled_from(INTEGER_TYPES))
    a = data.draw(_ints(src))
    width = bit_width(dst)
    bits = a % (1 << width)
    expected = bits - (1 << width) if is_signed(dst) and bits >= 1 << (width - 1) else bits
    assert V.cast(a, src, dst) == expected


@settings(max_examples=300, deadline=None)
@given(st.integers(-2 ** 63, 2 ** 64 - 1))
def test_int_literal_to_f32_is_correctly_rounded(wasm, n):
    rep = P.I64 if n < 2 ** 63 else P.U64
    s = "s" if rep is P.I64 else "u"
    assert V.int_literal(n, P.F32) == wasm(f"f32.convert_i64_{s}", V.wrap(n, P.I64))


def test_float_literal_extreme_exponents_are_cheap_and_exact():
    """``1e9999999`` hung the compiler (an exact Fraction of 10^9999999); tiny magnitudes round to a zero
    that keeps the literal's sign, and zero converts to integer 0 (not the type's minimum)."""
    assert V.float_literal_overflows("1e9999999") and V.float_literal_overflows("-1e400")
    assert V.float_literal_overflows("1.7976931348623159e308")          # rounds past the largest f64
    assert not V.float_literal_overflows("1.7976931348623157e308") and not V.float_literal_overflows("-inf")
    assert not V.float_literal_overflows("1e-9999999") and not V.float_literal_overflows("1e" + "0" * 5000)
    assert V.float_literal("1e-9999999", P.F64) == 0.0
    assert math.copysign(1.0, V.float_literal("-1e-9999999", P.F32)) == -1.0
    assert math.copysign(1.0, V.float_literal("-0.0", P.F64)) == -1.0
    assert V.float_literal("0.0", P.I32) == 0 and V.float_literal("-1e-999", P.I64) == 0
    assert V.float_literal("1." + "9" * 5000, P.F64) == 2.0
    assert V.float_literal("0." + "0" * 5000 + "1e5002", P.F64) == 10.0
