"""The constant folder (LANGUAGE.md §13): one checked probe, the static facts of one site → what to inject.

:func:`fold_probe` substitutes the site's static bindings (``fid``, ``pc``, ``fname``, ``immN``, ...),
the per-event constants, the compile-time constants of §7.4 and the results of ``@static`` calls, then
simplifies bottom-up with the run-time semantics of :mod:`compiler.lang.values`:

* operators, casts, string methods and ``==``/``!=`` on static operands are computed (a constant that
  traps, e.g. a division by zero, is a :class:`FoldError`);
* ``c ? a : b`` with a static ``c`` becomes the selected branch (the other is not folded, so its
  ``@static`` calls do not run);
* ``&&``/``||``: both operands are folded first (so both operands' ``@static`` calls run), then the
  rules of §13.2.3 apply; a dropped dynamic operand disappears from the residual;
* ``!`` on a static bool; ``if`` statements with static conditions keep only the taken branch.

The result is pure data: the folded predicate (``True``, ``False`` or a residual expression) and the
folded body, typed trees like the checker's: a rebuilt node is a :func:`dataclasses.replace` of the typed
one (so it keeps its type and callee), a literal standing for a static value is built with its type.
New nodes carry the original spans.

``@static`` evaluation order (§13.4).  The caller visits sites in traversal order and probes in
injection order; within one probe :func:`fold_probe` evaluates (1) the predicate, (2) if it did not
fold to ``False``, the per-site initialization in source order — unshared initializers and ``@init``
statements' arguments — and (3) the rest of the body in source order.  Within an expression, arguments
are folded left to right before the call, operands left to right.  Shared initializers run once per
probe: the caller folds them with :func:`fold_shared_initializers` before any site (§13.4 rule 1).
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from dataclasses import dataclass
from typing import Callable, Mapping

from compiler.errors import WhammError
from compiler.lang import ast, values
from compiler.lang.diagnostics import Diagnostic, Span
from compiler.lang.scopes import CalleeKind, CheckedProbe, VarKind, callee_of, symbol_of, type_of
from compiler.lang.types import Prim, TupleType, WhammType, is_float, is_integer

__all__ = [
    "StaticCall", "Folded", "FoldError", "fold_probe", "fold_predicate", "cannot_fail", "fold_expr", "fold_shared_initializers",
    "constant_value", "literal",
]

#: ``static_call(library, function, args)`` performs an ``@static`` library call (``library`` set) or a
#: static built-in (``library`` None: ``memid``, ``page_size``, ``active_data_start``,
#: ``active_data_len``; ``memid`` gets the library name as its argument) and returns the value, or
#: None when it cannot be evaluated here (the call then stays in the residual).
StaticCall = Callable[[str | None, str, tuple], object]


class FoldError(WhammError):
    """A static computation that would trap at run time (§13.2 rule 1), e.g. a division by zero."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic
        super().__init__(diagnostic.message)


@dataclass(frozen=True, slots=True)
class Folded:
    """The outcome for one probe at one site.

    ``predicate`` is ``True`` (inject unconditionally), ``False`` (do not inject; ``body`` is None) or a
    residual expression to guard the body with; both are typed trees.  ``inits`` maps each unshared
    variable with an initializer to its folded initializer (run once per site at program start).
    """

    predicate: bool | ast.Expr
    body: ast.Block | None
    inits: Mapping[str, ast.Expr]


