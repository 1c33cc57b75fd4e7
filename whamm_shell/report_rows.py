"""The rows of ``report``, the run summary, ``plot`` and ``report --diff``: one per scalar report
variable and one per **key** of a map (issue 12: a ``map<str, u32>`` shown as one cell
``args_get->1;fd_close->4;…`` could be neither sorted nor cut nor charted).

A :class:`Row` is one number (or text) with what identifies it — the variable, its probe and site, and a
map row's key, split into one column per element of a tuple key — so sorting, ``--top``, ``--nonzero``,
JSON, charts and the comparison of two runs treat a map's entries exactly like site variables.  The
upstream CSV keeps one line per variable (``report --csv`` is what ``whamm run`` prints): :func:`csv_cells`
folds the rows back into their variables.

Order: hottest first — numbers descending, then values that are not numbers (text, tuples, ``?``) in
report order — is the default everywhere a user looks for "what matters" (``report``, the summary
after ``run``); other columns sort ascending.
"""
from __future__ import annotations

import math
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from compiler import api

if TYPE_CHECKING:
    from compiler.api import ReportValue, SourceLoc, SourceMap

__all__ = ["Row", "rows_of", "key_columns", "stats_columns", "STATS_COLUMNS", "sort_rows", "nonzero", "csv_cells", "Change", "diff_rows",
           "FIXED_COLUMNS", "SOURCE_COLUMN"]

#: The columns every report table has, in order; key columns (:func:`key_columns`) go before ``value``.
#: An application with a DWARF line table adds :data:`SOURCE_COLUMN` after them.
FIXED_COLUMNS = ("name", "probe", "probe_id", "fname", "fid", "pc")

#: The column of a row's ``file:line`` (ANALYSIS.md §5), in tables, ``--sort`` and ``--json`` of an
#: application with DWARF lines.
SOURCE_COLUMN = "src"

#: The columns a table with ``stats`` rows adds after ``value`` (which holds an aggregate's count).
STATS_COLUMNS = ("sum", "min", "max", "avg")


@dataclass(frozen=True, slots=True)
class Row:
    """One report row: ``source`` is the variable's :class:`~compiler.api.ReportValue`; ``key`` the map
    key's elements (one for a scalar key; empty for a variable that is not a map, and for an empty map,
    whose one row keeps the variable visible); ``value`` the entry's value — a number stays a number, so
    it sorts and right-aligns — and ``text`` how the report prints it; ``entry`` a map row's key and
    value as the map holds them (for the CSV's map format); ``loc`` the source location of the row's
    site when the application has a DWARF line table (the ``src`` column, ANALYSIS.md §5), else None."""

    source: ReportValue
    key: tuple[object, ...]
    key_texts: tuple[str, ...]
    value: object
    text: str
    entry: tuple[object, object] | None = None
    loc: SourceLoc | None = None

    @property
    def number(self) -> float | None:
        """The value as a number for sorting and charts (``true`` is 1); None when it is not one."""
        v = self.value
        if isinstance(v, bool):
            return float(v)
        if isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v)):
            return float(v)
        return None

    @property
    def identity(self) -> tuple:
        """What names the row across runs (``report --diff``): variable, session probe number, site, key.
        Not the ``probe_id``, which adding a probe before this one renumbers."""
        var = self.source.var
        return var.name, self.source.probe, var.fid, var.pc, self.key_texts

    @property
    def aggregate(self) -> tuple[api.AggType, tuple] | None:
        """An aggregate's type and value (a variable's, or a map entry's); None for other rows."""
        t = self.source.var.whamm_type
        if not self.source.readable:
            return None
        if isinstance(t, api.MapType):
            if self.entry is None or not isinstance(t.value, api.AggType):
                return None
            return t.value, self.entry[1]                         # type: ignore[return-value]
        return (t, self.source.value) if isinstance(t, api.AggType) else None  # type: ignore[return-value]

    def column(self, name: str) -> object:
        """The cell of a fixed, key, source or stats column (``key`` is the whole key, ``key0``… its
        elements; ``src`` the site's ``file:line``, ``""`` where unknown; ``sum``, ``min``, ``max``,
        ``avg`` of a ``stats`` row, None for other rows)."""
        var = self.source.var
        if name in STATS_COLUMNS:
            agg = self.aggregate
            if agg is None or agg[0].kind != "stats":
                return None
            return api.agg_json(*agg)[name]                       # type: ignore[call-overload]
        if name == "key":
            return self.key
        if name.startswith("key") and name[3:].isdecimal():
            index = int(name[3:])
            return self.key[index] if index < len(self.key) else None
        if name == SOURCE_COLUMN:
            return "" if self.loc is None else self.loc.short
        return {"name": var.name, "probe": self.source.probe, "probe_id": var.probe_id,
                "fname": var.display_fname, "fid": var.fid, "pc": var.pc}[name]

    def label(self) -> str:
        """``count``, ``calls[fd_write]``, ``n (print, pc 23)``: the row in one phrase (run summary)."""
        var = self.source.var
        text = var.name + (f"[{', '.join(self.key_texts)}]" if self.key_texts else "")
        if var.fid is None:
            return text
        return f"{text} ({var.display_fname}" + ("" if var.pc is None else f", pc {var.pc}") + ")"

    def chart_label(self) -> str:
        """A bar's label in ``plot``: the key, the site (``print:23``), both, or the variable's name."""
        var = self.source.var
        key = ",".join(self.key_texts)
        site = None if var.fid is None else f"{var.display_fname}:{var.pc}"
        if site is not None and key:
            return f"{site}[{key}]"
        return key or site or var.name


