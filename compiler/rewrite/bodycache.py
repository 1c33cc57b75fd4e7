"""Reuse of emitted function bodies between emits (SHELL.md "Incremental re-instrumentation"), sound
by construction.

A function's rewritten body is a deterministic function of

1. inputs that the cache entry's **key** pins: the input module (a :class:`FunctionCache` serves one
   module, :meth:`FunctionCache.bind`), the function index, the function's matched sites *by
   identity* (the entry keeps them alive, so their ``id()``\\ s — which the layout's per-site tables
   are keyed by — cannot be reused), the renumbering of the input's own indices (the
   :class:`~compiler.backend.link.Remap` parameters) and the function's stack types (derived from the
   module and the index);
2. everything else it reads from the :class:`~compiler.rewrite.inject.ModuleContext`: the layout
   (string-literal addresses, global and function indices, runtime functions, slots and frame slots,
   map ids, table shadows, the instrumentation memory, the scratch area), the type table, the
   program's constants, the knobs, the flush points and ``proc_exit`` callers, …

A hand-kept list of (2) goes stale silently as soon as code generation reads one more thing — that is
how unchanged functions kept stale string-literal addresses (issue 9, item 5).  So (2) is not listed:
the rewriter gets a **recording view** of the context (:class:`Recording`) that logs every read —
attribute, item, membership, iteration, length, truth value and method call, down to plain values —
with its answer.  A cached body is reused only when replaying its log, in order, against the current
context gives the same answers; replaying also redoes, in the same order, what the reads allocate on
demand (string literals, block types), so later functions see the same addresses a fresh emit gives.

What the view cannot record it refuses loudly (:class:`UnrecordableRead`, an internal error): a
non-plain argument that the key does not pin, iterating a container of non-plain objects.  Exempt
from recording are only the context's ``module`` (pinned by :meth:`FunctionCache.bind`), and its
pure per-probe memo tables ``info``/``infos``/``templatable`` (functions of the probe, which the sites
pin).  Body templates shared between functions (``templates``) carry the log of their compilation,
which is added to the log of every function that uses one.

Two requirements on the context follow, both true of the layout and the type table: a method with a
side effect is idempotent (a string or a block type is allocated once, and asking again returns the
same address), and reads are answered by plain values or by objects read further through the view.
"""
from __future__ import annotations

import dataclasses
import enum
from typing import TYPE_CHECKING, Any, Sequence

from compiler.errors import InternalError

if TYPE_CHECKING:
    from compiler.report.rows import ReportVar
    from compiler.sites.matching import MatchedSite
    from compiler.wasm.model import Module

__all__ = ["FunctionCache", "Recording", "UnrecordableRead", "Entry"]

#: Context attributes handed to the rewriter as they are (see the module docstring for why).
_UNRECORDED = frozenset({"module", "info", "infos", "templatable"})

#: How many emits an entry survives without being used.
_KEEP_EMITS = 8
#: Entries kept per key (a function whose sites are unchanged but whose layout facts alternate).
_KEEP_VARIANTS = 4


class UnrecordableRead(InternalError):
    """Code generation read the module context in a way the function cache cannot replay: a bug of the
    compiler ("internal compiler error", exit 3), never a silently reused body."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Raised:
    """A read that raised: the exception's type and arguments are the answer."""

    kind: type
    args: tuple


