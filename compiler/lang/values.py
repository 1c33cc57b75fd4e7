"""Run-time semantics of whamm values (LANGUAGE.md §6.2–§6.5), computed in Python.

This module is the constant folder's arithmetic (§13.2 rule 1: static operands are computed "exactly as at
run time") and the oracle the code generator's tests compare against, so every function here behaves like
the Wasm instruction sequence the backends emit:

* integers are Python ``int`` normalised to their type's range (``u8`` 0…255, ``i8`` −128…127, ...);
* ``f32``/``f64`` are Python ``float``; an ``f32`` value is always exactly representable in binary32
  because every operation re-rounds with :func:`to_f32` (double rounding is harmless for ``+ - * /``:
  binary64 has more than 2·24+2 significand bits);
* ``bool`` is ``bool``, ``str`` is ``bytes`` (strings are byte strings, §9.2), tuples are ``tuple``.

Where Wasm traps (division by zero, ``MIN / -1``, float→int of NaN or out of range) a :class:`Trap` is
raised; the folder turns it into a compile-time error.
"""
from __future__ import annotations

import math
import struct
from decimal import Decimal
from fractions import Fraction

from compiler.lang.types import (
    UNIT, MapType, Prim, TupleType, WhammType, bit_width, is_float, is_integer, is_signed,
)

__all__ = [
    "Value", "Trap",
    "wrap", "to_f32", "int_range",
    "cast", "binary", "compare", "unary",
    "int_literal_type", "float_literal_type", "int_literal", "float_literal", "float_literal_overflows",
    "zero", "str_method", "STR_METHODS",
    "ARITHMETIC_OPS", "BITWISE_OPS", "SHIFT_OPS", "EQUALITY_OPS", "ORDER_OPS",
]

Value = int | float | bool | bytes | tuple

ARITHMETIC_OPS = frozenset({"+", "-", "*", "/", "%"})
BITWISE_OPS = frozenset({"&", "|", "^"})
SHIFT_OPS = frozenset({"<<", ">>"})
EQUALITY_OPS = frozenset({"==", "!="})
ORDER_OPS = frozenset({"<", "<=", ">", ">="})

#: String methods (§9.2): name → result type.
STR_METHODS: dict[str, Prim] = {
    "len": Prim.U32, "addr": Prim.U32, "starts_with": Prim.BOOL, "ends_with": Prim.BOOL,
    "contains": Prim.BOOL,
}


class Trap(ArithmeticError):
    """The operation traps at run time; the message is the Wasm trap's wording."""


# ---------------------------------------------------------------------------------------------- integers

def int_range(t: Prim) -> tuple[int, int]:
    """The inclusive value range of an integer type."""
    width = bit_width(t)
    if is_signed(t):
        return -(1 << (width - 1)), (1 << (width - 1)) - 1
    return 0, (1 << width) - 1


def wrap(value: int, t: Prim) -> int:
    """``value`` modulo 2^width(t), reinterpreted in ``t``'s signedness (two's complement)."""
    width = bit_width(t)
    v = value & ((1 << width) - 1)
    if is_signed(t) and v >> (width - 1):
        v -= 1 << width
    return v


# ------------------------------------------------------------------------------------------------ floats

_F32_MAX = 3.4028234663852886e38


def to_f32(x: float) -> float:
    """Round a double to the nearest binary32 value (ties to even); overflow gives an infinity."""
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:  # struct refuses finite values that round to infinity
        return math.copysign(math.inf, x)


def _round_rational(q: Fraction, t: Prim) -> float:
    """Round an exact rational to the nearest value of ``t`` (f32/f64), ties to even, without the double
    rounding that ``to_f32(float(q))`` could introduce."""
    if q == 0:
        return 0.0
    if t is Prim.F64:
        try:
            return float(q)  # Fraction.__float__ is correctly rounded
        except OverflowError:  # past the largest f64 (by at least half an ulp): nearest is an infinity
            return math.inf if q > 0 else -math.inf
    sign = -1.0 if q < 0 else 1.0
    q = abs(q)
    # exponent e with 2^e <= q < 2^(e+1)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** e > q:
        e -= 1
    e = max(e, -126)                 # subnormals share the minimum exponent
    ulp = Fraction(2) ** (e - 23)
    n, rem = divmod(q, ulp)
    n = int(n)
    if rem * 2 > ulp or (rem * 2 == ulp and n & 1):
        n += 1
    result = n * ulp
    if result > Fraction(_F32_MAX):
        return sign * math.inf
    return sign * float(result)


def _int_to_float(n: int, t: Prim) -> float:
    if t is Prim.F64:
        return float(n)  # int.__float__ rounds half to even
    if -(1 << 24) <= n <= 1 << 24:
        return float(n)
    return _round_rational(Fraction(n), Prim.F32)


def _fdiv(a: float, b: float) -> float:
    if b == 0.0:
        if a == 0.0 or math.isnan(a):
            return math.nan
        neg = (math.copysign(1.0, a) < 0) != (math.copysign(1.0, b) < 0)
        return -math.inf if neg else math.inf
    return a / b


