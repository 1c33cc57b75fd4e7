"""Re-instrumentation that redoes only what changed (SHELL.md "Incremental re-instrumentation").

A shell session compiles the same application over and over with scripts that differ by one probe.
This is compiler logic, offered to the shell through :mod:`compiler.api` (the shell imports nothing
else of the compiler).  :class:`Instrumenter` keeps, for one loaded application (decoded once, by
:func:`compiler.api.load_app`):

* **matches per probe** — each source probe is matched on its own (a one-probe view of the checked
  program) and its :class:`~compiler.sites.matching.Matches` are kept under a key of everything they
  depend on: the probe's text, where it sits in the script (offset and first expansion number, which fix
  its ``probe_id``) and the script-level text before it (globals, constants, functions).  Adding a probe
  matches that probe only; the merged site list is rebuilt in site allocation order (REWRITING.md §8)
  from the per-probe lists.  Scripts that ``use`` a library are matched in one pass, because ``@static``
  calls must run in the order of LANGUAGE.md §13.4 across all probes;
* **emitted function bodies** — one :class:`~compiler.rewrite.bodycache.FunctionCache` for the
  application: every function that needs rewriting is planned anew, and its output bytes are taken
  from the cache when an equal :class:`~compiler.rewrite.plan.FunctionPlan` (the code inserted where,
  with every address and index in it) was spliced before (:mod:`compiler.rewrite.bodycache`); every
  other body is copied from the input as raw bytes.  The result equals a from-scratch build byte for
  byte (what :func:`compiler.api.instrument` builds, ``Session.from_scratch`` in the shell);
* **whole results** — a build is a pure function of (application, script text, options), so results are
  kept by a digest of those: toggling a probe off and on again returns the earlier build unchanged;
* **compiled code** — serialized wasmtime modules by the SHA-256 of their bytes (:attr:`compiled`, handed
  to :func:`compiler.api.prepare_run`), so running an unchanged module skips Cranelift.

Every phase is timed; :attr:`Build.timings` feeds ``run --timings``.

It also answers the shell's dry runs: :meth:`Instrumenter.dry_match` (the sites of a rule, with what a
predicate folds to at each) and :meth:`Matched.site_rows` (where a probe is injected), as
:class:`SiteRow`\\ s.
"""
from __future__ import annotations

import dataclasses
import hashlib
import operator
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping

from compiler.errors import WhammError
from compiler.gc_pause import collector_paused
from compiler.lang.folder import fold_probe
from compiler.lang.frontend import check_source
from compiler.lang.parser import parse_probe
from compiler.lang.printer import expression_source
from compiler.rewrite.bodycache import FunctionCache
from compiler.rewrite.emit import emit, fold_prelude
from compiler.sites.matching import SITE_PACKAGES, Matches, check_alt_conflicts, match, order_keys
from compiler.sites.source_use import uses_source
from compiler.sites.static_calls import StaticCalls
from compiler.results import App, InstrumentResult, Libraries, Options
from compiler.wasm.source_lines import source_map
from compiler.wasm.wat import Namer, format_instr

if TYPE_CHECKING:
    from compiler.lang.scopes import CheckedProbe, Program
    from compiler.rewrite.plan import FunctionPlan
    from compiler.sites.matching import MatchedSite
    from compiler.wasm.model import Module

__all__ = ["ProbeSlice", "Composition", "Matched", "Build", "SiteRow", "Instrumenter", "merge", "SCRIPT_NAME"]

#: The file name diagnostics and ``save`` use for the session's script.
SCRIPT_NAME = "session.mm"

_KEEP_BUILDS = 8
_KEEP_PROBES = 512
_KEEP_COMPILED = 8


@dataclass(frozen=True, slots=True)
class ProbeSlice:
    """Where one session probe sits in a :class:`Composition`: its session number and ``[start, end)``."""

    number: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Composition:
    """The session's script as the compiler sees it: ``source`` is the script-level items
    (``source[:prologue]``) followed by the enabled probes, each at its :class:`ProbeSlice`."""

    source: str
    prologue: int
    probes: tuple[ProbeSlice, ...]

    def probe_at(self, offset: int) -> int | None:
        """The session number of the probe containing character ``offset`` (None: the prologue)."""
        for p in self.probes:
            if p.start <= offset < p.end:
                return p.number
        return None


