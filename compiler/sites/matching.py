"""Probes × sites: which probe goes where, in which order, with which folded predicate (REWRITING.md §5, §8).

:func:`match` traverses the defined functions in ascending index and their instructions in order; at
each instruction it collects the candidate sites (the instruction's opcode event, ``wasm:block``
boundaries anchored there, ``wasm:func`` sites), orders the probes per §8, drops those whose type bounds
or used operands do not exist here (LANGUAGE.md §4.2, ``br_table`` ``immK``), folds each remaining one
with :func:`~compiler.lang.folder.fold_probe` (skipping a ``false`` predicate) and records a
:class:`MatchedSite`.  The result lists sites in **site allocation order** (§11.3), which is also the
order of ``@static`` calls (LANGUAGE.md §13.4), and groups them per function for the emitter and the
shell.  Everything is a pure function of (module, program, static-call results).  Before a function's
sites are visited, the probes whose predicate folds to ``false`` with the function's ``fid``/``fname``
alone are set aside for it — they would have no site there (:mod:`compiler.sites.probe_plans` says when
that is exact), and ``/ fname == "main" /`` no longer folds at every site of the module.

Order at one instruction (§8, as upstream): first the *pass-1* sites (``wasm:opcode`` probes in every
mode, ``wasm:block`` sites), grouped by package in order of first appearance in the script, then by
event (first appearance), then by mode (first appearance), then script order; then the *structural*
sites (``wasm:func``), grouped the same way.  A ``func:exit`` function site counts at the first
instruction, a proc_exit exit site at its call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping, NamedTuple, Sequence

from compiler.errors import WhammError
from compiler.lang.diagnostics import Diagnostic, ScriptError
from compiler.lang.folder import FoldError, Folded, StaticCall, fold_predicate, fold_probe
from compiler.lang.types import Prim, WhammType, wasm_types
from compiler.sites.finding import FunctionSites, ModuleSites, Placement, Site, imm_count
from compiler.sites.probe_plans import SITE_PACKAGES, ProbePlan, order_keys, probe_plans
from compiler.sites.source_use import uses_source
from compiler.wasm.stack import BY_IMMEDIATES, FunctionTypes, Types
from compiler.wasm.model import FuncType, RefType
from compiler.wasm.opcodes import BY_NAME

if TYPE_CHECKING:
    from compiler.events.catalog import Event
    from compiler.lang.scopes import CheckedProbe, Program
    from compiler.wasm.model import Module

__all__ = ["MatchedSite", "Matches", "ProbeSummary", "SiteError", "AltConflictError", "check_alt_conflicts", "match",
           "order_keys", "SITE_PACKAGES"]
# order_keys and SITE_PACKAGES live in probe_plans; re-exported: the matcher's callers see one surface

#: The instructions that are ``wasi:p1`` sites when they call a WASI import (ANALYSIS.md §4).
WASI_CALLS = ("call", "return_call")


class SiteError(ScriptError):
    """A script error that depends on the site (REWRITING.md §5): the diagnostic points at the probe's
    rule and ends with ``= note: at <fname or #fid> (fid <fid>), pc <pc>`` (LANGUAGE.md §14.1)."""


class AltConflictError(SiteError):
    """``multiple alt probes match the same instruction`` (EVENTS.md §7.2), at the second alt probe."""


def check_alt_conflicts(program: Program, sites: Sequence[MatchedSite]) -> None:
    """Raise :class:`AltConflictError` at the second ``alt`` probe matching one instruction (EVENTS.md
    §7.2).  ``sites`` are one function's matched sites in site order (at one instruction, §8 order); the
    one-pass matcher and the shell's per-probe merge both check here, so they agree on the error."""
    seen: set[int] = set()
    for s in sites:
        if not s.probe.is_alt:
            continue
        if s.index in seen:
            diag = Diagnostic.error("multiple alt probes match the same instruction", s.probe.probe.rule.span)
            raise AltConflictError([diag.with_note("note", f"at {s.location}")], program.source, program.filename)
        seen.add(s.index)