def rows_of(values: Iterable[ReportValue], smap: SourceMap | None = None) -> list[Row]:
    """The rows of report values in report order: a map gives one row per key in key order (an empty
    map one row with no key, so it stays visible); anything else one row.  With ``smap`` (the
    application's line table, when it has lines) each row of a site knows its source location."""
    out: list[Row] = []
    for v in values:
        t = v.var.whamm_type
        loc = None if smap is None or v.var.fid is None or v.var.pc is None else smap.location_at_pc(v.var.fid, v.var.pc)
        if not (v.readable and isinstance(t, api.MapType)):
            out.append(Row(v, (), (), _cell(v.var.whamm_type, v.value) if v.readable else v.text, v.text, loc=loc))
            continue
        entries = v.value
        if not entries:                                           # type: ignore[truthy-function]
            out.append(Row(v, (), (), None, v.text, loc=loc))
            continue
        elems = getattr(t.key, "elems", None)
        for key, value in entries.items():                         # type: ignore[union-attr]
            parts = tuple(zip(elems, key)) if elems is not None else ((t.key, key),)
            out.append(Row(v, tuple(_cell(et, x) for et, x in parts),
                           tuple(api.format_value(et, x) for et, x in parts),
                           _cell(t.value, value), api.format_value(t.value, value), (key, value), loc))
    return out


def _cell(t: object, value: object) -> object:
    """A value as its table cell: integers by their declared type (as printed), floats and booleans as
    themselves, an aggregate as its count (``.count()``: so rows sort, chart and diff by it), anything
    else (strings, tuples) as its report text."""
    if isinstance(value, bool) or isinstance(value, float):
        return value
    if isinstance(t, api.AggType):
        return api.agg_count(t, value)                            # type: ignore[arg-type]
    if isinstance(value, int):
        return int(api.format_value(t, value))                    # type: ignore[arg-type]
    return api.format_value(t, value)                             # type: ignore[arg-type]


def key_columns(rows: Sequence[Row]) -> tuple[str, ...]:
    """The key columns the rows need: none without map rows, ``key`` for scalar keys, ``key0``,
    ``key1``… for tuple keys (a scalar key fills ``key0``)."""
    width = max((len(r.key) for r in rows), default=0)
    if width == 0:
        return ()
    return ("key",) if width == 1 else tuple(f"key{i}" for i in range(width))


def stats_columns(rows: Sequence[Row]) -> tuple[str, ...]:
    """:data:`STATS_COLUMNS` when a row holds a ``stats`` value, else none."""
    if any(agg is not None and agg[0].kind == "stats" for agg in (r.aggregate for r in rows)):
        return STATS_COLUMNS
    return ()


def _order(x: object) -> tuple:
    """Sort key of a cell: empty last, numbers before text, tuples element by element."""
    if x is None or x == "" or x == ():
        return (2,)
    if isinstance(x, tuple):
        return (1, tuple(_order(e) for e in x))
    if isinstance(x, (bool, int, float)):
        return (0, float(x), "")
    return (1, (), str(x))


