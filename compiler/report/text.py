"""The report of a run as an interactive front end shows it (REWRITING.md §11–§17): the script-level
variables read from the live instance, and the report's CSV text.

Offered through :mod:`compiler.api` (``global_values``, ``report_csv``), next to
:func:`compiler.report.live.read_report_values`, which reads every report row.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from compiler.report.live import InstanceReader
from compiler.report.rows import BANNER, HEADER
from compiler.report.rows import row_prefix
from compiler.report.values import format_value

if TYPE_CHECKING:
    from compiler.report.rows import ReportVar
    from compiler.results import InstrumentResult
    from compiler.runner import RunResult

__all__ = ["report_csv", "global_values"]


def report_csv(rows: Iterable[tuple[ReportVar, str]]) -> str:
    """The report as an instrumented program prints it (REWRITING.md §11.2): the banner, the header and
    one row per ``(variable, value text)`` — the upstream-compatible CSV."""
    lines = [BANNER, HEADER]
    lines += [row_prefix(var) + text for var, text in rows]
    return "".join(line + "\n" for line in lines)


def global_values(result: InstrumentResult, run: RunResult) -> list[tuple[str, str, str]]:
    """Every script-level variable of an instrumented program as (name, type, value text), read from the
    instance ``run`` left through the variable's getter; ``?`` where it cannot be read (no getter, or
    an instance that never started)."""
    program = result.program
    getters = result.layout.getters
    reader = InstanceReader.of(run)
    out = []
    for name, sym in program.globals.items():
        text = "?"
        export = getters.get(name)
        if reader is not None and export is not None:
            try:
                text = format_value(sym.type, reader.getter(export, sym.type))
            except Exception:          # a value that cannot be read is shown as unknown
                text = "?"
        out.append((name, str(sym.type), text))
    return out
