"""Typing ``printf`` (ANALYSIS.md §2): the format, a string literal, is parsed here and each conversion is
matched against its argument, so a mistake is a compile-time diagnostic with a caret under the
argument (or under the conversion when an argument is missing), never a garbled line at run time.

A mixin of :class:`compiler.lang.check_exprs.ExprChecker` (it types the arguments with ``self.expr``);
kept apart because the format rules are their own small language.
"""
from __future__ import annotations

import dataclasses

from compiler.lang import ast
from compiler.lang.diagnostics import Span
from compiler.lang.printf_format import FLOAT_CONVERSIONS, INT_CONVERSIONS, FormatError, parse_format, Conversion
from compiler.lang.scopes import Callee, CalleeKind
from compiler.lang.types import UNIT, Prim, WhammType, is_float, is_integer

__all__ = ["OutputChecker", "OUTPUT_BUILTINS"]

#: Built-ins typed here rather than from the catalog (a variable argument list).
OUTPUT_BUILTINS = frozenset({"printf"})


class OutputChecker:
    """``printf(FMT, e1, …)``: the typed call, its callee's parameters the argument types."""

    def output_call(self, e: ast.Call, statement: bool) -> ast.Expr:
        """The typed ``printf`` call; its arguments are checked against the format's conversions."""
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
