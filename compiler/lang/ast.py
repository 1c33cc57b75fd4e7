"""The whamm abstract syntax tree (LANGUAGE.md §3–§12): frozen, slotted dataclasses with a span each.

The parser builds these nodes directly; the checker, the constant folder and the printer walk them with
:class:`NodeVisitor`.  Conventions:

* every node ends with ``span: Span`` (the whole construct); declarations also carry ``name_span`` so
  "already defined" and similar messages can point at the name itself;
* sequences are tuples (nodes are hashable and immutable); optional parts are ``None``;
* operators, modifiers and annotations are the strings written in the source (``"&&"``, ``"report"``,
  ``"static"``), so messages and the printer can quote them as the user wrote them;
* written types are :class:`TypeRef` nodes holding a :mod:`compiler.lang.types` value plus a span.

Nodes compare by value *including* spans, so two nodes compare equal only when they are the same
construct at the same place.  Use :func:`strip_spans` to compare shapes (for example in parse → print →
parse round trips).

The checker's results travel on the nodes: the checker returns a *typed copy* of every expression and
statement it checks, whose optional fields ``checked_type`` (every :class:`Expr`), ``symbol``
(:class:`Name`, :class:`VarDecl`) and ``callee`` (:class:`Call`) are filled in.  The parser leaves them
None, so a parse tree is never mutated and each expansion of a glob rule gets its own typed copy (types
differ per event).  They take no part in equality or hashing (a typed node equals its parse node), and a
pass that rebuilds a node with :func:`dataclasses.replace` keeps them — facts cannot get lost the way
entries of a side table keyed by ``id(node)`` did.  Read them through :mod:`compiler.lang.scopes`
(``type_of``, ``symbol_of``, ``callee_of``), which turn a missing fact into an internal error.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Literal, Union

from compiler.lang.diagnostics import Span
from compiler.lang.types import WhammType

if TYPE_CHECKING:
    from compiler.lang.scopes import Callee, Symbol

__all__ = [
    "Node", "Item", "Stmt", "Expr",
    "Script", "Use", "FnDef", "Param", "Probe", "ProbeRule", "RulePart", "TypeBound", "TypeRef",
    "Block", "VarDecl", "Assign", "CompoundAssign", "IncDec", "CallStmt", "Return", "If", "Elif",
    "IntLit", "FloatLit", "BoolLit", "StrLit", "Name", "Binary", "Unary", "Ternary", "Cast",
    "Call", "MethodCall", "TupleLit", "Index", "Field",
    "Target", "Modifier", "Annotation", "MODIFIERS", "ANNOTATIONS", "BINARY_OPS", "UNARY_OPS",
    "NO_SPAN", "children", "walk", "strip_spans", "NodeVisitor",
]

Modifier = Literal["report", "unshared", "shared", "frame"]
Annotation = Literal["static", "init"]

#: Variable decorators (§7.1), in canonical order (the printer writes them in this order).
MODIFIERS: tuple[str, ...] = ("report", "unshared", "shared", "frame")
#: Call annotations (§12.4), without the ``@``.
ANNOTATIONS: tuple[str, ...] = ("static", "init")
#: Binary operators (§6.4), loosest first within the table; precedence lives with the parser/printer.
BINARY_OPS: tuple[str, ...] = ("&&", "||", "|", "^", "&", "==", "!=", "<", "<=", ">", ">=",
                               "<<", ">>", "+", "-", "*", "/", "%")
#: Prefix operators (§6.4 level 10).  There is no unary minus (§2.3).
UNARY_OPS: tuple[str, ...] = ("!", "~")

#: A placeholder span (all zeros) for synthesised nodes and for :func:`strip_spans`.
NO_SPAN = Span(0, 0, 0, 0, 0, 0)


class Node:
    """Base of every AST node (gives ``isinstance`` checks and visitors a common root)."""

    __slots__ = ()
    span: Span


class Item(Node):
    """A top-level item of a script: ``use``, ``fn``, probe, or a script-level statement."""

    __slots__ = ()


class Stmt(Item):
    """A statement (inside a block, or at script level where §3 allows it)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Expr(Node):
    """An expression.  ``checked_type`` is its type in a checked tree (None in a parse tree)."""

    checked_type: WhammType | None = dataclasses.field(default=None, compare=False, repr=False, kw_only=True)


def _checked() -> Any:
    """A checker-filled field: None in a parse tree, not compared, hashed or shown."""
    return dataclasses.field(default=None, compare=False, repr=False, kw_only=True)


# --------------------------------------------------------------------------------------------- types

@dataclass(frozen=True, slots=True)
class TypeRef(Node):
    """A type as written in the source (``u32``, ``(u32, bool)``, ``map<K, V>``); ``type`` is its value."""

    type: WhammType
    span: Span


# --------------------------------------------------------------------------------------- script level

