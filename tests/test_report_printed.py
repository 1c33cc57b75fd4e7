"""``compiler/report/printed.py``: report values read back from printed text (a component's report).

Generated values of every printable scalar type, tuples, aggregates and maps are formatted as the report
prints them (the runtime's Python twin) and parsed back: the parse must give the same value, or — when
the text has several parses — nothing, never a different value.  Which map texts have exactly one parse
is checked against a brute force over every choice of separators (:func:`all_parses`).
"""
from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.lang.types import AggType, MapType, Prim, TupleType
from compiler.lang.values import wrap
from compiler.report.printed import _row_texts, parse_value
from compiler.report.rows import BANNER, HEADER
from compiler.report.values import format_map, format_value

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
    if isinstance(t, AggType):
        return aggregates_of(t)
    return st.dictionaries(values_of(t.key), values_of(t.value), max_size=6)


TYPES = st.sampled_from([*INTEGERS, Prim.BOOL, Prim.F64, Prim.STR, TupleType((Prim.U32, Prim.BOOL)),
                         MapType(Prim.STR, Prim.U32), MapType(Prim.I32, Prim.U64), MapType(Prim.U32, Prim.STR),
                         MapType(TupleType((Prim.U8, Prim.I16)), Prim.I64)])


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
    if isinstance(t, MapType) and Prim.STR in (t.key, t.value) and len(all_parses(t, text)) > 1:
        assert parsed is None, (t, text, parsed)        # another split of the text is a map too
        return
    assert parsed is not None and same(t, parsed[0], value), (t, text, parsed, value)


def test_callstack_keys_hold_semicolons():
    t = MapType(Prim.STR, Prim.U64)
    assert parse_value(t, "main;calc;calc->12") == ({b"main;calc;calc": 12},)
    # also {"main;calc->3;main;calc;calc": 12}: not read
    assert parse_value(t, "main;calc->3;main;calc;calc->12") is None


AGGREGATES = [AggType("stats"), AggType("hist"), AggType("lhist", -10, 30, 7), AggType("lhist", 0, 4, 1),
              AggType("lhist", -(1 << 63), (1 << 63) - 1, 1 << 62)]


def bucket_of(t: AggType, x: int) -> int:
    """The bucket a sample falls in, by the definition (ANALYSIS.md §1), not by the runtime's code."""
    if t.kind == "hist":
        return 0 if x <= 0 else x.bit_length()
    if x < t.lo:
        return 0
    if x >= t.hi:
        return t.words - 1
    return 1 + (x - t.lo) // t.step


def aggregates_of(t: AggType):
    """Values as the live reader gives them, made by adding samples (bucket edges among them)."""
    edges = [0, 1, 2, 3, (1 << 63) - 1, 1 << 62, -1, -(1 << 63)]
    if t.kind == "lhist":
        edges += [t.lo - 1, t.lo, t.hi - 1, t.hi, t.lo + t.step, t.lo + t.step - 1]
    i64 = st.integers(-(1 << 63), (1 << 63) - 1)
    samples = st.lists(st.one_of(i64, st.sampled_from(edges).filter(lambda x: -(1 << 63) <= x < 1 << 63)),
                       max_size=12)

    def value(xs):
        if t.kind == "stats":
            if not xs:
                return (0, 0, 0, 0)
            total = sum(xs) % (1 << 64)
            return (len(xs), total - (1 << 64) if total >> 63 else total, min(xs), max(xs))
        counts = [0] * t.words
        for x in xs:
            counts[bucket_of(t, x)] += 1
        return tuple(counts)
    return samples.map(value)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_aggregates_read_back_as_the_live_reader_gives_them(data):
    t = data.draw(st.sampled_from([*AGGREGATES, *(MapType(k, a) for k in (Prim.U32, Prim.STR)
                                                  for a in AGGREGATES)]))
    value = data.draw(values_of(t) if not isinstance(t, MapType) else
                      st.dictionaries(values_of(t.key), values_of(t.value), max_size=1 if t.key is Prim.STR else 4))
    text = format_value(t, value)
    assert parse_value(t, text) == (value,), (t, text)


def test_aggregate_cells_that_are_not_values_are_refused():
    stats = AggType("stats")
    assert parse_value(stats, "count=2 sum=5 min=2 max=3 avg=2") == ((2, 5, 2, 3),)
    assert parse_value(stats, "count=2 sum=5 min=2 max=3 avg=3") is None       # avg is derived
    assert parse_value(stats, f"count=1 sum={1 << 63} min=0 max=0 avg={1 << 63}") is None   # not an i64
    assert parse_value(AggType("hist"), "") == ((0,) * 65,)                          # the empty histogram
    assert parse_value(AggType("hist"), "[2,4)=1 1=1") is None                       # out of order
    assert parse_value(AggType("hist"), "[2,5)=1") is None                           # no such bucket
    assert parse_value(AggType("hist"), "1=0") is None                               # empty buckets not printed


def all_parses(t: MapType, text: str) -> list[dict]:
    """Brute force: every map of ``t`` (``str`` or integer keys and values) printing as ``text``, trying
    every choice of ``->`` and ``;`` occurrences as the separators."""
    def field(ft, s):
        if ft is Prim.STR:
            return s.encode("utf-8", "surrogateescape")
        if not (s.isascii() and s.lstrip("-").isdigit() and s == str(int(s))):
            raise ValueError(s)
        return int(s)
    arrows = [i for i in range(len(text)) if text.startswith("->", i)]
    semis = [i for i, c in enumerate(text) if c == ";"]
    out: list[dict] = []
    for n in range(1, len(arrows) + 1):
        for chosen in itertools.combinations(arrows, n):
            for cuts in itertools.combinations(semis, n - 1):
                starts, ends = [0, *(c + 1 for c in cuts)], [*cuts, len(text)]
                if not all(starts[i] <= chosen[i] and chosen[i] + 2 <= ends[i] for i in range(n)):
                    continue
                try:
                    entries = {field(t.key, text[starts[i]:chosen[i]]): field(t.value, text[chosen[i] + 2:ends[i]])
                               for i in range(n)}
                except ValueError:
                    continue
                if len(entries) == n and format_map(t.key, t.value, entries) == text and entries not in out:
                    out.append(entries)
    return out