def sort_rows(rows: Sequence[Row], column: str = "value", ascending: bool | None = None) -> list[Row]:
    """``rows`` sorted by ``column`` (stable: ties keep report order).  ``value`` sorts numbers
    largest first unless ``ascending``; values that are not numbers come after them either way, in
    report order.  Other columns sort ascending unless ``ascending`` is False."""
    if column == "value":
        numbers = [r for r in rows if r.number is not None]
        others = [r for r in rows if r.number is None]
        numbers.sort(key=lambda r: r.number, reverse=not ascending)  # type: ignore[arg-type,return-value]
        return numbers + others
    if column == SOURCE_COLUMN:     # by file, then line as a number (lines.c:9 before lines.c:10)
        known = [r for r in rows if r.loc is not None and r.loc.line]
        known.sort(key=lambda r: (posixpath.basename(r.loc.file), r.loc.line),  # type: ignore[union-attr]
                   reverse=ascending is False)
        return known + [r for r in rows if r.loc is None or not r.loc.line]
    present = [r for r in rows if _order(r.column(column))[0] != 2]
    empty = [r for r in rows if _order(r.column(column))[0] == 2]
    present.sort(key=lambda r: _order(r.column(column)), reverse=ascending is False)
    return present + empty


def nonzero(rows: Iterable[Row]) -> list[Row]:
    """The rows whose value is not zero (``false`` is zero) and not an empty map: ``report --nonzero``
    hides the sites that never ran."""
    return [r for r in rows if r.number != 0 and not _is_empty_map(r)]


def _is_empty_map(row: Row) -> bool:
    return row.source.readable and isinstance(row.source.var.whamm_type, api.MapType) and row.entry is None


def csv_cells(rows: Sequence[Row]) -> list[tuple[ReportValue, str]]:
    """Rows folded back into report variables for the upstream CSV (one line per variable, REWRITING.md
    §11.2): each variable where its first row is, a map's cell holding the entries kept, in the rows'
    order, in the report's map format (``k->v;k->v``; ``empty map`` when none is)."""
    order: list[int] = []
    kept: dict[int, list[Row]] = {}
    for r in rows:
        ident = id(r.source)
        if ident not in kept:
            order.append(ident)
            kept[ident] = []
        kept[ident].append(r)
    out = []
    for ident in order:
        group = kept[ident]
        source = group[0].source
        t = source.var.whamm_type
        if not (source.readable and isinstance(t, api.MapType)):
            out.append((source, source.text if source.readable else ""))
            continue
        cell = [f"{api.format_map_value(t.key, r.entry[0])}->{api.format_map_value(t.value, r.entry[1])}"
                for r in group if r.entry is not None]
        out.append((source, ";".join(cell) or "empty map"))
    return out


@dataclass(frozen=True, slots=True)
class Change:
    """A row of ``report --diff``: ``old``/``new`` are None for a row that is new / gone; ``delta`` is
    ``new - old`` for numbers (None otherwise)."""

    row: Row
    old: Row | None
    new: Row | None

    @property
    def delta(self) -> float | int | None:
        """``new - old`` when both are numbers (an ``int`` for integers)."""
        if self.old is None or self.new is None or self.old.number is None or self.new.number is None:
            return None
        a, b = self.old.value, self.new.value
        if isinstance(a, int) and isinstance(b, int):
            return int(b) - int(a)
        return self.new.number - self.old.number

    @property
    def delta_text(self) -> str:
        """``+5``, ``-3``, ``new``, ``gone``, ``unknown`` (unreadable in a run) or ``changed`` (a value
        that is not a number)."""
        if self.old is None:
            return "new"
        if self.new is None:
            return "gone"
        if not (self.old.source.readable and self.new.source.readable):
            return "unknown"
        delta = self.delta
        if delta is None:
            return "changed"
        return f"{delta:+}" if isinstance(delta, int) else f"{delta:+g}"

    @property
    def size(self) -> float:
        """How big the change is, for ordering: the delta's magnitude, a new row's or a gone row's
        value; a change that is not numeric counts 0."""
        delta = self.delta
        if delta is not None:
            return abs(float(delta))
        one = self.new if self.old is None else self.old if self.new is None else None
        return abs(one.number) if one is not None and one.number is not None else 0.0


def diff_rows(old: Sequence[Row], new: Sequence[Row]) -> tuple[list[Change], int]:
    """What changed from ``old`` to ``new`` (two runs' rows): rows whose value text changed, rows only
    in ``new`` and rows only in ``old``, the biggest change first (stable: report order on ties);
    and how many rows are unchanged.  A row unreadable in either run (``?``, a component's value with
    two readings) is a change of unknown size, never unchanged."""
    before = {r.identity: r for r in old}
    changes, same = [], 0
    seen = set()
    for r in new:
        seen.add(r.identity)
        prior = before.get(r.identity)
        if prior is None:
            changes.append(Change(r, None, r))
        elif prior.text != r.text or not (prior.source.readable and r.source.readable):
            changes.append(Change(r, prior, r))     # an unreadable value may have changed: never "same"
        else:
            same += 1
    changes += [Change(r, r, None) for r in old if r.identity not in seen]
    changes.sort(key=lambda c: -c.size)
    return changes, same