@dataclass(frozen=True, slots=True)
class Script(Node):
    """A whole ``.mm`` file: its items in source order (§3)."""

    items: tuple[Item, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Use(Item):
    """``use NAME;``: makes library ``NAME`` callable as ``NAME.f(...)`` (§12.1)."""

    name: str
    name_span: Span
    span: Span


@dataclass(frozen=True, slots=True)
class Param(Node):
    """One ``name: type`` parameter of a user function (§10)."""

    name: str
    type: TypeRef
    name_span: Span
    span: Span


@dataclass(frozen=True, slots=True)
class FnDef(Item):
    """``fn name(params) -> result { body }``; ``result`` is None for a function without a result (§10)."""

    name: str
    params: tuple[Param, ...]
    result: TypeRef | None
    body: Block
    name_span: Span
    span: Span


@dataclass(frozen=True, slots=True)
class TypeBound(Node):
    """``name: type`` inside a rule part's parentheses: types (and filters sites by) ``argN``/``resN``/
    ``localN`` (§4.2)."""

    name: str
    type: TypeRef
    span: Span


@dataclass(frozen=True, slots=True)
class RulePart(Node):
    """One ``:``-separated part of a probe rule: a glob ``pattern`` (``""`` for an empty part, which
    means ``*``) and the type bounds written after it (§4.1, §4.2).  ``span`` covers the pattern only
    (zero-width for an empty part), so "no match" errors point at exactly the pattern."""

    pattern: str
    bounds: tuple[TypeBound, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ProbeRule(Node):
    """``provider:package[:event[:mode]]``: two to four parts (§4.1)."""

    parts: tuple[RulePart, ...]
    span: Span

    @property
    def text(self) -> str:
        """The rule without type bounds, e.g. ``wasm:opcode:call:before``."""
        return ":".join(p.pattern for p in self.parts)

    @property
    def bounds(self) -> tuple[TypeBound, ...]:
        """All type bounds of all parts, in source order."""
        return tuple(b for p in self.parts for b in p.bounds)


@dataclass(frozen=True, slots=True)
class Block(Node):
    """``{ statements }`` (a probe body, function body or ``if`` branch)."""

    stmts: tuple[Stmt, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Probe(Item):
    """``rule [/ predicate /] { body }``: code run at every site the rule matches where the predicate
    holds (§4).  ``predicate`` is None when absent (behaves as ``true``)."""

    rule: ProbeRule
    predicate: Expr | None
    body: Block
    span: Span


# ----------------------------------------------------------------------------------------- statements

@dataclass(frozen=True, slots=True)
class VarDecl(Stmt):
    """``[modifiers] var name: type [= init];`` (§5, §7).  ``modifiers`` are in source order, each at
    most once as far as the parser is concerned (duplicates are kept for the checker to report)."""

    modifiers: tuple[str, ...]
    name: str
    type: TypeRef
    init: Expr | None
    name_span: Span
    span: Span
    symbol: Symbol | None = _checked()    # the variable it declares (checked tree)


@dataclass(frozen=True, slots=True)
class Assign(Stmt):
    """``target = value;`` where target is a variable, ``m[k]`` or ``t.N[.M...]`` (§5)."""

    target: Target
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class CompoundAssign(Stmt):
    """``target OP= value;`` (ANALYSIS.md §2): ``target = target OP value`` with the target, and a map
    key, evaluated once.  ``op`` is the binary operator (``"+"``, ``"<<"``…).  A node of its own rather
    than a desugared :class:`Assign` so that a map key is evaluated once and so that passes which
    read an ``Assign``'s value as the target's new value (constants, counters) cannot misread it."""

    target: Target
    op: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class IncDec(Stmt):
    """``target++;`` / ``target--;``: wrapping ``target = target ± 1`` (§5).  ``op`` is ``"++"`` or ``"--"``."""

    target: Target
    op: str
    span: Span


@dataclass(frozen=True, slots=True)
class CallStmt(Stmt):
    """A call used as a statement; its result is discarded (§5, §12.1)."""

    call: Call | MethodCall
    span: Span


@dataclass(frozen=True, slots=True)
class Return(Stmt):
    """``return [value];``: leaves a function or probe body; in ``alt`` probes supplies the value (§5)."""

    value: Expr | None
    span: Span


@dataclass(frozen=True, slots=True)
class Elif(Node):
    """One ``elif (cond) { ... }`` branch of an :class:`If`."""

    cond: Expr
    body: Block
    span: Span


@dataclass(frozen=True, slots=True)
class If(Stmt):
    """``if (cond) {then} [elif (c) {...}]* [else {orelse}]`` (§5); no ``;`` follows it."""

    cond: Expr
    then: Block
    elifs: tuple[Elif, ...]
    orelse: Block | None
    span: Span


# ---------------------------------------------------------------------------------------- expressions

@dataclass(frozen=True, slots=True)
class IntLit(Expr):
    """An integer literal (decimal, hex or binary; possibly negative).  Untyped until checked (§6.3);
    ``text`` is the source spelling (``0xFF``, ``1_000``), kept for messages and the printer."""

    value: int
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class FloatLit(Expr):
    """A float literal, including ``inf``/``infinity``/``nan`` (§2.3).  ``value`` is the nearest f64;
    ``text`` is the source spelling, from which an f64 context converts exactly."""

    value: float
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class BoolLit(Expr):
    """``true`` / ``false``."""

    value: bool
    span: Span


@dataclass(frozen=True, slots=True)
class StrLit(Expr):
    """A string literal; ``value`` is the byte string after escape processing (§2.4)."""

    value: bytes
    span: Span


@dataclass(frozen=True, slots=True)
class Name(Expr):
    """A reference to a variable (global, local, bound variable, ``APP_MEMID``) or, as a call argument
    of ``memid``, a library."""

    id: str
    span: Span
    symbol: Symbol | None = _checked()    # what it refers to (checked tree; a library name has none)


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    """``left op right`` for every operator of §6.4 levels 2–9 (``&&``/``||`` short-circuit, D1)."""

    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    """Prefix ``!`` (bool) or ``~`` (integers)."""

    op: str
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Ternary(Expr):
    """``cond ? then : orelse``; only the selected branch is evaluated (D9)."""

    cond: Expr
    then: Expr
    orelse: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Cast(Expr):
    """``expr as T``: the conversions of §6.2 (postfix, binds tightest)."""

    expr: Expr
    type: TypeRef
    span: Span


@dataclass(frozen=True, slots=True)
class Call(Expr):
    """A call of a user function, built-in or bound function (``target == "f"``) or of a library export
    (``target == "lib.f"``).  ``annotation`` is None, ``"static"`` or ``"init"`` (§12.4)."""

    target: str
    args: tuple[Expr, ...]
    annotation: str | None
    span: Span
    callee: Callee | None = _checked()    # what it calls (checked tree)

    @property
    def lib(self) -> str | None:
        """The library name of a ``lib.f(...)`` call, else None."""
        dot = self.target.find(".")
        return self.target[:dot] if dot >= 0 else None

    @property
    def func(self) -> str:
        """The function name (``f`` in both ``f(...)`` and ``lib.f(...)``)."""
        return self.target.rpartition(".")[2]


@dataclass(frozen=True, slots=True)
class MethodCall(Expr):
    """``receiver.method(args)``: a string method such as ``fname.starts_with("a")`` (§9.2).

    The grammar cannot tell ``lib.f(x)`` from ``s.f(x)``; the parser makes ``name.m(...)`` a
    :class:`Call` with target ``"name.m"`` unless ``m`` is a string method
    (``parser.STRING_METHODS``).  So a ``MethodCall`` whose receiver is a :class:`Name` naming a
    library (one exporting, say, ``len``) is a library call for the checker to resolve.
    """

    receiver: Expr
    method: str
    args: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class TupleLit(Expr):
    """``(e1, e2, ...)`` with at least two elements, or ``()`` (§9.1)."""

    elems: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Index(Expr):
    """``map[key]``: a map element read (or assignment target) (§8)."""

    map: Expr
    key: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Field(Expr):
    """``tuple.N``: a tuple element (§9.1); ``t.1.0`` is ``Field(Field(t, 1), 0)``."""

    tuple: Expr
    index: int
    span: Span


#: What may stand left of ``=``, ``++`` and ``--``.
Target = Union[Name, Index, Field]


# ------------------------------------------------------------------------------------------ traversal

_SPANS = frozenset({"span", "name_span"})
_NON_CHILD = _SPANS | {"checked_type", "symbol", "callee"}
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in _NON_CHILD)
        _CHILD_FIELDS[cls] = names
    return names


def children(node: Node) -> Iterator[Node]:
    """The direct child nodes of ``node`` in field (= source) order, flattening tuples."""
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple):
            for v in value:
                if isinstance(v, Node):
                    yield v


def walk(node: Node) -> Iterator[Node]:
    """``node`` and all its descendants, depth-first, in source order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(children(n))))


def strip_spans(node: Any) -> Any:
    """A copy of ``node`` with every span replaced by :data:`NO_SPAN`, for comparing shapes."""
    if isinstance(node, Node):
        changes = {}
        for f in dataclasses.fields(node):  # type: ignore[arg-type]
            value = getattr(node, f.name)
            changes[f.name] = NO_SPAN if f.name in _SPANS else strip_spans(value)
        return type(node)(**changes)
    if isinstance(node, tuple):
        return tuple(strip_spans(v) for v in node)
    return node


class NodeVisitor:
    """pycparser-style visitor: ``visit(node)`` calls ``visit_<ClassName>(node)`` if defined, else
    :meth:`generic_visit`, which visits the children and returns None.

    Subclasses return whatever they compute (types, folded nodes, text).
    """

    def visit(self, node: Node) -> Any:
        """Dispatch on the node's class name; every visitor's result comes back through here."""
        return getattr(self, "visit_" + type(node).__name__, self.generic_visit)(node)

    def generic_visit(self, node: Node) -> Any:
        """What a node without a ``visit_<Class>`` gets: its children are visited for their side effects only."""
        for child in children(node):
            self.visit(child)
        return None
