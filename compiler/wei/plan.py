"""From checked probes to monitor probes: folding, predicate placement, callbacks, merging
(WEI.md §4–§6, §8).  Pure data; :mod:`compiler.wei.monitor` turns the plan into code.

For every expanded probe with sites (``wasm:opcode``, ``wasm:func``, ``wasm:block``):

1. fold it without any site (:func:`~compiler.lang.folder.fold_probe` with no bindings), which folds the
   per-event constants and compile-time constants and leaves site values (``fid``, ``imm0`` …) and
   ``@static`` calls in place; a predicate folding to ``false`` drops the probe for this event;
2. place the predicate (§6): **static for the engine** — only literals, match-time bound variables,
   operators and string methods on them, and ``@static`` calls — becomes the ``$P`` callback; anything
   else (operands, globals, maps, user functions, built-ins reading memory) is pushed down into the
   body as ``if (<predicate>) { … }``;
3. find the per-site callbacks (§5.3, §5.4): ``$A`` when the probe has unshared/report variables or
   ``@init`` statements, one ``$S`` per outermost ``@static`` call of the body (and of a pushed-down
   predicate), in source order.  ``@static`` calls inside the per-site initialisation (unshared
   initialisers, ``@init`` arguments) are made by ``$A`` itself, which also runs once per site at match
   time: its results are needed there, and a ``$S`` would call the library a second time;
4. compute the parameter lists (:mod:`compiler.wei.params`);
5. merge probes whose export names coincide (§8) until all are unique.

Export names contain the monitor's function indices, which only the module builder knows; probes are
therefore grouped by their **shape** — the name with every ``$N`` written ``$_`` — which is exactly the
name each probe would get "if it were alone" (its callbacks at the same positions).

Exports are ordered like the rewriter's probes at one location (REWRITING.md §8: pass-1 packages before
``wasm:func``, then first appearance of package, event, mode, then script order), so an engine that
fires probes at one location in export order — the emulator does — matches the rewriting target.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compiler.lang import ast
from compiler.lang.folder import fold_probe
from compiler.lang.scopes import CalleeKind, VarKind, callee_of, symbol_of, type_of
from compiler.sites.matching import order_keys
from compiler.wei.names import CallbackRef, ExportName
from compiler.wei.params import Requests

if TYPE_CHECKING:
    from compiler.lang.folder import Folded
    from compiler.lang.scopes import CheckedProbe, Program, Symbol
    from compiler.lang.types import WhammType

__all__ = ["Member", "StaticCallback", "MonitorProbe", "plan_probes", "static_for_engine",
           "outer_static_calls", "site_inits", "SITE_PACKAGES", "ALLOC_PARAMS"]

#: Packages whose probes become engine probes.
SITE_PACKAGES = ("opcode", "func", "block")
#: ``$A``'s leading parameters (WEI.md §5.3).
ALLOC_PARAMS = ("fname", "fid", "pc")


@dataclass(frozen=True, slots=True, eq=False)
class Member:
    """One expanded probe inside a monitor probe: its folded code, its residual predicate (None for
    ``true``) and the report names of its unshared variables (renamed ``x_1`` … on merge clashes)."""

    probe: CheckedProbe
    folded: Folded
    predicate: ast.Expr | None
    names: dict[str, str] = field(default_factory=dict)

    @property
    def number(self) -> int:
        """The source probe's number."""
        return self.probe.number

    def unshared(self) -> list[Symbol]:
        """The per-site variables, declaration order."""
        return [s for s in self.probe.symbols if s.kind is VarKind.UNSHARED]


@dataclass(frozen=True, slots=True, eq=False)
class StaticCallback:
    """A ``$S`` callback: one outermost ``@static`` call of ``member``, its parameters and result."""

    member: Member
    call: ast.Call
    params: tuple[str, ...]
    result: WhammType


