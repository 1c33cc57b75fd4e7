"""Typing expressions and calls (LANGUAGE.md §6, §9, §11, §12): each checked expression comes back as a
typed copy of itself.

Typing of literals (§6.3) is bidirectional: :meth:`ExprChecker.expr` takes the type the context expects
and a literal (or an expression built only from literals and per-event constants) takes it; elsewhere
the other operand's type is the context.  The result is a rebuilt node whose ``checked_type`` (and, for
names and calls, ``symbol``/``callee``) the folder and the code generators read; a node that failed to
check keeps ``checked_type`` None (the checker reports the error, so such a tree never leaves it).

Split from the statement checker because expressions are the bulk of the rules and have no statement
context beyond the expected type; the dependency analysis (:meth:`ExprChecker.deps`) lives here too as it
decides what may stand in ``@static`` arguments and memory ids, which the call rules check.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

from compiler.events import catalog as cat
from compiler.events.variables import MEMORY_ID_PARAMS
from compiler.lang import ast, values
from compiler.lang.check_names import CORE_FNS, NameScope
from compiler.lang.check_output import OUTPUT_BUILTINS, OutputChecker
from compiler.lang.diagnostics import Span, closest
from compiler.lang.folder import FoldError, constant_value
from compiler.lang.libraries import CORE_NAME
from compiler.lang.scopes import Callee, CalleeKind, VarKind
from compiler.lang.types import (
    UNIT, AggType, MapType, Prim, TupleType, WhammType, is_float, is_integer, is_numeric,
)

__all__ = ["ExprChecker", "SITE", "RUNTIME", "VISIT", "AGG_UPDATE", "AGG_METHODS"]

#: The one message for every use of an aggregate as a value (ANALYSIS.md §1).
AGG_UPDATE = "aggregates can only be updated with .add()"
#: Aggregate methods and their result types (None: the method is ``add``); ``stats`` has all of them,
#: the histograms ``add`` and ``count``.
AGG_METHODS: dict[str, WhammType | None] = {
    "add": None, "count": Prim.U64, "sum": Prim.I64, "min": Prim.I64, "max": Prim.I64, "avg": Prim.I64,
}

_STATIC_BUILTINS = frozenset(f.name for f in cat.CORE_FNS if f.static)
_CAST_TYPES = frozenset(t for t in Prim if t not in (Prim.STR, Prim.FUNCREF))

# dependency flags of an expression (static analysis for initializers and @static arguments)
SITE = 1       # a per-site value (fid, pc, immN, unshared variables of the probe)
RUNTIME = 2    # known only while the program runs, but not per visit (globals, library calls)
VISIT = 4      # per-visit state (argN, probe locals, frame variables, parameters)


def _typed(e: ast.Expr, t: WhammType | None, **changes: object) -> ast.Expr:
    """A copy of ``e`` with its type (and any rebuilt children or facts) filled in."""
    return dataclasses.replace(e, checked_type=t, **changes)  # type: ignore[type-var]


class ExprChecker(OutputChecker, NameScope):
    """Expressions and calls of one body; every method returns the typed node."""

    def expect(self, e: ast.Expr, t: WhammType) -> ast.Expr:
        """Check ``e`` where type ``t`` is required (an assignment, an argument): literals take ``t``, anything
        else must already have it, else an error at ``e``."""
        x = self.expr(e, t)
        got = x.checked_type
        if got is not None and got != t:
            self.error(f"expected {t}, found {got}", e.span)
        return x

    def literalish(self, e: ast.Expr) -> bool:
        """Built only from literals and per-event constants (§6.3): such expressions take the context's
        numeric type."""
        if isinstance(e, (ast.IntLit, ast.FloatLit)):
            return True
        if isinstance(e, ast.Name):
            if e.id in self.scope or self.cp is None:
                return False
            var = self.bound_lookup(e.id)
            return var is not None and var.constant is not None and is_numeric(var.type)
        if isinstance(e, ast.Binary) and e.op not in ("&&", "||", "==", "!=", "<", "<=", ">", ">="):
            return self.literalish(e.left) and self.literalish(e.right)
        if isinstance(e, ast.Unary) and e.op == "~":
            return self.literalish(e.operand)
        if isinstance(e, ast.Ternary):
            return self.literalish(e.then) and self.literalish(e.orelse)
        return False

    def natural(self, e: ast.Expr) -> WhammType:
        """The type of a literal-only expression without context (§6.3 rule 2; constants win)."""
        if isinstance(e, ast.IntLit):
            return values.int_literal_type(e.value)
        if isinstance(e, ast.FloatLit):
            return values.float_literal_type(e.text)
        if isinstance(e, ast.Name):
            var = self.bound_lookup(e.id)
            assert var is not None and var.type is not None
            return var.type
        if isinstance(e, ast.Unary):
            return self.natural(e.operand)
        parts = [e.left, e.right] if isinstance(e, ast.Binary) else [e.then, e.orelse]  # type: ignore[attr-defined]
        return _unify([self.natural(p) for p in parts],
                      [isinstance(p, ast.Name) or not self._plain_literal(p) for p in parts])

    def _plain_literal(self, e: ast.Expr) -> bool:
        if isinstance(e, (ast.IntLit, ast.FloatLit)):
            return True
        if isinstance(e, ast.Binary):
            return self._plain_literal(e.left) and self._plain_literal(e.right)
        if isinstance(e, ast.Unary):
            return self._plain_literal(e.operand)
        if isinstance(e, ast.Ternary):
            return self._plain_literal(e.then) and self._plain_literal(e.orelse)
        return False


    def expr(self, e: ast.Expr, want: WhammType | None) -> ast.Expr:
        """The typed copy of ``e`` where the context expects ``want`` (None: no expectation)."""
        if isinstance(e, (ast.IntLit, ast.FloatLit)):
            if want is not None and is_numeric(want):
                if isinstance(e, ast.FloatLit) and want is Prim.F32 and values.float_literal_overflows(e.text, want):
                    self.error("float literal out of range for f32 (its magnitude exceeds the largest f32)",
                               e.span)
                return _typed(e, want)
            return _typed(e, self.natural(e))
        if isinstance(e, ast.BoolLit):
            return _typed(e, Prim.BOOL)
        if isinstance(e, ast.StrLit):
            return _typed(e, Prim.STR)
        if isinstance(e, ast.Name):
            sym = self.resolve(e)
            if sym is None:
                return e
            if isinstance(sym.type, AggType) and e is not self.agg_receiver:
                self.agg_value_error(e)
                return _typed(e, None, symbol=sym)
            if sym.kind is VarKind.BOUND and sym.bound is not None and sym.bound.constant is not None \
                    and is_numeric(sym.type) and want is not None and is_numeric(want):
                return _typed(e, want, symbol=sym)  # a per-event constant converts like a literal
            return _typed(e, sym.type, symbol=sym)
        if isinstance(e, ast.Binary):
            return self.binary(e, want)
        if isinstance(e, ast.Unary):
            if e.op == "!":
                x = self.expr(e.operand, Prim.BOOL)
                t = x.checked_type
                if t is not None and t != Prim.BOOL:
                    self.error(f"`!` needs a bool operand, found {t}", e.operand.span)
                    return _typed(e, None, operand=x)
                return _typed(e, Prim.BOOL, operand=x)
            x = self.expr(e.operand, want if want is not None and is_integer(want) else None)
            t = x.checked_type
            if t is not None and not is_integer(t):
                self.error(f"`~` needs an integer operand, found {t}", e.operand.span)
                return _typed(e, None, operand=x)
            return _typed(e, t, operand=x)
        if isinstance(e, ast.Ternary):
            return self.ternary(e, want)
        if isinstance(e, ast.Cast):
            x = self.expr(e.expr, None)
            src, dst = x.checked_type, e.type.type
            if dst not in _CAST_TYPES:
                self.error(f"cannot cast to {dst}: casts convert between numeric types and bool",
                           e.type.span)
                return _typed(e, None, expr=x)
            if src is not None and src not in _CAST_TYPES:
                self.error(f"cannot cast {src} to {dst}: casts convert between numeric types and bool",
                           e.span)
                return _typed(e, None, expr=x)
            return _typed(e, dst, expr=x)
        if isinstance(e, ast.Call):
            return self.call(e, want, statement=False)
        if isinstance(e, ast.MethodCall):
            return self.method(e)
        if isinstance(e, ast.TupleLit):
            if not e.elems:
                return _typed(e, UNIT)
            hints: Iterable[WhammType | None] = [None] * len(e.elems)
            if isinstance(want, TupleType) and len(want.elems) == len(e.elems):
                hints = want.elems
            elems = tuple(self.expr(x, h) for x, h in zip(e.elems, hints))
            types = [x.checked_type for x in elems]
            return _typed(e, None if any(t is None for t in types) else TupleType(tuple(types)),  # type: ignore[arg-type]
                          elems=elems)
        if isinstance(e, ast.Index):
            m = self.expr(e.map, None)
            mt = m.checked_type
            if mt is None:
                return _typed(e, None, map=m, key=self.expr(e.key, None))
            if not isinstance(mt, MapType):
                self.error(f"cannot index a value of type {mt}", e.map.span)
                return _typed(e, None, map=m)
            if isinstance(mt.value, AggType) and e is not self.agg_receiver:
                self.agg_value_error(e)
                return _typed(e, None, map=m, key=self.expect(e.key, mt.key))
            return _typed(e, mt.value, map=m, key=self.expect(e.key, mt.key))
        if isinstance(e, ast.Field):
            x = self.expr(e.tuple, None)
            tt = x.checked_type
            return _typed(e, None if tt is None else self.field_type(e, tt), tuple=x)
        self.error("unsupported expression", e.span)
        return e

    def field_type(self, e: ast.Field, tt: WhammType) -> WhammType | None:
        """The type of element ``e.index`` of a tuple of type ``tt`` (None after reporting an error)."""
        if not isinstance(tt, TupleType) or tt == UNIT:
            self.error(f"type {tt} has no element {e.index}", e.span)
            return None
        if e.index >= len(tt.elems):
            self.error(f"tuple of type {tt} has no element {e.index}", e.span)
            return None
        return tt.elems[e.index]

    def operands(self, left: ast.Expr, right: ast.Expr,
                 want: WhammType | None) -> tuple[ast.Expr, ast.Expr]:
        """Type two operands that must agree, letting literals take the other side's type."""
        ll, rl = self.literalish(left), self.literalish(right)
        if ll and rl:
            t = want if want is not None and is_numeric(want) else self.natural_pair(left, right)
            return self.expr(left, t), self.expr(right, t)
        if ll:
            r = self.expr(right, want)
            rt = r.checked_type
            return self.expr(left, rt if rt is not None and is_numeric(rt) else None), r
        x = self.expr(left, want)
        lt = x.checked_type
        return x, self.expr(right, lt if lt is not None and is_numeric(lt) else want)

    def natural_pair(self, left: ast.Expr, right: ast.Expr) -> WhammType:
        """The common type of two literal-only operands of a binary operator that has no context type (§6.3)."""
        return _unify([self.natural(left), self.natural(right)],
                      [not self._plain_literal(left), not self._plain_literal(right)])

    def binary(self, e: ast.Binary, want: WhammType | None) -> ast.Expr:
        """Operators of §6.4–§6.6: ``&&``/``||`` on bools, comparisons give bool, arithmetic keeps the operands'
        common type; ``want`` is the context type literal operands take."""
        op = e.op
        if op in ("&&", "||"):
            sides = []
            for side in (e.left, e.right):
                x = self.expr(side, Prim.BOOL)
                t = x.checked_type
                if t is not None and t != Prim.BOOL:
                    self.error(f"`{op}` needs bool operands, found {t}", side.span)
                sides.append(x)
            return _typed(e, Prim.BOOL, left=sides[0], right=sides[1])
        compare = op in values.EQUALITY_OPS or op in values.ORDER_OPS
        left, right = self.operands(e.left, e.right, None if compare else want)
        failed = Prim.BOOL if compare else None
        lt, rt = left.checked_type, right.checked_type
        if lt is None or rt is None:
            return _typed(e, failed, left=left, right=right)
        if lt != rt:
            self.error(f"mismatched types {lt} and {rt} (add an explicit cast with 'as')", e.span)
            return _typed(e, failed, left=left, right=right)
        t = lt
        if op in values.EQUALITY_OPS:
            ok = is_numeric(t) or t in (Prim.BOOL, Prim.STR)
        elif op in values.ORDER_OPS or op in values.ARITHMETIC_OPS:
            ok = is_numeric(t)
        elif op in values.SHIFT_OPS:
            ok = is_integer(t)
        else:  # & | ^
            ok = is_integer(t) or t is Prim.BOOL
        if not ok:
            self.error(f"operator `{op}` cannot be applied to {t}", e.span)
            return _typed(e, failed, left=left, right=right)
        if op in ("/", "%") and is_integer(t) and self._plain_literal(e.right):
            try:
                divisor = constant_value(right, {})
            except FoldError:
                divisor = None  # reported where it happens
            if divisor == 0:
                self.error("division by zero in constant expression", e.span)
        return _typed(e, Prim.BOOL if compare else t, left=left, right=right)

    def ternary(self, e: ast.Ternary, want: WhammType | None) -> ast.Expr:
        """``c ? a : b``: a bool condition and two arms of one type (literal arms take ``want`` or each other's)."""
        cond = self.expr(e.cond, Prim.BOOL)
        ct = cond.checked_type
        if ct is not None and ct != Prim.BOOL:
            self.error(f"expected bool, found {ct}", e.cond.span)
        if want is not None and not is_numeric(want):
            then, orelse = self.expr(e.then, want), self.expr(e.orelse, want)
        else:
            then, orelse = self.operands(e.then, e.orelse, want)
        tt, ot = then.checked_type, orelse.checked_type
        t = None if tt is None or ot is None else tt
        if t is not None and tt != ot:
            self.error(f"mismatched types {tt} and {ot} (add an explicit cast with 'as')", e.span)
            t = None
        return _typed(e, t, cond=cond, then=then, orelse=orelse)

    #: The node being checked as the receiver of a method call: the one place an aggregate may be named.
    agg_receiver: ast.Expr | None = None

    def agg_value_error(self, e: ast.Expr) -> None:
        """An aggregate named where a value is needed: it has no value, only its readers have."""
        self.error(AGG_UPDATE, e.span,
                   note="an aggregate cannot be assigned, compared or passed; read it with .count(), "
                        ".sum(), .min(), .max() or .avg()")

    def agg_method(self, e: ast.MethodCall) -> ast.Expr | None:
        """``a.add(x)`` and the readers of an aggregate variable or map element (ANALYSIS.md §1); None when
        the receiver is not an aggregate (then it is checked as any other receiver)."""
        r = e.receiver
        if not isinstance(r, (ast.Name, ast.Index)):
            return None
        self.agg_receiver = r
        try:
            receiver = self.expr(r, None)
        finally:
            self.agg_receiver = None
        at = receiver.checked_type
        if not isinstance(at, AggType):
            return None
        args = tuple(self.expr(a, None) for a in e.args)

        def typed(t: WhammType | None) -> ast.Expr:
            return _typed(e, t, receiver=receiver, args=args)

        if e.method not in AGG_METHODS or (at.kind != "stats" and e.method not in ("add", "count")):
            have = "add, count, sum, min, max, avg" if at.kind == "stats" else "add, count"
            self.error(f"{at} has no method `{e.method}`", e.span, note=f"the methods of {at} are {have}")
            return typed(None)
        want = 1 if e.method == "add" else 0
        if len(args) != want:
            self.error(f"method `{e.method}` takes {want} argument{'s' * (want != 1)} but "
                       f"{len(args)} {'was' if len(args) == 1 else 'were'} given", e.span)
            return typed(None)
        if want:
            t = args[0].checked_type
            if t is not None and not is_integer(t):
                self.error(f"{at}.add expects an integer, found {t}", args[0].span)
                return typed(None)
            return typed(UNIT)
        return typed(AGG_METHODS[e.method])

    def method(self, e: ast.MethodCall) -> ast.Expr:
        """The ``str`` methods (§11.3): ``len``/``addr`` without arguments, the predicates with one ``str``."""
        agg = self.agg_method(e)
        if agg is not None:
            return agg
        receiver = self.expr(e.receiver, None)
        args = tuple(self.expr(a, Prim.STR) for a in e.args)
        rt = receiver.checked_type

        def typed(t: WhammType | None) -> ast.Expr:
            return _typed(e, t, receiver=receiver, args=args)

        if rt is None:
            return typed(None)
        if isinstance(rt, MapType) and e.method == "len":  # the number of keys (ANALYSIS.md §2)
            if e.args:
                self.error(f"method `len` takes 0 arguments but {len(e.args)} "
                           f"{'was' if len(e.args) == 1 else 'were'} given", e.span)
            return typed(Prim.U32)
        if rt is not Prim.STR:
            self.error(f"no method `{e.method}` on type {rt}", e.span,
                       note="maps have the method len; the other methods are those of str values"
                       if isinstance(rt, MapType) else "methods exist only on str values")
            return typed(None)
        result = values.STR_METHODS.get(e.method)
        if result is None:
            best = closest(e.method, values.STR_METHODS)
            self.error(f"str has no method `{e.method}`", e.span,
                       help=f"did you mean `{best}`?" if best else None)
            return typed(None)
        want = 0 if e.method in ("len", "addr") else 1
        if len(e.args) != want:
            self.error(f"method `{e.method}` takes {want} argument{'s' * (want != 1)} but "
                       f"{len(e.args)} were given", e.span)
            return typed(result)
        for a in args:
            t = a.checked_type
            if t is not None and t is not Prim.STR:
                self.error(f"expected str, found {t}", a.span)
        return typed(result)

    # ------------------------------------------------------------------------------------- calls

    def call(self, e: ast.Call | ast.MethodCall, want: WhammType | None, statement: bool) -> ast.Expr:
        """A typed call; as a ``statement`` its result may be ``()`` (and ``@init`` is allowed)."""
        if isinstance(e, ast.MethodCall):
            return self.method(e)
        lib = e.lib
        if lib is not None and lib not in self.c.prog.uses and isinstance(self.variable_type(lib, e.span), AggType):
            sp = e.span
            receiver = ast.Name(lib, Span(sp.start, sp.start + len(lib), sp.line, sp.column, sp.line,
                                          sp.column + len(lib)))
            return self.method(ast.MethodCall(receiver, e.func, e.args, e.span))
        ann = e.annotation
        if ann is not None and ann not in ast.ANNOTATIONS:
            self.error(f"unknown annotation @{ann} (expected @static or @init)", e.span)
        if ann is not None and e.lib is None:
            self.error(f"@{ann} can only annotate library calls", e.span)
        if ann == "init" and not statement:
            self.error("@init can only be used on a call statement", e.span)
        if e.lib is None and e.func in OUTPUT_BUILTINS and e.func not in self.c.fn_sigs:
            return self.output_call(e, statement)
        callee = self.callee(e)
        if callee is None:
            args = tuple(a if isinstance(a, ast.Name) and e.func == "memid" else self.expr(a, None)
                         for a in e.args)
            return _typed(e, None, args=args)
        typed: ast.Expr
        if callee.kind is CalleeKind.BUILTIN and callee.name == "memid":
            self.memid_arg(e)
            typed = dataclasses.replace(e, callee=callee)
        elif len(e.args) != len(callee.params):
            n = len(callee.params)
            self.error(f"function {e.target} takes {n} argument{'s' * (n != 1)} but "
                       f"{len(e.args)} {'was' if len(e.args) == 1 else 'were'} given", e.span)
            typed = dataclasses.replace(e, args=tuple(self.expr(a, None) for a in e.args), callee=callee)
        else:
            args = tuple(self.expect(a, p) if p is not None else a for a, p in zip(e.args, callee.params))
            typed = dataclasses.replace(e, args=args, callee=callee)
            self.call_rules(typed, callee)  # type: ignore[arg-type]
        if not statement and callee.result == UNIT:
            self.error(f"function {e.target} does not return a value", e.span)
            return typed
        return dataclasses.replace(typed, checked_type=callee.result)

    def callee(self, e: ast.Call) -> Callee | None:
        """Who ``e`` calls, in the lookup order of §7.3 (user function, library, built-in, bound function);
        None after reporting an unknown function or library."""
        lib = e.lib
        if lib is not None:
            if lib not in self.c.prog.uses:
                receiver = self.variable_type(lib, e.span)
                if receiver is not None:  # `x.m(...)` where x is a variable: an unknown method
                    best = closest(e.func, values.STR_METHODS) if receiver is Prim.STR else None
                    self.error(f"no method `{e.func}` on type {receiver}", e.span,
                               help=f"did you mean `{best}`?" if best else None)
                    return None
                self.error(f"unknown library `{lib}`", e.span,
                           help=f"add `use {lib};` before the first probe")
                return None
            library = self.c.prog.libraries.get(lib)
            if library is None:
                return None  # reported at the `use`
            fn = library.function(e.func)
            if fn is None:
                best = closest(e.func, [f.name for f in library.functions])
                self.error(f"library {lib} has no exported function {e.func}", e.span,
                           help=f"did you mean `{best}`?" if best else None)
                return None
            if not fn.supported:
                self.error(f"library function {e.func} has an unsupported signature", e.span,
                           note="only i32, i64, f32 and f64 parameters and at most one result")
                return None
            return Callee(CalleeKind.LIBRARY, e.func, fn.params, fn.result or UNIT, library=lib, lib_fn=fn)
        name = e.func
        if name in self.c.fn_sigs:
            fn_def = self.c.fn_sigs[name]
            return Callee(CalleeKind.USER, name, tuple(p.type.type for p in fn_def.params),
                          fn_def.result.type if fn_def.result is not None else UNIT)
        bf = CORE_FNS.get(name) or self.bound_fns.get(name)
        if bf is None:
            pool = list(self.c.fn_sigs) + list(CORE_FNS) + list(self.bound_fns)
            best = closest(name, pool)
            self.error(f"unknown function `{name}`", e.span,
                       help=f"did you mean `{best}`?" if best else None)
            return None
        if bf.alt_only and (self.cp is None or not self.cp.is_alt):
            self.error(f"{name} can only be used in alt probes", e.span)
            return None
        kind = CalleeKind.BUILTIN if name in CORE_FNS else CalleeKind.BOUND
        return Callee(kind, name, tuple(t for _, t in bf.params), bf.result or UNIT, bound_fn=bf)

    def memid_arg(self, e: ast.Call) -> None:
        """``memid(lib)`` must name a used library (or ``whamm_core``): the memory index is fixed when linking."""
        if len(e.args) != 1 or not isinstance(e.args[0], ast.Name):
            self.error("memid expects the name of a used library, e.g. memid(whamm_core)", e.span)
            return
        name = e.args[0].id
        if name != CORE_NAME and name not in self.c.prog.uses:
            self.error(f"unknown library `{name}`", e.args[0].span,
                       help=f"add `use {name};` before the first probe")

    def call_rules(self, e: ast.Call, callee: Callee) -> None:
        """The compile-time requirements of a call (§11.1, §12): memory ids and ``alt_call_by_id``'s function id
        must be constant, and a ``@static`` library call may not read per-visit or run-time data."""
        bf = callee.bound_fn
        if bf is not None:
            for a, (pname, _) in zip(e.args, bf.params):
                if pname in MEMORY_ID_PARAMS or (callee.name == "alt_call_by_id"):
                    flags, _ = self.deps(a)
                    if flags & (SITE | RUNTIME | VISIT):
                        what = "memory ids" if pname in MEMORY_ID_PARAMS else "the function id"
                        self.error(f"{what} must be compile-time constants", a.span)
        if e.annotation == "static":
            for a in e.args:
                flags, node = self.deps(a)
                if flags & (RUNTIME | VISIT):
                    bad = node.get(VISIT) or node.get(RUNTIME)
                    self.error("cannot use dynamic data in a static library call", bad.span)

    # ------------------------------------------------------------------------- static analysis

    def deps(self, e: ast.Expr) -> tuple[int, dict[int, ast.Node]]:
        """Dependency flags of a typed expression and, per flag, the first node responsible."""
        flags = 0
        first: dict[int, ast.Node] = {}

        def add(flag: int, node: ast.Node) -> None:
            nonlocal flags
            flags |= flag
            first.setdefault(flag, node)

        def visit(n: ast.Expr) -> None:
            if isinstance(n, ast.Name):
                sym = n.symbol
                if sym is None:
                    return
                if sym.kind is VarKind.BOUND:
                    var = sym.bound
                    if var is None or not var.static:
                        add(VISIT, n)
                    elif var.constant is None:
                        add(SITE, n)
                elif sym.kind is VarKind.GLOBAL:
                    if n.id not in self.c.prog.constants:
                        add(RUNTIME, n)
                elif sym.kind is VarKind.UNSHARED:
                    add(SITE, n)
                    add(RUNTIME, n)
                elif sym.kind is VarKind.SHARED:
                    add(RUNTIME, n)
                elif sym.kind is not VarKind.BUILTIN:
                    add(VISIT, n)
                return
            if isinstance(n, ast.Call):
                callee = n.callee
                if n.annotation == "static":
                    pass  # evaluated while instrumenting: as static as its arguments
                elif callee is None or callee.kind is not CalleeKind.BUILTIN or \
                        callee.name not in _STATIC_BUILTINS:
                    add(RUNTIME, n)
                if callee is not None and callee.name == "memid":
                    return
                for a in n.args:
                    visit(a)
                return
            if isinstance(n, ast.MethodCall) and n.method == "addr":
                add(RUNTIME, n)
            if isinstance(n, ast.Index):
                add(RUNTIME, n)
            for child in ast.children(n):
                if isinstance(child, ast.Expr):
                    visit(child)

        visit(e)
        return flags, first



def _unify(types: list[WhammType], fixed: list[bool]) -> WhammType:
    """The common type of literal-only operands without context: a per-event constant's type wins,
    else a float beats an integer, else the wider of i32 < i64 < u64."""
    for t, f in zip(types, fixed):
        if f:
            return t
    if any(is_float(t) for t in types):
        return Prim.F64 if Prim.F64 in types else Prim.F32
    order = [Prim.I32, Prim.I64, Prim.U64]
    return max(types, key=lambda t: order.index(t) if t in order else 0)
