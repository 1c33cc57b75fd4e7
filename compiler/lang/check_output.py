"""Typing ``printf`` (ANALYSIS.md §2): the format, a string literal, is parsed here and each conversion is
matched against its argument, so a mistake is a compile-time diagnostic with a caret under the
argument (or under the conversion when an argument is missing), never a garbled line at run time.
Also the other statements of ANALYSIS.md §2 whose argument is not an ordinary value: ``print(v)`` (a
variable, by name), ``delete(m[k])`` (a map element) and ``clear(m)`` (a map).

A mixin of :class:`compiler.lang.check_exprs.ExprChecker` (it types the arguments with ``self.expr``);
kept apart because the format rules are their own small language.
"""
from __future__ import annotations

import dataclasses

from compiler.lang import ast
from compiler.lang.diagnostics import Span
from compiler.lang.printf_format import FLOAT_CONVERSIONS, INT_CONVERSIONS, FormatError, parse_format, Conversion
from compiler.lang.scopes import Callee, CalleeKind
from compiler.lang.scopes import VarKind
from compiler.lang.types import UNIT, MapType, Prim, WhammType, is_float, is_integer

__all__ = ["OutputChecker", "OUTPUT_BUILTINS"]

#: Built-ins typed here rather than from the catalog (a variable argument list, or an argument that is a
#: variable or map element rather than a value).
OUTPUT_BUILTINS = frozenset({"printf", "print", "delete", "clear"})


class OutputChecker:
    """``printf(FMT, e1, …)``: the typed call, its callee's parameters the argument types."""

    def output_call(self, e: ast.Call, statement: bool) -> ast.Expr:
        """The typed ``printf``, ``print``, ``delete`` or ``clear`` call."""
        if e.func != "printf":
            return self._map_statement(e, statement)
        if not e.args or not isinstance(e.args[0], ast.StrLit):
            self.error("printf: the format must be a string literal", e.args[0].span if e.args else e.span)  # type: ignore[attr-defined]
            args = tuple(self.expr(a, None) for a in e.args)  # type: ignore[attr-defined]
            return dataclasses.replace(e, args=args)
        fmt = e.args[0]
        try:
            conversions = [p for p in parse_format(fmt.value) if isinstance(p, Conversion)]
        except FormatError as exc:
            self.error(exc.message, _inside(fmt, exc.start, exc.end))  # type: ignore[attr-defined]
            conversions = None
        # a literal argument of %f %e %g is an f64, as C's double (a bare float literal would be f32)
        wants = [Prim.F64 if conversions and i < len(conversions) and conversions[i].conv in FLOAT_CONVERSIONS
                 else None for i in range(len(e.args) - 1)]
        args = [self.expr(fmt, Prim.STR)] + [self.expr(a, w) for a, w in zip(e.args[1:], wants)]  # type: ignore[attr-defined]
        if conversions is not None:
            for i, conv in enumerate(conversions):
                if i + 1 >= len(args):
                    self.error(f"printf: {conv.text} has no argument", _inside(fmt, conv.start, conv.end),  # type: ignore[attr-defined]
                               note=f"the format has {len(conversions)} conversion"
                                    f"{'s' * (len(conversions) != 1)} and {len(args) - 1} argument"
                                    f"{'s' * (len(args) != 2)} follow{'s' * (len(args) == 2)} it")
                    break
                _check_argument(self, conv, args[i + 1])
            if len(args) - 1 > len(conversions):
                extra = args[len(conversions) + 1]
                self.error(f"printf: too many arguments (the format has {len(conversions)} "  # type: ignore[attr-defined]
                           f"conversion{'s' * (len(conversions) != 1)})", extra.span)
        if not statement:
            self.error("function printf does not return a value", e.span)  # type: ignore[attr-defined]
        callee = Callee(CalleeKind.BUILTIN, "printf", tuple(a.checked_type for a in args), UNIT)
        return dataclasses.replace(e, args=tuple(args), callee=callee, checked_type=UNIT)


    def _map_statement(self, e: ast.Call, statement: bool) -> ast.Expr:
        """``print(v)``, ``delete(m[k])``, ``clear(m)``: one argument of the right form.  The checked
        ``print`` gets the variable's name as a first, synthesized argument (a string literal), since the
        folder may replace the variable itself by its constant value."""
        name = e.func
        if not statement:
            self.error(f"function {name} does not return a value", e.span)  # type: ignore[attr-defined]
        want = {"print": "a variable", "delete": "a map element `m[k]`", "clear": "a map"}[name]
        if len(e.args) != 1:
            self.error(f"{name} takes one argument ({want}) but {len(e.args)} "  # type: ignore[attr-defined]
                       f"{'was' if len(e.args) == 1 else 'were'} given", e.span)
            return dataclasses.replace(e, args=tuple(self.expr(a, None) for a in e.args))  # type: ignore[attr-defined]
        arg = e.args[0]
        self.agg_receiver = arg  # type: ignore[attr-defined]  # an aggregate (map value) may be named here
        try:
            x = self.expr(arg, None)  # type: ignore[attr-defined]
        finally:
            self.agg_receiver = None  # type: ignore[attr-defined]
        t = x.checked_type
        args: tuple[ast.Expr, ...] = (x,)
        ok = t is not None
        if name == "print":
            if not isinstance(arg, ast.Name) or (x.symbol is not None and x.symbol.kind is VarKind.BUILTIN):
                self.error(f"print expects a variable, found {_what(arg)}", arg.span,  # type: ignore[attr-defined]
                           note="print(v) prints one variable by name; use printf to print a value")
                ok = False
            elif t is Prim.FUNCREF:
                self.error("print cannot print a funcref", arg.span)  # type: ignore[attr-defined]
                ok = False
            if ok:
                args = (self.expr(ast.StrLit(arg.id.encode(), arg.span), Prim.STR), x)  # type: ignore[attr-defined]
        elif name == "delete":
            if not isinstance(arg, ast.Index):
                self.error(f"delete expects a map element `m[k]`, found {_what(arg)}", arg.span)  # type: ignore[attr-defined]
                ok = False
            elif isinstance(arg.map, ast.Name) and x.map.symbol is not None \
                    and x.map.symbol.kind is VarKind.BOUND:  # type: ignore[attr-defined]
                self.error(f"`{arg.map.id}` is a table of the event, not a map: it cannot be changed",  # type: ignore[attr-defined]
                           arg.map.span)
                ok = False
        elif t is not None and not isinstance(t, MapType):
            self.error(f"clear expects a map, found {t}", arg.span)  # type: ignore[attr-defined]
            ok = False
        elif isinstance(arg, ast.Name) and x.symbol is not None and x.symbol.kind is VarKind.BOUND:
            self.error(f"`{arg.id}` is a table of the event, not a map: it cannot be changed", arg.span)  # type: ignore[attr-defined]
            ok = False
        if not ok:
            return dataclasses.replace(e, args=args)
        callee = Callee(CalleeKind.BUILTIN, name, tuple(a.checked_type or UNIT for a in args), UNIT)
        return dataclasses.replace(e, args=args, callee=callee, checked_type=UNIT)


