"""valuefmt.py against the examples of REWRITING.md §11.4/§12 and, for floats, against an independent
oracle of the §12.2 definition (shortest digits that read back as the value, closest of them)."""
from __future__ import annotations

import math
import struct
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from compiler.lang.types import MapType, Prim, parse_type
from compiler.report import values as vf

P = Prim


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ------------------------------------------------------------------------------------------- floats

@pytest.mark.parametrize("value, t, text", [
    (2.0, P.F64, "+2e0"),
    (f32(1000.18), P.F32, "+1.00018e3"),
    (-1.1, P.F64, "-1.1e0"),
    (f32(3.4028235e38), P.F32, "+3.4028235e38"),
    (0.0, P.F64, "+0e0"),
    (-0.0, P.F32, "-0e0"),
    (f32(0.1), P.F32, "+1e-1"),
    (1e-7, P.F64, "+1e-7"),
    (123456789.0, P.F64, "+1.23456789e8"),
    (-1.7976931348623157e308, P.F64, "-1.7976931348623157e308"),
    (math.nan, P.F32, "NaN"),
    (-math.nan, P.F64, "NaN"),
    (math.inf, P.F64, "+inf"),
    (-math.inf, P.F32, "-inf"),
    (5e-324, P.F64, "+5e-324"),
    (f32(1e-45), P.F32, "+1e-45"),
    (0.1, P.F64, "+1e-1"),
    (f32(0.1), P.F64, "+1.0000000149011612e-1"),  # an f32 value printed as f64 keeps all its digits
])
def test_spec_examples(value, t, text):
    assert vf.format_float(t, value) == text


@pytest.mark.parametrize("exponent, text", [(-96, "+1.2621775e-29"), (87, "+1.5474251e26"),
                                            (90, "+1.2379401e27")])
def test_f32_lopsided_intervals_get_the_shortest_form(exponent, text):
    """Powers of two have a gap below half the gap above.  Here the nearest 8-digit decimal falls outside
    the lower half-gap, so the '%.{p}e' search of the spec's Python hint would answer with 9 digits;
    §12.2 asks for the shortest, which is the 8-digit decimal just above."""
    x = 2.0 ** exponent
    assert vf.format_f32(x) == text
    naive = next(s for s in ("%.*e" % (p, x) for p in range(9)) if _reads_back(s, x, _F32))
    assert len(naive.split("e")[0]) == 10


def test_f32_rejects_values_that_are_not_f32():
    with pytest.raises(ValueError, match="not an f32 value"):
        vf.format_f32(0.1)


# The oracle: a binary format as (significand bits, exponent of the smallest subnormal).
_F32, _F64 = (24, -149), (53, -1074)


def _interval(x: float, fmt: tuple[int, int]) -> tuple[Fraction, Fraction, bool]:
    """The decimals in [lo, hi] read back as x (x > 0); the ends are included iff x's significand is
    even (round-half-even)."""
    bits, min_exp = fmt
    m, e = math.frexp(x)                       # x = m * 2^e, 0.5 <= m < 1
    exp = max(e - bits, min_exp)                # quantum of x
    q = Fraction(2) ** exp
    sig = Fraction(x) / q
    lower_gap = q / 2 if sig == 2 ** (bits - 1) and exp > min_exp else q
    return Fraction(x) - lower_gap / 2, Fraction(x) + q / 2, int(sig) % 2 == 0


def _reads_back(text: str, x: float, fmt: tuple[int, int]) -> bool:
    lo, hi, inclusive = _interval(x, fmt)
    d = Fraction(Decimal(text))
    return lo < d < hi or (inclusive and d in (lo, hi))


def _check_definition(x: float, text: str, fmt: tuple[int, int]) -> None:
    sign, rest = text[0], text[1:]
    assert sign == ("-" if x < 0 else "+")
    mantissa, exp10 = rest.split("e")
    digits = mantissa.replace(".", "")
    assert digits[0] != "0" and (len(digits) == 1 or (mantissa[1] == "." and digits[-1] != "0"))
    assert str(int(exp10)) == exp10
    x = abs(x)
    assert _reads_back(rest, x, fmt)
    value = Fraction(Decimal(rest))
    n, e = len(digits), int(exp10)
    # no shorter digit string reads back: at n-1 digits only the two neighbours of x can be inside
    for shorter in range(1, n):
        for exp in (e, e - 1, e + 1):
            unit = Fraction(10) ** (exp - shorter + 1)
            low = math.floor(Fraction(x) / unit)
            for cand in (low, low + 1):
                if len(str(cand)) == shorter and cand:
                    assert not _reads_back(str(Decimal(cand) * Decimal(10) ** (exp - shorter + 1)), x, fmt)
    # the other n-digit neighbour is not closer (ties: the even last digit)
    unit = Fraction(10) ** (e - n + 1)
    exact = Fraction(x)
    other = value - unit if value > exact else value + unit
    other_text = str(Decimal(other.numerator) / Decimal(other.denominator))
    if _reads_back(other_text, x, fmt):
        closer, tie = abs(value - exact) < abs(other - exact), abs(value - exact) == abs(other - exact)
        assert closer or (tie and int(digits) % 2 == 0)


