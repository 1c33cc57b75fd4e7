"""The one index remapper: renumber every reference when an index space moves.

Two things move indices.  *Inserting imports* (imports come first in each index space, so adding a
function import shifts every defined function up by one; :class:`Shift`), and *linking another module's
code* into this one (the runtime's function ``i`` becomes output function ``base + i``, its memory 0 the
instrumentation memory, …; any callable).  :class:`Remap` says where each space's indices go and the
functions below apply it to everything that can name an index:

* code (:func:`remap_instrs`, :func:`remap_body`): ``call``/``return_call``/``ref.func`` (``funcidx``),
  memargs and memory immediates, ``global.*``, ``table.*``/``call_indirect``, tags in
  ``throw``/``catch``/``try_table`` clauses, data indices, and type indices (``typeidx``, block types,
  heap and reference types, ``select`` result types, ref-typed locals);
* the module around the code (:func:`remap_module`): global, table and element initialisers, element
  segments (function indices, table, offset) and data segments (memory, offset), exports, the start
  function and the name section.

Segment encodings follow the binary format (core spec §5.5.12–13): an active data segment with flags 0
names memory 0 implicitly, so one whose memory moves off 0 takes flags 2 (explicit ``memidx``); an active
element segment with flags 0 or 4 names table 0 implicitly, so one whose table moves off 0 takes the
explicit-table encoding (flags 2 or 6).  The model then says what the writer writes.

Bodies are decoded only when their raw bytes could hold an affected opcode (a cheap byte-level
prefilter) and re-encoded only when an instruction actually changed, so shifting a function index in
sqlite touches the bodies that call something and copies the rest.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from compiler.wasm.code import encode_body
from compiler.wasm.model import (
    Catch, DataSegment, ElemSegment, Export, ExternKind, FuncBody, Instr, MemArg, Module, Names, RefType,
)
from compiler.wasm.opcodes import OPCODES

__all__ = ["IndexMap", "Shift", "Remap", "remap_instrs", "remap_expr", "remap_body", "remap_module",
           "remap_data", "remap_elem"]

#: Where the indices of one space go.
IndexMap = Callable[[int], int]


@dataclass(frozen=True, slots=True)
class Shift:
    """Indices ``>= at`` move up by ``by``: what inserting ``by`` imports at index ``at`` does.
    ``Shift(0, 0)`` moves nothing (the default of every :class:`Remap` space)."""

    at: int
    by: int = 1

    def __call__(self, index: int) -> int:
        return index + self.by if index >= self.at else index


_KEEP = Shift(0, 0)

# Which immediate kinds name which space.
_KIND_SPACE = {"funcidx": "func", "tableidx": "table", "memidx": "memory", "memarg": "memory",
               "globalidx": "global", "tagidx": "tag", "try_table_catches": "tag", "dataidx": "data",
               "typeidx": "type", "blocktype": "type", "heaptype": "type", "reftype": "type",
               "valtypes": "type"}


@dataclass(frozen=True, slots=True)
class Remap:
    """Where each index space's indices go; a space left out does not move.

    ``glob`` is the global space (``global`` is a Python keyword).  ``moving`` — the names of the spaces
    that move — is derived: a zero :class:`Shift` does not move, any other map does.
    """

    func: IndexMap = _KEEP
    table: IndexMap = _KEEP
    memory: IndexMap = _KEEP
    glob: IndexMap = _KEEP
    tag: IndexMap = _KEEP
    type: IndexMap = _KEEP
    data: IndexMap = _KEEP
    moving: frozenset[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        maps = {"func": self.func, "table": self.table, "memory": self.memory, "global": self.glob,
                "tag": self.tag, "type": self.type, "data": self.data}
        object.__setattr__(self, "moving", frozenset(
            space for space, m in maps.items() if not (isinstance(m, Shift) and m.by == 0)))

    def space(self, name: str) -> IndexMap:
        """The map of the space called ``name`` (``"global"`` for :attr:`glob`)."""
        return self.glob if name == "global" else getattr(self, name)


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


@functools.cache
def _triggers(spaces: frozenset[str]) -> bytes:
    """The opcode bytes that may start an instruction naming one of ``spaces``: the single-byte opcodes
    plus the prefix bytes of prefixed ones.  A body whose raw bytes hold none of them needs no remap."""
    return bytes(sorted({op.prefix if op.prefix is not None else op.code
                         for op in _positions(spaces)}))


def _valtype(t: object, r: Remap) -> object:
    if isinstance(t, RefType) and isinstance(t.heap, int):
        return RefType(t.nullable, r.type(t.heap))
    return t


def _remap_imm(kind: str, value, r: Remap):
    if kind == "memarg":
        return MemArg(value.align, value.offset, r.memory(value.memory))
    if kind == "try_table_catches":
        return tuple(Catch(c.kind, r.tag(c.tag) if c.tag is not None else None, c.label) for c in value)
    if kind in ("blocktype", "heaptype", "reftype"):
        # a type index, or a value/heap type that may name one; None and type names stay
        return r.type(value) if type(value) is int else _valtype(value, r)
    if kind == "valtypes":
        return tuple(_valtype(t, r) for t in value)
    return r.space(_KIND_SPACE[kind])(value)


def _changed(instrs: Sequence[Instr], r: Remap) -> list[Instr] | None:
    """``instrs`` with every moving index renumbered, or ``None`` when nothing changed (so callers keep
    the original, possibly undecoded, bytes).  Offsets are kept."""
    table = _positions(r.moving)
    out = None
    for n, ins in enumerate(instrs):
        positions = table.get(ins.op)
        if positions is None:
            continue
        imms = list(ins.imms)
        for i, kind in positions:
            imms[i] = _remap_imm(kind, imms[i], r)
        imms = tuple(imms)
        if imms == ins.imms:
            continue
        if out is None:
            out = list(instrs)
        out[n] = ins._replace(imms=imms)
    return out


def remap_instrs(instrs: Sequence[Instr], r: Remap) -> list[Instr]:
    """``instrs`` with every index that ``r`` moves renumbered (offsets kept; unchanged instructions are
    the same objects)."""
    changed = _changed(instrs, r) if r.moving else None
    return list(instrs) if changed is None else changed


def remap_expr(expr: tuple[Instr, ...] | None, r: Remap) -> tuple[Instr, ...] | None:
    """A constant expression (or ``None``, for a missing one) with its indices renumbered; the same
    object when nothing in it moves."""
    if expr is None or not r.moving:
        return expr
    changed = _changed(expr, r)
    return expr if changed is None else tuple(changed)


def remap_body(body: FuncBody, r: Remap) -> FuncBody:
    """``body`` itself when nothing in it moves, else a re-encoded copy (locals included: a moving type
    space renumbers ref-typed locals).  Undecoded bodies without a trigger byte are not decoded."""
    if not r.moving:
        return body
    raw = body.raw
    if raw is not None and "type" not in r.moving and not any(b in raw for b in _triggers(r.moving)):
        return body
    locals_ = body.locals
    if "type" in r.moving:
        locals_ = tuple((count, _valtype(t, r)) for count, t in locals_)
    changed = _changed(body.instrs, r)
    if changed is None and locals_ == body.locals:
        return body
    data = encode_body(locals_, body.instrs if changed is None else changed)
    return FuncBody.from_bytes(data, 0, len(data), body.index)


def remap_data(seg: DataSegment, r: Remap) -> DataSegment:
    """A data segment with its memory and offset renumbered.  Only an active segment names a memory; one
    that moves off memory 0 takes flags 2 (flags 0 means memory 0 implicitly)."""
    if seg.offset is None:
        return seg
    memory = r.memory(seg.memory)
    flags = 2 if memory else seg.flags
    return DataSegment(seg.data, memory, remap_expr(seg.offset, r), flags)


def remap_elem(seg: ElemSegment, r: Remap) -> ElemSegment:
    """An element segment with its items, table and offset renumbered.  Only an active segment names a
    table; one that moves off table 0 takes the explicit-table encoding (flags 0 → 2, 4 → 6)."""
    if seg.uses_exprs:
        items = tuple(remap_expr(item, r) for item in seg.items)
    else:
        items = tuple(map(r.func, seg.items))
    table, flags = seg.table, seg.flags
    if seg.mode == "active":
        table = r.table(table)
        if table:
            flags |= 2
    return ElemSegment(flags, _valtype(seg.type, r), items, table, remap_expr(seg.offset, r))  # type: ignore


_EXPORT_SPACE = {ExternKind.FUNC: "func", ExternKind.TABLE: "table", ExternKind.MEMORY: "memory",
                 ExternKind.GLOBAL: "global", ExternKind.TAG: "tag"}


def remap_module(module: Module, r: Remap) -> None:
    """Renumber, in place, every reference outside the function bodies that ``r`` moves (callers remap
    bodies with :func:`remap_body`, or rewrite them anyway): global, table and element initialisers,
    element and data segments, exports, the start function and the name section.

    Call it right after inserting the imports: the new imports themselves are not referenced yet.  Type
    moves are refused: they happen only when linking another module's *code*, whose declarations the
    linker builds itself (types appear in too many declarations to renumber silently here).
    """
    if "type" in r.moving:
        raise ValueError("remap_module cannot move the type index space")
    if not r.moving:
        return
    module.globals = [replace(g, init=remap_expr(g.init, r)) for g in module.globals]
    module.tables = [replace(t, init=remap_expr(t.init, r)) for t in module.tables]
    module.elements = [remap_elem(seg, r) for seg in module.elements]
    module.data = [remap_data(seg, r) for seg in module.data]
    module.exports = [Export(e.name, e.kind, r.space(_EXPORT_SPACE[e.kind])(e.index))
                      if _EXPORT_SPACE[e.kind] in r.moving else e for e in module.exports]
    if module.start is not None:
        module.start = r.func(module.start)
    if module.names is not None:
        _names(module.names, r)


#: The name-section maps keyed by each space's indices (elements never move: nothing inserts one).
_NAME_MAPS = (("func", ("functions", "locals", "labels")), ("table", ("tables",)), ("memory", ("memories",)),
              ("global", ("globals",)), ("tag", ("tags",)), ("data", ("data",)))


def _names(names: Names, r: Remap) -> None:
    for space, attrs in _NAME_MAPS:
        if space in r.moving:
            index = r.space(space)
            for attr in attrs:
                setattr(names, attr, {index(i): value for i, value in getattr(names, attr).items()})
