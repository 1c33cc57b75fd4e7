"""Probe rules: glob patterns, matching against the catalog, expansion into numbered probes.

A rule part is a pattern (LANGUAGE.md §4.1): ``|``-separated alternatives, each a glob with ``*``, ``?``,
``[abc]``, ``[a-z]``, ``[!abc]``; every other character (``.``, ``+``, ``\\``) is literal; matching is
case-insensitive and against the whole name.  Two flavours of matching exist:

* script rules (:func:`match_rule`, :func:`expand_rule`): 2-part rules name packages without events,
  3-part rules mode-less events and — decision D6 — events with modes in mode ``before``, 4-part rules
  events with modes; an empty part means ``*`` (not in 2-part rules);
* ``whamm info`` rules (:func:`match_info`): 1–4 parts, missing trailing parts mean ``*``, no D6.

A rule that matches nothing raises :class:`NoMatchError` naming the most specific level that matched
nothing, with the index of that part so the caller can point at its span, and a "did you mean" hint.
Expansion follows catalog order and numbers probes with a script-wide counter (EVENTS.md §9).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from compiler.errors import WhammError
from compiler.events.catalog import PROVIDERS, Event, Mode, Package, Provider, provider_of
from compiler.lang.diagnostics import Diagnostic, closest

if TYPE_CHECKING:
    from compiler.lang.diagnostics import Span

__all__ = [
    "Pattern", "RuleError", "NoMatchError", "Target", "ExpandedProbe", "InfoMatch",
    "match_rule", "expand_rule", "expand_rules", "match_info", "split_rule", "LEVELS",
]

#: The level named by each rule part, in order.
LEVELS = ("provider", "package", "event", "mode")

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class _CharSet:
    """One glob position that consumes exactly one character: a literal, ``?``, or a ``[...]`` class."""

    chars: frozenset[str]
    ranges: tuple[tuple[str, str], ...] = ()
    negated: bool = False

    def accepts(self, c: str) -> bool:
        listed = c in self.chars or any(lo <= c <= hi for lo, hi in self.ranges)
        return listed != self.negated


#: ``*`` in a compiled glob: any run of characters.
_STAR = None
_ANY_CHAR = _CharSet(frozenset(), negated=True)


@functools.lru_cache(maxsize=512)
def _compile(text: str) -> tuple[tuple[_CharSet | None, ...], ...]:
    """Parse a rule pattern into its alternatives, each a token list over lower-case names (cached).

    Case-insensitivity is lower-casing pattern and name alike (catalog names are lower case), so a range
    such as ``[.-a]`` means the same as in a shell glob over lower-cased text.  Runs of ``*`` collapse
    into one: they match the same names, and :func:`_glob_matches` then never revisits a star.
    """
    return tuple(_parse_glob(alt) for alt in text.lower().split("|"))


def _parse_glob(glob: str) -> tuple[_CharSet | None, ...]:
    out: list[_CharSet | None] = []
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        if c == "*":
            if not out or out[-1] is not _STAR:
                out.append(_STAR)
        elif c == "?":
            out.append(_ANY_CHAR)
        elif c == "[" and (j := glob.find("]", i + 1)) > i + 1 and glob[i + 1:j] != "!":
            body = glob[i + 1:j]
            neg = body.startswith("!")
            out.append(_class(body[1:] if neg else body, neg))
            i = j
        else:
            out.append(_CharSet(frozenset(c)))
        i += 1
    return tuple(out)


def _class(body: str, negated: bool) -> _CharSet:
    """A ``[...]`` body with ``a-z`` ranges kept and every other character literal."""
    chars, ranges, k = set(), [], 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            ranges.append((body[k], body[k + 2]))
            k += 3
        else:
            chars.add(body[k])
            k += 1
    return _CharSet(frozenset(chars), tuple(ranges), negated)


def _glob_matches(tokens: tuple[_CharSet | None, ...], name: str) -> bool:
    """Whole-name glob match in O(len(tokens) * len(name)) time.

    The classic greedy scan: on a mismatch, only the most recent ``*`` needs to absorb one more
    character, because every position an earlier star could resume from is also reachable by the later
    one.  A backtracking regex (``.*`` per star) is exponential in the number of stars instead: a
    fuzzed rule with twelve of them took minutes.
    """
    t = c = 0
    star_t, star_c = -1, 0
    while c < len(name):
        if t < len(tokens) and tokens[t] is not _STAR and tokens[t].accepts(name[c]):
            t += 1
            c += 1
        elif t < len(tokens) and tokens[t] is _STAR:
            star_t, star_c = t, c
            t += 1
        elif star_t >= 0:
            star_c += 1
            t, c = star_t + 1, star_c
        else:
            return False
    return all(tok is _STAR for tok in tokens[t:])


@dataclass(frozen=True, slots=True)
class Pattern:
    """One rule part.  An empty text means ``*`` (LANGUAGE.md §4.1)."""

    text: str

    @property
    def shown(self) -> str:
        """The pattern as messages show it (``*`` for an empty part)."""
        return self.text or "*"

    def matches(self, name: str) -> bool:
        """Whether ``name`` matches the pattern's globs and alternatives, case-insensitively (LANGUAGE.md §4.1)."""
        lowered = name.lower()
        return any(_glob_matches(alt, lowered) for alt in _compile(self.shown))

    def filter(self, items: Iterable) -> list:
        """The catalog entries (anything with a ``name``) whose name matches, in their order."""
        return [it for it in items if self.matches(it.name)]


