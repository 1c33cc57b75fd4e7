"""What a probe sees at each of its sites, for the shell's ``sites N --verbose``.

``sites N`` says where probe N went and what its predicate folded to; when a fold is surprising (a
predicate that stays a run-time check, a site that was skipped for another), the user needs what the
matcher knew there: the operand stack's types at the site and the value each bound variable the probe
uses folds to (static ones) or that it is known only at run time (dynamic ones), with their types.

Everything comes from what matching already computed or computes on demand — the site's static
bindings (:attr:`~compiler.sites.matching.MatchedSite.bindings`) and the function's per-instruction
operand and result types (:meth:`~compiler.wasm.stack.FunctionTypes.walk`) — so what is shown is what
the folder used.  The whole stack is not something matching needs (an instruction's operands are), so it
is rebuilt here by replaying those per-instruction types over the block structure with the walk's own
conventions (``compiler/wasm/stack.py``'s module docstring).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

from compiler.build import SiteRow, site_rows
from compiler.errors import InternalError
from compiler.lang import ast
from compiler.lang.folder import literal
from compiler.lang.printer import expression_source, string_literal, type_source
from compiler.lang.types import WhammType
from compiler.sites.finding import Placement
from compiler.wasm.control import MIDDLES, OPENERS, UNCONDITIONAL
from compiler.wasm.stack import FunctionTypes, ModuleTypes, StackTypes

if TYPE_CHECKING:
    from compiler.build import Matched
    from compiler.sites.matching import MatchedSite
    from compiler.wasm.model import Module

__all__ = ["Stack", "BoundValue", "SiteDetail", "site_details"]

#: What a dynamic bound variable's value is shown as: it is known only when the site runs.
RUN_TIME = "<run time>"

_OPERAND = re.compile(r"(arg|res)(\d+)")


@dataclass(frozen=True, slots=True)
class Stack:
    """The operand stack's types at a point of a function, bottom first (top last), as Wasm type text
    (``?`` for an operand of unknown type).  ``reachable`` is False in unreachable code (after ``br``,
    ``return``, ``unreachable``, …), where the stack is polymorphic: below what is listed, anything."""

    label: str
    types: tuple[str, ...]
    reachable: bool = True

    def __str__(self) -> str:
        text = "[" + " ".join(self.types) + "]"
        return text if self.reachable else f"{text} (unreachable code: the stack is polymorphic)"


@dataclass(frozen=True, slots=True)
class BoundValue:
    """One bound variable a probe uses, at one site: its type as source text (a whamm type, or the Wasm
    type of an ``argN``/``resN`` operand there; ``?`` if unknown) and its static value as whamm source
    (``3``, ``"fib"``, ``true``), or :data:`RUN_TIME` for a dynamic variable."""

    name: str
    type: str
    value: str

    @property
    def static(self) -> bool:
        """Whether the folder substituted the value at this site."""
        return self.value != RUN_TIME


@dataclass(frozen=True, slots=True)
class SiteDetail:
    """One site of a probe (``row``, as ``sites N`` lists it), the stack there (``stacks``: before the
    anchor instruction, and after it for an ``after`` placement; the function's results for a
    ``func:exit`` function site) and the probe's bound variables with what they fold to."""

    row: SiteRow
    stacks: tuple[Stack, ...]
    variables: tuple[BoundValue, ...]


def site_details(module: Module, matched: Matched, number: int, limit: int | None = None) -> list[SiteDetail]:
    """The details of session probe ``number``'s sites in ``module`` (the first ``limit``; None: all),
    in the order ``sites N`` lists them.  Each function's stack is replayed once, however many of its
    sites are shown."""
    sites = matched.sites_of(number)
    if limit is not None:
        sites = sites[:limit]
    rows = site_rows(module, [(s, s.folded.predicate) for s in sites])
    types = ModuleTypes(module)
    wanted: dict[int, set[int]] = {}
    for s in sites:
        wanted.setdefault(s.fid, set()).add(s.index)
    stacks = {fid: _replay(FunctionTypes(types, fid), indices) for fid, indices in wanted.items()}
    return [SiteDetail(row, _site_stacks(s, stacks[s.fid], types), _variables(s))
            for row, s in zip(rows, sites)]


