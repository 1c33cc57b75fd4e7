"""What the line table means per instruction (ANALYSIS.md §5): source locations, statement starts, lines.

:mod:`compiler.wasm.dwarf` reads the rows as recorded; this module lays them over the instructions of
the module they came from:

* :meth:`SourceMap.locations` — per instruction of a function, the ``(file, line, col)`` of the row
  covering its first byte (``src_file``, ``src_line``, ``src_col``; :data:`UNKNOWN` where no row covers
  it or the row's line is 0, DWARF's "no source line");
* :meth:`SourceMap.statement_starts` — the sites of ``wasm:source:line:before``: the first instruction
  of every ``is_stmt`` row whose (file, line) differs from the row before it in its sequence (a row
  whose range holds no instruction start has none; line 0 rows are not lines);
* :meth:`SourceMap.code_lines` — the lines with code for line coverage: every (file, line) with a
  statement row, anchored where execution reaches its first one in table order;
* :func:`source_comments` — ``;; file:line`` comments in WAT listings where the line changes.

A sequence whose first address is in no function body is code the linker discarded (its addresses are
a tombstone) and is ignored.  A row covers ``[address, next row's address)`` of its sequence.
"""
from __future__ import annotations

import posixpath
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterable, Iterator, NamedTuple

from compiler.wasm.dwarf import DebugInfo, LineRow, Subprogram, code_bodies, read_dwarf
from compiler.wasm.model import Module
from compiler.wasm.wat import Line

__all__ = ["SourceLoc", "UNKNOWN", "CodeLine", "SourceMap", "source_map", "source_comments"]


class SourceLoc(NamedTuple):
    """A source position: the file joined to its compilation directory, line and column (0 = unknown)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        """``file:line`` with the whole path (``""`` when unknown)."""
        return f"{self.file}:{self.line}" if self.line else ""

    @property
    def short(self) -> str:
        """``file:line`` with the file's base name, as listings show it (``""`` when unknown)."""
        return f"{posixpath.basename(self.file)}:{self.line}" if self.line else ""


#: The location of code the line table says nothing about (EVENTS: ``""`` and 0).
UNKNOWN = SourceLoc("", 0, 0)


@dataclass(frozen=True, slots=True)
class CodeLine:
    """A line with code (coverage): where its first statement row starts, as (fid, instruction index)."""

    file: str
    line: int
    fid: int
    index: int