def _plain(value: object) -> bool:
    """Whether ``value`` is a plain value: compared by ``==``, never changed after it is read."""
    if value is None or value.__class__ in (bool, int, float, str, bytes):
        return True
    if isinstance(value, (tuple, frozenset)):
        return all(_plain(v) for v in value)
    if isinstance(value, enum.Enum):
        return True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.__dataclass_params__.frozen and all(   # type: ignore[attr-defined]
            _plain(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def _same(a: object, b: object) -> bool:
    """Strict equality: ``1``, ``1.0`` and ``True`` differ (they encode differently)."""
    if a.__class__ is not b.__class__:
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    return a == b


class Recording:
    """The log of one function's reads of the module context (see the module docstring).

    ``view()`` is the context to hand to the rewriter; ``steps`` is the log, each a ``(path, answer)``
    pair where ``path`` is a tuple of steps from the context (``("a", name)`` attribute, ``("i", key)``
    item, ``("c", args, kwargs)`` call, ``("in", key)``, ``("iter",)``, ``("len",)``, ``("bool",)``).
    ``pinned`` are the ids of the objects the cache key pins, the only non-plain call arguments allowed.
    """

    def __init__(self, context: object, pinned: frozenset[int], templates: dict) -> None:
        self.context = context
        self.pinned = pinned
        self.steps: list[tuple[tuple, object]] = []
        self.template_steps = templates
        self.template_marks: dict[object, int] = {}

    def view(self) -> object:
        return _ContextView(self.context, (), self)

    def answer(self, path: tuple, compute) -> Any:
        try:
            value = compute()
        except Exception as exc:
            self.steps.append((path, _Raised(type(exc), exc.args)))
            raise
        if _plain(value):
            self.steps.append((path, value))
            return value
        if callable(value):
            return _CallView(value, path, self)
        return _View(value, path, self)

    def argument(self, value: object) -> object:
        if _plain(value) or id(value) in self.pinned:
            return value
        raise UnrecordableRead(f"internal: the function cache cannot record a read of the module context "
                               f"with an argument of type {type(value).__name__}")


def replay(context: object, steps: Sequence[tuple[tuple, object]]) -> bool:
    """Whether every logged read gives the same answer against ``context`` (stops at the first that
    does not; what the reads before it allocated is what a fresh generation allocates first)."""
    for path, expected in steps:
        try:
            got = _evaluate(context, path)
        except Exception as exc:
            got = _Raised(type(exc), exc.args)
        if not _same(got, expected):
            return False
    return True


def _evaluate(obj: Any, path: tuple) -> object:
    for step in path:
        kind = step[0]
        if kind == "a":
            obj = getattr(obj, step[1])
        elif kind == "i":
            obj = obj[step[1]]
        elif kind == "c":
            obj = obj(*step[1], **dict(step[2]))
        elif kind == "in":
            obj = step[1] in obj
        elif kind == "iter":
            obj = tuple(obj)
        elif kind == "len":
            obj = len(obj)
        else:
            obj = bool(obj)
    return obj


class _View:
    """A recorded object: every read through it is logged by its :class:`Recording`."""

    __slots__ = ("_target", "_path", "_recording")

    def __init__(self, target: object, path: tuple, recording: Recording) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_recording", recording)

    @property  # type: ignore[misc]
    def __class__(self):               # isinstance() sees the recorded object's class
        return type(object.__getattribute__(self, "_target"))

    def __getattr__(self, name: str) -> Any:
        target, path, rec = self._target, self._path, self._recording
        return rec.answer(path + (("a", name),), lambda: getattr(target, name))

    def __setattr__(self, name: str, value: object) -> None:
        raise UnrecordableRead(f"internal: code generation writes `{name}` of the module context")

    def __getitem__(self, key: object) -> Any:
        target, rec = self._target, self._recording
        key = rec.argument(key)
        return rec.answer(self._path + (("i", key),), lambda: target[key])

    def get(self, key: object, default: object = None) -> Any:
        target, rec = self._target, self._recording
        key, default = rec.argument(key), rec.argument(default)
        return rec.answer(self._path + (("a", "get"), ("c", (key, default), ())),
                          lambda: target.get(key, default))

    def __contains__(self, key: object) -> bool:
        target, rec = self._target, self._recording
        key = rec.argument(key)
        return rec.answer(self._path + (("in", key),), lambda: key in target)

    def __iter__(self):
        target, rec = self._target, self._recording
        items = rec.answer(self._path + (("iter",),), lambda: tuple(target))
        if isinstance(items, _View):
            raise UnrecordableRead("internal: code generation iterates over non-plain objects of the "
                                   "module context")
        return iter(items)

    def __len__(self) -> int:
        target = self._target
        return self._recording.answer(self._path + (("len",),), lambda: len(target))

    def __bool__(self) -> bool:
        target = self._target
        return self._recording.answer(self._path + (("bool",),), lambda: bool(target))

    def __eq__(self, other: object) -> bool:
        raise UnrecordableRead("internal: code generation compares an object of the module context")

    __hash__ = None  # type: ignore[assignment]   # (hashing one would be an unrecorded read)


class _CallView(_View):
    """A recorded method or function: a call is one read, its arguments part of the path."""

    __slots__ = ()

    def __call__(self, *args: object, **kwargs: object) -> Any:
        target, rec = self._target, self._recording
        args = tuple(rec.argument(a) for a in args)
        pairs = tuple(sorted((k, rec.argument(v)) for k, v in kwargs.items()))
        return rec.answer(self._path + (("c", args, pairs),), lambda: target(*args, **kwargs))


class _ContextView(_View):
    """The module context itself: as :class:`_View`, except the attributes of :data:`_UNRECORDED`
    and the shared ``templates`` (:class:`_Templates`)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        target = self._target
        if name in _UNRECORDED:
            return getattr(target, name)
        if name == "templates":
            return _Templates(target.templates, self._recording)
        return super().__getattr__(name)


class _Templates:
    """The context's per-emit body templates, shared by the functions of one emit.  A template is
    compiled by the first function that needs it, with that function's reads logged; every function
    that uses it gets those reads added to its own log, as if it had compiled the template itself."""

    __slots__ = ("_table", "_recording")

    def __init__(self, table: dict, recording: Recording) -> None:
        self._table = table
        self._recording = recording

    def get(self, key: object, default: object = None) -> Any:
        tpl = self._table.get(key)
        rec = self._recording
        if tpl is None:
            rec.template_marks[key] = len(rec.steps)
            return default
        rec.steps.extend(rec.template_steps[key])
        return tpl

    def __setitem__(self, key: object, tpl: object) -> None:
        rec = self._recording
        rec.template_steps[key] = rec.steps[rec.template_marks.pop(key):]
        self._table[key] = tpl


@dataclasses.dataclass(slots=True, eq=False)
class Entry:
    """One cached body: the encoded body, the sites it was generated from (kept alive: the key holds
    their ids), the log of its context reads, and the emit that last used it."""

    raw: bytes
    sites: tuple
    steps: tuple
    used: int


@dataclasses.dataclass(slots=True)
class FunctionCache:
    """Previously emitted function bodies of one input module (see the module docstring).

    ``bodies`` maps a key — (function index, ids of its sites, the remap parameters) — to the entries
    generated under it, most recent first; an entry is reused when :func:`replay` of its log succeeds.
    ``metadata_rows`` keeps the ``whamm.report`` JSON text of each report row seen (a rebuild formats
    only new rows; a :class:`~compiler.rewrite.layout.ReportVar` is a value, so equal rows have equal
    text).
    """

    bodies: dict[tuple, list[Entry]] = dataclasses.field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    emits: int = 0
    module: object = None
    metadata_rows: dict[ReportVar, str] = dataclasses.field(default_factory=dict)

    def bind(self, module: Module) -> None:
        """Serve ``module`` only (the bodies depend on it and it is not recorded)."""
        if self.module is None:
            self.module = module
        elif self.module is not module:
            raise UnrecordableRead("internal: a function cache used with a second input module")

    def start(self) -> None:
        """One more emit; forget the entries no emit used lately."""
        self.emits += 1
        horizon = self.emits - _KEEP_EMITS
        for key in [k for k, entries in self.bodies.items() if all(e.used < horizon for e in entries)]:
            del self.bodies[key]

    @staticmethod
    def key(fid: int, sites: Sequence[MatchedSite], remap: tuple) -> tuple:
        return (fid, tuple(id(s) for s in sites), remap)

    def lookup(self, key: tuple, context: object) -> bytes | None:
        """A cached body whose reads replay to the same answers against ``context``, or None."""
        for entry in self.bodies.get(key, ()):
            if replay(context, entry.steps):
                entry.used = self.emits
                self.hits += 1
                return entry.raw
        self.misses += 1
        return None

    def store(self, key: tuple, raw: bytes, sites: Sequence[MatchedSite], recording: Recording) -> None:
        entries = self.bodies.setdefault(key, [])
        entries.insert(0, Entry(raw, tuple(sites), tuple(recording.steps), self.emits))
        del entries[_KEEP_VARIANTS:]

    @staticmethod
    def pinned(sites: Sequence[MatchedSite]) -> frozenset[int]:
        """The ids a recording of these sites' function may pass as arguments: the sites and their
        probes (both pinned by the key, the probes through their sites)."""
        return frozenset(id(x) for s in sites for x in (s, s.probe))
