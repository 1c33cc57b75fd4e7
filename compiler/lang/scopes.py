"""The checked program: symbols, their kinds, and the per-probe / per-function facts later stages need.

The checker (:mod:`compiler.lang.checker`) produces one :class:`Program`; the constant folder, the
rewriter, the wei backend and the shell read it.  The AST stays frozen: facts about nodes (types, what a
name refers to) live in dictionaries keyed by ``id(node)``, which is stable because the program keeps the
AST alive.  Expression types differ between the expansions of a glob rule (``arg0`` is ``u32`` at
``br_if`` but ``i32`` at ``i32.store``), so each :class:`CheckedProbe` has its own tables.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping, TypeVar

from compiler.errors import InternalError
from compiler.lang import ast
from compiler.lang.types import MapType, WhammType

if TYPE_CHECKING:
    from compiler.events.catalog import BoundFn, BoundVar, Event
    from compiler.events.rules import ExpandedProbe
    from compiler.lang.diagnostics import Diagnostic
    from compiler.lang.libraries import LibFunc, Library

__all__ = ["VarKind", "Symbol", "Callee", "CalleeKind", "CheckedProbe", "CheckedFunction", "Program",
           "fact", "declared_symbol"]

_Fact = TypeVar("_Fact")


def fact(table: Mapping[int, _Fact], node: ast.Node, what: str) -> _Fact:
    """``table[id(node)]``: a fact the checker (or the folder, for the nodes it builds) recorded.

    A checked program has a type for every expression, a symbol for every name and a callee for every
    call, so a miss means a stage built or kept a node without its facts: an :class:`InternalError`,
    never a default that would compile into a plausible wrong result."""
    try:
        return table[id(node)]
    except KeyError:
        span = getattr(node, "span", None)
        raise InternalError(f"no {what} recorded for the {type(node).__name__} at {span}") from None


def declared_symbol(symbols: Iterable[Symbol], decl: ast.VarDecl) -> Symbol:
    """The symbol ``decl`` declares, among a body's ``symbols``.

    Matched by name and the position of the declared name, not by node identity: the folder rebuilds a
    declaration whose initializer it folds (a new node carrying the old spans), and each source
    declaration has its own position.  A miss is an :class:`InternalError` (the statement would
    otherwise be skipped and the variable keep 0)."""
    for sym in symbols:
        d = sym.decl
        if isinstance(d, ast.VarDecl) and d.name == decl.name and d.name_span == decl.name_span:
            return sym
    raise InternalError(f"no symbol for the declaration of `{decl.name}` at {decl.name_span}")


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
        return isinstance(self.type, MapType)


class CalleeKind(enum.Enum):
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
    decides operand saving; ``types``/``names``/``calls`` are keyed by ``id(node)``.
    """

    probe: ast.Probe
    expansion: ExpandedProbe
    event: Event | None
    bounds: dict[str, WhammType]
    symbols: list[Symbol] = field(default_factory=list)
    bound_used: dict[str, BoundVar] = field(default_factory=dict)
    types: dict[int, WhammType] = field(default_factory=dict)
    names: dict[int, Symbol] = field(default_factory=dict)
    calls: dict[int, Callee] = field(default_factory=dict)

    @property
    def number(self) -> int:
        return self.expansion.number

    @property
    def probe_id(self) -> str:
        return self.expansion.probe_id

    @property
    def package(self) -> str:
        return self.expansion.package

    @property
    def mode(self) -> str | None:
        return self.expansion.mode

    @property
    def is_alt(self) -> bool:
        return self.expansion.mode == "alt"

    def symbol(self, name: str) -> Symbol | None:
        """A declaration of the body by name."""
        for s in self.symbols:
            if s.name == name:
                return s
        return None


@dataclass(slots=True)
class CheckedFunction:
    """A user function (D3) with its parameters, result and locals; facts keyed like probes'."""

    fn: ast.FnDef
    params: tuple[Symbol, ...]
    result: WhammType | None
    symbols: list[Symbol] = field(default_factory=list)
    types: dict[int, WhammType] = field(default_factory=dict)
    names: dict[int, Symbol] = field(default_factory=dict)
    calls: dict[int, Callee] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.fn.name


@dataclass(slots=True)
class Program:
    """A checked script.

    ``statements`` are the script-level statements in order (run at program start); their facts are in
    ``types``/``names``/``calls``.  ``constants`` are the compile-time constants of §7.4 (name → value,
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
    types: dict[int, WhammType] = field(default_factory=dict)
    names: dict[int, Symbol] = field(default_factory=dict)
    calls: dict[int, Callee] = field(default_factory=dict)
    constants: dict[str, object] = field(default_factory=dict)
    map_ids: dict[str, int] = field(default_factory=dict)
    uses: list[str] = field(default_factory=list)
    libraries: Mapping[str, Library] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)

