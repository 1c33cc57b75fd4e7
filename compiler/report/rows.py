"""Report rows (REWRITING.md §11, §17): where each report variable lives, its type text and row prefix,
and the grouping of per-site rows by type.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

from compiler.lang.types import AggType, MapType, Prim, TupleType, WhammType, wasm_types

__all__ = [
    "BANNER", "HEADER",
    "MemoryLocation", "GlobalLocation", "MapLocation", "ReportVar", "wasm_type_text", "row_prefix",
    "type_group_key",
]


#: The line that starts the report in the output (REWRITING.md §11.1), and the CSV header after it.
BANNER = "=" * 33 + " REPORT CSV FLUSH " + "=" * 36
HEADER = "id, id_type, name, whamm_type, wasm_type, script_id, fname, fid, pc, probe_id, value(s)"


class MemoryLocation(NamedTuple):
    """The row's slot is at ``memory_offset`` of the instrumentation memory (packed runtime layout):
    the row's identity (its ``memaddr`` id).  Its value is there too, unless ``value_offset`` says
    otherwise: coalesced per-site counters of one straight-line run share one of their slots
    (docs/COALESCING.md), and the other sites' rows read their value from it.  None unless it differs."""

    memory_offset: int
    value_offset: int | None = None

    @property
    def value_address(self) -> int:
        """Where the row's value is read (``value_offset``, or the row's own slot)."""
        return self.memory_offset if self.value_offset is None else self.value_offset


class GlobalLocation(NamedTuple):
    """The value lives in output globals (one per flattened value); ``export`` is its getter, if any."""

    globals: tuple[int, ...]
    export: str | None


class MapLocation(NamedTuple):
    """The value is the runtime's map with id ``map_id``; its entries are read through the runtime."""
    map_id: int


#: Where a report row lives.
Location = MemoryLocation | GlobalLocation | MapLocation


class ReportVar(NamedTuple):
    """One report variable instance = one row of the report (REWRITING.md §11.2) and one entry of the
    ``whamm.report`` metadata (§17).  ``kind`` is ``site``, ``shared``, ``frame``, ``global`` or ``map``.
    ``fname`` is the function's name-section name (``""`` if none); ``pc``/``fid``/``probe_id`` are None
    where the row leaves them empty.  (A tuple: a branch monitor on a large module has tens of thousands.)"""

    name: str
    kind: str
    whamm_type: WhammType
    probe_id: str | None
    fid: int | None
    fname: str | None
    pc: int | None
    location: Location

    @property
    def display_fname(self) -> str:
        """The ``fname`` column: the name, or ``#<fid>`` when the function has none."""
        if self.fid is None:
            return ""
        return self.fname or f"#{self.fid}"


@functools.lru_cache(maxsize=None)
def type_text(t: WhammType) -> str:
    """``str(t)`` (the display form), memoised: report rows repeat a handful of types many times."""
    return str(t)


@functools.lru_cache(maxsize=None)
def wasm_type_text(t: WhammType) -> str:
    """The ``wasm_type`` column: one type bare, several as ``(t1; t2; …)``; maps are ``i32``."""
    types = wasm_types(t)
    return types[0] if len(types) == 1 else "(" + "; ".join(types) + ")"


def row_prefix(var: ReportVar) -> str:
    """A report row up to and including the ``", "`` before the value (§11.2)."""
    t = var.whamm_type
    loc = var.location
    if isinstance(loc, MemoryLocation):
        ident, id_type = str(loc.memory_offset), "memaddr"
    elif isinstance(loc, MapLocation):
        ident, id_type = str(loc.map_id), "map_id"
    elif len(loc.globals) == 1:
        ident, id_type = str(loc.globals[0]), "global_id"
    else:
        ident = "(" + "; ".join(map(str, loc.globals)) + ")"
        id_type = "(" + "; ".join(["global_id"] * len(loc.globals)) + ")"
    wasm = "i32" if isinstance(t, MapType) else wasm_type_text(t)
    fields = [ident, id_type, var.name, str(t), wasm, "script0", var.display_fname,
              "" if var.fid is None else str(var.fid), "" if var.pc is None else str(var.pc),
              var.probe_id or ""]
    return ", ".join(fields) + ", "


_SCALAR_GROUPS = (Prim.U8, Prim.I8, Prim.U16, Prim.I16, Prim.U32, Prim.I32, Prim.F32, Prim.U64, Prim.I64,
                  Prim.F64, Prim.BOOL, Prim.STR)


def type_group_key(t: WhammType) -> tuple[int, bytes]:
    """Sort key of a ``memaddr`` row's type group (§11.3): the scalar groups in their fixed order, then
    tuples, then maps, then aggregates (ANALYSIS.md §1), each by the bytes of the display form."""
    if isinstance(t, Prim):
        return (_SCALAR_GROUPS.index(t), b"")
    if isinstance(t, TupleType):
        return (len(_SCALAR_GROUPS), str(t).encode())
    if isinstance(t, AggType):
        return (len(_SCALAR_GROUPS) + 2, str(t).encode())
    return (len(_SCALAR_GROUPS) + 1, str(t).encode())
