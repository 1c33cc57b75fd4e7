"""Re-instrumentation that redoes only what changed (SHELL.md "Incremental re-instrumentation").

A shell session compiles the same application over and over with scripts that differ by one probe.
:class:`Instrumenter` keeps, for one loaded application (decoded once, by :func:`compiler.api.load_app`):

* **matches per probe** — each source probe is matched on its own (a one-probe view of the checked
  program) and its :class:`~compiler.rewrite.matching.Matches` are kept under a key of everything they
  depend on: the probe's text, where it sits in the script (offset and first expansion number, which fix
  its ``probe_id``) and the script-level text before it (globals, constants, functions).  Adding a probe
  matches that probe only; the merged site list is rebuilt in site allocation order (REWRITING.md §8)
  from the per-probe lists.  Scripts that ``use`` a library are matched in one pass, because ``@static``
  calls must run in the order of LANGUAGE.md §13.4 across all probes;
* **emitted function bodies** — one :class:`~compiler.rewrite.bodycache.FunctionCache` for the
  application: a function is rewritten when its sites changed or when any fact its body read from
  the layout changed (a string literal's address, a global's index, a slot, a map id, …: the reads are
  recorded and replayed, :mod:`compiler.rewrite.bodycache`); every other body is copied from the cache
  or from the input as raw bytes.  The result equals a from-scratch build byte for byte
  (:meth:`whamm_shell.session.Session.from_scratch`);
* **whole results** — a build is a pure function of (application, script text, options), so results are
  kept by a digest of those: toggling a probe off and on again returns the earlier build unchanged;
* **compiled code** — serialized wasmtime modules by the SHA-256 of their bytes (:attr:`compiled`, handed
  to :func:`compiler.api.prepare_run`), so running an unchanged module skips Cranelift.

Every phase is timed; :attr:`Build.timings` feeds ``run --timings``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

from compiler import api
from compiler.lang.diagnostics import Diagnostic

if TYPE_CHECKING:
    from compiler.lang.scopes import CheckedProbe, Program
    from compiler.rewrite.bodycache import FunctionCache
    from compiler.rewrite.matching import MatchedSite, Matches

__all__ = ["ProbeSlice", "Composition", "Matched", "Build", "Instrumenter", "SCRIPT_NAME"]

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

    result: api.InstrumentResult
    matched: Matched
    options: api.Options
    timings: Mapping[str, float]
    reused: bool = False

    @property
    def wasm(self) -> bytes:
        return self.result.wasm


class Instrumenter:
    """Incremental instrumentation of one application with one set of user libraries."""

    def __init__(self, app: api.App, libraries: api.Libraries = api.Libraries()) -> None:
        from compiler.rewrite.bodycache import FunctionCache

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
        return api.check(source, SCRIPT_NAME, self.libraries)

    # ----------------------------------------------------------------------------------------- match

    def match(self, composition: Composition) -> Matched:
        """Check the composition and match it, reusing the matches of unchanged probes."""
        if self._matched is not None and self._matched[0] == composition.source:
            return self._matched[1]
        from compiler.rewrite.matching import match
        from compiler.rewrite.static_calls import StaticCalls

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
                program = dataclasses.replace(program, probes=reused)
                matches = merge(program, parts)
        finally:
            static.close()
        done = time.perf_counter()
        matched = Matched(program, matches, expansions, {"check": checked - clock, "match": done - checked})
        self._matched = (composition.source, matched)
        return matched

    # ----------------------------------------------------------------------------------------- build

    def build(self, composition: Composition, options: api.Options = api.Options()) -> Build:
        """The instrumented module for ``composition`` (validated), rebuilt only where it changed.

        Raises the compiler's :class:`~compiler.errors.WhammError`\\ s (script errors, site errors,
        emit errors) unchanged.
        """
        key = hashlib.sha256(repr((composition.source, options)).encode()).digest()
        cached = self._builds.get(key)
        if cached is not None:
            self._builds.move_to_end(key)
            return dataclasses.replace(cached, timings=dict.fromkeys(cached.timings, 0.0), reused=True)
        from compiler.rewrite.emit import emit, fold_prelude
        from compiler.rewrite.static_calls import StaticCalls

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
        result = api.InstrumentResult(emitted.wasm, self.app, program, self.libraries,
                                      (*program.warnings, *emitted.warnings), self.libraries.warnings,
                                      emitted, timings)
        build = Build(result, matched, options, timings)
        self._builds[key] = build
        _trim(self._builds, _KEEP_BUILDS)
        return build


def merge(program: Program, parts: list[Matches]) -> Matches:
    """One :class:`~compiler.rewrite.matching.Matches` from per-probe matches, in the order a single
    matching pass over ``program`` produces (REWRITING.md §8, §11.3): functions ascending, instructions
    in order, and at one instruction the probes by their §8 key.  Two ``alt`` probes at one instruction
    raise :class:`~compiler.rewrite.matching.AltConflictError` as the one-pass matcher does."""
    from compiler.rewrite.matching import Matches, order_keys

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
        sites = sorted(by_function[fid], key=lambda s: (s.index, order[s.probe.number]))
        _check_alt(program, sites)
        merged[fid] = tuple(sites)
    return Matches(tuple(s for fid in fids for s in merged[fid]), merged, tuple(fids), types)


def _check_alt(program: Program, sites: list[MatchedSite]) -> None:
    from compiler.rewrite.matching import AltConflictError

    seen: dict[int, MatchedSite] = {}
    for s in sites:
        if not s.probe.is_alt:
            continue
        if s.index in seen:
            diag = Diagnostic.error("multiple alt probes match the same instruction", s.probe.probe.rule.span)
            raise AltConflictError([diag.with_note("note", f"at {s.location}")], program.source, program.filename)
        seen[s.index] = s


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
