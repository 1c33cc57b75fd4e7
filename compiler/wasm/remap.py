"""Index remapping: renumber every reference when an import is inserted into an index space.

Imports come first in each index space, so adding a function import shifts every defined function up by
one, adding a memory import every defined memory, and so on.  :func:`shift_indices` applies such shifts
(:class:`Shift`: indices ``>= at`` move up by ``by``) to everything that can name an index:

* code: ``call``/``return_call``/``ref.func`` (``funcidx``), memargs and memory immediates (loads,
  stores, ``memory.*``, atomics, SIMD lanes), ``global.*``, ``table.*``/``call_indirect``, tags in
  ``throw``/``catch``/``try_table`` clauses;
* constant expressions: global, table and element initialisers, element and data offsets;
* element segments (function indices and table), data segments (memory), exports, the start function;
* the name section: function names and the function-keyed local and label maps, memory, global, table
  and tag names.

Bodies are decoded only when their raw bytes could hold an affected opcode (a cheap byte-level
prefilter) and re-encoded only when an instruction actually changed, so shifting a function index in
sqlite touches the bodies that call something and copies the rest.
"""
from __future__ import annotations

import functools
import gc
from dataclasses import dataclass, replace
from typing import Mapping

from compiler.wasm.model import Catch, ElemSegment, Export, ExternKind, Instr, MemArg, Module, Names
from compiler.wasm.opcodes import OPCODES

__all__ = ["Shift", "SPACES", "shift_indices", "shift_instrs"]

#: The index spaces an import can shift.
SPACES = ("func", "table", "memory", "global", "tag")


@dataclass(frozen=True, slots=True)
class Shift:
    """Indices ``>= at`` move up by ``by``: what inserting ``by`` imports at index ``at`` does."""

    at: int
    by: int = 1

    def __call__(self, index: int) -> int:
        return index + self.by if index >= self.at else index


# Which immediate kinds name which space.
_KIND_SPACE = {"funcidx": "func", "tableidx": "table", "memidx": "memory", "memarg": "memory",
               "globalidx": "global", "tagidx": "tag", "try_table_catches": "tag"}

# Opcode bytes that may start an instruction naming each space: the single-byte opcodes plus the prefix
# bytes of prefixed ones.  If none of them occurs in a body's raw bytes, the body cannot need remapping.
_TRIGGERS: dict[str, bytes] = {}
for _space in SPACES:
    _TRIGGERS[_space] = bytes(sorted({op.prefix if op.prefix is not None else op.code for op in OPCODES
                                      if any(_KIND_SPACE.get(k) == _space for k in op.imms)}))
del _space


@functools.cache
def _positions(spaces: frozenset[str]) -> dict:
    """``op -> ((immediate position, kind), …)`` for the opcodes with an immediate naming one of
    ``spaces``; opcodes without one are absent, so the hot loop skips them with one dict lookup."""
    table = {}
    for op in OPCODES:
        found = tuple((i, k) for i, k in enumerate(op.imms) if _KIND_SPACE.get(k) in spaces)
        if found:
            table[op] = found
    return table


def _remap_imm(kind: str, value, shifts: Mapping[str, Shift]):
    if kind == "memarg":
        return MemArg(value.align, value.offset, shifts["memory"](value.memory))
    if kind == "try_table_catches":
        tag = shifts["tag"]
        return tuple(Catch(c.kind, tag(c.tag) if c.tag is not None else None, c.label) for c in value)
    return shifts[_KIND_SPACE[kind]](value)


def shift_instrs(instrs, shifts: Mapping[str, Shift]) -> tuple[Instr, ...] | None:
    """``instrs`` with every index in a shifted space renumbered, or ``None`` when nothing changed
    (so callers keep the original, possibly undecoded, bytes).  Offsets are kept."""
    table = _positions(frozenset(shifts))
    out = None
    for n, instr in enumerate(instrs):
        positions = table.get(instr.op)
        if positions is None:
            continue
        imms = list(instr.imms)
        for i, kind in positions:
            imms[i] = _remap_imm(kind, imms[i], shifts)
        imms = tuple(imms)
        if imms == instr.imms:
            continue
        if out is None:
            out = list(instrs)
        out[n] = instr._replace(imms=imms)
    return None if out is None else tuple(out)


def _expr(expr, shifts):
    if expr is None:
        return None
    changed = shift_instrs(expr, shifts)
    return expr if changed is None else changed


def _might_need(body, triggers: bytes) -> bool:
    raw = body.raw
    if raw is None:
        return True
    return any(byte in raw for byte in triggers)


def shift_indices(module: Module, shifts: Mapping[str, Shift]) -> None:
    """Apply ``shifts`` (space name -> :class:`Shift`) to every reference in ``module``, in place.

    Call it right after inserting the imports: the new imports themselves are not referenced yet.
    """
    unknown = set(shifts) - set(SPACES)
    if unknown:
        raise ValueError(f"unknown index space(s) {sorted(unknown)}")
    shifts = {space: shift for space, shift in shifts.items() if shift.by}
    if not shifts:
        return
    triggers = b"".join(_TRIGGERS[space] for space in shifts)
    # the cyclic GC is paused as in ``decode_all``: its collections over the many Instr tuples built
    # here would cost as much as the decoding itself
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for body in module.code:
            if not _might_need(body, triggers):
                continue
            changed = shift_instrs(body.instrs, shifts)
            if changed is not None:
                body.instrs = changed
    finally:
        if gc_was_enabled:
            gc.enable()
    module.globals = [replace(g, init=_expr(g.init, shifts)) for g in module.globals]
    module.tables = [replace(t, init=_expr(t.init, shifts)) for t in module.tables]
    module.elements = [_elem(seg, shifts) for seg in module.elements]
    memory = shifts.get("memory")
    module.data = [replace(seg, memory=memory(seg.memory) if memory and seg.offset is not None else seg.memory,
                           offset=_expr(seg.offset, shifts)) for seg in module.data]
    module.exports = [_export(e, shifts) for e in module.exports]
    func = shifts.get("func")
    if func is not None and module.start is not None:
        module.start = func(module.start)
    if module.names is not None:
        _names(module.names, shifts)


def _elem(seg: ElemSegment, shifts) -> ElemSegment:
    func, table = shifts.get("func"), shifts.get("table")
    if seg.uses_exprs:
        items = tuple(_expr(item, shifts) for item in seg.items)
    else:
        items = tuple(map(func, seg.items)) if func else seg.items
    new_table = table(seg.table) if table and seg.mode == "active" else seg.table
    return replace(seg, items=items, table=new_table, offset=_expr(seg.offset, shifts))


_EXPORT_SPACE = {ExternKind.FUNC: "func", ExternKind.TABLE: "table", ExternKind.MEMORY: "memory",
                 ExternKind.GLOBAL: "global", ExternKind.TAG: "tag"}


def _export(export: Export, shifts) -> Export:
    shift = shifts.get(_EXPORT_SPACE[export.kind])
    return export if shift is None else replace(export, index=shift(export.index))


def _names(names: Names, shifts) -> None:
    def moved(mapping: dict, shift: Shift) -> dict:
        return {shift(index): value for index, value in mapping.items()}

    for space, attrs in (("func", ("functions", "locals", "labels")), ("table", ("tables",)),
                         ("memory", ("memories",)), ("global", ("globals",)), ("tag", ("tags",))):
        shift = shifts.get(space)
        if shift is not None:
            for attr in attrs:
                setattr(names, attr, moved(getattr(names, attr), shift))