class MatchedSite(NamedTuple):
    """One probe injected at one site (a tuple: matching builds one per site, up to one per instruction
    of a large module, and a tuple is built several times faster than a frozen dataclass).

    ``index`` is the anchor instruction (REWRITING.md §6: for block modes the opener, for
    ``func:entry``/``func:exit`` function sites 0); ``placement`` says where the code goes; ``pc`` is the
    report row's pc.  ``operands``/``results`` are the Wasm types of the instruction's operands and
    results, top of stack first (``argN`` is ``operands[N]``); they are complete (the function was
    walked) whenever the probe is ``alt`` or has an ``argN``/``resN`` type bound, otherwise an entry may
    be ``None`` where only the stack could tell (``drop``, untyped ``select``, …).  Non-opcode sites
    have none.  ``folded`` is the folded predicate, body and initialisers; sites whose static inputs
    are equal may share one ``Folded`` (and its AST nodes).

    ``static`` holds the site's static bindings (:attr:`bindings`): the mapping itself at a
    ``wasm:func``/``wasm:block`` site, the function's :class:`FunctionSites` at an opcode site, whose
    bindings are computed when asked for — a dict per instruction would cost most of the matching
    time (and of the shell's memory) of an every-instruction probe, whose code never reads them.
    """

    probe: CheckedProbe
    fid: int
    index: int
    placement: Placement
    pc: int
    static: Mapping[str, object] | FunctionSites
    operands: Types
    results: Types
    folded: Folded

    @property
    def bindings(self) -> Mapping[str, object]:
        """The site's static bindings, ``APP_MEMID`` included (at an opcode site a new dict per call)."""
        static = self.static
        if static.__class__ is FunctionSites:
            return static.matched_bindings(self.index)  # type: ignore[union-attr]
        return static  # type: ignore[return-value]

    @property
    def fname(self) -> str:
        """The function's name-section name (``""`` if none)."""
        static = self.static
        if static.__class__ is FunctionSites:
            return static.fname  # type: ignore[union-attr]
        return static["fname"]  # type: ignore[index,return-value]

    @property
    def report_fname(self) -> str:
        """The name as report rows print it: the name, or ``#<fid>`` (REWRITING.md §11.2)."""
        return self.fname or f"#{self.fid}"

    @property
    def probe_id(self) -> str:
        """The matched probe expansion's id, as report rows of the site print it."""
        return self.probe.probe_id

    @property
    def location(self) -> str:
        """``<fname or #fid> (fid <fid>), pc <pc>`` as diagnostics quote a site."""
        return f"{self.report_fname} (fid {self.fid}), pc {self.pc}"