def _finite(bits: int, fmt: str) -> float:
    return struct.unpack("<" + fmt, struct.pack("<" + ("Q" if fmt == "d" else "I"), bits))[0]


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_f64_meets_the_definition(bits):
    x = _finite(bits, "d")
    if math.isfinite(x) and x != 0:
        _check_definition(x, vf.format_f64(x), _F64)
        assert vf.format_f64(x) == ("-" if x < 0 else "+") + "e".join(_join(vf.shortest_digits(x)))


def _join(parts: tuple[str, int]) -> tuple[str, str]:
    digits, exp10 = parts
    return digits[0] + ("." + digits[1:] if len(digits) > 1 else ""), str(exp10)


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_f32_meets_the_definition(bits):
    x = _finite(bits, "f")
    if math.isfinite(x) and x != 0:
        _check_definition(x, vf.format_f32(x), _F32)


@pytest.mark.parametrize("exponent", range(-149, 128, 7))
def test_f32_powers_of_two_meet_the_definition(exponent):
    _check_definition(2.0 ** exponent, vf.format_f32(2.0 ** exponent), _F32)


# ------------------------------------------------------------------------------------------- values

@pytest.mark.parametrize("type_text, value, text", [
    ("u32", 4294967295, "4294967295"),
    ("u32", -1, "4294967295"),           # wrapped to the declared type
    ("i8", 255, "-1"),
    ("u64", -1, "18446744073709551615"),
    ("bool", True, "true"),
    ("str", b"hello global", "hello global"),
    ("str", b"line\nbreak", "line\nbreak"),
    ("str", "text", "text"),
    ("(i32,i32,i32)", (0, 1, 2), "(0; 1; 2)"),
    ("(i32,(i32,i32))", (1, (12, 13)), "(1; (12; 13))"),
    ("(i32,str)", (-10, b"other str"), "(-10; other str)"),
    ("(str,f32)", (b"BOOOOOOOOOOOOOOYAH", f32(1000.18)), "(BOOOOOOOOOOOOOOYAH; +1.00018e3)"),
    ("(u32,u32)", (4294967295, 1), "(4294967295; 1)"),  # tuples outside maps: declared type
    ("map<u32,u32>", {0: 1, 1: 1, 2: 1}, "0->1;1->1;2->1"),
])
def test_report_form(type_text, value, text):
    assert vf.format_value(parse_type(type_text), value) == text


def test_invalid_utf8_survives_as_surrogates():
    text = vf.format_value(P.STR, b"a\xffb")
    assert text.encode("utf-8", "surrogateescape") == b"a\xffb"


@pytest.mark.parametrize("type_text, entries, text", [
    ("map<u32,u32>", {0: 4, 2: 10, 3: 30}, "0->4;2->10;3->30"),
    ("map<(u32,u32,u32),i32>", {(0, 12, 1): 1, (0, 10, 0): 1}, "(0,10,0)->1;(0,12,1)->1"),
    ("map<(u32,bool),u32>", {(5, True): 2}, "(5,true)->2"),
    ("map<u32,u32>", {4294967295: 1, 3: 3}, "-1->1;3->3"),
    ("map<(u32,u32),u32>", {(5, 1): 1, (5, 4294967295): 1}, "(5,-1)->1;(5,1)->1"),
    ("map<u16,u8>", {65535: 255}, "65535->255"),
    ("map<i16,i8>", {-1: -1}, "-1->-1"),
    ("map<u64,i64>", {2**64 - 1: -1, 1: 2}, "1->2;18446744073709551615->-1"),
    ("map<str,str>", {b"ab": b"1", b"a": b"2", b"b": b"3"}, "a->2;ab->1;b->3"),
    ("map<bool,(f64,str)>", {True: (0.5, b"t"), False: (2.0, b"")}, "false->(+2e0,);true->(+5e-1,t)"),
    ("map<str,u32>", {}, "empty map"),
])
def test_map_form_and_order(type_text, entries, text):
    t = parse_type(type_text)
    assert isinstance(t, MapType)
    assert vf.format_map(t.key, t.value, entries) == text


@pytest.mark.parametrize("type_text, label", [
    ("u8", "i32"), ("i16", "i32"), ("u32", "i32"), ("bool", "bool"), ("u64", "i64"), ("i64", "i64"),
    ("f32", "f32"), ("f64", "f64"), ("str", "str"), ("(u32,(u8,str))", "(i32,(i32,str))"),
])
def test_type_labels(type_text, label):
    assert vf.type_label(parse_type(type_text)) == label


@pytest.mark.parametrize("type_text, entries, csv", [
    ("map<(i32,i32),i32>", {(5, 0): 1}, "== map0 CSV FLUSH ==\nkey ((i32,i32)), val (i32)\n(5,0), 1\n"),
    ("map<(u32,bool),u32>", {}, "== map0 CSV FLUSH ==\nempty map\n"),
    ("map<u32,u64>", {}, "== map0 CSV FLUSH ==\nkey (i32), val (i64)\nempty map\n"),
    ("map<str,(u32,f32)>", {b"b": (4294967295, 0.5), b"a": (1, -2.0)},
     "== map0 CSV FLUSH ==\nkey (str), val ((i32,f32))\na, (1,-2e0)\nb, (-1,+5e-1)\n"),
])
def test_csv(type_text, entries, csv):
    t = parse_type(type_text)
    assert isinstance(t, MapType)
    assert vf.format_map_csv(0, t.key, t.value, entries) == csv


def test_float_keys_have_no_order():
    with pytest.raises(ValueError, match="unsupported map key type f32"):
        vf.map_key_order(P.F32, 1.0)