class RuleError(WhammError):
    """A malformed or unmatched probe rule.

    ``part`` is the index of the rule part at fault (0 = provider) and ``span`` that part's source span
    when the caller supplied spans; :meth:`diagnostic` turns the error into a script diagnostic.
    """

    def __init__(self, message: str, part: int, span: Span | None = None, help: str | None = None):
        self.message = message
        self.part = part
        self.span = span
        self.help = help
        super().__init__(message if help is None else f"{message}\n  = help: {help}")

    def diagnostic(self) -> Diagnostic:
        """The error as a located diagnostic of the script, with its help line."""
        return Diagnostic.error(self.message, self.span, help=self.help)


class NoMatchError(RuleError):
    """``no match for the <level> pattern: <pattern>`` (LANGUAGE.md §4.1, §14.1)."""

    def __init__(self, part: int, pattern: Pattern, candidates: Iterable[str] = (),
                 spans: Sequence[Span | None] | None = None, help: str | None = None):
        self.level = LEVELS[part]
        self.pattern = pattern.shown
        if help is None:
            help = _did_you_mean(pattern.text, candidates)
        super().__init__(f"no match for the {self.level} pattern: {self.pattern}", part,
                         _span(spans, part), help)


def _span(spans: Sequence[Span | None] | None, part: int) -> Span | None:
    return spans[part] if spans is not None and part < len(spans) else None


def _did_you_mean(text: str, candidates: Iterable[str]) -> str | None:
    """``did you mean `x`?`` for the first plain (glob-free) alternative that is close to a name."""
    pool = list(dict.fromkeys(candidates))
    for alt in text.split("|"):
        if alt and not _GLOB_CHARS.intersection(alt):
            best = closest(alt.lower(), pool)       # names are lower case; matching ignores case
            if best is not None:
                return f"did you mean `{best}`?"
    return None


@dataclass(frozen=True, slots=True)
class Target:
    """One (package, event, mode) a rule matched; ``event``/``mode`` are None where the level is absent
    (2-part packages, mode-less events)."""

    package: Package
    event: Event | None
    mode: Mode | None


@dataclass(frozen=True, slots=True)
class ExpandedProbe:
    """One probe of an expanded rule (EVENTS.md §9): its number and what it instruments."""

    number: int
    package: str
    event: str | None
    mode: str | None
    provider: str = "wasm"

    @property
    def rule(self) -> str:
        """The canonical rule: ``wasm:opcode:br_if:before``, ``wasm:func:entry``, ``wasm:begin``."""
        return ":".join(p for p in (self.provider, self.package, self.event, self.mode) if p is not None)

    @property
    def probe_id(self) -> str:
        """The report's probe id: ``11_wasm:opcode:br_if:before``, ``0_wasm:func:entry:<no-mode>``.

        Packages without events (``wasm:begin``, which has no sites and no report rows) get
        ``<number>_wasm:begin``.
        """
        if self.event is None:
            return f"{self.number}_{self.provider}:{self.package}"
        return f"{self.number}_{self.provider}:{self.package}:{self.event}:{self.mode or '<no-mode>'}"

    @property
    def engine_id(self) -> str:
        """The engine target's probe id, which omits the mode (WEI.md §7): ``0_wasm:opcode:call``."""
        return f"{self.number}_{self.rule.rsplit(':', 1)[0] if self.mode else self.rule}"


