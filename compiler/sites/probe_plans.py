"""What the matcher knows of each probe before it visits a site (REWRITING.md §5, §8).

:func:`~compiler.sites.matching.match` asks the same questions of a probe at every one of thousands of
sites: where it sorts at an instruction (§8), which operands, results and locals its type bounds need
(LANGUAGE.md §4.2), which ``immK`` it uses, which static names its fold reads (so sites agreeing on them
share one fold), which function-wide names let a predicate rule out a whole function, and which
operand values its code reads.  None of these depend on the site, so they are answered once per match,
here, as one :class:`ProbePlan` per probe with sites; the matcher only reads them (and fills the fold
caches they carry).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compiler.events.variables import operand_read
from compiler.lang import ast
from compiler.lang.folder import Folded, cannot_fail
from compiler.lang.types import WhammType
from compiler.sites.bindings import FUNCTION_WIDE
from compiler.sites.finding import Placement

if TYPE_CHECKING:
    from compiler.lang.scopes import CheckedProbe, Program

__all__ = ["ProbePlan", "SITE_PACKAGES", "order_keys", "probe_plans"]

#: The packages whose probes have sites (begin/end/report have none).
SITE_PACKAGES = ("func", "block", "source", "opcode", "p1")

_INDEXED = re.compile(r"(arg|res|local|imm)(\d+)")


@dataclass(slots=True, eq=False)
class ProbePlan:
    """One probe's matching facts: its §8 ordering key, what its bounds require, what it uses."""

    probe: CheckedProbe
    key: tuple
    placement: Placement | None
    bounds: tuple[tuple[str, int, WhammType], ...]     # (arg|res|local, N, bound type)
    max_imm: int                                        # highest immK used (-1: none)
    save: int                                           # operands that must have known types (-1: all)
    needs_stack: bool
    static_names: tuple[str, ...] | None                # what folding reads; None: never reuse a fold
    is_alt: bool = False
    simple: bool = False                                # no bound, no operand need: the signature will do
    #: Simple, and folding reads no site value: every site of the expansion gets the same fold, so its
    #: opcode sites need nothing but the signature (the fast path of
    #: :meth:`compiler.sites.matching._Matcher.function`).
    uniform: bool = False
    folds: dict[tuple, Folded] = field(default_factory=dict)
    #: The operands (``arg``) and results (``res``) whose values the probe's code reads, each with a name
    #: that reads it for messages; None when it takes them all (``alt``, ``dup_at``).
    reads: tuple[tuple[str, int, str], ...] | None = ()
    #: The function-wide names (``fid``, ``fname``) whose values decide whether the predicate rules out a
    #: whole function (:func:`_function_names`); None: it never does, every site is folded.
    function_names: tuple[str, ...] | None = None
    #: Whether the predicate folds to ``false`` with the function-wide values, by those values.
    rules_out: dict[tuple, bool] = field(default_factory=dict)
    #: A ``wasi:p1`` probe: the WASI function whose calls are its sites (None for wasm probes).
    wasi: str | None = None


def order_keys(program: Program) -> dict[int, tuple]:
    """The REWRITING.md §8 ordering key of every expansion, by probe number: pass-1 sites before
    ``wasm:func`` sites, then package, event and mode by first appearance in the script, then script
    order.  The one definition, shared by the matcher, the shell's merge and the wei target."""
    first: dict[tuple, int] = {}
    for p in program.probes:                      # probe numbers follow script order
        e = p.expansion
        for k in ((e.package,), (e.package, e.event), (e.package, e.event, e.mode)):
            first.setdefault(k, len(first))
    out = {}
    for p in program.probes:
        e = p.expansion
        out[p.number] = (1 if e.package == "func" else 0, first[(e.package,)], first[(e.package, e.event)],
                         first[(e.package, e.event, e.mode)], p.number)
    return out


