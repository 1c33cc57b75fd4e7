"""Which values a monitor function asks the engine for, in which order, as which Wasm parameters
(WEI.md §4, §5.1).

Every callback and body of a monitor names the bound variables it needs; the engine reads the list
from the export name and passes the values in that order.  The order is **first textual occurrence**:
the relevant source text is read predicate first, then body, top to bottom and left to right
(:func:`ast.walk` is depth-first in source order), each occurrence contributing the names it requests and
repeated names being skipped.  Occurrences request:

* most variables themselves (``fid``, ``imm0``, ``arg1``, ``local2`` …);
* aliases their source (``addr`` → its ``argK``, ``tid`` → ``imm0``, ``field_idx`` → ``imm1``,
  ``table_entry_idx`` → ``arg0``: the catalog's ``alias_of``);
* derived values their inputs, computed in the monitor: the ``monitor_inputs`` of the variable's row
  (:mod:`compiler.events.variables`; ``effective_addr`` → ``argK, offset``, ``target`` → ``arg0,
  num_targets``).

Per-event constants are folded into the code before this runs and are never requested.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from compiler.events.catalog import lookup, scope
from compiler.events.variables import variable
from compiler.lang import ast
from compiler.lang.scopes import VarKind
from compiler.lang.types import Prim, WhammType, wasm_types
from compiler.wasm.model import FUNCREF

if TYPE_CHECKING:
    from compiler.events.catalog import BoundVar, Event
    from compiler.lang.scopes import CheckedProbe
    from compiler.wasm.model import ValType

__all__ = ["requested", "Requests", "param_type", "param_valtypes", "valtypes"]


def requested(var: BoundVar, event: Event | None) -> tuple[str, ...]:
    """The names one occurrence of bound variable ``var`` requests at ``event`` (module docstring)."""
    name = var.name
    if var.constant is not None:
        return ()
    row = variable(name)
    inputs = row.monitor_inputs
    if row.monitor is not None:
        return tuple(_address_operand(event) if i == "addr" else i for i in inputs)
    if var.alias_of is not None:
        return (var.alias_of,)
    return (name,)


def _address_operand(event: Event | None) -> str:
    """``argK``, the address operand of a memory event (``addr`` in a row's ``monitor_inputs``)."""
    assert event is not None and event.mem is not None
    return f"arg{event.mem.addr_arg}"


class Requests:
    """An ordered, duplicate-free name list built from source text in reading order."""

    __slots__ = ("names", "_seen")

    def __init__(self, initial: Iterable[str] = ()) -> None:
        self.names: list[str] = []
        self._seen: set[str] = set()
        for n in initial:
            self.add(n)

    def add(self, name: str) -> None:
        """Request ``name`` unless it already is (the first request fixes its position)."""
        if name not in self._seen:
            self._seen.add(name)
            self.names.append(name)

    def scan(self, node: ast.Node, event: Event | None, skip: frozenset[int] = frozenset()) -> None:
        """Add the names requested by every bound variable read in ``node``, in source order, not
        descending into the nodes whose ids are in ``skip`` (``@static`` calls evaluated elsewhere)."""
        stack: list[ast.Node] = [node]
        while stack:
            n = stack.pop()
            if id(n) in skip:
                continue
            if isinstance(n, ast.Name):
                sym = n.symbol
                if sym is not None and sym.kind is VarKind.BOUND and sym.bound is not None:
                    for r in requested(sym.bound, event):
                        self.add(r)
            stack.extend(reversed(list(ast.children(n))))


def param_type(name: str, probe: CheckedProbe) -> WhammType:
    """The whamm type a requested value has in ``probe``: the type bound for ``argN``/``localN`` if the
    rule gives one, else the catalog's type at the probe's event."""
    bound = probe.bounds.get(name)
    if bound is not None:
        return bound
    e = probe.expansion
    var = lookup(scope(e.package, e.event, e.mode), name)
    if var is None or var.type is None:
        raise KeyError(f"{name} has no type at {e.rule}")
    return var.type


def valtypes(t: WhammType) -> tuple[ValType, ...]:
    """The Wasm parameter types of a value of whamm type ``t`` (WEI.md §5.1: ``str`` is a pointer and a
    length, ``funcref`` a reference)."""
    if t is Prim.FUNCREF:
        return (FUNCREF,)
    return wasm_types(t)


def param_valtypes(name: str, probe: CheckedProbe) -> tuple[ValType, ...]:
    """:func:`valtypes` of :func:`param_type`."""
    return valtypes(param_type(name, probe))