def match_rule(parts: Sequence[str], spans: Sequence[Span | None] | None = None) -> tuple[Target, ...]:
    """The targets of a script rule, in catalog order (LANGUAGE.md §4.1, D6).

    ``parts`` are the rule's part texts (type bounds removed), ``spans`` optionally their source spans
    (same length) for the error.  Raises :class:`NoMatchError` or :class:`RuleError`.
    """
    n = len(parts)
    if not 2 <= n <= 4:
        raise RuleError(f"a probe rule has 2 to 4 parts, found {n}", 0, _span(spans, 0))
    if n == 2:
        for i, p in enumerate(parts):
            if not p:
                raise RuleError(f"the {LEVELS[i]} part of a 2-part rule cannot be empty", i, _span(spans, i))
    pats = [Pattern(p) for p in parts]
    providers = _providers(pats[0], spans)
    named = [pk for pv in providers for pk in pats[1].filter(pv.packages)]
    if n == 2:
        pkgs = [pk for pk in named if not pk.events]
        if not pkgs:
            help = None
            if named:
                help = (f"package `{named[0].name}` has events; add an event part, "
                        f"e.g. {providers[0].name}:{named[0].name}:*")
            raise NoMatchError(1, pats[1], _package_names(providers), spans, help)
        return tuple(Target(pk, None, None) for pk in pkgs)
    if not named:
        raise NoMatchError(1, pats[1], _package_names(providers), spans)
    events = [(pk, ev) for pk in named for ev in pats[2].filter(pk.events)]
    if not events:
        help = None
        if all(not pk.events for pk in named):
            help = f"package `{named[0].name}` has no events; use the 2-part rule wasm:{named[0].name}"
        raise NoMatchError(2, pats[2], (e.name for pk in named for e in pk.events), spans, help)
    if n == 3:
        return tuple(Target(pk, ev, ev.modes[_before_index(ev)] if ev.modes else None) for pk, ev in events)
    targets = tuple(Target(pk, ev, m) for pk, ev in events for m in pats[3].filter(ev.modes))
    if not targets:
        help = None
        if all(not ev.modes for _, ev in events):
            pk, ev = events[0]
            help = f"event `{ev.name}` has no modes; use the 3-part rule wasm:{pk.name}:{ev.name}"
        elif len(events) == 1:      # e.g. wasi:p1:proc_exit:after (it never returns, ANALYSIS.md §4)
            ev = events[0][1]
            help = _did_you_mean(pats[3].text, (m.name for m in ev.modes)) or \
                f"`{ev.name}` has the modes {', '.join(m.name for m in ev.modes)}"
        raise NoMatchError(3, pats[3], (m.name for _, ev in events for m in ev.modes), spans, help)
    return targets


def _before_index(ev: Event) -> int:
    """D6: a 3-part rule selects ``before``, which every event with modes has."""
    return next(i for i, m in enumerate(ev.modes) if m.name == "before")


def _providers(pattern: Pattern, spans: Sequence[Span | None] | None) -> list[Provider]:
    providers = pattern.filter(PROVIDERS)
    if not providers:
        raise NoMatchError(0, pattern, (pv.name for pv in PROVIDERS), spans)
    return providers


def _package_names(providers: list[Provider]) -> list[str]:
    return [pk.name for pv in providers for pk in pv.packages]


def expand_rule(parts: Sequence[str], start: int = 0,
                spans: Sequence[Span | None] | None = None) -> tuple[ExpandedProbe, ...]:
    """The probes of one script rule, numbered from ``start`` in catalog order (EVENTS.md §9)."""
    return tuple(
        ExpandedProbe(start + i, t.package.name, t.event.name if t.event else None,
                      t.mode.name if t.mode else None, provider_of(t.package.name).name)
        for i, t in enumerate(match_rule(parts, spans)))


def expand_rules(rules: Iterable[Sequence[str]]) -> list[tuple[ExpandedProbe, ...]]:
    """Expand rules in script order with one script-wide counter (never reset between rules)."""
    out: list[tuple[ExpandedProbe, ...]] = []
    counter = 0
    for parts in rules:
        probes = expand_rule(parts, counter)
        counter += len(probes)
        out.append(probes)
    return out


# --------------------------------------------------------------------------------------------------
# whamm info

@dataclass(frozen=True, slots=True)
class InfoMatch:
    """What a ``whamm info`` rule matches, level by level, in catalog order."""

    providers: tuple[Provider, ...]
    packages: tuple[Package, ...]
    events: tuple[tuple[Event, tuple[Mode, ...]], ...]


_BOUNDS_RE = re.compile(r"\([^()]*\)")


def split_rule(text: str) -> list[str]:
    """Split a rule's text into parts, dropping type bounds (``call(arg0: i32)`` → ``call``)."""
    return [p.strip() for p in _BOUNDS_RE.sub("", text).split(":")]


def match_info(parts: Sequence[str]) -> InfoMatch:
    """Match a ``whamm info`` rule (CLI.md §2): 1–4 parts, missing trailing parts mean ``*``, no D6.

    A level whose part is given keeps only entries with something matched below it, so
    ``wasm:*:*:before`` lists only the ``opcode`` package.  Raises :class:`NoMatchError`.
    """
    n = len(parts)
    if not 1 <= n <= 4:
        raise RuleError(f"a rule has 1 to 4 parts, found {n}", 0)
    pats = [Pattern(p) for p in parts] + [Pattern("")] * (4 - n)
    providers = _providers(pats[0], None)
    pkgs = [pk for pv in providers for pk in pats[1].filter(pv.packages)]
    if not pkgs:
        raise NoMatchError(1, pats[1], _package_names(providers))
    events = [(pk, ev, tuple(pats[3].filter(ev.modes))) for pk in pkgs for ev in pats[2].filter(pk.events)]
    if n >= 3 and not events:
        raise NoMatchError(2, pats[2], (e.name for pk in pkgs for e in pk.events))
    if n == 4:
        if not any(modes for _, _, modes in events):
            raise NoMatchError(3, pats[3], (m.name for _, ev, _ in events for m in ev.modes))
        events = [e for e in events if e[2]]
    if n >= 3:
        kept = {id(pk) for pk, _, _ in events}
        pkgs = [pk for pk in pkgs if id(pk) in kept]
    return InfoMatch(tuple(providers), tuple(pkgs), tuple((ev, modes) for _, ev, modes in events))
