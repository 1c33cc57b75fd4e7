"""Counter coalescing (docs/COALESCING.md): one add per straight-line run instead of one per site.

A ``before`` site whose predicate folds to ``true`` and whose folded body only adds compile-time
constants to *counter globals* (``n++;``, ``n--;``, ``n = n + 3;``) needs no operands and reads nothing
but the counters it bumps.  Its effect only matters where something reads those counters, so within a
*run* — instructions that execute all or none (up to a trap): a straight line that control enters
only at its start and leaves only at its end (see :func:`run_numbers`) — the sites' adds are summed and emitted once, before the run's first such
site.  Wrapping arithmetic makes the sum exact modulo the counter's width.

A *counter* is a variable of a 32- or 64-bit integer type (no re-normalisation) that nothing reads
except counting bodies, ``wasm:end`` and ``wasm:report`` probes (which run only at flush points, which
are run boundaries) and the report: a script global that no other probe's predicate or body and no
user function mentions, or a ``shared`` variable of a probe whose whole body only counts and whose
predicate does not mention it.  A reader anywhere else would see a run's total early, so such a
variable is simply not coalesced.

A per-site (``unshared``/``report``) variable of such a probe — one slot per site, no initialiser, not
mentioned by the predicate — is a counter too: the sites of one run execute equally often, so the
per-site counters of a run to which their sites add the same constant hold the same value.  They share
one slot, the first one's: one add per run and group, and the others' report rows read their value
from that slot (:attr:`Layout.value_slots <compiler.rewrite.layout.Layout.value_slots>`), keeping
their own identity.
"""
from __future__ import annotations

import functools
from collections import Counter
from operator import attrgetter
from typing import Iterable, Mapping, NamedTuple, Sequence, TYPE_CHECKING

from compiler.backend.instrs import memarg, op
from compiler.lang import ast
from compiler.lang.scopes import VarKind
from compiler.lang.types import Prim
from compiler.sites.finding import Placement
from compiler.wasm.binary import sleb, uleb
from compiler.wasm.code import encode_instrs

if TYPE_CHECKING:
    from compiler.backend.state import Layout
    from compiler.lang.scopes import Program
    from compiler.rewrite.layout import Layout as RewriteLayout
    from compiler.sites.matching import MatchedSite
    from compiler.wasm.model import Instr

__all__ = ["Counters", "SiteVar", "counter_globals", "counted", "coalesce", "run_numbers"]

#: Counters by key (a global's name, a shared variable's ``(probe number, name)``, a per-site variable's
#: :class:`SiteVar`): ``(global index, None, 64-bit?)`` or ``(memory index, slot address, 64-bit?)``; a
#: per-site variable's address is its site's (:meth:`Layout.slot <compiler.rewrite.layout.Layout.slot>`),
#: None here.
Counters = Mapping[object, tuple]


class SiteVar(NamedTuple):
    """How :data:`Counters` names a per-site variable: its probe's number and its name."""

    number: int
    name: str


_WIDE = {Prim.U32: False, Prim.I32: False, Prim.U64: True, Prim.I64: True}

#: Packages whose probes run only inside the exit sequence (REWRITING.md §10), i.e. at a flush point.
_AT_FLUSH = frozenset({"end", "report"})


def _counter_key(sym, number: int) -> object | None:
    """How :data:`Counters` names a variable: a script global by its name, a probe's ``shared``
    variable by ``(probe number, name)``, a per-site one as a :class:`SiteVar`; None for other kinds."""
    if sym is None:
        return None
    if sym.kind is VarKind.GLOBAL:
        return sym.name
    if sym.kind is VarKind.SHARED:
        return number, sym.name
    if sym.kind is VarKind.UNSHARED:
        return SiteVar(number, sym.name)
    return None


def _increment(stmt: ast.Stmt, number: int) -> tuple[object, int] | None:
    """``(counter key, constant)`` if ``stmt`` adds a constant to a script global or a shared
    variable of probe ``number``, else None."""
    if isinstance(stmt, ast.IncDec):
        target = stmt.target
        if isinstance(target, ast.Name):
            key = _counter_key(target.symbol, number)
            if key is not None:
                return key, 1 if stmt.op == "++" else -1
        return None
    if isinstance(stmt, ast.Assign) and isinstance(stmt.target, ast.Name):
        sym = stmt.target.symbol
        key = _counter_key(sym, number)
        value = stmt.value
        if key is None or not isinstance(value, ast.Binary) or value.op not in ("+", "-"):
            return None
        left, right = value.left, value.right
        if isinstance(left, ast.Name) and left.symbol is sym and isinstance(right, ast.IntLit):
            return key, right.value if value.op == "+" else -right.value
        if value.op == "+" and isinstance(right, ast.Name) and right.symbol is sym and isinstance(left, ast.IntLit):
            return key, left.value
    return None


