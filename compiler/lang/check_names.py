"""Names inside a body: what a variable reference means there (LANGUAGE.md §7.3) and the tables of
reserved and built-in names the checker shares.

Split from the statement and expression checkers because name lookup is the one thing every part of a
body needs and the only part that depends on the probe's expansion: the bound variables and functions of
its event, the rule's type bounds, the target (engine-only variables).  :class:`NameScope` holds that
per-body state; :class:`~compiler.lang.check_exprs.ExprChecker` and
:class:`~compiler.lang.check_stmts.BodyChecker` build on it.
"""
from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from compiler.events import catalog as cat
from compiler.lang import ast
from compiler.lang.diagnostics import Span, closest
from compiler.lang.scopes import CheckedFunction, CheckedProbe, Symbol, VarKind
from compiler.lang.types import WhammType

if TYPE_CHECKING:
    from compiler.lang.checker import Checker

__all__ = ["NameScope", "bound_vars", "bound_fns", "RESERVED", "BOUNDABLE", "NO_SITE_PACKAGES", "CORE_FNS",
           "BUILTIN_SYMBOLS"]

#: Names only the compiler binds (they cannot be declared).
RESERVED = re.compile(r"(arg|res|imm|local)\d+")
#: Names a rule's type bounds may type.
BOUNDABLE = re.compile(r"(arg|res|local)\d+")
#: Packages whose probes have no site (so no per-site or bound state).
NO_SITE_PACKAGES = ("begin", "end", "report")
_PROVIDER_NAMES = frozenset(v.name for v in cat.CATALOG.vars)
#: The built-in functions (LANGUAGE.md §11.2) by name.
CORE_FNS = {f.name: f for f in cat.CORE_FNS}
#: The built-in variables (``APP_MEMID``) as symbols.
BUILTIN_SYMBOLS = {v.name: Symbol(v.name, v.type, VarKind.BUILTIN, bound=v) for v in cat.CORE_VARS}

_FAILED = object()  # a name lookup that already reported its error


@functools.lru_cache(maxsize=None)
def bound_vars(package: str, event: str | None, mode: str | None) -> dict[str, cat.BoundVar]:
    """The catalog scope of a probe without the built-ins (``APP_MEMID`` resolves after globals, §7.3).
    Cached: the result is shared, never mutate it."""
    names = cat.scope(package, event, mode)
    for v in cat.CORE_VARS:
        names.pop(v.name, None)
    return names


@functools.lru_cache(maxsize=None)
def bound_fns(package: str, event: str | None, mode: str | None) -> dict[str, cat.BoundFn]:
    """The bound functions of a probe's event, package and mode (EVENTS.md §8).  Cached and shared."""
    return cat.scope_fns(package, event, mode)