def _ffloor(x: float) -> float:
    if not math.isfinite(x) or x == 0.0:
        return x
    return float(math.floor(x))


def _float_op(op: str, a: float, b: float, t: Prim) -> float:
    r = to_f32 if t is Prim.F32 else float
    if op == "+":
        return r(a + b)
    if op == "-":
        return r(a - b)
    if op == "*":
        return r(a * b)
    if op == "/":
        return r(_fdiv(a, b))
    # % is copysign(a - floor(a / b) * b, a), every step in the operand type (kept from upstream)
    q = _ffloor(r(_fdiv(a, b)))
    return math.copysign(r(a - r(q * b)), a)


# ------------------------------------------------------------------------------------------------- casts

def _trunc_to_int(x: float, t: Prim) -> int:
    """Wasm ``iNN.trunc_fXX_{s,u}``: truncate toward zero, trap on NaN or out of range."""
    if math.isnan(x):
        raise Trap("invalid conversion to integer")
    if math.isinf(x):
        raise Trap("integer overflow")
    lo, hi = int_range(t)
    v = math.trunc(x)
    if v < lo or v > hi:
        raise Trap("integer overflow")
    return v


def cast(value: Value, from_t: WhammType, to_t: WhammType) -> Value:
    """``value as to_t`` (§6.2).  Only primitive numeric/bool types take part (the checker rejects the
    rest)."""
    if from_t == to_t:
        return value
    if to_t is Prim.BOOL:
        return value != 0 if not isinstance(value, bool) else value  # NaN != 0 is True
    if from_t is Prim.BOOL:
        return (1.0 if value else 0.0) if is_float(to_t) else int(bool(value))
    if is_integer(from_t):
        if is_integer(to_t):
            return wrap(value, to_t)
        return _int_to_float(value, to_t)
    # from a float
    if is_float(to_t):
        return to_f32(value) if to_t is Prim.F32 else value
    if bit_width(to_t) < 32:
        wide = Prim.I32 if is_signed(to_t) else Prim.U32
        return wrap(_trunc_to_int(value, wide), to_t)
    return _trunc_to_int(value, to_t)


# -------------------------------------------------------------------------------------------- operators

def binary(op: str, a: Value, b: Value, t: WhammType) -> Value:
    """``a op b`` for an arithmetic, bitwise or shift operator on two values of type ``t`` (§6.5).

    Comparisons are :func:`compare`; ``&&``/``||`` are the folder's business (they short-circuit).
    """
    if t is Prim.BOOL:
        if op == "&":
            return a and b
        if op == "|":
            return a or b
        if op == "^":
            return a != b
        raise TypeError(f"operator {op} on bool")
    if is_float(t):
        if op not in ARITHMETIC_OPS:
            raise TypeError(f"operator {op} on {t}")
        return _float_op(op, a, b, t)
    if op == "+":
        return wrap(a + b, t)
    if op == "-":
        return wrap(a - b, t)
    if op == "*":
        return wrap(a * b, t)
    if op in ("/", "%"):
        if b == 0:
            raise Trap("integer divide by zero")
        q = abs(a) // abs(b)
        if (a < 0) != (b < 0):
            q = -q
        if op == "%":
            return a - b * q            # sign of the dividend; MIN % -1 is 0 as in Wasm
        if bit_width(t) >= 32 and q > int_range(t)[1]:
            raise Trap("integer overflow")
        return wrap(q, t)               # 8/16-bit MIN / -1 wraps
    if op == "&":
        return wrap(a & b, t)
    if op == "|":
        return wrap(a | b, t)
    if op == "^":
        return wrap(a ^ b, t)
    if op in SHIFT_OPS:
        count = b % (64 if bit_width(t) == 64 else 32)
        if op == "<<":
            return wrap(a << count, t)
        return a >> count               # values are sign/zero-extended already: arithmetic vs logical
    raise TypeError(f"unknown operator {op}")


def compare(op: str, a: Value, b: Value) -> bool:
    """``a op b`` for ``== != < <= > >=``: integers by value (signedness is part of the normalised value),
    floats by IEEE rules (NaN compares unequal to everything), ``bool``/``str`` by content."""
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    raise TypeError(f"unknown comparison {op}")


def unary(op: str, a: Value, t: WhammType) -> Value:
    """``!a`` (bool) or ``~a`` (integers, wrapped to the width: ``~(0 as u8)`` = 255)."""
    if op == "!":
        return not a
    if op == "~":
        return wrap(~a, t)
    raise TypeError(f"unknown unary operator {op}")


# --------------------------------------------------------------------------------------------- literals

def int_literal_type(n: int) -> Prim:
    """§6.3 rule 2: without context an integer literal is ``i32`` if it fits, else ``i64``, else ``u64``."""
    if -(1 << 31) <= n < 1 << 31:
        return Prim.I32
    if -(1 << 63) <= n < 1 << 63:
        return Prim.I64
    return Prim.U64


