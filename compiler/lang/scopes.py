"""The checked program: symbols, their kinds, and the typed trees later stages compile.

The checker (:mod:`compiler.lang.checker`) produces one :class:`Program`; the constant folder, the
rewriter, the wei backend and the shell read it.  The facts about nodes (types, what a name refers to,
what a call calls) are fields of the checked nodes themselves (see :mod:`compiler.lang.ast`), so a pass
that rebuilds a node keeps them.  Expression types differ between the expansions of a glob rule (``arg0``
is ``u32`` at ``br_if`` but ``i32`` at ``i32.store``), so each :class:`CheckedProbe` holds its own typed
copy of the predicate and body; the source probe stays the untyped parse tree.

:func:`type_of`, :func:`symbol_of` and :func:`callee_of` read those fields: a checked program has a type
for every expression it evaluates, a symbol for every variable reference and declaration and a callee for
every call, so a missing one means a stage built a node without its facts — an :class:`InternalError`
naming the node, never a default that would compile into a plausible wrong result.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Mapping

from compiler.errors import InternalError
from compiler.lang import ast
from compiler.lang.types import MapType, WhammType

if TYPE_CHECKING:
    from compiler.events.catalog import BoundFn, BoundVar, Event
    from compiler.events.rules import ExpandedProbe
    from compiler.lang.diagnostics import Diagnostic
    from compiler.lang.libraries import LibFunc, Library

__all__ = ["VarKind", "Symbol", "Callee", "CalleeKind", "CheckedProbe", "CheckedFunction", "Program",
           "type_of", "symbol_of", "callee_of"]


def _missing(what: str, node: ast.Node) -> InternalError:
    return InternalError(f"no {what} recorded for the {type(node).__name__} at {node.span}")


def type_of(e: ast.Expr) -> WhammType:
    """The type the checker (or the folder, for a literal it built) gave expression ``e``."""
    t = e.checked_type
    if t is None:
        raise _missing("type", e)
    return t


def symbol_of(node: ast.Name | ast.VarDecl) -> Symbol:
    """The variable a checked name refers to, or a checked declaration declares."""
    sym = node.symbol
    if sym is None:
        raise _missing("symbol", node)
    return sym


def callee_of(call: ast.Call) -> Callee:
    """What a checked call calls."""
    callee = call.callee
    if callee is None:
        raise _missing("callee", call)
    return callee


class VarKind(enum.Enum):
    """Where a variable lives (LANGUAGE.md §7.1), plus the names the compiler binds."""

    GLOBAL = "global"
    UNSHARED = "unshared"
    SHARED = "shared"
    FRAME = "frame"
    PROBE_LOCAL = "probe-local"
    FUNCTION_LOCAL = "function-local"
    PARAM = "parameter"
    BOUND = "bound"            # a bound variable of the probe's event/package/provider (§7.3)
    BUILTIN = "builtin"        # APP_MEMID


@dataclass(frozen=True, slots=True)
class Symbol:
    """A variable visible somewhere.  ``report`` marks report variables (printed at exit); ``decl`` is
    the declaring node (None for bound variables and built-ins, whose catalog entry is ``bound``)."""

    name: str
    type: WhammType
    kind: VarKind
    report: bool = False
    decl: ast.VarDecl | ast.Param | None = None
    bound: BoundVar | None = None

    @property
    def is_map(self) -> bool:
        """Maps are passed by id and live in the runtime, so their storage differs from every other type's."""
        return isinstance(self.type, MapType)


class CalleeKind(enum.Enum):
    """Who provides a called function, which decides how a call is checked and lowered."""
    USER = "user"              # fn defined in the script
    LIBRARY = "library"        # lib.f(...) (``static``/``init`` from the call's annotation)
    BUILTIN = "builtin"        # LANGUAGE.md §11.2
    BOUND = "bound"            # event/package bound functions (EVENTS.md §8)


@dataclass(frozen=True, slots=True)
class Callee:
    """What a call node calls."""

    kind: CalleeKind
    name: str
    params: tuple[WhammType | None, ...]
    result: WhammType
    library: str | None = None
    bound_fn: BoundFn | None = None
    lib_fn: LibFunc | None = None


