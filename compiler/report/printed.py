"""Report values read back from the CSV report a module printed: how the shell gets a component's values
(ANALYSIS.md §6, the one exception to SHELL.md's "read from the instance").

Inside a component the host cannot read a core instance's memory, so the instrumented module prints its
report (REWRITING.md §11) through the preview 1 ``fd_write`` it reaches, and the shell parses that text.
Each row is found by its full prefix (id, types, name, site: :func:`~compiler.report.rows.row_prefix`),
after the last ``REPORT CSV FLUSH`` banner, and its value text is parsed by type.  A parse is accepted
only when formatting the parsed value gives back exactly the printed text
(:func:`~compiler.report.values.format_value`); what cannot be read that way — an aggregate, whose printed
form this module does not parse, a map *value* string holding ``;`` — is *unreadable* (``?``).  Keys
may hold ``;`` (``callstack`` keys do) when the values are not strings (:func:`_entries`).  A row missing
from the text (the program stopped before its flush point) is unreadable too.

The one text the printed form cannot settle: a map whose strings contain ``->`` (key ``"a->1;b"`` with
value 2 prints as ``a->1;b->2``, which is also ``{a: 1, b: 2}``).  It is read as the separators split
it, and docs/COMPONENTS.md says so; function names (``calls[fname]``, ``callstack``) never contain
``->``.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from compiler.lang.types import AggType, MapType, Prim, TupleType, WhammType, bit_width, is_integer
from compiler.lang.values import wrap
from compiler.report.aggregates import bucket_labels
from compiler.report.live import ReportValue
from compiler.report.rows import BANNER, HEADER, row_prefix
from compiler.report.values import format_value

if TYPE_CHECKING:
    from compiler.backend.state import Layout

__all__ = ["read_printed_report", "parse_value"]

_SPECIAL_FLOATS = {"NaN": math.nan, "+inf": math.inf, "-inf": -math.inf, "+0e0": 0.0, "-0e0": -0.0}
_STATS = re.compile(r"count=([0-9]+) sum=(-?[0-9]+) min=(-?[0-9]+) max=(-?[0-9]+) avg=-?[0-9]+")
_U64, _I64 = range(1 << 64), range(-(1 << 63), 1 << 63)


def read_printed_report(layout: Layout, printed: str) -> list[ReportValue]:
    """The value of every report row of ``layout`` as the last report in ``printed`` gives it, in report
    order; rows absent or not parsed exactly are unreadable."""
    start = printed.rfind(BANNER)
    lines = printed[start:].splitlines()[1:] if start >= 0 else []
    if lines and lines[0] == HEADER:
        lines = lines[1:]
    out = []
    for var in layout.report:
        prefix = row_prefix(var)
        text = next((line[len(prefix):] for line in lines if line.startswith(prefix)), None)
        value = None if text is None else parse_value(var.whamm_type, text)
        out.append(ReportValue(var, None, False) if value is None else ReportValue(var, value[0]))
    return out


def parse_value(t: WhammType, text: str) -> tuple[object] | None:
    """``(value,)`` such that ``format_value(t, value) == text``, or None when the text cannot be read
    back exactly."""
    try:
        value = _parse(t, text, in_map=False)
        if format_value(t, value) == text:
            return (value,)
    except (ValueError, TypeError, KeyError, AssertionError, OverflowError):
        pass
    return None


def _entries(t: MapType, text: str) -> list[tuple[str, str]]:
    """The ``(key, value)`` texts of a printed map ``k->v;k->v``.  When values hold no string, a value
    never contains ``;``, so the text is split at each ``->`` and every piece between two of them at its
    first ``;``: keys may then contain ``;`` (a ``callstack`` key, ``main;calc``).  Otherwise it is split
    at each ``;`` first."""
    if not _has_str(t.value):
        pieces = text.split("->")
        if len(pieces) < 2:
            raise ValueError(text)
        keys, values = [pieces[0]], []
        for middle in pieces[1:-1]:
            value, sep, key = middle.partition(";")
            if not sep:
                raise ValueError(middle)
            values.append(value)
            keys.append(key)
        values.append(pieces[-1])
        return list(zip(keys, values))
    entries = []
    for entry in text.split(";"):
        key, sep, value = entry.partition("->")
        if not sep:
            raise ValueError(entry)
        entries.append((key, value))
    return entries


def _has_str(t: WhammType) -> bool:
    """Whether values of ``t`` print a string (which may hold any separator)."""
    if isinstance(t, TupleType):
        return any(_has_str(e) for e in t.elems)
    return t is Prim.STR


def _parse(t: WhammType, text: str, in_map: bool) -> object:
    if isinstance(t, MapType):
        if text == "empty map":
            return {}
        return {_parse(t.key, k, True): _parse(t.value, v, True) for k, v in _entries(t, text)}
    if isinstance(t, AggType):
        return _parse_agg(t, text)
    if isinstance(t, TupleType):
        if not (text.startswith("(") and text.endswith(")")):
            raise ValueError(text)
        parts = text[1:-1].split("," if in_map else "; ")
        if len(parts) != len(t.elems):
            raise ValueError(text)
        return tuple(_parse(e, p, in_map) for e, p in zip(t.elems, parts))
    if is_integer(t):
        value = int(text)
        return wrap(value, t) if in_map and bit_width(t) <= 32 else value
    if t is Prim.BOOL:
        return {"true": True, "false": False}[text]
    if t is Prim.STR:
        return text.encode("utf-8", "surrogateescape")
    if t is Prim.F32 or t is Prim.F64:
        return _SPECIAL_FLOATS[text] if text in _SPECIAL_FLOATS else float(text)
    raise ValueError(f"values of type {t} are not parsed")


def _parse_agg(t: AggType, text: str) -> tuple[int, ...]:
    """An aggregate's cell as :func:`~compiler.backend.runtime_abi.unpack_value` reads the value from
    memory: ``stats`` ``(count, sum, min, max)`` (``avg`` is derived: the caller's round trip checks it),
    a histogram every bucket's count (the empty text: all zero)."""
    if t.kind == "stats":
        match = _STATS.fullmatch(text)
        if match is None:
            raise ValueError(text)
        count, *signed = map(int, match.groups())
        if count not in _U64 or any(w not in _I64 for w in signed):
            raise ValueError(text)
        return (count, *signed)
    counts = [0] * t.words
    index = _bucket_index(t)
    for cell in text.split(" ") if text else ():
        label, _, n = cell.rpartition("=")
        counts[index[label]] = int(n)
        if counts[index[label]] not in _U64:
            raise ValueError(cell)
    return tuple(counts)


@lru_cache(maxsize=64)
def _bucket_index(t: AggType) -> dict[str, int]:
    """Bucket number by its printed label."""
    return {label: i for i, label in enumerate(bucket_labels(t))}
