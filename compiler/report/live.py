"""Report values read out of a live (or stopped) instance: what ``whamm run`` prints after a trap, a
timeout, exhausted fuel or Ctrl-C (ANALYSIS.md §8), and what the shell's ``report`` shows.

A program that does not reach a flush point never prints its report (REWRITING.md §10), but its
instance — kept in the :class:`~compiler.runner.RunResult` — still holds every value collected so far.
The emitter's layout says where each report row lives (REWRITING.md §17): instrumentation memory, a
runtime map, or a global read through its exported getter.  Reading never changes a value (map reads
go through the runtime's read-only exports).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from compiler.errors import WhammError
from compiler.lang.types import MapType, Prim, is_integer
from compiler.lang.values import wrap
from compiler.report.rows import HEADER
from compiler.report.rows import GlobalLocation, MapLocation, MemoryLocation, row_prefix
from compiler.backend.runtime_abi import read_map, unpack_value, value_size
from compiler.report.values import format_value
from compiler.runner import Outcome

if TYPE_CHECKING:
    from compiler.backend.state import Layout
    from compiler.report.rows import ReportVar
    from compiler.runner import RunResult

__all__ = ["InstanceReader", "ReportValue", "read_report_values", "partial_report", "PARTIAL_REASONS"]

#: Why a run stopped before its flush point, as ``report (partial: <why>)`` says it.
PARTIAL_REASONS = {
    Outcome.TRAPPED: "trap",
    Outcome.TIMED_OUT: "timeout",
    Outcome.OUT_OF_FUEL: "out of fuel",
    Outcome.INTERRUPTED: "interrupted",
}


class ReportReadError(WhammError):
    """The instance lacks what reading needs (an instrumented module always exports it)."""


class InstanceReader:
    """Access to a finished (or interrupted) instance: instrumentation-memory reads and export calls."""

    def __init__(self, store, exports) -> None:
        self.store = store
        self.exports = exports
        self.memory = exports.get("whamm:memory")

    @classmethod
    def of(cls, result: RunResult) -> InstanceReader | None:
        """The reader of ``result``'s instance; None when the run never got one (instantiation failed)."""
        if result.instance is None or result.store is None:
            return None
        return cls(result.store, result.instance.exports(result.store))

    def read(self, addr: int, size: int) -> bytes:
        """``size`` bytes at ``addr`` of the instrumentation memory."""
        if self.memory is None:
            raise ReportReadError("the instrumented module exports no whamm:memory")
        return bytes(self.memory.read(self.store, addr, addr + size))

    def call(self, name: str, *args: int) -> int:
        """Call the instance's ``whamm:<name>`` export (the runtime functions reading maps)."""
        return self.exports[f"whamm:{name}"](self.store, *args)

    def getter(self, export: str, t) -> object:
        """The value of the global behind getter ``export``, as :mod:`compiler.lang.values` holds it."""

        raw = self.exports[export](self.store)
        if isinstance(t, MapType):
            return self.map(t, raw)
        if t is Prim.BOOL:
            return bool(raw)
        if is_integer(t):
            return wrap(int(raw), t)
        return raw

    def map(self, t, map_id: int) -> dict:
        """The live entries of map ``map_id`` of type ``t`` (key order), read through the runtime's exports."""
        return read_map(t, map_id, self.call, self.read)


@dataclass(frozen=True, slots=True, eq=False)
class ReportValue:
    """One report row with its live value (in the form of :mod:`compiler.lang.values`: ``bytes`` for
    ``str``, a dict for a map), or ``readable`` False when it cannot be read (a ``str`` or tuple global
    has no getter; a run that never got an instance has no memory)."""

    var: ReportVar
    value: object
    readable: bool = True
    probe: int | None = None
    """The session number of the row's probe, when the caller numbers probes (the shell's ``report``)."""

    @property
    def text(self) -> str:
        """The value as the report prints it (REWRITING.md §12), ``?`` when unreadable."""
        if not self.readable:
            return "?"
        return format_value(self.var.whamm_type, self.value)


def read_report_values(layout: Layout, result: RunResult) -> list[ReportValue]:
    """The value of every report row of ``layout`` in the instance ``result`` left, in report order."""

    reader = InstanceReader.of(result)
    out = []
    for var in layout.report:
        if reader is None:
            out.append(ReportValue(var, None, False))
            continue
        t, loc = var.whamm_type, var.location
        try:
            if isinstance(loc, MemoryLocation):
                if isinstance(t, MapType):
                    value: object = reader.map(t, int.from_bytes(reader.read(loc.value_address, 4), "little"))
                else:
                    value = unpack_value(t, reader.read(loc.value_address, value_size(t)), reader.read)
            elif isinstance(loc, MapLocation):
                value = reader.map(t, loc.map_id)
            elif isinstance(loc, GlobalLocation) and loc.export is not None:
                value = reader.getter(loc.export, t)
            else:
                out.append(ReportValue(var, None, False))
                continue
        except Exception:                  # a trap in a getter, memory gone: the value is unknown
            out.append(ReportValue(var, None, False))
            continue
        out.append(ReportValue(var, value))
    return out


def partial_report(values: Sequence[ReportValue], why: str) -> str:
    """The report of a run stopped before its flush point: laid out as the program's own report
    (REWRITING.md §11.1: empty line, heading, column header, one row per variable) with the heading
    ``report (partial: <why>)`` instead of the banner, so it cannot be taken for a complete report.
    Unreadable values show as ``?``."""
    lines = ["", f"report (partial: {why})", HEADER, *(row_prefix(v.var) + v.text for v in values)]
    return "".join(line + "\n" for line in lines)