@dataclass(frozen=True, slots=True)
class ProbeSummary:
    """Where one probe went: its number and id, how many sites, in which functions (ascending)."""

    number: int
    probe_id: str
    sites: int
    functions: tuple[int, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Matches:
    """The matching result.  ``sites`` are in site allocation order; ``by_function`` maps each matched
    function (ascending) to its sites in the same order, including functions with no site;
    ``functions`` are the matched function indices; ``types`` the per-function type facts the matching
    computed (control structure, and the walk where it ran), for the emitter to reuse."""

    sites: tuple[MatchedSite, ...]
    by_function: Mapping[int, tuple[MatchedSite, ...]]
    functions: tuple[int, ...]
    types: Mapping[int, FunctionTypes] = field(default_factory=dict)

    def of_probe(self, number: int) -> tuple[MatchedSite, ...]:
        """The sites of probe ``number``, in allocation order."""
        return tuple(s for s in self.sites if s.probe.number == number)

    def summary(self, probes: Iterable[CheckedProbe]) -> list[ProbeSummary]:
        """One :class:`ProbeSummary` per probe given (zero sites included), in the order given."""
        counts: dict[int, int] = {}
        funcs: dict[int, dict[int, None]] = {}
        for s in self.sites:
            n = s.probe.number
            counts[n] = counts.get(n, 0) + 1
            funcs.setdefault(n, {})[s.fid] = None
        return [ProbeSummary(p.number, p.probe_id, counts.get(p.number, 0), tuple(sorted(funcs.get(p.number, ()))))
                for p in probes]

    def replaced(self, other: Matches) -> Matches:
        """These matches with the functions of ``other`` taken from ``other`` (a partial re-match, e.g.
        after the shell changed some functions); allocation order is rebuilt by function index."""
        by_function = dict(self.by_function)
        by_function.update(other.by_function)
        types = dict(self.types)
        types.update(other.types)
        fids = tuple(sorted(by_function))
        by_function = {f: by_function[f] for f in fids}
        return Matches(tuple(s for f in fids for s in by_function[f]), by_function, fids, types)


# ------------------------------------------------------------------------------------------------
# At a site: type bounds and fold keys

_BOUND_WASM = {Prim.U8: "i32", Prim.I8: "i32", Prim.U16: "i32", Prim.I16: "i32", Prim.U32: "i32",
               Prim.I32: "i32", Prim.BOOL: "i32", Prim.U64: "i64", Prim.I64: "i64", Prim.F32: "f32",
               Prim.F64: "f64"}


def _fold_key(names: tuple[str, ...], bindings: Mapping[str, object]) -> tuple:
    key = []
    for name in names:
        value = bindings.get(name)
        if isinstance(value, dict):
            value = tuple(value.items())
        elif isinstance(value, float):
            value = value.hex()                   # keeps -0.0 apart from 0.0
        key.append(value)
    return tuple(key)


def _compatible(wasm: object, bound: WhammType, fs: FunctionSites) -> bool:
    """LANGUAGE.md §4.2: whether a Wasm type satisfies a type bound."""
    if wasm is None:
        return False
    if bound is Prim.FUNCREF:
        if not isinstance(wasm, RefType):
            return False
        heap = wasm.heap
        if isinstance(heap, int):
            return isinstance(fs.ms.types.types[heap].composite, FuncType)
        return heap == "func" or heap == "nofunc"
    return wasm == _BOUND_WASM.get(bound)  # type: ignore[call-overload]


def _catalog_type(entries: tuple, n: int) -> tuple[bool, object]:
    """``(exists, type)`` of operand/result ``n`` per the catalog: a typed entry gives its Wasm type;
    ``?`` entries (indexed or the open family) give ``...`` meaning "the actual one"."""
    family = False
    for e in entries:
        if e.index == n:
            return True, (... if e.type is None else wasm_types(e.type)[0])
        if e.index is None:
            family = True
    return (True, ...) if family else (False, None)


# ------------------------------------------------------------------------------------------------

#: ``MatchedSite`` made without its generated ``__new__`` (one Python call less per site).
_new_tuple = tuple.__new__


def _by_key(candidate: tuple[ProbePlan, Site | None]) -> tuple:
    return candidate[0].key


class _Matcher:
    def __init__(self, module: Module, program: Program, static_call: StaticCall | None,
                 source_vars: bool = False) -> None:
        self.ms = ModuleSites(module, source_vars=source_vars or uses_source(program))
        self.program = program
        self.static_call = static_call
        self.constants = program.constants
        plans = probe_plans(program)
        self.by_opcode: dict[str, list[ProbePlan]] = {}
        self.block: dict[str, list[ProbePlan]] = {}
        self.func: dict[str, list[ProbePlan]] = {}
        for plan in plans:
            e = plan.probe.expansion
            if plan.wasi is not None:                   # a WASI call is a call instruction's site
                for name in WASI_CALLS:
                    self.by_opcode.setdefault(name, []).append(plan)
                continue
            # wasm:source sites are anchored like wasm:block's (its one event, "line", is no block event)
            table = self.by_opcode if e.package == "opcode" else self.block if e.package in ("block", "source") \
                else self.func
            table.setdefault(e.event, []).append(plan)   # type: ignore[arg-type]
        for table in (self.by_opcode, self.block, self.func):
            for lst in table.values():
                lst.sort(key=lambda p: p.key)
        # per opcode row: the (plan, no site) candidates of its event, built once
        self.by_op: dict[object, list[tuple[ProbePlan, Site | None]]] = {
            BY_NAME[event]: [(p, None) for p in plans] for event, plans in self.by_opcode.items()}
        self.prefiltered = [p for p in plans if p.function_names is not None]
        self.has_alt = any(p.is_alt for p in plans)     # else no two alt probes can meet at a site
        #: per ``by_op`` table (by id: they live as long as the matcher): the opcodes whose sites take
        #: :meth:`function`'s fast path, with the (probe, placement, operands, results, fold) they share
        #: (operands and results None where the signature is not fixed), or () for none
        self.ready: dict[int, dict[object, tuple]] = {}
        # the tables without the plans a function's values rule out, by those plans
        self.without: dict[frozenset[ProbePlan], tuple[dict, dict, dict]] = {}
        self.app_memid = self.ms.app_memid
        self.memory64 = any(m.is64 for m in module.memory_limits())
        self.table64 = any(t.limits.is64 for t in module.table_types())
        self.wide = self.memory64 or self.table64

    def function(self, fid: int) -> tuple[list[MatchedSite], FunctionSites]:
        fs = self.ms.function(fid)
        out: list[MatchedSite] = []
        by_op, block, func = self.tables(fs)
        extra: dict[int, list[tuple[ProbePlan, Site]]] = {}
        for event, plans in block.items():
            sites = fs.line_sites() if event == "line" else fs.block_sites(event)
            for site in sites:
                extra.setdefault(site.index, []).extend((p, site) for p in plans)
        for event, plans in func.items():
            sites = [fs.entry_site()] if event == "entry" else fs.exit_sites()
            for site in sites:
                extra.setdefault(site.index, []).extend((p, site) for p in plans)
        if not by_op and not extra:
            return out, fs
        instruction = self.instruction
        instrs = fs.instrs
        # the instructions with candidates, found by one comprehension (the hot loop of a whole module)
        anchors = [i for i, ins in enumerate(instrs) if ins[0] in by_op] if by_op else []
        if extra:
            anchors = sorted(extra.keys() | anchors)
        # the fast path: an opcode whose one candidate is a uniform plan, folded already, gets the site
        # ``instruction`` would make from the signature alone (no operand widths to check, so not wide)
        ready = self.ready.setdefault(id(by_op), {}) if not self.wide else None
        fid = fs.fid
        signature = None
        append = out.append
        for i in anchors:
            ins = instrs[i]
            op = ins[0]
            if ready is not None and (not extra or i not in extra):
                shared = ready.get(op)
                if shared is not None:
                    if shared:
                        probe, placement, operands, results, folded = shared
                        if operands is None:           # a signature that is not fixed
                            if signature is None:
                                signature, by_imms = fs.types.signature, {}
                            if op in BY_IMMEDIATES:
                                key = (op, ins[1])
                                sig = by_imms.get(key)
                                if sig is None:
                                    sig = by_imms[key] = signature(i)
                                operands, results = sig
                            else:
                                operands, results = signature(i)
                        append(_new_tuple(MatchedSite, (probe, fid, i, placement, ins[2], fs, operands, results,
                                                        folded)))
                    continue
            candidates = by_op.get(op)
            more = extra.get(i) if extra else None
            if more is not None:
                candidates = sorted((candidates or []) + more, key=_by_key)
            instruction(fs, i, candidates, out)  # type: ignore[arg-type]
            if ready is not None and more is None and len(candidates) == 1:  # type: ignore[arg-type]
                plan = candidates[0][0]  # type: ignore[index]
                folded = plan.folds.get(()) if plan.uniform else None
                if folded is not None:      # () when the predicate folds to false: no site
                    operands, results = fs.types.mt.fixed_table()[op] or (None, None)
                    ready[op] = (plan.probe, plan.placement, operands, results, folded) \
                        if folded.predicate is not False else ()
        if self.has_alt:
            check_alt_conflicts(self.program, out)
        return out, fs

    def ruled_out(self, fs: FunctionSites) -> frozenset[ProbePlan]:
        """The plans whose predicate folds to ``false`` with the function-wide bindings of ``fs``: they
        have no site in it (:attr:`ProbePlan.function_names`)."""
        values = fs.function_bindings
        out = []
        for plan in self.prefiltered:
            names = plan.function_names
            key = tuple([values[n] for n in names])  # type: ignore[union-attr]
            false = plan.rules_out.get(key)
            if false is None:
                bindings = dict(zip(names, key))  # type: ignore[arg-type]  # only what it reads
                if self.app_memid is not None:
                    bindings["APP_MEMID"] = self.app_memid
                false = plan.rules_out[key] = fold_predicate(plan.probe, bindings,
                                                             constants=self.constants) is False
            if false:
                out.append(plan)
        return frozenset(out)

    def tables(self, fs: FunctionSites) -> tuple[dict, dict, dict]:
        """``by_op``, ``block`` and ``func`` without the plans ruled out in ``fs`` (empty entries dropped)."""
        ruled_out = self.ruled_out(fs) if self.prefiltered else frozenset()
        if not ruled_out:
            return self.by_op, self.block, self.func
        tables = self.without.get(ruled_out)
        if tables is None:
            by_op = {op: kept for op, candidates in self.by_op.items()
                     if (kept := [c for c in candidates if c[0] not in ruled_out])}
            block, func = ({event: kept for event, plans in table.items()
                            if (kept := [p for p in plans if p not in ruled_out])} for table in (self.block, self.func))
            tables = self.without[ruled_out] = (by_op, block, func)
        return tables

    def instruction(self, fs: FunctionSites, i: int, candidates: list[tuple[ProbePlan, Site | None]],
                    out: list[MatchedSite]) -> None:
        opcode_bindings: Mapping[str, object] | None = None    # made only if a fold reads them
        for plan, site in candidates:
            if site is None:                          # an opcode site
                if plan.wasi is not None:
                    if self.ms.wasi_callee(fs.instrs[i]) != plan.wasi:
                        continue
                    if fs.instrs[i].imms[0] in self.ms.wasi_mistyped:
                        self.wasi_mistyped(plan, fs, i)
                if plan.simple:
                    operands, results = fs.types.signature(i)
                else:
                    found = self.opcode_types(fs, i, plan)
                    if found is None:
                        continue
                    operands, results = found
                    if plan.max_imm >= 0 and not self.imms_exist(fs, i, plan.max_imm):
                        continue
                static: Mapping[str, object] | FunctionSites = fs
                placement, pc = plan.placement, fs.instrs[i][2]
                # a fold that reads no site value is cached under (): hit inline, no bindings made
                folded = plan.folds.get(()) if plan.static_names == () else None
                if folded is None:
                    if opcode_bindings is None:
                        opcode_bindings = fs.matched_bindings(i)
                    folded = self.fold(plan, opcode_bindings, fs, pc)
            else:
                if plan.bounds and not self.locals_fit(fs, plan):
                    continue
                operands = results = ()
                static = site.bindings
                if self.app_memid is not None and "APP_MEMID" not in static:
                    static = dict(static, APP_MEMID=self.app_memid)
                placement, pc = site.placement, site.pc
                folded = self.fold(plan, static, fs, pc)
            if folded.predicate is False:
                continue
            if site is None and self.wide:
                self.check_widths(plan, fs, i, operands, results, pc)
            out.append(_new_tuple(MatchedSite, (plan.probe, fs.fid, i, placement, pc, static, operands, results,
                                                folded)))

    def wasi_mistyped(self, plan: ProbePlan, fs: FunctionSites, i: int) -> None:
        """Refuse a ``wasi:p1`` site whose import does not have WASI's type (its arguments are elsewhere)."""
        ins = fs.instrs[i]
        imp = self.ms.imports[ins.imms[0]]
        diag = Diagnostic.error(
            f"import {imp.module}.{imp.name} has type {self.ms.wasi_mistyped[ins.imms[0]]}",
            plan.probe.probe.rule.span)
        raise self.error(SiteError, diag, fs, ins[2])

    def fold(self, plan: ProbePlan, bindings: Mapping[str, object], fs: FunctionSites, pc: int) -> Folded:
        """Fold the probe at a site, reusing an earlier fold with the same static inputs if possible."""
        probe = plan.probe
        try:
            names = plan.static_names
            if names is None:
                return fold_probe(probe, bindings, constants=self.constants, static_call=self.static_call)
            key = _fold_key(names, bindings) if names else ()
            folded = plan.folds.get(key)
            if folded is None:
                folded = plan.folds[key] = fold_probe(probe, bindings, constants=self.constants,
                                                      static_call=self.static_call)
            return folded
        except FoldError as exc:
            raise self.error(SiteError, exc.diagnostic, fs, pc) from None
        except ScriptError:
            raise
        except WhammError as exc:                 # a failing @static call or static built-in
            raise self.error(SiteError, Diagnostic.error(str(exc), probe.probe.rule.span), fs, pc) from None

    def check_widths(self, plan: ProbePlan, fs: FunctionSites, i: int, operands: Types, results: Types,
                     pc: int) -> None:
        """Refuse a probe that reads an operand or result wider than the catalog's type for it: on a
        memory64 (or table64) module an address, length or page count is an ``i64`` where EVENTS.md
        gives ``u32`` (``addr``, ``effective_addr``, ``memory.size``'s result, ...).  The code would not
        validate, and narrowing the value would be a wrong answer, so the probe is an error up front."""
        event: Event = fs.event(i)
        if plan.reads is None:
            reader = "an alt probe" if plan.is_alt else "`dup_at`"
            reads = [("arg", n, reader) for n in range(len(operands))]
            reads += [("res", n, reader) for n in range(len(results))] if plan.is_alt else []
        else:
            reads = [(kind, n, f"`{name}`") for kind, n, name in plan.reads]
        for kind, n, reader in reads:
            actual = operands if kind == "arg" else results
            exists, wasm = _catalog_type(event.args if kind == "arg" else event.results, n)
            if not exists or wasm is ... or n >= len(actual) or actual[n] is None or actual[n] == wasm:
                continue
            feature = "memory64" if self.memory64 and (event.mem is not None or "memory" in event.name) \
                else "table64" if self.table64 and "table" in event.name else "this operand type"
            diag = Diagnostic.error(
                f"{feature} is not supported: {kind}{n} of `{event.name}` is {actual[n]} here, not {wasm} as "
                f"EVENTS.md gives it (read by {reader})", plan.probe.probe.rule.span,
                help="at this site a probe may only use the operands and results that keep their catalog types")
            raise self.error(SiteError, diag, fs, pc)

    @staticmethod
    def imms_exist(fs: FunctionSites, i: int, k: int) -> bool:
        """EVENTS.md §7.4: a probe using ``immK`` does not match a site without it (``br_table`` with
        ``n <= K`` targets; see :func:`~compiler.sites.finding.imm_count`)."""
        return k < imm_count(fs.instrs[i])

    def error(self, cls: type[SiteError], diag: Diagnostic, fs: FunctionSites, pc: int) -> SiteError:
        note = f"at {fs.fname or f'#{fs.fid}'} (fid {fs.fid}), pc {pc}"
        return cls([diag.with_note("note", note)], self.program.source, self.program.filename)

    def opcode_types(self, fs: FunctionSites, i: int, plan: ProbePlan) -> tuple[Types, Types] | None:
        """The instruction's operand/result types for this probe, or None if its bounds rule it out."""
        ft = fs.types
        if plan.needs_stack:
            operands, results = ft.operands(i), ft.results(i)
        else:
            operands, results = ft.signature(i)
        k = len(operands) if plan.save < 0 else plan.save
        if k and None in operands[:k]:
            return None
        if not plan.bounds:
            return operands, results
        event: Event = fs.event(i)
        for kind, n, bound in plan.bounds:
            if kind == "local":
                locals_ = ft.locals
                if n >= len(locals_) or not _compatible(locals_[n], bound, fs):
                    return None
                continue
            actual = operands if kind == "arg" else results
            exists, wasm = _catalog_type(event.args if kind == "arg" else event.results, n)
            if not exists:
                return None
            if wasm is ...:
                if n >= len(actual):
                    return None
                wasm = actual[n]
            if not _compatible(wasm, bound, fs):
                return None
        return operands, results

    def locals_fit(self, fs: FunctionSites, plan: ProbePlan) -> bool:
        """Bounds at ``wasm:func``/``wasm:block`` sites: only ``localN`` can exist there."""
        for kind, n, bound in plan.bounds:
            if kind != "local":
                return False
            locals_ = fs.types.locals
            if n >= len(locals_) or not _compatible(locals_[n], bound, fs):
                return False
        return True


def match(module: Module, program: Program, *, static_call: StaticCall | None = None,
          functions: Iterable[int] | None = None, source_vars: bool = False) -> Matches:
    """Match every probe with sites against the defined functions of ``module`` (all of them, or only
    ``functions``), in traversal order, folding predicates with ``static_call`` for ``@static`` calls
    and static built-ins.  The sites bind ``src_file``/``src_line``/``src_col`` when a probe reads them
    or ``source_vars`` asks for them (a caller folding another program at these sites).  Raises
    :class:`SiteError` (a static computation traps at a site) or :class:`AltConflictError`."""
    matcher = _Matcher(module, program, static_call, source_vars)
    defined = matcher.ms.defined
    fids = defined if functions is None else sorted(f for f in set(functions) if f in defined)
    sites: list[MatchedSite] = []
    by_function: dict[int, tuple[MatchedSite, ...]] = {}
    types: dict[int, FunctionTypes] = {}
    for fid in fids:
        found, fs = matcher.function(fid)
        sites.extend(found)
        by_function[fid] = tuple(found)
        if fs.types_made:
            types[fid] = fs.types
    return Matches(tuple(sites), by_function, tuple(fids), types)