class SourceMap:
    """The line table of one module laid over its instructions (built by :func:`source_map`)."""

    __slots__ = ("module", "info", "_bodies", "_starts", "_intervals", "_ends", "_rows", "_locs", "_stmts",
                 "_first", "_code_lines")

    def __init__(self, module: Module, info: DebugInfo | None) -> None:
        self.module = module
        self.info = info
        self._bodies = code_bodies(module) if info is not None else []
        self._starts = [start for start, _ in self._bodies]
        self._locs: dict[int, tuple[SourceLoc, ...]] = {}
        self._stmts: dict[int, list[tuple[int, LineRow]]] | None = None
        self._first = module.num_imported_funcs
        self._code_lines: list[CodeLine] | None = None
        intervals: list[tuple[int, int, LineRow]] = []
        for seq in info.sequences if info is not None else ():
            if not seq or self._body_of(seq[0].address) is None:
                continue                                    # discarded code: a tombstone address
            for row, nxt in zip(seq, seq[1:]):
                if nxt.address > row.address:
                    intervals.append((row.address, nxt.address, row))
        intervals.sort(key=lambda t: t[0])
        self._intervals = [start for start, _, _ in intervals]
        self._ends = [end for _, end, _ in intervals]
        self._rows = [row for _, _, row in intervals]

    @property
    def has_lines(self) -> bool:
        """Whether the module has a line table covering any code."""
        return bool(self._rows)

    def _body_of(self, address: int) -> int | None:
        k = bisect_right(self._starts, address) - 1
        if k < 0 or address >= self._bodies[k][1]:
            return None
        return k

    def _row_at(self, address: int) -> LineRow | None:
        k = bisect_right(self._intervals, address) - 1
        if k < 0 or address >= self._ends[k]:
            return None
        return self._rows[k]

    def locations(self, fid: int) -> tuple[SourceLoc, ...]:
        """The source location of each instruction of defined function ``fid`` (computed once)."""
        locs = self._locs.get(fid)
        if locs is None:
            instrs = self.module.code[fid - self._first].instrs
            if not self._rows:
                locs = (UNKNOWN,) * len(instrs)
            else:
                base = self._bodies[fid - self._first][0]
                out = []
                for ins in instrs:
                    row = self._row_at(base + ins.offset)
                    out.append(UNKNOWN if row is None or row.line == 0 else SourceLoc(row.file, row.line, row.col))
                locs = tuple(out)
            self._locs[fid] = locs
        return locs

    def location(self, fid: int, index: int) -> SourceLoc:
        """The source location of instruction ``index`` of function ``fid``."""
        return self.locations(fid)[index]

    def location_at_pc(self, fid: int, pc: int) -> SourceLoc:
        """The source location of the byte at ``pc`` of function ``fid`` (a trap's frame)."""
        if not self._rows or not (self._first <= fid < self._first + len(self._bodies)):
            return UNKNOWN
        row = self._row_at(self._bodies[fid - self._first][0] + pc)
        return UNKNOWN if row is None or row.line == 0 else SourceLoc(row.file, row.line, row.col)

    def subprogram_functions(self) -> list[tuple[int, Subprogram]]:
        """(fid, subprogram) of every DWARF subprogram whose code starts in a function body (discarded
        code's tombstones left out), in DWARF order."""
        out = []
        for sub in self.info.subprograms if self.info is not None else ():
            k = self._body_of(sub.low)
            if k is not None:
                out.append((self._first + k, sub))
        return out

    def _statement_rows(self) -> dict[int, list[tuple[int, LineRow]]]:
        """fid → [(instruction index, row)] of the statement starts."""
        if self._stmts is not None:
            return self._stmts
        out: dict[int, list[tuple[int, LineRow]]] = {}
        offsets: dict[int, list[int]] = {}
        for seq in self.info.sequences if self.info is not None else ():
            if not seq or self._body_of(seq[0].address) is None:
                continue
            prev: LineRow | None = None
            for row, nxt in zip(seq, seq[1:]):
                starts_line = row.is_stmt and row.line != 0 and (
                    prev is None or (prev.file, prev.line) != (row.file, row.line))
                prev = row
                if not starts_line:
                    continue
                k = self._body_of(row.address)
                if k is None:
                    continue
                fid = self._first + k
                pcs = offsets.get(fid)
                if pcs is None:
                    pcs = offsets[fid] = [ins.offset for ins in self.module.code[k].instrs]
                base = self._bodies[k][0]
                i = bisect_left(pcs, row.address - base)
                if i < len(pcs) and pcs[i] < nxt.address - base:
                    out.setdefault(fid, []).append((i, row))
        self._stmts = out
        return out

    def statement_starts(self, fid: int) -> list[int]:
        """The instruction indices of function ``fid`` where a source line's statement starts (the
        ``wasm:source:line`` sites), ascending, each once."""
        return sorted({i for i, _ in self._statement_rows().get(fid, ())})

    def code_lines(self) -> list[CodeLine]:
        """Every (file, line) with a statement row, anchored where execution reaches its first statement
        row (table order): the first instruction at or after the row's address in its body (a row that
        covers no instruction start — a function's opening line over the locals declaration only — is
        reached with the instruction after it).  Sorted by file and line."""
        if self._code_lines is not None:
            return self._code_lines
        best: dict[tuple[str, int], CodeLine] = {}
        offsets: dict[int, list[int]] = {}
        for seq in self.info.sequences if self.info is not None else ():
            if not seq or self._body_of(seq[0].address) is None:
                continue
            for row in seq[:-1]:
                key = (row.file, row.line)
                if not row.is_stmt or row.line == 0 or key in best:
                    continue
                k = self._body_of(row.address)
                if k is None:
                    continue
                pcs = offsets.get(k)
                if pcs is None:
                    pcs = offsets[k] = [ins.offset for ins in self.module.code[k].instrs]
                i = bisect_left(pcs, row.address - self._bodies[k][0])
                if i < len(pcs):
                    best[key] = CodeLine(row.file, row.line, self._first + k, i)
        self._code_lines = [best[key] for key in sorted(best)]
        return self._code_lines


def source_comments(lines: Iterable[Line], smap: SourceMap, fid: int | None = None) -> Iterator[Line]:
    """WAT ``lines`` with a ``;; file:line`` comment line (base name) before each instruction whose source
    line differs from the previous instruction's with a known line in the same function (ANALYSIS.md
    §5).  An instruction line is one with an ``offset`` (its input pc); injected lines have none and
    keep the line of the code around them.  ``fid`` names the input function when the lines' ``func`` is
    another index space's (an instrumented module's)."""
    if not smap.has_lines:
        yield from lines
        return
    last: tuple[str, int] | None = None
    current = None
    for line in lines:
        if line.func != current:
            current, last = line.func, None
        if line.offset is not None and line.func is not None and not line.injected:
            loc = smap.location_at_pc(line.func if fid is None else fid, line.offset)
            if loc.line and (loc.file, loc.line) != last:
                last = (loc.file, loc.line)
                indent = line.text[:len(line.text) - len(line.text.lstrip())]
                yield Line(f"{indent};; {loc.short}", None, False, line.func)
        yield line


_CACHE: OrderedDict[int, SourceMap] = OrderedDict()
_CACHE_SIZE = 4


def source_map(module: Module) -> SourceMap:
    """The :class:`SourceMap` of ``module`` (kept for the last few modules asked about: the shell asks for
    every listing, the matcher for every site).  Raises ``DecodeError`` for unreadable DWARF."""
    smap = _CACHE.get(id(module))
    if smap is not None and smap.module is module:
        _CACHE.move_to_end(id(module))
        return smap
    smap = SourceMap(module, read_dwarf(module))
    _CACHE[id(module)] = smap
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return smap
