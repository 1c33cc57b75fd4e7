"""Whether a text (``->``) can occur in any string an instrumented program holds: what lets
:mod:`compiler.report.printed` read a component's maps with string keys or values, whose printed form
is ambiguous only when a string holds the map separator ``->``.

A string never gets made inside a program: there is no concatenation, indexing or method returning a
string (LANGUAGE.md §9.2).  So every string value entered the program whole — a literal, a bound
variable's value, the result of ``read_str``, a library or bound call — and is then only moved (a
variable, parameter, map or tuple element read, a ternary, a tuple literal, a user function's result,
which is itself an expression of the program).  Its bytes can change in place only through ``memcpy``
or ``write_str`` into the instrumentation memory (``s.addr()`` gives an address there) or through a
library.  The program holds no string containing the text when every expression of a type holding
``str`` is a literal without it, a ``fname`` or ``callstack`` (made of the module's function names,
``#fid``, ``…`` and ``;``, so without it when no function name has it — ``;`` cannot complete ``->``)
or a moving form, and no ``memcpy``, ``write_str`` or library call appears.  Anything else (``path``,
``fd_path``, ``read_str``, …) may hold any bytes: not established.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from compiler.lang import ast
from compiler.lang.scopes import CalleeKind, Program, VarKind
from compiler.lang.types import MapType, Prim, TupleType, WhammType

__all__ = ["strings_exclude"]

#: Bound variables whose strings are the module's function names joined by ``;`` (with ``#fid``, ``…``).
_NAME_STRINGS = frozenset({"fname", "callstack"})
#: Built-ins that write bytes into a memory, possibly over a string's.
_WRITERS = frozenset({"memcpy", "write_str"})
#: Expressions that only move a string some other expression produced.
_MOVERS = (ast.Index, ast.Field, ast.Ternary, ast.TupleLit)


def strings_exclude(program: Program, function_names: Iterable[str], text: str) -> bool:
    """Whether no string ``program`` can hold, instrumenting a module with ``function_names``, contains
    ``text`` (which holds no ``;``, ``#`` or ``…``) — True only when the module docstring's rule shows it."""
    if any(text in name for name in function_names):
        return False
    return all(_excludes(node, text) for node in _nodes(program))


def _nodes(program: Program) -> Iterator[ast.Node]:
    roots: list[ast.Node] = [*program.statements, *(f.body for f in program.functions.values())]
    for probe in program.probes:
        roots.append(probe.body)
        if probe.predicate is not None:
            roots.append(probe.predicate)
    for root in roots:
        yield from ast.walk(root)


def _excludes(node: ast.Node, text: str) -> bool:
    if isinstance(node, ast.Call):
        callee = node.callee
        if callee is None or callee.kind is CalleeKind.LIBRARY or callee.name in _WRITERS:
            return False
        if callee.kind is not CalleeKind.USER and _holds_str(callee.result):
            return False
    if not isinstance(node, ast.Expr) or node.checked_type is None or not _holds_str(node.checked_type):
        return True
    if isinstance(node, ast.StrLit):
        return text.encode() not in node.value
    if isinstance(node, ast.Name):
        symbol = node.symbol
        return symbol is not None and (symbol.kind is not VarKind.BOUND or symbol.name in _NAME_STRINGS)
    if isinstance(node, ast.Call):
        return True                        # a user function: its returned expressions are checked too
    return isinstance(node, _MOVERS)


def _holds_str(t: WhammType) -> bool:
    if isinstance(t, TupleType):
        return any(_holds_str(e) for e in t.elems)
    if isinstance(t, MapType):
        return _holds_str(t.key) or _holds_str(t.value)
    return t is Prim.STR