@dataclass(slots=True, eq=False)
class MonitorProbe:
    """One export of the monitor: a rule and one or more members (more after merging, §8)."""

    rule: str
    members: tuple[Member, ...]
    key: tuple
    static_predicate: bool = False
    pred_params: tuple[str, ...] = ()
    statics: tuple[StaticCallback, ...] = ()
    alloc: bool = False
    alloc_params: tuple[str, ...] = ()
    body_params: tuple[str, ...] = ()

    @property
    def event(self):
        """The catalog event of the probe (all members share it)."""
        return self.members[0].probe.event

    @property
    def merged(self) -> bool:
        """Whether several source probes of one shape were merged into this export (WEI.md §8)."""
        return len(self.members) > 1

    def pushed(self, member: Member) -> ast.Expr | None:
        """The predicate ``member``'s body is wrapped in (None: no wrapping)."""
        return None if self.static_predicate else member.predicate

    def export_name(self, indices: tuple[int, ...] | None = None) -> ExportName:
        """The export name with callback function ``indices`` (``$P``, ``$A``, ``$S``… in that order),
        or ``0`` everywhere for the shape."""
        it = iter(indices or ())
        pred = CallbackRef(next(it, 0), self.pred_params) if self.static_predicate else None
        calls = []
        if self.alloc:
            calls.append(CallbackRef(next(it, 0), self.alloc_params))
        calls.extend(CallbackRef(next(it, 0), s.params) for s in self.statics)
        return ExportName(self.rule, pred, tuple(calls), self.body_params)

    @property
    def shape(self) -> str:
        """The export name with the probe number blanked: probes of one shape are merged (§8)."""
        return str(self.export_name()).replace("$0(", "$_(")


# ------------------------------------------------------------------------------------------------


def plan_probes(program: Program) -> list[MonitorProbe]:
    """Every export of the monitor of ``program`` (already checked for support), in export order."""
    keys = order_keys(program)
    probes: list[MonitorProbe] = []
    for cp in program.probes:
        e = cp.expansion
        if e.package not in SITE_PACKAGES or e.event is None:
            continue
        folded = fold_probe(cp, {}, constants=program.constants)
        if folded.predicate is False:
            continue
        pred = None if folded.predicate is True else folded.predicate
        member = Member(cp, folded, pred)  # type: ignore[arg-type]
        probes.append(_probe(f"wasm:{e.package}:{e.event}", (member,), keys[cp.number]))
    probes = _merge(probes)
    probes.sort(key=lambda p: p.key)
    return probes


def _merge(probes: list[MonitorProbe]) -> list[MonitorProbe]:
    """§8: replace every group of probes with the same shape by one probe, until shapes are unique."""
    while True:
        groups: dict[str, list[MonitorProbe]] = {}
        for p in probes:
            groups.setdefault(p.shape, []).append(p)
        if all(len(g) == 1 for g in groups.values()):
            return probes
        out = []
        for g in groups.values():
            if len(g) == 1:
                out.append(g[0])
                continue
            members = sorted((m for p in g for m in p.members), key=lambda m: m.number)
            out.append(_probe(g[0].rule, _renamed(members), min(p.key for p in g), merged=True))
        probes = out


def _renamed(members: list[Member]) -> tuple[Member, ...]:
    """Members with unshared names unique across the merged probe: a clash with an earlier member's
    name becomes ``name_1``, ``name_2`` … (the first free suffix)."""
    taken: set[str] = set()
    out = []
    for m in members:
        names: dict[str, str] = {}
        for sym in m.unshared():
            base = m.names.get(sym.name, sym.name)
            new, k = base, 0
            while new in taken:
                k += 1
                new = f"{base}_{k}"
            taken.add(new)
            names[sym.name] = new
        out.append(Member(m.probe, m.folded, m.predicate, names))
    return tuple(out)