PIECES = st.text(st.sampled_from("a-;>1"), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_map_text_is_read_iff_it_has_one_parse(data):
    t = data.draw(st.sampled_from([MapType(Prim.STR, Prim.U32), MapType(Prim.U32, Prim.STR),
                                   MapType(Prim.STR, Prim.STR)]))
    strings = PIECES.map(str.encode)
    numbers = st.integers(0, 30)
    value = data.draw(st.dictionaries(strings if t.key is Prim.STR else numbers,
                                      strings if t.value is Prim.STR else numbers, min_size=1, max_size=3))
    text = format_value(t, value)
    parses = all_parses(t, text)
    assert value in parses
    assert parse_value(t, text) == ((parses[0],) if len(parses) == 1 else None), (text, parses)


def test_str_keyed_maps_read_when_only_one_split_is_a_map():
    t = MapType(Prim.STR, Prim.U32)
    assert parse_value(t, "main->3") == ({b"main": 3},)
    assert parse_value(t, "a->b->1") == ({b"a->b": 1},)             # no `;` after the first `->`
    assert parse_value(t, "b->1;a->2") == ({b"b->1;a": 2},)         # {b: 1, a: 2} would print sorted
    assert parse_value(t, "a->x;b->2") == ({b"a->x;b": 2},)         # x is not a u32
    assert parse_value(t, "a->1;b->2") is None                      # also {"a->1;b": 2}
    assert parse_value(MapType(Prim.U32, Prim.STR), "1->a;2->b") is None    # also {1: "a;2->b"}
    assert parse_value(MapType(Prim.U32, Prim.U32), "1->2;3->4") == ({1: 2, 3: 4},)


def test_texts_that_are_not_values_are_refused():
    assert parse_value(Prim.U8, "256") is None          # out of range: formatting it gives another text
    assert parse_value(Prim.BOOL, "yes") is None
    assert parse_value(MapType(Prim.STR, Prim.U32), "a->1;b") is None
    assert parse_value(TupleType((Prim.U32, Prim.BOOL)), "(1; true; 2)") is None


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_strings_without_arrows_read_iff_one_parse_has_none(data):
    """With the premise that no string holds ``->`` (``arrow_free``), the text is read iff exactly one
    of its parses has no string holding ``->`` — and ``str``-keyed maps of many entries are read."""
    t = data.draw(st.sampled_from([MapType(Prim.STR, Prim.U32), MapType(Prim.U32, Prim.STR),
                                   MapType(Prim.STR, Prim.STR)]))
    strings = PIECES.filter(lambda s: "->" not in s).map(str.encode)
    numbers = st.integers(0, 30)
    value = data.draw(st.dictionaries(strings if t.key is Prim.STR else numbers,
                                      strings if t.value is Prim.STR else numbers, min_size=1, max_size=4))
    text = format_value(t, value)
    parses = [p for p in all_parses(t, text)
              if not any(isinstance(x, bytes) and b"->" in x for entry in p.items() for x in entry)]
    assert value in parses
    got = parse_value(t, text, arrow_free=True)
    assert got == ((parses[0],) if len(parses) == 1 else None), (text, parses)
    if Prim.STR not in (t.key, t.value) or t.value is not Prim.STR:
        assert got == (value,)             # one side without strings: the `;` it cannot hold decides


def test_callstack_profiles_read_when_strings_hold_no_arrow():
    t = MapType(Prim.STR, Prim.U64)
    text = "main;calc->3;main;calc;calc->12;main;f-->4"
    assert parse_value(t, text, arrow_free=True) == ({b"main;calc": 3, b"main;calc;calc": 12, b"main;f-": 4},)
    both = MapType(Prim.STR, Prim.STR)
    assert parse_value(both, "a->b;c->d", arrow_free=True) == ({b"a": b"b", b"c": b"d"},)
    assert parse_value(both, "a->b;x;c->d", arrow_free=True) is None       # {a: "b;x", c: d} or {a: b, "x;c": d}


def test_rows_run_to_the_next_row_and_a_prefix_held_twice_is_not_read():
    """A row of the printed report runs from its prefix to the next row's (its string may hold newlines);
    a prefix the report holds twice (a string holding it) leaves that row and the one before unread."""
    a, b = "0, global_id, a, str, i32, script0, , , , , ", "1, global_id, b, u32, i32, script0, , , , , "
    report = f"program output\n{BANNER}\n{HEADER}\n{a}x\ny\r\n{b}5\n"
    assert _row_texts(report, [a, b]) == ["x\ny\r", "5"]
    assert _row_texts(f"{BANNER}\n{HEADER}\n{a}x\n{b}9\n{b}5\n", [a, b]) == [None, None]
    assert _row_texts(f"{BANNER}\n{HEADER}\n{b}5\n{a}x\n", [a, b]) == [None, None]   # out of report order
    assert _row_texts("no report at all\n", [a, b]) == [None, None]
    assert _row_texts(f"{BANNER}\n{HEADER}\n{a}x\n", [a, b]) == [None, None]   # b missing: a's end unknown