#: Decimal exponents (of the leading significant digit) beyond which a float literal's exact value is
#: never built: from 10^309 up it exceeds the largest f64 (1.8e308); below 10^-400 it is under half the
#: smallest f64 subnormal (4.9e-324) and rounds to zero in f32 and f64 alike.  Building ``1e9999999`` as
#: a Fraction would take minutes and gigabytes.
_MAX_DECIMAL_EXPONENT = 309
_MIN_DECIMAL_EXPONENT = -400


def _leading_exponent(body: str) -> int | None:
    """The decimal exponent of the first significant digit of an unsigned float literal (lower case, no
    ``_``), ``None`` for zero; exponents too long to matter are clamped so no huge int is parsed."""
    mantissa, _, exp_text = body.partition("e")
    whole, _, frac = mantissa.partition(".")
    exp_digits = exp_text.lstrip("+-").lstrip("0")
    exp = 10 ** 6 if len(exp_digits) > 6 else int(exp_digits or "0")
    exp = -exp if exp_text.startswith("-") else exp
    if whole.lstrip("0"):
        return exp + len(whole.lstrip("0")) - 1
    if frac.strip("0"):
        return exp - (len(frac) - len(frac.lstrip("0"))) - 1
    return None


def _exact(text: str) -> Fraction | float:
    """The exact value of a float literal's source text (infinities, NaN and out-of-range magnitudes as
    floats: ``inf`` above every f64, a signed zero below every subnormal and for zero itself)."""
    t = text.replace("_", "").lower()
    body = t.lstrip("+-")
    if body in ("inf", "infinity", "nan"):
        return float(t)
    sign = -1.0 if t.startswith("-") else 1.0
    exponent = _leading_exponent(body)
    if exponent is None or exponent < _MIN_DECIMAL_EXPONENT:
        return math.copysign(0.0, sign)
    if exponent > _MAX_DECIMAL_EXPONENT:
        return math.copysign(math.inf, sign)
    return Fraction(Decimal(t))  # Decimal: no int-string digit limit on 5000-digit literals


def float_literal_overflows(text: str, t: Prim = Prim.F64) -> bool:
    """Whether a finite float literal rounds to an infinity in ``t``: LANGUAGE.md §2.3 gives a literal
    beyond every f64 no type, and no rule makes an ``f32`` context turn ``1e39`` into ``inf``, so both
    are errors at the literal rather than a silent infinity."""
    v = _exact(text)
    if isinstance(v, float):
        return math.isinf(v) and text.replace("_", "").lower().lstrip("+-") not in ("inf", "infinity")
    return math.isinf(_round_rational(v, t))


def float_literal_type(text: str) -> Prim:
    """§2.3: a float literal is ``f32`` if its magnitude fits ``f32`` (or it is an infinity/NaN), else
    ``f64``."""
    v = _exact(text)
    if isinstance(v, float):
        return Prim.F32
    return Prim.F32 if math.isfinite(_round_rational(v, Prim.F32)) else Prim.F64


def int_literal(n: int, t: Prim) -> Value:
    """§6.3 rule 3/4: an integer literal converted to its context type (wraps; nearest float)."""
    if is_integer(t):
        return wrap(n, t)
    if is_float(t):
        return _int_to_float(n, t)
    raise TypeError(f"an integer literal cannot become {t}")


def float_literal(text: str, t: Prim) -> Value:
    """§6.3 rule 4: a float literal converted from its source text directly to ``t`` (no detour through
    ``f32``); to an integer type it is truncated toward zero and saturated, NaN → 0."""
    v = _exact(text)
    if is_float(t):
        if isinstance(v, float):
            return v
        return _round_rational(v, t)
    if is_integer(t):
        if isinstance(v, float):
            if math.isnan(v) or v == 0:
                return 0
            lo, hi = int_range(t)
            return hi if v > 0 else lo
        lo, hi = int_range(t)
        return min(max(math.trunc(v), lo), hi)
    raise TypeError(f"a float literal cannot become {t}")


# ---------------------------------------------------------------------------------------------- others

def zero(t: WhammType) -> Value | None:
    """The zero value of a type (§6.1; D7's absent map entry); ``None`` for maps and ``funcref`` (null)."""
    if isinstance(t, TupleType):
        return tuple(zero(e) for e in t.elems) if t != UNIT else ()
    if isinstance(t, MapType) or t is Prim.FUNCREF:
        return None
    if t is Prim.BOOL:
        return False
    if t is Prim.STR:
        return b""
    if is_float(t):
        return 0.0
    return 0


def str_method(name: str, s: bytes, *args: bytes) -> Value:
    """Evaluate a static string method (§9.2).  ``addr`` depends on the memory layout and is never
    static, so it is not handled here."""
    if name == "len":
        return len(s)
    if name == "starts_with":
        return s.startswith(args[0])
    if name == "ends_with":
        return s.endswith(args[0])
    if name == "contains":
        return args[0] in s
    raise TypeError(f"string method {name} is not static")