@dataclass(frozen=True, slots=True)
class SiteRow:
    """One site as the shell's ``match`` and ``sites`` list it: where it is, the instruction there (WAT,
    with its immediates; ``[func:entry]``-style tags for non-opcode events) and what the predicate folds
    to there (``true``, ``false`` = not injected, or the residual run-time predicate)."""

    fid: int
    fname: str
    pc: int
    instruction: str
    predicate: str
    src: str = ""
    """``file:line`` of the instruction (the file's base name; ANALYSIS.md §5), ``""`` without DWARF."""

    @property
    def injected(self) -> bool:
        """Whether code is injected at the site (a predicate folded to ``false`` injects nothing)."""
        return self.predicate != "false"


@dataclass(frozen=True, slots=True, eq=False)
class Matched:
    """A checked program and its matches.  ``program`` holds, per source probe, the expansions the
    matches refer to (reused from the cache when the probe was unchanged); ``expansions`` maps each
    session number to its expansions."""

    program: Program
    matches: Matches
    expansions: Mapping[int, tuple[CheckedProbe, ...]]
    timings: Mapping[str, float]

    def sites_of(self, number: int) -> tuple[MatchedSite, ...]:
        """The sites of session probe ``number`` in allocation order (empty when it is disabled)."""
        ids = {cp.number for cp in self.expansions.get(number, ())}
        return tuple(s for s in self.matches.sites if s.probe.number in ids)

    def functions_of(self, number: int) -> tuple[int, ...]:
        """The functions (ascending) where session probe ``number`` has sites."""
        return tuple(sorted({s.fid for s in self.sites_of(number)}))

    def has_site_events(self, number: int) -> bool:
        """Whether session probe ``number`` is on an event that has sites in a module (an opcode or
        function event; ``wasm:begin`` has none), so "0 sites" is worth a warning."""
        return any(cp.package in SITE_PACKAGES for cp in self.expansions.get(number, ()))

    def site_rows(self, module: Module, number: int) -> list[SiteRow]:
        """Where session probe ``number`` is injected in ``module``, with the folded predicate per site."""
        return site_rows(module, [(s, s.folded.predicate) for s in self.sites_of(number)])

    def session_number(self, probe_id: str) -> int | None:
        """The session number of the probe whose expansion has report ``probe_id``."""
        for number, cps in self.expansions.items():
            if any(cp.probe_id == probe_id for cp in cps):
                return number
        return None


@dataclass(frozen=True, slots=True, eq=False)
class Build:
    """An instrumented module ready to run: the compiler's result, the matches behind it, the phase
    timings of the build that produced it (all zero for a reused build: ``reused`` is then True)."""

    result: InstrumentResult
    matched: Matched
    options: Options
    timings: Mapping[str, float]
    reused: bool = False
    #: the plan of every function this build rewrote, by input index (what ``wat`` marks from)
    plans: Mapping[int, FunctionPlan] = dataclasses.field(default_factory=dict)

    @property
    def wasm(self) -> bytes:
        """The output's bytes (validated): the instrumented module, or for a component application the
        component with it in place."""
        return self.result.wasm

    @property
    def module_wasm(self) -> bytes:
        """The instrumented core module's bytes, also for a component (what ``wat`` prints from)."""
        return self.result.emitted.wasm