def increments(body: ast.Block | None, number: int) -> list[tuple[object, int]] | None:
    """The body's ``(counter key, constant)`` adds in order, or None if it does anything else
    (declarations of ``shared`` and per-site variables without initialiser emit no code)."""
    if body is None:
        return []
    out = []
    for stmt in body.stmts:
        if isinstance(stmt, ast.VarDecl) and stmt.init is None and stmt.symbol is not None \
                and stmt.symbol.kind in (VarKind.SHARED, VarKind.UNSHARED):
            continue
        inc = _increment(stmt, number)
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


def counter_globals(program: Program, lay: Layout) -> dict[object, tuple]:
    """The script's counters (see the module docstring) by key: ``(global index, None, 64-bit?)`` for a
    global, ``(memory index, address, 64-bit?)`` for a shared variable's slot, ``(memory index, None,
    64-bit?)`` for a per-site variable."""
    readers: set[str] = set()
    for fn in program.functions.values():
        readers |= _mentioned([fn.body])
    out: dict[object, tuple] = {}
    for probe in program.probes:
        if probe.expansion.package in _AT_FLUSH:
            continue
        readers |= _mentioned([probe.predicate])
        number = probe.expansion.number
        if increments(probe.body, number) is None:
            readers |= _mentioned([probe.body])
            continue
        for sym in probe.symbols:  # its shared and per-site variables: nothing but this body can see them
            if sym.type not in _WIDE or _declared_in(probe.predicate, sym):
                continue
            addr = lay.shared_slots.get((number, sym.name))
            if sym.kind is VarKind.SHARED and addr is not None:
                out[(number, sym.name)] = (lay.memory, addr, _WIDE[sym.type])
            elif sym.kind is VarKind.UNSHARED:      # (no initialiser: the body only counts)
                out[SiteVar(number, sym.name)] = (lay.memory, None, _WIDE[sym.type])
    for name, sym in program.globals.items():
        if sym.type in _WIDE and name not in readers:
            out[name] = (lay.globals[name][0], None, _WIDE[sym.type])
    return out


def _declared_in(predicate: ast.Expr | None, sym) -> bool:
    """Whether the predicate mentions ``sym`` (a shared variable the predicate reads is no counter)."""
    return predicate is not None and any(isinstance(n, ast.Name) and n.symbol is sym for n in ast.walk(predicate))


def counted(site: MatchedSite, counters: Counters) -> list[tuple[str, int]] | None:
    """The adds of ``site`` if it can be coalesced (a ``before`` site, predicate folded to true, body
    only adds to counter globals), else None."""
    folded = site.folded
    if site.placement is not Placement.BEFORE or folded.predicate is not True:
        return None
    adds = increments(folded.body, site.probe.expansion.number)
    if adds is None or any(key not in counters for key, _ in adds):
        return None
    return adds


def _leaves(name: str) -> bool:
    """Whether control may leave the straight line after an instruction named ``name`` (or enter it
    right after): branches, ``if``/``else``, ``return*``, ``unreachable``, ``throw*``, every call (the
    callee's probes, a flush at ``proc_exit``, a trap or an exception may read the counters), ``loop``
    (its body is a branch target) and the exception constructs (``try``, ``try_table``, ``catch*``,
    ``delegate``: handlers are entered from elsewhere)."""
    return name in _LEAVING or name.startswith(("br", "call", "return", "throw", "try", "catch"))


_LEAVING = frozenset({"loop", "if", "else", "unreachable", "rethrow", "delegate"})

#: Constructs whose ``end`` is always followed by a run start: an ``if``'s end is entered from the
#: ``if`` (no ``else``) or the ``else``; a ``try``'s or ``try_table``'s from its handlers.
_ENTERED_AFTER_END = frozenset({"if", "try", "try_table"})


def _labels(ins: Instr) -> list[int]:
    """The label depths ``ins`` may branch to (``br*`` immediates and ``try_table`` catch labels)."""
    out: list[int] = []
    for kind, value in zip(ins.op.imms, ins.imms):
        if kind == "labelidx":
            out.append(value)
        elif kind == "br_table":
            out.extend(value)
        elif kind == "try_table_catches":
            out.extend(c.label for c in value)
    return out