def _probe(rule: str, members: tuple[Member, ...], key: tuple, merged: bool = False) -> MonitorProbe:
    """A monitor probe with its predicate placement, callbacks and parameter lists (§5.1)."""
    p = MonitorProbe(rule, members, key)
    only = members[0]
    p.static_predicate = not merged and only.predicate is not None and \
        static_for_engine(only.predicate, only)
    if p.static_predicate:
        req = Requests()
        req.scan(only.predicate, only.probe.event)  # type: ignore[arg-type]
        p.pred_params = tuple(req.names)
    statics: list[StaticCallback] = []
    alloc = Requests(ALLOC_PARAMS)
    body = Requests()
    for m in members:
        cp = m.probe
        event = cp.event
        pushed = p.pushed(m)
        inits = site_inits(m)
        init_ids = frozenset(id(n) for _, n in inits)
        roots: list[ast.Node] = ([pushed] if pushed is not None else []) + [m.folded.body]  # type: ignore
        calls = [c for r in roots for c in outer_static_calls(r, init_ids)]
        skip = frozenset(id(c) for c in calls)
        for c in calls:
            req = Requests()
            for a in c.args:
                req.scan(a, event)
            statics.append(StaticCallback(m, c, tuple(req.names), type_of(c)))
        for _, n in inits:
            alloc.scan(n, event)
        if pushed is not None:
            body.scan(pushed, event, skip)
        body.scan(m.folded.body, event, skip | init_ids)  # type: ignore[arg-type]
        p.alloc = p.alloc or bool(m.unshared()) or any(sym is None for sym, _ in inits)
    p.statics = tuple(statics)
    p.alloc_params = tuple(alloc.names) if p.alloc else ()
    # §5.1: the engine attaches a probe only where it can supply each requested argN/localN with the
    # type the rule bounds it to; that is the only way a type bound (LANGUAGE.md §4.2) filters sites.  A
    # bounded operand that nothing reads is therefore requested by the body too, after the names read
    # (decision of this implementation: otherwise the probe would silently run at every site).
    asked = {*p.pred_params, *p.alloc_params, *(n for c in statics for n in c.params), *body.names}
    for m in members:
        for name in m.probe.bounds:
            if name not in asked:
                body.add(name)
    p.body_params = tuple(body.names)
    return p


def site_inits(member: Member) -> list[tuple[Symbol | None, ast.Node]]:
    """The per-site initialisation of ``member`` in source order (WEI.md §5.3 step 5), the code that runs
    in ``$A``: ``(variable, initialiser)`` for unshared variables, ``(None, statement)`` for ``@init``
    call statements."""
    out: list[tuple[Symbol | None, ast.Node]] = []

    def walk(block: ast.Block) -> None:
        for s in block.stmts:
            if isinstance(s, ast.VarDecl) and s.init is not None:
                sym = symbol_of(s)
                if sym.kind is VarKind.UNSHARED:
                    out.append((sym, s.init))
            elif isinstance(s, ast.CallStmt) and isinstance(s.call, ast.Call) and s.call.annotation == "init":
                out.append((None, s))
            elif isinstance(s, ast.If):
                for b in (s.then, *(e.body for e in s.elifs), *((s.orelse,) if s.orelse else ())):
                    walk(b)

    if member.folded.body is not None:
        walk(member.folded.body)
    return out


def outer_static_calls(node: ast.Node, skip: frozenset[int] = frozenset()) -> list[ast.Call]:
    """The outermost ``@static`` library calls in ``node``, source order, not looking inside the nodes
    whose ids are in ``skip``."""
    out: list[ast.Call] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in skip:
            continue
        if isinstance(n, ast.Call) and n.annotation == "static" and n.lib is not None:
            out.append(n)
            continue
        stack.extend(reversed(list(ast.children(n))))
    return out


def static_for_engine(expr: ast.Expr, member: Member) -> bool:
    """WEI.md §5.2: whether ``member``'s residual predicate can be decided at match time."""
    for n in ast.walk(expr):
        if isinstance(n, ast.Name):
            sym = n.symbol
            if sym is None or sym.kind is not VarKind.BOUND or sym.bound is None or not sym.bound.static:
                return False
        elif isinstance(n, ast.Call):
            callee = callee_of(n)
            if not (n.annotation == "static" and callee.kind is CalleeKind.LIBRARY):
                return False
        elif isinstance(n, ast.Index):
            return False
    return True
