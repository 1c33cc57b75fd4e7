"""Counter coalescing (docs/COALESCING.md): one add per straight-line run instead of one per site.

A ``before`` site whose predicate folds to ``true`` and whose folded body only adds compile-time
constants to *counter globals* (``n++;``, ``n--;``, ``n = n + 3;``) needs no operands and reads nothing
but the counters it bumps.  Its effect only matters where something reads those counters, so within a
*run* — instructions that execute all or none (up to a trap): a straight line ending at the first
control instruction or call — the sites' adds are summed and emitted once, before the run's first such
site.  Wrapping arithmetic makes the sum exact modulo the counter's width.

A counter global is a script-level variable of a 32- or 64-bit integer type (no re-normalisation, one
Wasm global) that nothing reads except counting bodies, ``wasm:end`` and ``wasm:report`` probes (which
run only at flush points, which are run boundaries) and the default report: no other probe's
predicate or body and no user function mentions it.  A reader anywhere else would see a run's total
early, so such a variable is simply not coalesced.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence, TYPE_CHECKING

from compiler.lang import ast
from compiler.lang.scopes import VarKind
from compiler.lang.types import Prim
from compiler.sites.finding import Placement
from compiler.wasm.binary import sleb, uleb

if TYPE_CHECKING:
    from compiler.lang.scopes import Program
    from compiler.sites.matching import MatchedSite
    from compiler.wasm.model import Instr

__all__ = ["Counters", "counter_globals", "counted", "coalesce"]

#: Counter globals by name: (output global index, 64-bit?).
Counters = Mapping[str, tuple[int, bool]]

_WIDE = {Prim.U32: False, Prim.I32: False, Prim.U64: True, Prim.I64: True}

#: Packages whose probes run only inside the exit sequence (REWRITING.md §10), i.e. at a flush point.
_AT_FLUSH = frozenset({"end", "report"})


def _increment(stmt: ast.Stmt) -> tuple[str, int] | None:
    """``(global name, constant)`` if ``stmt`` adds a constant to a script global, else None."""
    if isinstance(stmt, ast.IncDec):
        target = stmt.target
        if isinstance(target, ast.Name) and target.symbol is not None and target.symbol.kind is VarKind.GLOBAL:
            return target.id, 1 if stmt.op == "++" else -1
        return None
    if isinstance(stmt, ast.Assign) and isinstance(stmt.target, ast.Name):
        sym = stmt.target.symbol
        value = stmt.value
        if sym is None or sym.kind is not VarKind.GLOBAL or not isinstance(value, ast.Binary) \
                or value.op not in ("+", "-"):
            return None
        left, right = value.left, value.right
        if isinstance(left, ast.Name) and left.symbol is sym and isinstance(right, ast.IntLit):
            return sym.name, right.value if value.op == "+" else -right.value
        if value.op == "+" and isinstance(right, ast.Name) and right.symbol is sym and isinstance(left, ast.IntLit):
            return sym.name, left.value
    return None


def increments(body: ast.Block | None) -> list[tuple[str, int]] | None:
    """The body's ``(global, constant)`` adds in order, or None if it does anything else."""
    if body is None:
        return []
    out = []
    for stmt in body.stmts:
        inc = _increment(stmt)
        if inc is None:
            return None
        out.append(inc)
    return out


def _mentioned(nodes: Iterable[ast.Node | None]) -> set[str]:
    """Names of the script globals read or written anywhere under ``nodes``."""
    out = set()
    for node in nodes:
        if node is None:
            continue
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.symbol is not None and n.symbol.kind is VarKind.GLOBAL:
                out.add(n.id)
    return out


def counter_globals(program: Program, globals_: Mapping[str, tuple[int, ...]]) -> dict[str, tuple[int, bool]]:
    """The script's counter globals (see the module docstring) with their output global index."""
    candidates = {name: _WIDE[sym.type] for name, sym in program.globals.items() if sym.type in _WIDE}
    if not candidates:
        return {}
    readers: set[str] = set()
    for fn in program.functions.values():
        readers |= _mentioned([fn.body])
    for probe in program.probes:
        if probe.expansion.package in _AT_FLUSH:
            continue
        readers |= _mentioned([probe.predicate])
        if increments(probe.body) is None:
            readers |= _mentioned([probe.body])
    return {name: (globals_[name][0], wide) for name, wide in candidates.items() if name not in readers}


def counted(site: MatchedSite, counters: Counters) -> list[tuple[str, int]] | None:
    """The adds of ``site`` if it can be coalesced (a ``before`` site, predicate folded to true, body
    only adds to counter globals), else None."""
    folded = site.folded
    if site.placement is not Placement.BEFORE or folded.predicate is not True:
        return None
    adds = increments(folded.body)
    if adds is None or any(name not in counters for name, _ in adds):
        return None
    return adds


def _ends_run(name: str) -> bool:
    """Whether control may leave or enter the straight line after an instruction named ``name``: every
    control instruction (its successor may be a branch target) and every call (the callee's probes,
    a flush at ``proc_exit``, a trap or an exception may read the counters)."""
    return name in _CONTROL or name.startswith(("br", "call", "return", "throw", "try", "catch"))


_CONTROL = frozenset({"block", "loop", "if", "else", "end", "unreachable", "rethrow", "delegate"})


def add_code(totals: dict[str, int], counters: Counters) -> bytes:
    """``global.get; const total; add; global.set`` per counter with a non-zero total (mod its width)."""
    out = []
    for name, total in totals.items():
        g, wide = counters[name]
        bits = 64 if wide else 32
        total &= (1 << bits) - 1
        if not total:
            continue
        if total >= 1 << (bits - 1):
            total -= 1 << bits
        out.append(b"\x23" + uleb(g) + (b"\x42" if wide else b"\x41") + sleb(total)
                   + (b"\x7c" if wide else b"\x6a") + b"\x24" + uleb(g))
    return b"".join(out)


def coalesce(sites: Sequence[MatchedSite], instrs: Sequence[Instr], counters: Counters) -> list:
    """``sites`` with every coalescible site dropped and, where each run's first one was, the run's
    adds as encoded bytes (an ``(index, bytes)`` pair).  Sites are in instruction order."""
    run_of = []
    run = 0
    for ins in instrs:
        run_of.append(run)
        if _ends_run(ins.op.name):
            run += 1
    out: list = []
    open_run = -1              # the run whose totals are being collected
    totals: dict[str, int] = {}
    slot = -1                  # where in ``out`` that run's adds go
    for site in sites:
        adds = counted(site, counters) if site.index < len(instrs) else None
        if adds is None:
            out.append(site)
            continue
        r = run_of[site.index]
        if r != open_run:
            if slot >= 0:
                out[slot] = (out[slot][0], add_code(totals, counters))
            open_run, totals, slot = r, {}, len(out)
            out.append((site.index, b""))
        for name, c in adds:
            totals[name] = totals.get(name, 0) + c
    if slot >= 0:
        out[slot] = (out[slot][0], add_code(totals, counters))
    return out
