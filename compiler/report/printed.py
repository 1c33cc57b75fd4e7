"""Report values read back from the CSV report a module printed: how the shell gets a component's values
(ANALYSIS.md §6, the one exception to SHELL.md's "read from the instance").

Inside a component the host cannot read a core instance's memory, so the instrumented module prints its
report (REWRITING.md §11) through the preview 1 ``fd_write`` it reaches, and the shell parses that text.
Each row is found by its full prefix (id, types, name, site: :func:`~compiler.report.rows.row_prefix`),
after the last ``REPORT CSV FLUSH`` banner, and its value text is parsed by type.  A parse is accepted
only when formatting the parsed value gives back exactly the printed text
(:func:`~compiler.report.values.format_value`), and a map only when its text has exactly one parse
(:class:`_MapParses`); anything else is *unreadable* (``?``).  Aggregates are read as the live reader
reads them from memory (``stats`` ``(count, sum, min, max)``: the printed ``avg`` is checked by the round
trip; a histogram's counts, the empty cell being the empty histogram).  A row missing from the text
(the program stopped before its flush point) is unreadable too.

Strings make a map's text ambiguous: a string may hold ``;`` and ``->``, and the runtime prints it raw.
From the text alone no rule reads ``str``-keyed maps of two or more entries: ``a->1;b->2`` is
``{a: 1, b: 2}`` and equally ``{"a->1;b": 2}`` (see :class:`_MapParses`).  What settles it is knowledge
of the program: when no string it can hold contains ``->``
(:func:`~compiler.report.string_origins.strings_exclude`: its strings are ``fname``, ``callstack`` and
literals, and no function name of the module has ``->``), the ``->`` in the text are exactly the
separators, and ``calls[fname]`` and ``callstack`` profiles are read.  Otherwise (``path``, ``read_str``,
a literal with ``->``) such a map is read only when its text has one parse.  Maps without strings are
always read.

A string may hold a newline, so a row is not a line: it runs from its prefix to the next row's
(:func:`_row_texts`), and a row whose prefix the report holds twice (a string holding it) is unreadable.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterator
from functools import lru_cache
from itertools import chain, islice, takewhile
from typing import TYPE_CHECKING

from compiler.lang.types import AggType, MapType, Prim, TupleType, WhammType, bit_width, is_integer
from compiler.lang.values import wrap
from compiler.report.aggregates import bucket_labels
from compiler.report.live import ReportValue
from compiler.report.string_origins import strings_exclude
from compiler.report.rows import BANNER, row_prefix
from compiler.report.values import format_map_value, format_value, map_key_order

if TYPE_CHECKING:
    from compiler.results import InstrumentResult

__all__ = ["read_printed_report", "parse_value"]

_SPECIAL_FLOATS = {"NaN": math.nan, "+inf": math.inf, "-inf": -math.inf, "+0e0": 0.0, "-0e0": -0.0}
_STATS = re.compile(r"count=([0-9]+) sum=(-?[0-9]+) min=(-?[0-9]+) max=(-?[0-9]+) avg=-?[0-9]+")
_U64, _I64 = range(1 << 64), range(-(1 << 63), 1 << 63)


def read_printed_report(result: InstrumentResult, printed: str) -> list[ReportValue]:
    """The value of every report row of ``result`` as the last report in ``printed`` gives it, in
    report order; rows absent or not parsed exactly are unreadable."""
    names = result.app.module.names.functions.values() if result.app.module.names is not None else ()
    arrow_free = strings_exclude(result.program, names, "->")
    report = result.layout.report
    texts = _row_texts(printed, [row_prefix(var) for var in report])
    out = []
    for var, text in zip(report, texts):
        value = None if text is None else parse_value(var.whamm_type, text, arrow_free=arrow_free)
        out.append(ReportValue(var, None, False) if value is None else ReportValue(var, value[0]))
    return out


def _row_texts(printed: str, prefixes: list[str]) -> list[str | None]:
    """The value text of each row (``prefixes`` in the order the rows are printed) of the last report in
    ``printed``, None where it cannot be told.  A row runs from its prefix to the next row's, the last
    one to the end of the output: a string holding a newline spans lines, so lines are not rows.  A row
    is found only where ``"\n" + prefix`` occurs exactly once in the report (a string could hold that
    text too), and only in order."""
    banner = printed.rfind(BANNER)
    if banner < 0:
        return [None] * len(prefixes)
    text = printed[banner:]
    starts: list[int | None] = []
    for prefix in prefixes:
        first = text.find("\n" + prefix)
        unique = first >= 0 and text.find("\n" + prefix, first + 1) < 0
        starts.append(first if unique else None)
    found = [start for start in starts if start is not None]
    if found != sorted(found):            # the rows are printed in report order: not this report
        return [None] * len(prefixes)
    ends = [*starts[1:], len(text) - 1 if text.endswith("\n") else None]
    texts: list[str | None] = []
    for prefix, start, end in zip(prefixes, starts, ends):
        if start is None or end is None or end <= start:
            texts.append(None)
        else:
            texts.append(text[start + 1 + len(prefix):end])
    return texts


def parse_value(t: WhammType, text: str, *, arrow_free: bool = False) -> tuple[object] | None:
    """``(value,)`` such that ``format_value(t, value) == text``, or None when the text cannot be read
    back exactly or could be the text of another value too.  ``arrow_free``: no string of the value
    contains ``->`` (:func:`~compiler.report.string_origins.strings_exclude` showed it)."""
    try:
        value = _parse(t, text, in_map=False, arrow_free=arrow_free)
        if format_value(t, value) == text:
            return (value,)
    except (ValueError, TypeError, KeyError, AssertionError, OverflowError):
        pass
    return None


def _entries(t: MapType, text: str, arrow_free: bool) -> list[tuple[str, str]]:
    """The ``(key, value)`` texts of a printed map ``k->v;k->v``: its one parse, found by
    :class:`_MapParses`; a text with no parse or with two is not read."""
    if not (_has_str(t.key) or _has_str(t.value)):
        # no key or value text holds `;` or `->`: each occurrence is a separator
        entries = [entry.partition("->") for entry in text.split(";")]
        if any(not sep for _, sep, _ in entries):
            raise ValueError(text)
        return [(key, value) for key, _, value in entries]
    found = _MapParses(t, text, arrow_free).first_two()
    if len(found) != 1:
        raise ValueError(f"{len(found)} ways to read {text!r}")
    return found[0]


class _MapParses:
    """Every way to split a map's text into entries ``K->V`` joined by ``;`` whose key and value texts
    read back exactly and whose keys ascend strictly (the runtime prints them sorted, each once); only
    the first two are looked for: a text read two ways is not read (no silent wrong answer).

    A parse picks, for each entry, the ``->`` ending its key and the ``;`` (or the text's end) ending its
    value; the search tries every such choice, so it misses no parse.  Two facts prune it without losing
    one: a key or value text of a type without ``str`` holds neither ``;`` nor ``->`` (integers, booleans,
    floats — ``-inf``, ``+1e-3`` have no ``>`` — aggregates, tuples of those), so such a key ends at the
    first ``->`` after its start and such a value at the first ``;`` after its ``->``.  Why strings make
    texts ambiguous: with ``str`` keys, the text of a map with entries ``K1->V1;…;Kn->Vn`` (n ≥ 2) also
    reads as the one entry ``"K1->V1;…;Kn-1->Vn-1;Kn"`` → ``Vn`` (any text is a string, and one key is
    sorted), so such a map is never read back; a text read only one way is one whose other splits fail
    (one entry whose key holds ``->`` but no ``;`` after it, keys out of order, values of the wrong type).
    ``_BUDGET`` (beyond the steps of one split) bounds the search: a text needing more is not read.

    When no string holds ``->`` (``arrow_free``), no key or value text does, so each key ends at the
    first ``->`` after its start and each value before the next ``->`` after its own: the ``->`` are
    exactly the separators, and a ``;`` between two of them is the separator unless a string absorbs it
    (``str`` keys ``main;calc`` read one way when values hold no string: the value ends at the first
    ``;``; with strings on both sides two ``;`` between two ``->`` make two parses).  The search,
    restricted so, still tries every split that premise leaves."""

    _BUDGET = 20_000

    def __init__(self, t: MapType, text: str, arrow_free: bool) -> None:
        self.t, self.text, self.arrow_free = t, text, arrow_free
        self.arrows = [i for i in range(len(text) - 1) if text.startswith("->", i)]
        self.semis = [i for i, c in enumerate(text) if c == ";"]
        self.steps = 0
        self.budget = self._BUDGET + 4 * len(self.arrows)   # a forced split takes 2 steps per entry

    def first_two(self) -> list[list[tuple[str, str]]]:
        """Up to two parses (entry texts in order): a depth-first search without recursion, as a map
        may have more entries than Python's stack has frames."""
        found: list[list[tuple[str, str]]] = []
        entries: list[tuple[str, str]] = []
        choices = [self._entries_at(0, None)]
        while choices:
            choice = next(choices[-1], None)
            if choice is None:
                choices.pop()
                if entries:
                    entries.pop()
                continue
            entry, end, order = choice
            if end == len(self.text):
                found.append([*entries, entry])
                if len(found) == 2:
                    break
            else:
                entries.append(entry)
                choices.append(self._entries_at(end + 1, order))
        return found

    def _entries_at(self, start: int, previous: object) -> Iterator[tuple[tuple[str, str], int, object]]:
        """Each entry that may start at ``start`` after a key sorting as ``previous``: its texts, the
        end of its value and its key's sort order."""
        for arrow in self._key_ends(start):
            key_text = self.text[start:arrow]
            key = _read_exactly(self.t.key, key_text, self.arrow_free)
            if key is None:
                continue
            order = map_key_order(self.t.key, key[0])
            if previous is not None and not order > previous:  # type: ignore[operator]
                continue
            for end in self._value_ends(arrow + 2):
                value_text = self.text[arrow + 2:end]
                if _read_exactly(self.t.value, value_text, self.arrow_free) is not None:
                    yield (key_text, value_text), end, order

    def _key_ends(self, start: int) -> Iterator[int]:
        self._step()
        first = bisect_left(self.arrows, start)
        last = first + 1 if self.arrow_free or not _has_str(self.t.key) else len(self.arrows)
        return (self.arrows[i] for i in range(first, min(last, len(self.arrows))))

    def _value_ends(self, start: int) -> Iterator[int]:
        self._step()
        ends = chain((self.semis[i] for i in range(bisect_left(self.semis, start), len(self.semis))),
                     (len(self.text),))
        if self.arrow_free:
            next_arrow = bisect_left(self.arrows, start)
            beyond = self.arrows[next_arrow] if next_arrow < len(self.arrows) else len(self.text)
            ends = takewhile(lambda end: end <= beyond, ends)
        return islice(ends, 1) if not _has_str(self.t.value) else ends

    def _step(self) -> None:
        self.steps += 1
        if self.steps > self.budget:
            raise ValueError("too many ways to try")


def _read_exactly(t: WhammType, text: str, arrow_free: bool) -> tuple[object] | None:
    """A map key's or value's text read back, or None when it does not format back to ``text``."""
    try:
        value = _parse(t, text, in_map=True, arrow_free=arrow_free)
        if format_map_value(t, value) == text:
            return (value,)
    except (ValueError, TypeError, KeyError, AssertionError, OverflowError):
        pass
    return None


def _has_str(t: WhammType) -> bool:
    """Whether values of ``t`` print a string (which may hold any separator)."""
    if isinstance(t, TupleType):
        return any(_has_str(e) for e in t.elems)
    return t is Prim.STR


def _parse(t: WhammType, text: str, in_map: bool, arrow_free: bool) -> object:
    if isinstance(t, MapType):
        if text == "empty map":
            return {}
        return {_parse(t.key, k, True, arrow_free): _parse(t.value, v, True, arrow_free)
                for k, v in _entries(t, text, arrow_free)}
    if isinstance(t, AggType):
        return _parse_agg(t, text)
    if isinstance(t, TupleType):
        if not (text.startswith("(") and text.endswith(")")):
            raise ValueError(text)
        parts = text[1:-1].split("," if in_map else "; ")
        if len(parts) != len(t.elems):
            raise ValueError(text)
        return tuple(_parse(e, p, in_map, arrow_free) for e, p in zip(t.elems, parts))
    if is_integer(t):
        value = int(text)
        return wrap(value, t) if in_map and bit_width(t) <= 32 else value
    if t is Prim.BOOL:
        return {"true": True, "false": False}[text]
    if t is Prim.STR:
        if arrow_free and "->" in text:
            raise ValueError(text)
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