def probe_plans(program: Program) -> list[ProbePlan]:
    """Plans for every probe with sites, with their §8 keys."""
    keys = order_keys(program)
    out = []
    for p in program.probes:
        e = p.expansion
        if e.package not in SITE_PACKAGES or e.event is None:
            continue
        key = keys[p.number]
        bounds = []
        for name, t in p.bounds.items():
            m = _INDEXED.fullmatch(name)
            if m is not None:
                bounds.append((m[1], int(m[2]), t))
        max_imm = max((int(m[2]) for n, v in p.bound_used.items()
                       if (m := _INDEXED.fullmatch(v.alias_of or n)) and m[1] == "imm"), default=-1)
        arg_bounds = [n for kind, n, _ in bounds if kind in ("arg", "res")]
        save = -1 if p.is_alt else 1 + max((n for kind, n, _ in bounds if kind == "arg"), default=-1)
        wasi = e.event if e.package == "p1" else None
        if wasi is not None:
            save = -1                               # the call's arguments: every WASI variable reads them
        placement = Placement(e.mode) if e.package in ("opcode", "p1") else None
        needs_stack = p.is_alt or bool(arg_bounds)
        static_names = _static_names(p)
        simple = not bounds and save == 0 and not needs_stack and max_imm < 0
        out.append(ProbePlan(p, key, placement, tuple(bounds), max_imm, save, needs_stack, static_names,
                         p.is_alt, simple, uniform=simple and static_names == (),
                         reads=None if wasi is not None else _values_read(p),
                         function_names=_function_names(p, static_names), wasi=wasi))
    return out


def _function_names(p: CheckedProbe, static_names: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """:attr:`ProbePlan.function_names`: the function-wide static names the predicate reads, when folding it
    with their values alone may rule out a whole function — the common ``/ fname == "main" /`` or
    ``/ fid == 12 /`` then costs one fold per function instead of a visit of every site.

    Exact only when nothing in the predicate can fail at a site: ``@static`` calls run at every site in
    order (LANGUAGE.md §13.4; ``static_names`` is None then) and static built-ins may fail there, so no
    call may appear; a division or remainder, or a cast from a float, may trap once a site's values
    make it static — an error the site must report even when another operand is ``false``.
    """
    if p.predicate is None or static_names is None or not cannot_fail(p.predicate):
        return None
    return tuple(n for n in static_names if n in FUNCTION_WIDE)


def _values_read(p: CheckedProbe) -> tuple[tuple[str, int, str], ...] | None:
    """:attr:`ProbePlan.reads` of one probe: what each dynamic bound variable reads, as its row's ``reads``
    says (``argN``/``resN`` themselves, also through aliases; the address operand behind
    ``addr``/``effective_addr``; operand 0 behind the table-entry variables; result 0 behind ``failed``)."""
    if p.is_alt or any(c.name == "dup_at" for c in p.callees()):
        return None
    event = p.event
    addr_arg = event.mem.addr_arg if event is not None and event.mem is not None else None
    reads = []
    for name, var in p.bound_used.items():
        if not var.static and (read := operand_read(var.alias_of or name, addr_arg)) is not None:
            reads.append((*read, name))
    return tuple(reads)


class _FindStaticCalls(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Call(self, node: ast.Call) -> None:
        if node.annotation == "static":
            self.found = True
        self.generic_visit(node)


def _static_names(probe: CheckedProbe) -> tuple[str, ...] | None:
    """The site-dependent static names folding this probe reads, in a fixed order — or None when the
    probe makes ``@static`` library calls, which must run at every site (LANGUAGE.md §13.4).

    Folding is a pure function of these values (plus the program's constants and the module-wide
    ``APP_MEMID``, the same at every site; per-event constants are the same for one expansion), so
    sites agreeing on them share one :class:`Folded`: the branch monitor folds once, not 27 000 times.
    """
    finder = _FindStaticCalls()
    if probe.probe.predicate is not None:
        finder.visit(probe.probe.predicate)
    finder.visit(probe.probe.body)
    if finder.found:
        return None
    return tuple(sorted(name for name, var in probe.bound_used.items()
                        if var.static and var.constant is None))
