"""``print(v)``'s human form (ANALYSIS.md §2) as Python sees it: the twin of ``runtime/human.c`` (and of
``whamm_print_map_human`` in map.c), defining the expected text for tests and for tools that hold values
read from a live instance.

Scalars and tuples print ``name: value`` with the value as in the report (REWRITING.md §12.1–§12.2:
integers per declared type, floats ``{:+e}``, tuples ``(a; b)``); maps one ``name[key]: value`` line per
key (a tuple key's elements joined by ``", "``), ordered by value descending when the value type is
numeric (NaN last; equal values by key), else by key (REWRITING.md §12.3 key order); an empty map
prints nothing; aggregates (also as map values, headed ``@name[key]``) in bpftrace's form
(:func:`compiler.report.aggregates.format_agg_human`).  Values are in the form of
:mod:`compiler.report.values`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from compiler.lang.types import AggType, MapType, TupleType, WhammType, is_float, is_numeric
from compiler.lang.values import wrap
from compiler.report.aggregates import format_agg_human
from compiler.report.values import format_value, map_key_order

__all__ = ["format_print", "format_key_human", "human_report"]


def format_key_human(t: WhammType, key: object) -> str:
    """A map key inside ``name[...]``: a tuple's elements joined by ``", "``, else as in the report."""
    if isinstance(t, TupleType):
        return ", ".join(format_value(e, k) for e, k in zip(t.elems, key))  # type: ignore[call-overload]
    return format_value(t, key)


def _entry(name: str, t: WhammType, v: object) -> str:
    if isinstance(t, AggType):
        return format_agg_human(name, t, v)  # type: ignore[arg-type]
    return f"{name}: {format_value(t, v)}\n"


def _value_order(t: WhammType, v: object) -> tuple:
    """Ascending sort key of a numeric value such that sorting by it reverses print's order (NaN lowest)."""
    if is_float(t):
        return (0, 0.0) if math.isnan(v) else (1, v)  # type: ignore[arg-type]
    return (1, wrap(v, t))  # type: ignore[arg-type]


def format_print(name: str, t: WhammType, value: object) -> str:
    """What ``print(name)`` writes for a variable of type ``t`` holding ``value``."""
    if not isinstance(t, MapType):
        return _entry(name, t, value)
    assert isinstance(value, Mapping)
    entries = sorted(value.items(), key=lambda kv: map_key_order(t.key, kv[0]))
    if is_numeric(t.value):
        # stable sort: equal values keep the key order
        entries.sort(key=lambda kv: _value_order(t.value, kv[1]), reverse=True)
    return "".join(_entry(f"{name}[{format_key_human(t.key, k)}]", t.value, v) for k, v in entries)


def human_report(values) -> str:
    """``whamm run --format text``'s report: each row of a live read (:class:`ReportValue
    <compiler.report.live.ReportValue>`) as ``print`` would show it, a per-site row named after its site
    (``taken (fname, pc 12)``) as the shell's run summary names it; an unreadable value shows ``?``."""
    out = []
    for row in values:
        var = row.var
        name = var.name
        if var.fid is not None:
            name += f" ({var.display_fname}" + ("" if var.pc is None else f", pc {var.pc}") + ")"
        out.append(format_print(name, var.whamm_type, row.value) if row.readable else f"{name}: ?\n")
    return "".join(out)