# ------------------------------------------------------------------------------------------- stack

_Snapshot = tuple[tuple[str, ...], bool]


def _replay(ft: FunctionTypes, indices: set[int]) -> dict[int, tuple[_Snapshot, _Snapshot]]:
    """The stack before and after each instruction of ``indices``: the walk's per-instruction operands
    and results (top first) applied in order, with the walk's rules for constructs — an opener's
    parameters start its frame, ``else``/``catch`` restart it, ``end`` closes it, and after an
    unconditional transfer the frame is emptied and polymorphic until its construct ends."""
    walked: StackTypes = ft.walk()
    instrs = ft.instrs
    out: dict[int, tuple[_Snapshot, _Snapshot]] = {}
    stack: list[str] = []
    height = 0
    dead = False
    frames: list[tuple[int, bool]] = []
    last = max(indices)
    for i in range(last + 1):
        before = (tuple(stack), not dead)
        ops, res = walked.operands[i], walked.results[i]
        del stack[max(height, len(stack) - len(ops)):]
        name = instrs[i].op.name
        if name in OPENERS:
            frames.append((height, dead))
            height, dead = len(stack), False
        elif name in MIDDLES:
            del stack[height:]
            dead = False
        elif name == "end" or name == "delegate":
            del stack[height:]
            if frames:
                height, dead = frames.pop()
        elif name in UNCONDITIONAL:
            del stack[height:]
            dead = True
        stack.extend("?" if t is None else str(t) for t in reversed(res))
        if i in indices:
            out[i] = (before, (tuple(stack), not dead))
    return out


def _site_stacks(site: MatchedSite, replayed: Mapping[int, tuple[_Snapshot, _Snapshot]],
                 types: ModuleTypes) -> tuple[Stack, ...]:
    if site.placement is Placement.FUNC_EXIT:          # after the body: the function's results
        results = tuple(str(t) for t in types.callee(site.fid).results)
        return (Stack("at exit", results),)
    (before, live_before), (after, live_after) = replayed[site.index]
    shown = [Stack("before", before, live_before)]
    if site.placement is Placement.AFTER:
        shown.append(Stack("after", after, live_after))
    return tuple(shown)


# ----------------------------------------------------------------------------------- bound values

def _variables(site: MatchedSite) -> tuple[BoundValue, ...]:
    """The bound variables the probe reads or writes (first use order) at ``site``."""
    probe = site.probe
    used = probe.bound_used
    if not used:
        return ()
    bindings = site.bindings
    out = []
    for name, var in used.items():
        declared: WhammType | None = probe.bounds.get(name, var.type)
        operand = _OPERAND.fullmatch(name)
        if not var.static:
            wasm = _operand_type(site, operand) if operand else None
            shown_type = wasm if wasm is not None else _type(declared)
            out.append(BoundValue(name, shown_type, RUN_TIME))
            continue
        if var.constant is not None:
            value = var.constant
        elif name in bindings:
            value = bindings[name]
        else:
            raise InternalError(f"static bound variable {name} has no value at {site.location}")
        out.append(BoundValue(name, _type(declared), _value(value, declared)))
    return tuple(out)


def _operand_type(site: MatchedSite, operand: re.Match) -> str | None:
    """The Wasm type of ``argN``/``resN`` at the site (None where the site has no such operand)."""
    types = site.operands if operand[1] == "arg" else site.results
    k = int(operand[2])
    if k >= len(types) or types[k] is None:
        return None
    return str(types[k])


def _type(t: WhammType | None) -> str:
    return "?" if t is None else type_source(t)


def _value(value: object, t: WhammType | None) -> str:
    """A static value as whamm source: ``3``, ``"fib"``, ``true``; a map (``br_table``'s ``targets``)
    as ``{0: 2, 1: 0}``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    if isinstance(value, (str, bytes)):
        return string_literal(value.encode() if isinstance(value, str) else value)
    if isinstance(value, bool) or t is None:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)
    return expression_source(literal(value, t, ast.NO_SPAN))