#: Per opcode row (rows are singletons): ``(leaves, frame kind, branches)`` — whether the run splits
#: after it (:func:`_leaves`), the construct it opens (its name), ``"end"`` if it closes one (``end``,
#: ``delegate``) or None, and whether it carries branch labels (:func:`_labels`; ``rethrow``'s and
#: ``delegate``'s do not count).  Classified on first sight: :func:`run_numbers` visits every
#: instruction of every function with counting sites, so it looks each one up instead of re-deriving it.
_CLASSES: dict[object, tuple[bool, str | None, bool]] = {}


def _classify(op) -> tuple[bool, str | None, bool]:
    name = op.name
    kind = name if name in _OPENERS else "end" if name == "end" or name == "delegate" else None
    branches = name != "rethrow" and name != "delegate" and any(k in _LABEL_KINDS for k in op.imms)
    c = _CLASSES[op] = (_leaves(name), kind, branches)
    return c


_OPENERS = frozenset({"block", "loop", "if", "try", "try_table"})
_LABEL_KINDS = frozenset({"labelidx", "br_table", "try_table_catches"})


def run_numbers(instrs: Sequence[Instr]) -> list[int]:
    """Per instruction, the number of the straight-line run it belongs to.  A run ends after every
    instruction that may leave it (:func:`_leaves`) and after every ``end`` whose continuation some
    branch may enter: an ``if``'s, a ``try``'s or ``try_table``'s, and a ``block``'s that a branch (or a
    ``try_table`` catch clause) targets.  Entering a ``block`` and leaving a ``loop`` by its ``end`` fall
    through and do not split a run."""
    frames: list[list] = []            # per open construct: [kind, targeted by a branch]
    run_of = []
    append = run_of.append
    classes = _CLASSES
    run = 0
    for ins in instrs:
        append(run)
        op = ins[0]
        split, kind, branches = classes.get(op) or _classify(op)
        if branches:
            for depth in _labels(ins):   # a try_table's catch labels are outside its own frame
                if depth < len(frames):
                    frames[-1 - depth][1] = True
        if kind is not None:
            if kind != "end":
                frames.append([kind, False])
            elif frames:
                kind, targeted = frames.pop()
                split = split or kind in _ENTERED_AFTER_END or (kind == "block" and targeted)
            else:
                split = True            # the function's own end (nothing follows it)
        if split:
            run += 1
    return run_of


def add_code(totals: dict[tuple, int]) -> bytes:
    """Per counter ``(index, address, 64-bit?)`` with a non-zero total (mod its width): ``global.get;
    const; add; global.set`` for a global, ``i32.const 0; i32.const 0; load; const; add; store`` at the
    slot's address for one in memory."""
    return b"".join([_add(*where, total) for where, total in totals.items()])


@functools.lru_cache(maxsize=4096)
def _add(index: int, addr: int | None, wide: bool, total: int) -> bytes:
    """One counter's add of ``total`` (see :func:`add_code`).  Cached: a module's runs repeat a few
    totals (one add per run of a large module, most of them of the same few sizes)."""
    bits = 64 if wide else 32
    total &= (1 << bits) - 1
    if not total:
        return b""
    if total >= 1 << (bits - 1):
        total -= 1 << bits
    add = (b"\x42" if wide else b"\x41") + sleb(total) + (b"\x7c" if wide else b"\x6a")
    if addr is None:
        return b"\x23" + uleb(index) + add + b"\x24" + uleb(index)
    load, store = ("i64.load", "i64.store") if wide else ("i32.load", "i32.store")
    return (encode_instrs([op("i32.const", 0), op("i32.const", 0), op(load, memarg(load, addr, index))])
            + add + encode_instrs([op(store, memarg(store, addr, index))]))