class Instrumenter:
    """Incremental instrumentation of one application with one set of user libraries."""

    def __init__(self, app: App, libraries: Libraries = Libraries()) -> None:
        self.app = app
        self.libraries = libraries
        self.functions: FunctionCache = FunctionCache()
        self.compiled: OrderedDict[bytes, bytes] = _Bounded(_KEEP_COMPILED)
        self._probes: OrderedDict[tuple, tuple[tuple[CheckedProbe, ...], Matches]] = OrderedDict()
        self._builds: OrderedDict[bytes, Build] = OrderedDict()
        self._matched: tuple[str, Matched] | None = None

    @property
    def last_matched(self) -> Matched | None:
        """The most recent matching result (what the toolbar and completion read; never recomputed)."""
        return self._matched[1] if self._matched is not None else None

    # ----------------------------------------------------------------------------------------- check

    def check(self, source: str) -> Program:
        """Parse and check ``source`` (raises :class:`~compiler.lang.diagnostics.ScriptError`)."""
        return check_source(source, SCRIPT_NAME, self.libraries.signatures)

    # ----------------------------------------------------------------------------------------- match

    @collector_paused()
    def match(self, composition: Composition) -> Matched:
        """Check the composition and match it, reusing the matches of unchanged probes."""
        if self._matched is not None and self._matched[0] == composition.source:
            return self._matched[1]
        clock = time.perf_counter()
        program = self.check(composition.source)
        checked = time.perf_counter()
        groups = _expansions_by_probe(program, composition)
        static = StaticCalls(self.app.module, program,
                             library_bytes={lib.name: lib.wasm for lib in self.libraries.linked})
        try:
            if program.uses:
                # @static calls run in the order of LANGUAGE.md §13.4 over the whole script: one pass.
                matches = match(self.app.module, program, static_call=static)
                expansions = groups
            else:
                expansions = {}
                parts = []
                prologue = composition.source[:composition.prologue]
                for piece in composition.probes:
                    cps = groups.get(piece.number, ())
                    key = (prologue, piece.start, cps[0].number if cps else -1,
                           composition.source[piece.start:piece.end])
                    hit = self._probes.get(key)
                    if hit is None:
                        sub = dataclasses.replace(program, probes=list(cps))
                        hit = (cps, match(self.app.module, sub, static_call=static))
                        self._probes[key] = hit
                        _trim(self._probes, _KEEP_PROBES)
                    else:
                        self._probes.move_to_end(key)
                    expansions[piece.number] = hit[0]
                    parts.append(hit[1])
                reused = [cp for piece in composition.probes for cp in expansions[piece.number]]
                # probes the checker added (fd_path's tracking, docs/WASI.md) belong to no session probe
                attributed = {id(cp) for cps in groups.values() for cp in cps}
                added = [cp for cp in program.probes if id(cp) not in attributed]
                if added:
                    parts.append(match(self.app.module, dataclasses.replace(program, probes=added),
                                       static_call=static))
                    reused += added
                program = dataclasses.replace(program, probes=reused)
                matches = merge(program, parts)
        finally:
            static.close()
        done = time.perf_counter()
        matched = Matched(program, matches, expansions, {"check": checked - clock, "match": done - checked})
        self._matched = (composition.source, matched)
        return matched

    @collector_paused()
    def dry_match(self, prologue: str, text: str) -> list[SiteRow]:
        """The shell's ``match RULE [/ PRED /]``: every site the rule matches in the application, with
        what the predicate folds to at each — including ``false`` sites, where nothing would be injected.

        The rule is matched without its predicate (after the script-level ``prologue``, so its items are
        in scope), then the predicate is folded at each of those sites with the site's static bindings.
        Errors are those of checking ``prologue + text + " { }\\n"`` (the script the caller re-bases
        diagnostics against): :class:`~compiler.lang.diagnostics.ScriptError` unchanged.
        """
        probe = parse_probe(text + " { }", "<input>")
        rule_only = prologue + text[:probe.rule.span.end] + " { }\n"
        with_pred = prologue + text + " { }\n"
        everywhere = self.check(rule_only)
        program = self.check(with_pred) if probe.predicate is not None else everywhere
        static = StaticCalls(self.app.module, program,
                             library_bytes={lib.name: lib.wasm for lib in self.libraries.linked})
        try:
            sites = match(self.app.module, everywhere, static_call=static,
                          source_vars=uses_source(program)).sites    # the predicate folds with them
            by_number = {cp.number: cp for cp in program.probes}
            rows = []
            for site in sites:
                if probe.predicate is None:
                    folded = site.folded.predicate
                else:
                    cp = by_number[site.probe.number]
                    try:
                        folded = fold_probe(cp, site.bindings, constants=program.constants,
                                            static_call=static).predicate
                    except WhammError as exc:
                        folded = f"error: {exc}"
                rows.append((site, folded))
        finally:
            static.close()
        return site_rows(self.app.module, rows)

    # ----------------------------------------------------------------------------------------- build

    @collector_paused()
    def build(self, composition: Composition, options: Options = Options()) -> Build:
        """The instrumented module for ``composition`` (validated), rebuilt only where it changed.

        Raises the compiler's :class:`~compiler.errors.WhammError`\\ s (script errors, site errors,
        emit errors) unchanged.
        """
        if self.app.component is not None:
            options = dataclasses.replace(options, lend_low=True)   # the adapter's state is at the top of memory
        key = hashlib.sha256(repr((composition.source, options)).encode()).digest()
        cached = self._builds.get(key)
        if cached is not None:
            self._builds.move_to_end(key)
            return dataclasses.replace(cached, timings=dict.fromkeys(cached.timings, 0.0), reused=True)
        matched = self.match(composition)
        timings = dict(matched.timings)
        program = matched.program
        library_bytes = {lib.name: lib.wasm for lib in self.libraries.linked}
        static = StaticCalls(self.app.module, program, library_bytes=library_bytes)
        try:
            prelude = fold_prelude(program, static)
            emitted = emit(self.app.module, program, matched.matches, options, prelude=prelude,
                           static_call=static, cache=self.functions, libraries=library_bytes)
        finally:
            static.close()
        phases = emitted.timings
        timings["emit"] = phases.get("layout", 0.0) + phases.get("emit", 0.0)
        timings["encode"] = phases.get("encode", 0.0)
        timings["validate"] = phases.get("validate", 0.0)
        cache = self.functions     # the plans this emit used are the ones it touched last
        plans = {plan.fid: plan for plan, entry in cache.bodies.items() if entry[1] == cache.emits}
        result = InstrumentResult(self.app.package(emitted.wasm), self.app, program, self.libraries,
                                      (*program.warnings, *emitted.warnings), self.libraries.warnings,
                                      emitted, timings, plans)
        build = Build(result, matched, options, timings, plans=plans)
        self._builds[key] = build
        _trim(self._builds, _KEEP_BUILDS)
        return build


