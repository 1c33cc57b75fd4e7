"""``compiler/report/printed.py``: report values read back from printed text (a component's report).

Generated values of every printable scalar type, tuples and maps are formatted as the report prints them
and parsed back: the parse must give the same value, or — when the text is ambiguous (a string key holding
``;`` or ``->``) — nothing, never a different value.
"""
from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.lang.types import MapType, Prim, TupleType
from compiler.lang.values import wrap
from compiler.report.printed import parse_value
from compiler.report.values import format_value

INTEGERS = (Prim.U8, Prim.I8, Prim.U16, Prim.I16, Prim.U32, Prim.I32, Prim.U64, Prim.I64)


def values_of(t):
    """A strategy of values of type ``t`` in the form the report formats them from."""
    if t in INTEGERS:
        return st.integers(-(1 << 64), 1 << 64).map(lambda v: wrap(v, t))
    if t is Prim.BOOL:
        return st.booleans()
    if t is Prim.F64:
        return st.floats(allow_nan=True, allow_infinity=True)
    if t is Prim.STR:
        return st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=12) \
            .map(lambda s: s.encode())
    if isinstance(t, TupleType):
        return st.tuples(*(values_of(e) for e in t.elems))
    return st.dictionaries(values_of(t.key), values_of(t.value), max_size=6)


TYPES = st.sampled_from([*INTEGERS, Prim.BOOL, Prim.F64, Prim.STR, TupleType((Prim.U32, Prim.BOOL)),
                         MapType(Prim.STR, Prim.U32), MapType(Prim.I32, Prim.U64), MapType(Prim.U32, Prim.STR),
                         MapType(TupleType((Prim.U8, Prim.I16)), Prim.I64)])


def ambiguous(t, value) -> bool:
    """Whether a map's printed text may split otherwise: a key string holding ``->``, or a value string
    holding ``;`` or ``->``."""
    if not isinstance(t, MapType):
        return False
    keys = [k for k in value if t.key is Prim.STR]
    values = [v for v in value.values() if t.value is Prim.STR]
    return any(b"->" in k for k in keys) or any(b";" in v or b"->" in v for v in values)


def same(t, a, b) -> bool:
    if t is Prim.F64:
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_printed_value_reads_back_exactly_or_not_at_all(data):
    t = data.draw(TYPES)
    value = data.draw(values_of(t))
    text = format_value(t, value)
    parsed = parse_value(t, text)
    if parsed is None:
        # only texts that cannot be split unambiguously are given up on
        assert ambiguous(t, value)
        return
    assert format_value(t, parsed[0]) == text
    if ambiguous(t, value):
        return                     # re-split differently but formats the same: the text is what was printed
    assert same(t, parsed[0], value), (t, text, parsed, value)


def test_callstack_keys_hold_semicolons():
    t = MapType(Prim.STR, Prim.U64)
    assert parse_value(t, "main;calc->3;main;calc;calc->12") == ({b"main;calc": 3, b"main;calc;calc": 12},)


def test_texts_that_are_not_values_are_refused():
    assert parse_value(Prim.U8, "256") is None          # out of range: formatting it gives another text
    assert parse_value(Prim.BOOL, "yes") is None
    assert parse_value(MapType(Prim.STR, Prim.U32), "a->1;b") is None
    assert parse_value(TupleType((Prim.U32, Prim.BOOL)), "(1; true; 2)") is None
