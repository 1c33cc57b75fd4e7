"""Export names of monitor probes (WEI.md §4): the one text both sides of the engine interface read.

The compiler writes an :class:`ExportName` for every (merged) probe; the engine — here the emulator —
parses it back to learn the match rule, the match-time callbacks to call and the values to pass.  So
encoding and parsing live together and a test round-trips them::

    wasm:opcode:br_if / $3(fname) / ($4(fname, fid, pc), arg0)
    ^ rule            ^ predicate     ^ per-site calls    ^ requested values

With no predicate callback the predicate part is empty, leaving two spaces after the rule; every call
in the parameter list is followed by ``", "`` even when no plain parameter comes next.  The grammar
cannot tell the allocation callback from a ``@static`` callback, and the engine need not: it calls each
listed callback once per attached site and passes the results, in order, before the requested values.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from compiler.errors import WhammError
from compiler.events.catalog import find_event
from compiler.events.variables import VARIABLES

__all__ = ["CallbackRef", "ExportName", "ExportNameError", "parse_export_name", "is_probe_export",
           "is_param_name", "RULE_PREFIXES", "FIXED_PARAMS"]

#: The rules an export name can start with (the mode is never part of the name).
RULE_PREFIXES = ("wasm:opcode:", "wasm:func:", "wasm:block:")

#: Requestable names besides the ``argN``/``immN``/``localN`` families (WEI.md §4 ``param``): the
#: ``requestable`` bound-variable rows (:mod:`compiler.events.variables`).
FIXED_PARAMS = frozenset(row.name for row in VARIABLES if row.requestable and not row.name.endswith("N"))

_FAMILY = re.compile(r"(arg|imm|local)(0|[1-9][0-9]*)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CALL = re.compile(r"\$(0|[1-9][0-9]*)\(")
_FUNC_EVENTS = ("entry", "exit")
_BLOCK_EVENTS = ("start", "end")


class ExportNameError(WhammError):
    """An export that looks like a probe (``wasm:opcode:…``) but does not follow WEI.md §4."""

    def __init__(self, name: str, reason: str, position: int) -> None:
        self.name = name
        self.reason = reason
        self.position = position
        super().__init__(f"malformed probe export name {name!r}: {reason} at character {position}")


def is_param_name(name: str) -> bool:
    """Whether ``name`` is a requestable value (WEI.md §4 ``param``)."""
    return name in FIXED_PARAMS or _FAMILY.fullmatch(name) is not None


@dataclass(frozen=True, slots=True)
class CallbackRef:
    """``$N(p1, p2, …)``: a call of the monitor's function ``index`` with the named values."""

    index: int
    params: tuple[str, ...]

    def __str__(self) -> str:
        return f"${self.index}({', '.join(self.params)})"


@dataclass(frozen=True, slots=True)
class ExportName:
    """One probe export: ``rule`` (``wasm:opcode:call``, ``wasm:func:entry``…), the predicate callback
    (None when the probe attaches unconditionally), the per-site callbacks (``$A`` first if present,
    then one per ``@static`` call) and the values requested at every call of the body."""

    rule: str
    predicate: CallbackRef | None
    calls: tuple[CallbackRef, ...]
    params: tuple[str, ...]

    def __str__(self) -> str:
        pred = f"/ {self.predicate} /" if self.predicate is not None else ""
        body = "".join(f"{c}, " for c in self.calls) + ", ".join(self.params)
        return f"{self.rule} {pred} ({body})"

    @property
    def package(self) -> str:
        """``opcode``, ``func`` or ``block``."""
        return self.rule.split(":")[1]

    @property
    def event(self) -> str:
        """The event: an opcode event name, ``entry``/``exit`` or ``start``/``end``."""
        return self.rule.split(":", 2)[2]


def is_probe_export(name: str) -> bool:
    """Whether an export name claims to be a probe (it starts with one of :data:`RULE_PREFIXES`)."""
    return name.startswith(RULE_PREFIXES)


def parse_export_name(name: str) -> ExportName:
    """The :class:`ExportName` of ``name``; :class:`ExportNameError` (with the position) if it is not one
    (events are checked against the catalog)."""
    return _Parser(name).parse()


class _Parser:
    __slots__ = ("text", "pos")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, reason: str) -> ExportNameError:
        return ExportNameError(self.text, reason, self.pos)

    def expect(self, literal: str) -> None:
        if not self.text.startswith(literal, self.pos):
            raise self.fail(f"expected {literal!r}")
        self.pos += len(literal)

    def parse(self) -> ExportName:
        rule = self.rule()
        self.expect(" ")
        predicate = None
        if self.text.startswith("/", self.pos):
            self.expect("/ ")
            predicate = self.call()
            self.expect(" /")
        self.expect(" (")
        calls: list[CallbackRef] = []
        while _CALL.match(self.text, self.pos):
            calls.append(self.call())
            self.expect(", ")
        params = self.names(")")
        self.expect(")")
        if self.pos != len(self.text):
            raise self.fail("unexpected text after the parameter list")
        return ExportName(rule, predicate, tuple(calls), params)

    def rule(self) -> str:
        end = self.text.find(" ")
        if end < 0:
            raise self.fail("expected ' ' after the rule")
        rule = self.text[:end]
        parts = rule.split(":", 2)
        if len(parts) != 3 or parts[0] != "wasm":
            raise self.fail(f"unknown rule {rule!r}")
        package, event = parts[1], parts[2]
        known = {"func": _FUNC_EVENTS, "block": _BLOCK_EVENTS}.get(package)
        if known is not None:
            ok = event in known
        else:
            try:
                ok = package == "opcode" and find_event("opcode", event) is not None
            except KeyError:
                ok = False
        if not ok:
            raise self.fail(f"unknown event {rule!r}")
        self.pos = end
        return rule

    def call(self) -> CallbackRef:
        m = _CALL.match(self.text, self.pos)
        if m is None:
            raise self.fail("expected a callback '$N('")
        self.pos = m.end()
        params = self.names(")")
        self.expect(")")
        return CallbackRef(int(m[1]), params)

    def names(self, close: str) -> tuple[str, ...]:
        out: list[str] = []
        if self.text.startswith(close, self.pos):
            return ()
        while True:
            m = _IDENT.match(self.text, self.pos)
            if m is None:
                raise self.fail("expected a parameter name")
            if not is_param_name(m[0]):
                raise self.fail(f"unknown parameter {m[0]!r}")
            if m[0] in out:
                raise self.fail(f"parameter {m[0]!r} repeated")
            out.append(m[0])
            self.pos = m.end()
            if not self.text.startswith(", ", self.pos):
                return tuple(out)
            self.pos += 2