def coalesce(sites: Sequence[MatchedSite], instrs: Sequence[Instr], counters: Counters, lay: RewriteLayout,
             adds_of: dict[int, list[tuple[object, int]] | None] | None = None) -> list:
    """``sites`` with every coalescible site dropped and, where each run's first one was, the run's
    adds as encoded bytes (an ``(index, bytes)`` pair).  Sites are in instruction order.

    Whether a site counts depends only on its placement and its fold (a fold belongs to one probe),
    and sites share folds: :func:`counted` runs once per fold, not once per site.  ``adds_of`` keeps
    those answers by ``id(fold)``; a caller may share one across the functions of a module while the
    matched sites (which keep the folds alive) live.

    The per-site counters of one run are grouped by width and by what their site adds to them (mod the
    width) — whatever their probe (``wasm:opcode:*`` is one probe per opcode) or name: they all hold
    that constant times the run's executions.  A group shares its first counter's slot, which gets the
    constant once per run; the others' slots go into ``lay.value_slots`` (never written, their rows
    read the shared slot)."""
    if adds_of is None:
        adds_of = {}
    run_of = run_numbers(instrs)
    end = len(instrs)
    same = _same_adds(sites, end, counters, adds_of)
    if same is not None:
        return _coalesce_same(sites, run_of, same, counters)
    before = Placement.BEFORE
    out: list = []
    open_run = -1              # the run whose totals are being collected
    totals: dict[tuple, int] = {}    # (index, address, 64-bit?) → the run's total
    groups: dict[tuple, int] = {}    # (64-bit?, constant) → the slot the run's group of per-site counters shares
    slot = -1                  # where in ``out`` that run's adds go
    for site in sites:
        if site.placement is not before or site.index >= end:
            out.append(site)
            continue
        key = id(site.folded)
        adds = adds_of.get(key, _UNSEEN)
        if adds is _UNSEEN:
            adds = adds_of[key] = counted(site, counters)
        if adds is None:
            out.append(site)
            continue
        r = run_of[site.index]
        if r != open_run:
            if slot >= 0:
                out[slot] = (out[slot][0], add_code(totals))
            open_run, totals, groups, slot = r, {}, {}, len(out)
            out.append((site.index, b""))
        per_site: dict[SiteVar, int] = {}
        for key, c in adds:
            if key.__class__ is SiteVar:
                per_site[key] = per_site.get(key, 0) + c
            else:
                where = counters[key]
                totals[where] = totals.get(where, 0) + c
        for key, c in per_site.items():
            index, _, wide = counters[key]
            c &= (1 << (64 if wide else 32)) - 1
            if not c:
                continue                # the site's slot keeps its initial 0, as uncoalesced
            addr = lay.slot(site, key.name)
            shared = groups.get((wide, c))
            if shared is None:
                groups[(wide, c)] = addr
                totals[(index, addr, wide)] = c
            else:
                lay.value_slots[addr] = shared
    if slot >= 0:
        out[slot] = (out[slot][0], add_code(totals))
    return out


#: ``adds_of``'s miss marker (None is a cached answer: the fold does not count).
_UNSEEN: list = []


_folded, _placement, _index = attrgetter("folded"), attrgetter("placement"), attrgetter("index")


def _same_adds(sites: Sequence[MatchedSite], end: int, counters: Counters,
               adds_of: dict[int, list[tuple[str, int]] | None]) -> list[tuple[str, int]] | None:
    """The adds of every site if all of them are coalescible ``before`` sites making the same adds —
    the instruction counter's shape (one expansion per opcode, each body ``n++``) — else None.  Checked
    per fold, with C-level passes over the sites (``list.count`` compares by identity first; a set
    would hash every placement in Python)."""
    if not sites or sites[-1].index >= end or \
            list(map(_placement, sites)).count(Placement.BEFORE) != len(sites):
        return None
    same = None
    for key, site in dict(zip(map(id, map(_folded, sites)), sites)).items():     # one site per fold
        adds = adds_of.get(key, _UNSEEN)
        if adds is _UNSEEN:
            adds = adds_of[key] = counted(site, counters)
        if adds is None or same is not None and adds != same \
                or any(key.__class__ is SiteVar for key, _ in adds):    # per site: each its own slot
            return None
        same = adds
    return same


def _coalesce_same(sites: Sequence[MatchedSite], run_of: list[int], adds: list[tuple[str, int]],
                   counters: Counters) -> list:
    """:func:`coalesce` when every site makes ``adds``: a run's totals are its site count times the
    adds, so runs are counted (``Counter``) and their first sites found without a loop per site."""
    indices = list(map(_index, sites))
    runs = list(map(run_of.__getitem__, indices))
    first = dict(zip(reversed(runs), reversed(indices)))     # the last write is the run's first site
    unit: dict[tuple, int] = {}
    for key, c in adds:
        where = counters[key]
        unit[where] = unit.get(where, 0) + c
    code_of: dict[int, bytes] = {}          # by site count: most runs are a few instructions long
    out = []
    for run, n in Counter(runs).items():
        code = code_of.get(n)
        if code is None:
            code = code_of[n] = add_code({where: c * n for where, c in unit.items()})
        out.append((first[run], code))
    return out
