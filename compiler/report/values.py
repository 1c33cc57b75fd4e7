"""Reference formatters for every value format of REWRITING.md §12 (and the report's map column).

The instrumented module formats values at run time with the C runtime (``runtime/``); these Python
twins define the expected text for its tests and let the shell render values it reads from a live
instance.  Values are in the form of :mod:`compiler.lang.values`: integers as ``int`` (either
signedness is accepted and wrapped to the declared type), floats as ``float`` (``f32`` values exactly
representable in binary32), ``bool``, ``bytes`` for ``str`` (a Python ``str`` is accepted and encoded as
UTF-8), tuples as ``tuple``, maps as a mapping.  The result is text: string bytes are decoded as UTF-8
with ``surrogateescape``, so ``text.encode("utf-8", "surrogateescape")`` is exactly what the runtime
writes.
"""
from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from compiler.lang.types import AggType, MapType, Prim, TupleType, WhammType, bit_width, is_integer
from compiler.report.aggregates import format_agg
from compiler.lang.values import wrap

__all__ = [
    "format_f32", "format_f64", "format_float", "shortest_digits", "format_value", "format_map_value",
    "map_key_order", "format_map", "format_map_csv", "type_label",
]


# ------------------------------------------------------------------------------------------------ floats

def _special(x: float) -> str | None:
    """NaN, the infinities and the zeros (REWRITING.md §12.2 first bullet)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    if x == 0.0:
        return "-0e0" if math.copysign(1.0, x) < 0 else "+0e0"
    return None


def _scientific(negative: bool, digits: str, exp10: int) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{'-' if negative else '+'}{mantissa}e{exp10}"


def format_f64(x: float) -> str:
    """``{:+e}`` shortest round-trip text of an ``f64``: the digits of ``repr`` are already the
    shortest that read back as ``x``, the closest of them to ``x`` (CPython uses Gay's dtoa mode 0)."""
    special = _special(x)
    if special is not None:
        return special
    _, digits, exponent = Decimal(repr(abs(x))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    return _scientific(x < 0, text, int(exponent) + len(digits) - 1)


# binary formats: (significand bits including the hidden one, exponent of the smallest subnormal,
# 2^max_exp is the first power of two that overflows)
_F32 = (24, -149, 128)
_F64 = (53, -1074, 1024)


def _round_binary(q: Fraction, fmt: tuple[int, int, int]) -> Fraction | None:
    """The nearest value of the binary format to the positive rational ``q`` (ties to even), or
    ``None`` if it rounds to infinity.  Exact: no intermediate double, so no double rounding."""
    bits, min_exp, max_exp = fmt
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** e > q:
        e -= 1
    quantum = Fraction(2) ** max(e - (bits - 1), min_exp)
    n, rem = divmod(q, quantum)
    n = int(n)
    if rem * 2 > quantum or (rem * 2 == quantum and n & 1):
        n += 1
    result = n * quantum
    return None if result >= Fraction(2) ** max_exp else result


def shortest_digits(x: float, fmt: tuple[int, int, int] = _F64) -> tuple[str, int]:
    """The shortest digits ``d1…dn`` and exponent ``E`` with ``d1.d2…dn × 10^E`` rounding to ``|x|``
    in the binary format ``fmt``; among equally short candidates the closest to ``|x|`` (an exact tie
    goes to the even last digit, as the runtime and CPython's repr do).

    An exact search: for each length only the two neighbours of ``|x|`` can be closest, and both are
    tried, so a value just above a power of two (whose interval is lopsided) still gets its shortest
    form.  ``x`` must be finite, non-zero and exactly representable in ``fmt``.
    """
    exact = Fraction(abs(x))
    e10 = math.floor(math.log10(abs(x)))
    while Fraction(10) ** e10 > exact:
        e10 -= 1
    while Fraction(10) ** (e10 + 1) <= exact:
        e10 += 1
    for n in range(1, 20):
        unit = Fraction(10) ** (e10 - n + 1)
        low = math.floor(exact / unit)
        fits = [m for m in (low, low + 1) if _round_binary(m * unit, fmt) == exact]
        if fits:
            best = min(fits, key=lambda m: (abs(m * unit - exact), m & 1))
            digits = str(best)
            return digits.rstrip("0"), e10 - n + len(digits)
    raise AssertionError(f"no decimal form found for {x!r}")


def format_f32(x: float) -> str:
    """``{:+e}`` shortest round-trip text of an ``f32`` (REWRITING.md §12.2): the digits must read back
    to the same binary32 value, not merely the same double."""
    special = _special(x)
    if special is not None:
        return special
    if struct.unpack("<f", struct.pack("<f", x))[0] != x:
        raise ValueError(f"{x!r} is not an f32 value")
    digits, exp10 = shortest_digits(x, _F32)
    return _scientific(x < 0, digits, exp10)


def format_float(t: Prim, x: float) -> str:
    """:func:`format_f32` or :func:`format_f64` by type."""
    return format_f32(x) if t is Prim.F32 else format_f64(x)


# ------------------------------------------------------------------------------------------------ values

def _text(s: bytes | str) -> str:
    return s if isinstance(s, str) else bytes(s).decode("utf-8", "surrogateescape")


def _bytes(s: bytes | str) -> bytes:
    return s.encode() if isinstance(s, str) else bytes(s)


def _map_int(t: Prim, v: int) -> int:
    """Integers inside maps: ≤ 32 bits as the signed i32 of their representation (upstream stored them
    as i32), 64 bits per declared signedness (REWRITING.md §12.3)."""
    v = wrap(v, t)
    return wrap(v, Prim.I32) if bit_width(t) <= 32 else v


def _format(t: WhammType, v: object, in_map: bool) -> str:
    if isinstance(t, TupleType):
        assert isinstance(v, tuple) and len(v) == len(t.elems)
        sep = "," if in_map else "; "
        return "(" + sep.join(_format(e, x, in_map) for e, x in zip(t.elems, v)) + ")"
    if isinstance(t, MapType):
        assert isinstance(v, Mapping)
        return format_map(t.key, t.value, v)
    if isinstance(t, AggType):
        return format_agg(t, v)  # type: ignore[arg-type]
    if is_integer(t):
        return str(_map_int(t, v) if in_map else wrap(v, t))  # type: ignore[arg-type]
    if t is Prim.BOOL:
        return "true" if v else "false"
    if t is Prim.STR:
        return _text(v)  # type: ignore[arg-type]
    if t is Prim.F32 or t is Prim.F64:
        return format_float(t, v)  # type: ignore[arg-type]
    raise ValueError(f"values of type {t} are not printed")


def format_value(t: WhammType, v: object) -> str:
    """A value as in report rows and ``put*`` (REWRITING.md §12.1–§12.3): integers per declared type,
    tuples ``(a; b)``, strings raw, maps in the map format."""
    return _format(t, v, in_map=False)


def format_map_value(t: WhammType, v: object) -> str:
    """A key or value inside a map: tuples ``(a,b)``, ≤ 32-bit integers as signed i32."""
    return _format(t, v, in_map=True)


def map_key_order(t: WhammType, v: object) -> object:
    """Sort key of a map key (REWRITING.md §12.3): integers by their printed value, ``false`` <
    ``true``, strings by bytes (a prefix first), tuples element by element."""
    if isinstance(t, TupleType):
        return tuple(map_key_order(e, x) for e, x in zip(t.elems, v))  # type: ignore[call-overload]
    if is_integer(t):
        return _map_int(t, v)  # type: ignore[arg-type]
    if t is Prim.BOOL:
        return bool(v)
    if t is Prim.STR:
        return _bytes(v)  # type: ignore[arg-type]
    raise ValueError(f"unsupported map key type {t}")


def _sorted(key_type: WhammType, entries: Mapping[object, object]) -> list[tuple[object, object]]:
    return sorted(entries.items(), key=lambda kv: map_key_order(key_type, kv[0]))


def format_map(key_type: WhammType, value_type: WhammType, entries: Mapping[object, object]) -> str:
    """``print_map`` and the report's map column: ``empty map`` or ``k->v;k->v`` sorted by key."""
    if not entries:
        return "empty map"
    return ";".join(f"{format_map_value(key_type, k)}->{format_map_value(value_type, v)}"
                    for k, v in _sorted(key_type, entries))


def type_label(t: WhammType) -> str:
    """CSV column label (REWRITING.md §12.3): ≤ 32-bit integers ``i32``, 64-bit ``i64``, tuples
    ``(l1,l2)``, other types by name."""
    if isinstance(t, TupleType):
        return "(" + ",".join(type_label(e) for e in t.elems) + ")"
    if is_integer(t):
        return "i64" if bit_width(t) == 64 else "i32"
    return str(t)


def format_map_csv(map_id: int, key_type: WhammType, value_type: WhammType,
                   entries: Mapping[object, object]) -> str:
    """``print_map_as_csv(id)`` (REWRITING.md §12.3), every line ending in ``"\\n"``; an empty map
    with a tuple key type has no ``key (…), val (…)`` line, as upstream."""
    lines = [f"== map{map_id} CSV FLUSH =="]
    if entries or not isinstance(key_type, TupleType):
        lines.append(f"key ({type_label(key_type)}), val ({type_label(value_type)})")
    if not entries:
        lines.append("empty map")
    lines.extend(f"{format_map_value(key_type, k)}, {format_map_value(value_type, v)}"
                 for k, v in _sorted(key_type, entries))
    return "".join(line + "\n" for line in lines)