def _what(e: ast.Expr) -> str:
    """How a diagnostic names an argument of the wrong form."""
    if isinstance(e, ast.Index):
        return "a map element"
    if isinstance(e, ast.Name):
        return f"`{e.id}`"
    if isinstance(e, (ast.IntLit, ast.FloatLit, ast.StrLit, ast.BoolLit)):
        return "a literal"
    return "an expression"


def _check_argument(checker, conv: Conversion, arg: ast.Expr) -> None:
    t: WhammType | None = arg.checked_type
    if t is None:
        return  # reported where it failed
    c = conv.conv
    if c in INT_CONVERSIONS:
        ok, what = is_integer(t), "an integer"
    elif c in FLOAT_CONVERSIONS:
        ok, what = is_float(t), "a float"
    else:
        ok, what = t in (Prim.STR, Prim.BOOL), "a str or bool"
    if not ok:
        checker.error(f"printf: %{c} expects {what}, found {t}", arg.span,
                      help="convert it with `as`" if (is_integer(t) or is_float(t)) and c != "s" else None)


def _inside(lit: ast.StrLit, start: int, end: int) -> Span:
    """The span of bytes ``[start, end)`` of a literal's value in the source, when the literal is one
    line without escapes (its value is then its text); else the whole literal."""
    s = lit.span
    if s.line == s.end_line and s.end - s.start == len(lit.value) + 2 and lit.value.isascii():
        return Span(s.start + 1 + start, s.start + 1 + end, s.line, s.column + 1 + start, s.line,
                    s.column + 1 + end)
    return s