@dataclass(slots=True)
class CheckedProbe:
    """One expanded probe (EVENTS.md §9) with everything checked about its body at that event.

    ``probe`` is the source probe (shared by all expansions of its rule); ``expansion`` gives number,
    package, event, mode and ``probe_id``; ``event`` is the catalog entry (None for begin/end/report).
    ``bounds`` are the rule's type bounds; ``symbols`` the body's declarations in source order;
    ``bound_used`` the bound variables the predicate and body read or write (first use order), which
    decides operand saving; ``predicate`` and ``body`` are the typed trees checked at this expansion
    (expansions that bind every name alike share them).
    """

    probe: ast.Probe
    expansion: ExpandedProbe
    event: Event | None
    bounds: dict[str, WhammType]
    symbols: list[Symbol] = field(default_factory=list)
    bound_used: dict[str, BoundVar] = field(default_factory=dict)
    predicate: ast.Expr | None = None
    body: ast.Block = ast.Block((), ast.NO_SPAN)

    @property
    def number(self) -> int:
        """The probe's number in the script (EVENTS.md §9), the same for every expansion of its rule."""
        return self.expansion.number

    @property
    def probe_id(self) -> str:
        """The expansion's id in reports (``probe_id`` column)."""
        return self.expansion.probe_id

    @property
    def package(self) -> str:
        """The package of the matched event (``wasm``, or ``begin``/``end``/``report`` ones)."""
        return self.expansion.package

    @property
    def mode(self) -> str | None:
        """The expansion's mode (``before``, ``after``, ``alt``, …); None for begin/end/report."""
        return self.expansion.mode

    @property
    def is_alt(self) -> bool:
        """An ``alt`` probe replaces the instruction, so its body decides what the instruction leaves on the stack."""
        return self.expansion.mode == "alt"

    def symbol(self, name: str) -> Symbol | None:
        """A declaration of the body by name."""
        for s in self.symbols:
            if s.name == name:
                return s
        return None

    def declarations(self) -> Iterator[ast.VarDecl]:
        """The typed declarations of the body, source order."""
        return (n for n in ast.walk(self.body) if isinstance(n, ast.VarDecl))

    def callees(self) -> Iterator[Callee]:
        """What every call of the typed predicate and body calls, source order."""
        roots: tuple[ast.Node, ...] = (self.body,) if self.predicate is None else (self.predicate, self.body)
        return (callee_of(n) for r in roots for n in ast.walk(r) if isinstance(n, ast.Call))


@dataclass(slots=True)
class CheckedFunction:
    """A user function (D3) with its parameters, result, locals and typed ``body``."""

    fn: ast.FnDef
    params: tuple[Symbol, ...]
    result: WhammType | None
    symbols: list[Symbol] = field(default_factory=list)
    body: ast.Block = ast.Block((), ast.NO_SPAN)

    @property
    def name(self) -> str:
        """The function's name in the script (its ``fn:`` key in the targets' function tables)."""
        return self.fn.name


@dataclass(slots=True)
class Program:
    """A checked script.

    ``statements`` are the typed script-level statements in order (run at program start).  ``constants`` are the compile-time constants of §7.4 (name → value,
    typed by the global's declared type).  ``map_ids`` numbers the script-level maps by name byte order
    (§8).  ``uses`` lists the ``use``d libraries in declaration order; ``libraries`` their signatures.
    """

    script: ast.Script
    source: str
    filename: str
    probes: list[CheckedProbe] = field(default_factory=list)
    functions: dict[str, CheckedFunction] = field(default_factory=dict)
    globals: dict[str, Symbol] = field(default_factory=dict)
    statements: list[ast.Stmt] = field(default_factory=list)
    constants: dict[str, object] = field(default_factory=dict)
    map_ids: dict[str, int] = field(default_factory=dict)
    uses: list[str] = field(default_factory=list)
    libraries: Mapping[str, Library] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)

