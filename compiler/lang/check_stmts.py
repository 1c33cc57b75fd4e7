"""Checking statements (LANGUAGE.md §5, §7): blocks, declarations, assignments and their targets,
``return`` and ``if``; a probe's predicate and body at one expansion.

Split from the expression checker because statements carry what expressions do not: the body's kind
(script level, function, probe) decides which declarations and ``return`` forms are allowed, the
declarations fill the body's scope in order, and assignment targets are typed by what they may write.
Every method returns the typed copy of what it checked (:mod:`compiler.lang.ast` describes the fields);
:meth:`BodyChecker.probe` stores the typed predicate and body on the :class:`CheckedProbe`.
"""
from __future__ import annotations

import dataclasses

from compiler.events import wasi
from compiler.lang import ast, values
from compiler.lang.check_exprs import AGG_UPDATE, SITE, VISIT, ExprChecker
from compiler.lang.check_names import BOUNDABLE, NO_SITE_PACKAGES
from compiler.lang.scopes import Symbol, VarKind
from compiler.lang.types import UNIT, AggType, MapType, Prim, WhammType, is_integer, is_numeric

__all__ = ["BodyChecker"]

_SPECIAL = ("report", "unshared", "shared", "frame")


class BodyChecker(ExprChecker):
    """Checks one body (script level, a function, or one expansion of a probe)."""

    def probe(self) -> None:
        """Check the probe's predicate and body; the typed trees and symbols go on the probe."""
        cp = self.cp
        assert cp is not None
        pred = cp.probe.predicate
        if pred is not None:
            cp.predicate = self.expr(pred, Prim.BOOL)
            t = cp.predicate.checked_type
            if t is not None and t != Prim.BOOL:
                self.error(f"predicate must have type bool, found {t}", pred.span)
        cp.body = self.block(cp.probe.body)
        cp.symbols = list(self.scope.values())

    # --------------------------------------------------------------------------------- statements

    def block(self, block: ast.Block) -> ast.Block:
        """The typed block; a statement after ``return`` is reported once per block as unreachable."""
        out: list[ast.Stmt] = []
        returned = False
        for s in block.stmts:
            if returned:
                self.c.warn("unreachable statement", s.span,
                            note="statements after `return` never run")
                returned = False  # warn once per block
                out.append(self.stmt(s))
                continue
            out.append(self.stmt(s))
            if isinstance(s, ast.Return):
                returned = True
        return dataclasses.replace(block, stmts=tuple(out))

    def stmt(self, s: ast.Stmt) -> ast.Stmt:
        """The typed statement (§5); declarations enter the body's scope as they are met."""
        if isinstance(s, ast.VarDecl):
            return self.var_decl(s)
        if isinstance(s, ast.Assign):
            target, t = self.target(s.target, assign=True)
            if isinstance(t, AggType):
                self.error(AGG_UPDATE, s.span)
                return dataclasses.replace(s, target=target, value=self.expr(s.value, None))
            value = self.expect(s.value, t) if t is not None else self.expr(s.value, None)
            return dataclasses.replace(s, target=target, value=value)
        if isinstance(s, ast.CompoundAssign):
            target, t = self.target(s.target, assign=True)
            if t is None:
                return dataclasses.replace(s, target=target, value=self.expr(s.value, None))
            return dataclasses.replace(s, target=target, value=self.compound_operand(s, t))
        if isinstance(s, ast.IncDec):
            target, t = self.target(s.target, assign=True)
            if isinstance(t, AggType):
                self.error(AGG_UPDATE, s.span)
            elif t is not None and not is_numeric(t):
                self.error(f"`{s.op}` needs a numeric variable, found {t}", s.span)
            return dataclasses.replace(s, target=target)
        if isinstance(s, ast.CallStmt):
            # typed with its result, which the code generator drops as the statement discards it
            return dataclasses.replace(s, call=self.call(s.call, None, statement=True))
        if isinstance(s, ast.Return):
            return self.ret(s)
        if isinstance(s, ast.If):
            cond = self.cond(s.cond)
            then = self.block(s.then)
            elifs = []
            for e in s.elifs:
                c = self.cond(e.cond)
                elifs.append(dataclasses.replace(e, cond=c, body=self.block(e.body)))
            orelse = self.block(s.orelse) if s.orelse is not None else None
            return dataclasses.replace(s, cond=cond, then=then, elifs=tuple(elifs), orelse=orelse)
        return s

    def compound_operand(self, s: ast.CompoundAssign, t: WhammType) -> ast.Expr:
        """The typed right side of ``x OP= e``: the operand of ``x OP e`` where ``x`` has type ``t``
        (ANALYSIS.md §2), so ``e`` must have ``t`` too (a literal takes it) and ``OP`` must apply to ``t``."""
        op = s.op
        value = self.expect(s.value, t)
        if op in values.ARITHMETIC_OPS:
            ok = is_numeric(t)
        elif op in values.SHIFT_OPS:
            ok = is_integer(t)
        else:  # & | ^
            ok = is_integer(t) or t is Prim.BOOL
        if not ok:
            self.error(f"operator `{op}=` cannot be applied to {t}", s.span)
        elif op in ("/", "%") and is_integer(t) and isinstance(s.value, ast.IntLit) and s.value.value == 0:
            self.error("division by zero in constant expression", s.value.span)
        return value

    def cond(self, e: ast.Expr) -> ast.Expr:
        """An ``if``/``elif`` condition: must be a bool, there is no implicit truthiness."""
        x = self.expr(e, Prim.BOOL)
        t = x.checked_type
        if t is not None and t != Prim.BOOL:
            self.error(f"expected bool, found {t}", e.span, note="an `if` condition must be a bool")
        return x

    def ret(self, s: ast.Return) -> ast.Return:
        """``return``: a value of the function's result type in functions, a replacement for the instruction in
        ``alt`` probes, nothing elsewhere (§5.5, §6.3)."""
        value = s.value
        if self.kind == "function":
            fn = self.function
            assert fn is not None
            if fn.result is None or fn.result == UNIT:
                if value is not None:
                    self.error(f"function {fn.name} has no result type; `return` cannot have a value",
                               value.span)
                    value = self.expr(value, None)
            elif value is None:
                self.error(f"expected {fn.result}, found ()", s.span)
            else:
                value = self.expect(value, fn.result)
        elif self.kind == "probe":
            if value is not None:
                if not self.cp.is_alt:  # type: ignore[union-attr]
                    self.error("`return` with a value is only allowed in alt probes and functions",
                               value.span)
                    value = self.expr(value, None)
                elif self.cp.package == "p1":  # type: ignore[union-attr]  # the WASI call's errno
                    event = self.cp.expansion.event  # type: ignore[union-attr]
                    if not wasi.function(event).returns_errno:  # type: ignore[arg-type]
                        self.error(f"{event} returns nothing; `return` cannot have a value", value.span)
                        value = self.expr(value, None)
                    else:
                        value = self.expect(value, Prim.U16)
                else:
                    value = self.expr(value, None)
        return s if value is s.value else dataclasses.replace(s, value=value)

    def var_decl(self, d: ast.VarDecl) -> ast.VarDecl:
        """A declaration in a body: modifiers, type, a fresh name and its initializer (script-level ones were
        declared with the globals already)."""
        if self.kind == "script":
            return d  # checked with the globals (Checker.check_script_level)
        mods = self.c.check_modifiers(d)
        special = [m for m in mods if m in _SPECIAL]
        if self.kind == "function" and special:
            self.error("special declarations are not allowed in functions", d.span)
            mods = ()
        if self.kind == "probe" and special and self.cp.package in NO_SITE_PACKAGES:  # type: ignore[union-attr]
            self.error(f"special declarations are not allowed in wasm:{self.cp.package}", d.span)  # type: ignore[union-attr]
            mods = ()
        if self.kind == "function":
            kind = VarKind.FUNCTION_LOCAL
        elif "frame" in mods:
            kind = VarKind.FRAME
        elif "shared" in mods:
            kind = VarKind.SHARED
        elif "unshared" in mods or "report" in mods:
            kind = VarKind.UNSHARED
        else:
            kind = VarKind.PROBE_LOCAL
        t = d.type.type
        self.c.check_type(d.type, allow_map=kind in (VarKind.UNSHARED, VarKind.SHARED),
                          allow_agg=True if kind is VarKind.FRAME else None)
        typed = d
        if kind is VarKind.FRAME and d.init is not None:
            self.error("frame variables cannot have an initializer", d.init.span)
        elif d.init is not None and isinstance(t, AggType):
            self.error(AGG_UPDATE, d.init.span)
        elif d.init is not None:
            typed = dataclasses.replace(d, init=self.expect(d.init, t))
            if kind in (VarKind.UNSHARED, VarKind.SHARED):
                self.initializer(typed.init, kind)  # type: ignore[arg-type]
        if not self.c.check_name(d.name, d.name_span):
            return typed
        if d.name in self.scope or (self.kind == "probe" and self.bound_lookup(d.name) is not None):
            self.error(f"`{d.name}` is already defined", d.name_span)
            return typed
        sym = self.scope[d.name] = Symbol(d.name, t, kind, report="report" in mods, decl=d)
        return dataclasses.replace(typed, symbol=sym)

    def initializer(self, e: ast.Expr, kind: VarKind) -> None:
        """An ``unshared``/``shared`` initializer runs once, not per visit, so it may not read per-visit state,
        nor a shared one per-site values (§4.3)."""
        flags, node = self.deps(e)
        if flags & VISIT:
            self.error("cannot initialize an unshared/shared variable with per-visit state; assign it in "
                       "a separate statement", node[VISIT].span)
        elif kind is VarKind.SHARED and flags & SITE:
            self.error("cannot initialize a shared variable with a per-site value; use an unshared "
                       "variable or assign it in a separate statement", node[SITE].span)

    # ------------------------------------------------------------------------------ assignment targets

    def target(self, t: ast.Expr, assign: bool) -> tuple[ast.Expr, WhammType | None]:
        """The typed target and the type a value assigned to it must have (None after an error).  A
        plain variable target carries its symbol but no ``checked_type``: it is written, not read."""
        if isinstance(t, ast.Name):
            sym = self.resolve(t)
            if sym is None:
                return t, None
            named = dataclasses.replace(t, symbol=sym)
            if sym.kind in (VarKind.BOUND, VarKind.BUILTIN):
                if not self.assignable(sym):
                    self.error(f"cannot assign to `{t.id}`", t.span)
                    return named, None
            return named, sym.type
        if isinstance(t, ast.Index):
            if isinstance(t.map, ast.Name):
                m, mt = self.target(t.map, assign=False)
            else:
                m = self.expr(t.map, None)
                mt = m.checked_type
            if mt is None:
                return dataclasses.replace(t, map=m), None
            if not isinstance(mt, MapType):
                self.error(f"cannot index a value of type {mt}", t.map.span)
                return dataclasses.replace(t, map=m), None
            if isinstance(m, ast.Name) and m.symbol is not None and m.symbol.kind is VarKind.BOUND:
                self.error(f"cannot assign to `{m.id}`", m.span)
                return dataclasses.replace(t, map=m), None
            key = self.expect(t.key, mt.key)
            return dataclasses.replace(t, map=m, key=key, checked_type=mt.value), mt.value
        if isinstance(t, ast.Field):
            inner, tt = self.target(t.tuple, assign)
            if tt is None:
                return dataclasses.replace(t, tuple=inner), None
            ft = self.field_type(t, tt)
            return dataclasses.replace(t, tuple=inner, checked_type=ft), ft
        self.error("invalid assignment target", t.span)
        return t, None

    def assignable(self, sym: Symbol) -> bool:
        """Which bound variables a body may write: ``localN`` always, ``argN`` before the instruction runs,
        ``resN`` after it (§8.2); nothing else bound is writable."""
        name = sym.name
        mode = self.cp.mode if self.cp is not None else None
        if name.startswith("local") and BOUNDABLE.fullmatch(name):
            return True
        if name.startswith("arg") and BOUNDABLE.fullmatch(name):
            return mode in ("before", "alt")
        if name.startswith("res") and BOUNDABLE.fullmatch(name):
            return mode == "after"
        return False