class _Const:
    """A static value during folding (distinguishes a value from a residual node)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


_NOT_STATIC = object()

#: Whether probes are simplified (§13.2).  Only the folding oracle of ``tests/differential`` turns it
#: off, to compare reports with and without folding: static bound variables and compile-time constants
#: are still materialised as literals and ``@static`` calls and static built-ins still run (they have
#: no run-time form), but no operator, cast, method, ternary, ``&&``/``||``, ``!`` or ``if`` is
#: simplified, so every probe is injected at every site its rule matches and its whole predicate runs.
_SIMPLIFY = contextvars.ContextVar("whamm_static_folding", default=True)


@contextlib.contextmanager
def static_folding(enabled: bool):
    """Fold probes (the default) or only materialise their static values, within this block."""
    token = _SIMPLIFY.set(enabled)
    try:
        yield
    finally:
        _SIMPLIFY.reset(token)


class _Folder:
    def __init__(self, bindings: Mapping[str, object], constants: Mapping[str, object],
                 static_call: StaticCall | None) -> None:
        self.bindings = bindings
        self.constants = constants
        self.static_call = static_call
        # statements whose initializer or @init call was folded ahead of its turn (per-site
        # initialization, §13.4 rule 2), by the statement's span (each statement has its own)
        self.done: dict[Span, object] = {}
        self.simplify = _SIMPLIFY.get()

    # ------------------------------------------------------------------------------------ helpers

    def node(self, value: object, t: WhammType, span: Span) -> ast.Expr:
        """A literal node of type ``t`` holding a static value."""
        return literal(value, t, span)

    def residual(self, r: object, like: ast.Expr) -> ast.Expr:
        """``r`` as an expression: a static value becomes a literal (the original node when it was one)."""
        if isinstance(r, _Const):
            if isinstance(like, (ast.IntLit, ast.FloatLit, ast.BoolLit, ast.StrLit)):
                return like
            return self.node(r.value, type_of(like), like.span)
        return r  # type: ignore[return-value]

    def rebuild(self, old: ast.Node, **changes: object) -> ast.Node:
        if all(getattr(old, k) is v for k, v in changes.items()):
            return old
        return dataclasses.replace(old, **changes)  # type: ignore[type-var]  # keeps type and callee

    def trap(self, exc: values.Trap, span: Span) -> FoldError:
        msg = str(exc)
        if msg == "integer divide by zero":
            text = "division by zero in constant expression"
        elif msg == "integer overflow":
            text = "integer overflow in constant expression"
        else:
            text = f"{msg} in constant expression"
        return FoldError(Diagnostic.error(text, span))

    # -------------------------------------------------------------------------------- expressions

    def expr(self, e: ast.Expr) -> object:
        """A :class:`_Const` for a static result, else the residual expression."""
        t = type_of(e)
        if isinstance(e, ast.IntLit):
            return _Const(values.int_literal(e.value, t))  # type: ignore[arg-type]
        if isinstance(e, ast.FloatLit):
            return _Const(values.float_literal(e.text, t))  # type: ignore[arg-type]
        if isinstance(e, (ast.BoolLit, ast.StrLit)):
            return _Const(e.value)
        if isinstance(e, ast.Name):
            v = self.name_value(e, t)
            return e if v is _NOT_STATIC else _Const(v)
        if not self.simplify and type(e) in _COMPOUND:
            return self.rebuild(e, **{k: self.materialise(getattr(e, k)) for k in _COMPOUND[type(e)]})
        if isinstance(e, ast.Binary):
            return self.binary(e, t)
        if isinstance(e, ast.Unary):
            r = self.expr(e.operand)
            if isinstance(r, _Const):
                return _Const(values.unary(e.op, r.value, t))  # type: ignore[arg-type]
            return self.rebuild(e, operand=r)
        if isinstance(e, ast.Ternary):
            c = self.expr(e.cond)
            if isinstance(c, _Const):
                return self.expr(e.then if c.value else e.orelse)
            return self.rebuild(e, cond=c, then=self.residual(self.expr(e.then), e.then),
                                orelse=self.residual(self.expr(e.orelse), e.orelse))
        if isinstance(e, ast.Cast):
            r = self.expr(e.expr)
            if isinstance(r, _Const):
                try:
                    return _Const(values.cast(r.value, type_of(e.expr), e.type.type))  # type: ignore[arg-type]
                except values.Trap as exc:
                    raise self.trap(exc, e.span) from None
            return self.rebuild(e, expr=r)
        if isinstance(e, ast.Call):
            return self.call(e, t)
        if isinstance(e, ast.MethodCall):
            recv = self.expr(e.receiver)
            args = [self.expr(a) for a in e.args]
            if e.method != "addr" and isinstance(recv, _Const) and all(isinstance(a, _Const) for a in args):
                return _Const(values.str_method(e.method, recv.value, *(a.value for a in args)))  # type: ignore[arg-type]
            return self.rebuild(e, receiver=self.residual(recv, e.receiver),
                                args=tuple(self.residual(a, x) for a, x in zip(args, e.args)))
        if isinstance(e, ast.TupleLit):
            elems = [self.expr(x) for x in e.elems]
            if all(isinstance(x, _Const) for x in elems):
                return _Const(tuple(x.value for x in elems))  # type: ignore[union-attr]
            return self.rebuild(e, elems=tuple(self.residual(r, x) for r, x in zip(elems, e.elems)))
        if isinstance(e, ast.Field):
            r = self.expr(e.tuple)
            if isinstance(r, _Const):
                return _Const(r.value[e.index])  # type: ignore[index]
            return self.rebuild(e, tuple=r)
        if isinstance(e, ast.Index):
            key = self.residual(self.expr(e.key), e.key)
            return self.rebuild(e, key=key)
        return e

    def materialise(self, child: ast.Expr | tuple) -> ast.Expr | tuple:
        """A child expression (or tuple of them) folded without simplification, as a node."""
        if isinstance(child, tuple):
            return tuple(self.residual(self.expr(c), c) for c in child)
        return self.residual(self.expr(child), child)

    def name_value(self, e: ast.Name, t: WhammType | None) -> object:
        sym = symbol_of(e)
        if sym.kind is VarKind.GLOBAL:
            return self.constants.get(e.id, _NOT_STATIC)
        if sym.kind is VarKind.BUILTIN:
            return self.bindings.get(e.id, _NOT_STATIC)
        if sym.kind is not VarKind.BOUND or sym.bound is None or not sym.bound.static:
            return _NOT_STATIC
        var = sym.bound
        if var.constant is not None:
            value = var.constant
        else:
            value = self.bindings.get(e.id, _NOT_STATIC)
            if value is _NOT_STATIC:
                return value
        if isinstance(value, str):
            return value.encode()
        if var.type is not None and t is not None and var.type != t and not isinstance(value, bool):
            return values.int_literal(value, t)  # type: ignore[arg-type]  # per-event constant as literal
        return value

    def binary(self, e: ast.Binary, t: WhammType | None) -> object:
        left = self.expr(e.left)
        right = self.expr(e.right)
        if e.op in ("&&", "||"):
            absorbing = e.op == "||"         # true || x = true;  false && x = false
            for a, b in ((left, right), (right, left)):
                if isinstance(a, _Const):
                    if bool(a.value) == absorbing:
                        return _Const(absorbing)
                    return b
            return self.rebuild(e, left=left, right=right)
        if isinstance(left, _Const) and isinstance(right, _Const):
            try:
                if e.op in values.EQUALITY_OPS or e.op in values.ORDER_OPS:
                    return _Const(values.compare(e.op, left.value, right.value))
                return _Const(values.binary(e.op, left.value, right.value, type_of(e.left)))
            except values.Trap as exc:
                raise self.trap(exc, e.span) from None
        return self.rebuild(e, left=self.residual(left, e.left), right=self.residual(right, e.right))

    def call(self, e: ast.Call, t: WhammType | None) -> object:
        callee = callee_of(e)
        if callee.kind is CalleeKind.BUILTIN and callee.name == "memid":
            arg = e.args[0]
            lib = arg.id if isinstance(arg, ast.Name) else None
            v = self.static_call(None, "memid", (lib,)) if self.static_call else None
            return e if v is None else _Const(v)
        args = [self.expr(a) for a in e.args]
        all_static = all(isinstance(a, _Const) for a in args)
        if all_static and self.static_call is not None and (
                e.annotation == "static" or callee.kind is CalleeKind.BUILTIN):
            lib = e.lib if e.annotation == "static" else None
            if lib is not None or callee.name in ("page_size", "active_data_start", "active_data_len"):
                v = self.static_call(lib, e.func, tuple(a.value for a in args))  # type: ignore[union-attr]
                if v is not None:
                    return _Const(_normalise(v, callee.result))
        return self.rebuild(e, args=tuple(self.residual(a, x) for a, x in zip(args, e.args)))

    # --------------------------------------------------------------------------------- statements

    def block(self, b: ast.Block) -> ast.Block:
        out: list[ast.Stmt] = []
        for s in b.stmts:
            out.extend(self.stmt(s))
        return self.rebuild(b, stmts=tuple(out)) if len(out) != len(b.stmts) or \
            any(x is not y for x, y in zip(out, b.stmts)) else b  # type: ignore[return-value]

    def ahead(self, s: ast.Stmt, e: ast.Expr) -> object:
        """``e`` of statement ``s`` folded: the result of folding it ahead of its turn, if it was."""
        if s.span in self.done:
            return self.done.pop(s.span)
        return self.expr(e)

    def stmt(self, s: ast.Stmt) -> list[ast.Stmt]:
        if isinstance(s, ast.VarDecl):
            if s.init is None or "shared" in s.modifiers:
                return [s]
            return [self.rebuild(s, init=self.residual(self.ahead(s, s.init), s.init))]  # type: ignore[list-item]
        if isinstance(s, ast.Assign):
            return [self.rebuild(s, target=self.target(s.target),  # type: ignore[list-item]
                                 value=self.residual(self.expr(s.value), s.value))]
        if isinstance(s, ast.CompoundAssign):
            return [self.rebuild(s, target=self.target(s.target),  # type: ignore[list-item]
                                 value=self.residual(self.expr(s.value), s.value))]
        if isinstance(s, ast.IncDec):
            return [self.rebuild(s, target=self.target(s.target))]  # type: ignore[list-item]
        if isinstance(s, ast.CallStmt):
            r = self.ahead(s, s.call)
            if isinstance(r, _Const):
                return []  # an @static call statement: it ran at compile time
            return [self.rebuild(s, call=r)]  # type: ignore[list-item]
        if isinstance(s, ast.Return):
            if s.value is None:
                return [s]
            return [self.rebuild(s, value=self.residual(self.expr(s.value), s.value))]  # type: ignore[list-item]
        if isinstance(s, ast.If):
            return self.if_stmt(s)
        return [s]

    def target(self, t: ast.Expr) -> ast.Expr:
        if isinstance(t, ast.Index):
            return self.rebuild(t, key=self.residual(self.expr(t.key), t.key))  # type: ignore[return-value]
        if isinstance(t, ast.Field):
            return self.rebuild(t, tuple=self.target(t.tuple))  # type: ignore[return-value]
        return t

    def if_stmt(self, s: ast.If) -> list[ast.Stmt]:
        arms = [(s.cond, s.then)] + [(e.cond, e.body) for e in s.elifs]
        kept: list[tuple[ast.Expr, ast.Block, ast.Node]] = []
        orelse = s.orelse
        for i, (cond, body) in enumerate(arms):
            c = self.expr(cond)
            if not self.simplify:
                c = self.residual(c, cond)
            if isinstance(c, _Const):
                if c.value:
                    orelse = body
                    break
                continue
            kept.append((c, body, s if i == 0 else s.elifs[i - 1]))  # type: ignore[arg-type]
        if not kept:
            return list(self.block(orelse).stmts) if orelse is not None else []
        first_cond, first_body, _ = kept[0]
        elifs = tuple(self.rebuild(src, cond=c, body=self.block(b)) for c, b, src in kept[1:])
        new = dataclasses.replace(s, cond=first_cond, then=self.block(first_body), elifs=elifs,
                                  orelse=self.block(orelse) if orelse is not None else None)
        return [new]

    def prefold_site_init(self, b: ast.Block, inits: dict[str, ast.Expr]) -> None:
        """§13.4 rule 2: unshared initializers and ``@init`` arguments fold before the rest of the body."""
        for s in b.stmts:
            if isinstance(s, ast.VarDecl) and s.init is not None and "shared" not in s.modifiers \
                    and "frame" not in s.modifiers and ("unshared" in s.modifiers or "report" in s.modifiers):
                r = self.expr(s.init)
                inits[s.name] = self.residual(r, s.init)
                self.done[s.span] = r
            elif isinstance(s, ast.CallStmt) and isinstance(s.call, ast.Call) and s.call.annotation == "init":
                self.done[s.span] = self.expr(s.call)
            elif isinstance(s, ast.If):
                for blk in (s.then, *(e.body for e in s.elifs), *((s.orelse,) if s.orelse else ())):
                    self.prefold_site_init(blk, inits)


#: Node types :meth:`_Folder.expr` simplifies, and their child expressions.
_COMPOUND = {ast.Binary: ("left", "right"), ast.Unary: ("operand",), ast.Ternary: ("cond", "then", "orelse"),
             ast.Cast: ("expr",), ast.MethodCall: ("receiver", "args"), ast.TupleLit: ("elems",),
             ast.Field: ("tuple",)}


def _normalise(v: object, t: WhammType) -> object:
    """A value returned by a callback, brought into the representation of type ``t``."""
    if t is Prim.BOOL:
        return bool(v)
    if is_integer(t):
        return values.wrap(int(v), t)  # type: ignore[arg-type, call-overload]
    if is_float(t):
        f = float(v)  # type: ignore[arg-type]
        return values.to_f32(f) if t is Prim.F32 else f
    if t is Prim.STR and isinstance(v, str):
        return v.encode()
    return v


def fold_probe(probe: CheckedProbe, bindings: Mapping[str, object], *,
               constants: Mapping[str, object] | None = None,
               static_call: StaticCall | None = None) -> Folded:
    """Fold one probe's typed predicate and body at one site.

    ``bindings`` maps the site's static bound variables (and ``APP_MEMID``) to values: integers as
    ``int``, strings as ``str`` or ``bytes``, booleans as ``bool``.  ``constants`` are the program's
    compile-time constants (``Program.constants``).  Raises :class:`FoldError` for a static computation
    that traps.
    """
    f = _Folder(_bytes_bindings(bindings), constants or {}, static_call)
    pred = _predicate(f, probe)
    if pred is False:
        return Folded(False, None, {})
    inits: dict[str, ast.Expr] = {}
    f.prefold_site_init(probe.body, inits)
    body = f.block(probe.body)
    return Folded(pred, body, inits)


def fold_predicate(probe: CheckedProbe, bindings: Mapping[str, object], *,
                   constants: Mapping[str, object] | None = None) -> bool | ast.Expr:
    """The probe's predicate folded as :func:`fold_probe` folds it, with no ``@static`` call or static
    built-in evaluated (they stay in the residual) and the body left alone.

    ``bindings`` may be a *subset* of a site's static bindings: a static bound variable without a value
    stays in the residual like a dynamic one.  The matcher folds with the function-wide ones (``fid``,
    ``fname``) to rule out whole functions; every value computed from a subset is the one the whole
    bindings give, so ``False`` here means ``False`` at every site agreeing on them — provided folding
    cannot fail there (:func:`cannot_fail`), which the caller checks.  Raises :class:`FoldError` like it.
    """
    return _predicate(_Folder(_bytes_bindings(bindings), constants or {}, None), probe)


def cannot_fail(e: ast.Expr) -> bool:
    """Whether folding ``e`` cannot raise whatever static values it gets: no division or remainder (may
    trap), no cast from a float (may trap), no call (``@static`` calls and static built-ins may fail).
    With such an expression a fold over a subset of the bindings (:func:`fold_predicate`) that gives a
    value gives the value a fold over all of them gives."""
    if isinstance(e, (ast.IntLit, ast.FloatLit, ast.BoolLit, ast.StrLit, ast.Name)):
        return True
    if isinstance(e, ast.Binary):
        return e.op != "/" and e.op != "%" and cannot_fail(e.left) and cannot_fail(e.right)
    if isinstance(e, ast.Cast):
        return not is_float(type_of(e.expr)) and cannot_fail(e.expr)
    if isinstance(e, ast.Unary):
        return cannot_fail(e.operand)
    if isinstance(e, ast.Ternary):
        return cannot_fail(e.cond) and cannot_fail(e.then) and cannot_fail(e.orelse)
    if isinstance(e, ast.MethodCall):
        return cannot_fail(e.receiver) and all(cannot_fail(a) for a in e.args)
    if isinstance(e, ast.TupleLit):
        return all(cannot_fail(x) for x in e.elems)
    if isinstance(e, ast.Field):
        return cannot_fail(e.tuple)
    if isinstance(e, ast.Index):
        return cannot_fail(e.key)
    return False                                    # a call


def _predicate(f: _Folder, probe: CheckedProbe) -> bool | ast.Expr:
    if probe.predicate is None:
        return True
    r = f.expr(probe.predicate)
    if not f.simplify:
        return f.residual(r, probe.predicate)
    return bool(r.value) if isinstance(r, _Const) else r  # type: ignore[return-value]


def fold_shared_initializers(probe: CheckedProbe, bindings: Mapping[str, object], *,
                             constants: Mapping[str, object] | None = None,
                             static_call: StaticCall | None = None) -> dict[str, ast.Expr]:
    """The probe's shared initializers folded once (§13.4 rule 1), by variable name, source order.
    ``bindings`` should hold only per-probe values (``APP_MEMID``); per-event constants are built in."""
    f = _Folder(_bytes_bindings(bindings), constants or {}, static_call)
    out: dict[str, ast.Expr] = {}
    for d in probe.declarations():
        sym = d.symbol
        if sym is not None and sym.kind is VarKind.SHARED and d.init is not None:
            out[sym.name] = f.residual(f.expr(d.init), d.init)
    return out


def fold_expr(expr: ast.Expr, bindings: Mapping[str, object] | None = None, *,
              constants: Mapping[str, object] | None = None,
              static_call: StaticCall | None = None) -> object:
    """Fold one typed expression (for script-level code or the shell): a Python value when it is
    static, else the residual expression (a typed tree)."""
    f = _Folder(_bytes_bindings(bindings or {}), constants or {}, static_call)
    r = f.expr(expr)
    return r.value if isinstance(r, _Const) else r


def constant_value(expr: ast.Expr, constants: Mapping[str, object]) -> object | None:
    """The value of a compile-time constant's typed assignment (§7.4), or None if it does not fold to a
    primitive constant.  Raises :class:`FoldError` if folding it traps."""
    f = _Folder({}, constants, None)
    r = f.expr(expr)
    if isinstance(r, _Const) and not isinstance(r.value, tuple) and r.value is not None:
        return r.value
    return None


def literal(value: object, t: WhammType, span: Span) -> ast.Expr:
    """A literal node of type ``t`` holding the static value ``value`` (``str`` values as UTF-8)."""
    if isinstance(value, bool):
        return ast.BoolLit(value, span, checked_type=t)
    if isinstance(value, int):
        return ast.IntLit(value, str(value), span, checked_type=t)
    if isinstance(value, float):
        return ast.FloatLit(value, repr(value), span, checked_type=t)
    if isinstance(value, (bytes, str)):
        return ast.StrLit(value.encode() if isinstance(value, str) else value, span, checked_type=t)
    assert isinstance(t, TupleType) and isinstance(value, tuple)
    return ast.TupleLit(tuple(literal(v, et, span) for v, et in zip(value, t.elems)), span, checked_type=t)


def _bytes_bindings(bindings: Mapping[str, object]) -> Mapping[str, object]:
    if any(isinstance(v, str) for v in bindings.values()):
        return {k: (v.encode() if isinstance(v, str) else v) for k, v in bindings.items()}
    return bindings