class NameScope:
    """The names one body sees (script level, a function, or one expansion of a probe).

    ``kind`` is ``"script"``, ``"function"`` or ``"probe"``; ``scope`` the body's declarations so far
    (one flat scope per body, §7.3); ``c`` the script-wide :class:`~compiler.lang.checker.Checker`
    (globals, functions, libraries, error list)."""

    def __init__(self, checker: Checker, kind: str, function: CheckedFunction | None = None,
                 probe: CheckedProbe | None = None) -> None:
        self.c = checker
        self.kind = kind
        self.function = function
        self.cp = probe
        self.scope: dict[str, Symbol] = {}
        self.bound_vars: dict[str, cat.BoundVar] = {}
        self.bound_fns: dict[str, cat.BoundFn] = {}
        if probe is not None:
            exp = probe.expansion
            self.bound_vars = bound_vars(exp.package, exp.event, exp.mode)
            self.bound_fns = bound_fns(exp.package, exp.event, exp.mode)

    def error(self, message: str, span: Span | None, **notes: str | None) -> None:
        """Report an error against this body's checker (the diagnostics are the whole script's)."""
        self.c.error(message, span, **notes)

    @property
    def event_name(self) -> str:
        """The event (or package) of the probe expansion being checked, for messages."""
        exp = self.cp.expansion  # type: ignore[union-attr]
        return exp.event or exp.package

    def bound_example(self, name: str) -> str:
        """A probe rule that would bind ``name`` with a type bound, for the help of an unbound-variable error."""
        exp = self.cp.expansion  # type: ignore[union-attr]
        if exp.package == "opcode":
            return f"wasm:opcode:{exp.event}({name}: i32):{exp.mode or 'before'}"
        if exp.event is not None:
            return f"wasm:{exp.package}:{exp.event}({name}: i32)"
        return f"wasm({name}: i32):func:entry"

    # ------------------------------------------------------------------------------------- lookup

    def bound_lookup(self, name: str) -> cat.BoundVar | None:
        """The catalog entry of bound variable ``name`` at this expansion (``arg0``, ``imm1``, …); None outside
        probes or when the event has no such variable."""
        return cat.lookup(self.bound_vars, name) if self.bound_vars else None

    def resolve(self, n: ast.Name) -> Symbol | None:
        """Resolve a variable name (§7.3 lookup order) and check bound-variable rules."""
        sym = self.scope.get(n.id)
        if sym is None and self.cp is not None:
            sym = self.bound_symbol(n)  # type: ignore[assignment]
            if sym is _FAILED:
                return None
        if sym is None:
            sym = self.c.prog.globals.get(n.id) or BUILTIN_SYMBOLS.get(n.id)
        if sym is None:
            self.unknown_variable(n)
            return None
        return sym

    def bound_symbol(self, n: ast.Name) -> Symbol | None | object:
        """The bound variable ``n`` names in this probe, None if it names none, or ``_FAILED`` when it
        names one that cannot be used here (the error is reported)."""
        cp = self.cp
        assert cp is not None
        name = n.id
        exp = cp.expansion
        if exp.package in NO_SITE_PACKAGES and (name in _PROVIDER_NAMES or BOUNDABLE.fullmatch(name)):
            self.error(f"{name} is not available in wasm:{exp.package}", n.span)
            return _FAILED
        var = self.bound_lookup(name)
        bound_t = cp.bounds.get(name)
        m = RESERVED.fullmatch(name)
        if var is None and bound_t is None:
            if m and exp.package not in NO_SITE_PACKAGES:
                what = {"arg": "operand", "res": "result", "imm": "immediate", "local": "local"}[m[1]]
                self.error(f"event {self.event_name} has no {what} {name}", n.span)
                return _FAILED
            return None
        if ((name.startswith("res") and m) or (var is not None and var.after_only)) and exp.mode != "after":
            self.error(f"{name} can only be used in after probes", n.span)
            return _FAILED
        if var is not None and var.engine_only and not self.c.wei:
            self.error(f"{name} is only available in the engine target (--wei)", n.span)
            return _FAILED
        t = bound_t if bound_t is not None and m and m[1] != "imm" else (var.type if var else None)
        if t is None:
            if m and m[1] == "imm":
                self.error(f"{name} of event {self.event_name} has no usable type", n.span)
            else:
                self.error(f"{name} has no known type at event {self.event_name}; add a type bound, "
                           f"e.g. {self.bound_example(name)}", n.span)
            return _FAILED
        if var is None:
            var = cat.BoundVar(name, t, False, "")
        cp.bound_used.setdefault(name, var)
        return Symbol(name, t, VarKind.BOUND, bound=var)

    def visible_names(self) -> list[str]:
        """Every name this body could use, for "did you mean" hints and the list in an unknown-variable error
        (engine-only and ``…N`` family names left out: a user cannot write them)."""
        names = list(self.scope)
        if self.cp is not None:
            names += [v for v in self.bound_vars if not self.bound_vars[v].is_family and
                      not self.bound_vars[v].engine_only]
        names += list(self.c.prog.globals) + list(BUILTIN_SYMBOLS)
        return list(dict.fromkeys(names))

    def unknown_variable(self, n: ast.Name) -> None:
        """Report ``n`` as unknown, with the closest visible name or the names in scope."""
        pool = self.visible_names()
        best = closest(n.id, pool)
        if best is not None:
            self.error(f"unknown variable `{n.id}`", n.span, help=f"did you mean `{best}`?")
        else:
            # the wasi:p1 provider's 77 ERRNO_* constants would drown the list: one entry stands for them
            errnos = [v for v in pool if v.startswith("ERRNO_") and v in self.bound_vars]
            shown = [v for v in pool if v not in errnos]
            if errnos:
                shown.append(f"{errnos[0]} … {errnos[-1]} ({len(errnos)} errno constants)")
            self.error(f"unknown variable `{n.id}`", n.span,
                       note="variables in scope: " + ", ".join(shown) if shown else None)


    def variable_type(self, name: str, span: Span) -> WhammType | None:
        """The type of variable ``name`` if one is visible (without reporting anything)."""
        sym = self.scope.get(name)
        if sym is not None:
            return sym.type
        if self.cp is not None:
            var = self.bound_lookup(name)
            if var is not None:
                return var.type
        sym = self.c.prog.globals.get(name) or BUILTIN_SYMBOLS.get(name)
        return sym.type if sym is not None else None