def site_rows(module: Module, sites: Iterable[tuple[MatchedSite, object]]) -> list[SiteRow]:
    """:class:`SiteRow`\\ s of matched sites, each with its folded predicate (a bool, an expression, or
    an ``error: …`` text)."""
    namer = Namer(module)
    nimp = module.num_imported_funcs
    smap = source_map(module)
    out = []
    for site, folded in sites:
        instr = format_instr(module, module.code[site.fid - nimp].instrs[site.index], site.fid, namer)
        if site.probe.package != "opcode":
            e = site.probe.expansion
            instr = f"[{e.package}:{e.event}{':' + e.mode if e.mode else ''}] {instr}"
        if folded is True or folded is False:
            pred = "true" if folded else "false"
        elif isinstance(folded, str):
            pred = folded
        else:
            pred = expression_source(folded)  # type: ignore[arg-type]
        out.append(SiteRow(site.fid, site.report_fname, site.pc, instr, pred,
                           smap.location(site.fid, site.index).short if smap.has_lines else ""))
    return out


def merge(program: Program, parts: list[Matches]) -> Matches:
    """One :class:`~compiler.sites.matching.Matches` from per-probe matches, in the order a single
    matching pass over ``program`` produces (REWRITING.md §8, §11.3): functions ascending, instructions
    in order, and at one instruction the probes by their §8 key.  Two ``alt`` probes at one instruction
    raise :class:`~compiler.sites.matching.AltConflictError` through the one-pass matcher's own check."""
    order = order_keys(program)
    by_function: dict[int, list[MatchedSite]] = {}
    types: dict = {}
    for part in parts:
        for fid, sites in part.by_function.items():
            by_function.setdefault(fid, []).extend(sites)
        types.update(part.types)
    fids = sorted(by_function)
    merged: dict[int, tuple[MatchedSite, ...]] = {}
    for fid in fids:
        sites = by_function[fid]
        if len(set(map(_index, sites))) == len(sites):
            sites = sorted(sites, key=_index)     # one site per instruction: its index alone orders them
        else:
            sites = sorted(sites, key=lambda s: (s.index, order[s.probe.number]))
        check_alt_conflicts(program, sites)
        merged[fid] = tuple(sites)
    return Matches(tuple(s for fid in fids for s in merged[fid]), merged, tuple(fids), types)


#: A site's instruction index (a C-level key for sorting).
_index = operator.attrgetter("index")


def _expansions_by_probe(program: Program, composition: Composition) -> dict[int, tuple[CheckedProbe, ...]]:
    """Each session probe's expansions (number order), found by where its source probe starts."""
    out: dict[int, list[CheckedProbe]] = {}
    for cp in program.probes:
        number = composition.probe_at(cp.probe.span.start)
        if number is not None:
            out.setdefault(number, []).append(cp)
    return {n: tuple(cps) for n, cps in out.items()}


def _trim(cache: OrderedDict, size: int) -> None:
    while len(cache) > size:
        cache.popitem(last=False)


class _Bounded(OrderedDict):
    """A mapping that forgets its oldest entries beyond ``size`` and refreshes an entry on every hit
    (serialized modules of a large application are megabytes each)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
