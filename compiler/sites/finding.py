"""Static site data: where each event of one function can be instrumented, and what a probe there knows.

A *site* is an event at a location (REWRITING.md §5): an opcode event at its instruction, a basic-block
boundary (EVENTS.md §6), a function's entry, its exit, or a ``proc_exit`` call.  Each site carries its
**static bindings** — the values the folder substitutes for static bound variables (LANGUAGE.md §13.1):
provider variables (``fid``, ``fname``, ``pc``, ``opidx``, ``at_func_end``), immediates (``immN`` with the
conventions of EVENTS.md §7.4), per-event constants, memory-access data, callee data, ``br_table``
targets, GC indices, the statically recovered ``resolved_fid`` and ``instr_count``.  Which code computes
a variable is its row's ``binder`` (:mod:`compiler.events.variables`); the per-instruction binders are in
:mod:`compiler.sites.bindings`, dispatched by name.

:class:`ModuleSites` holds the module-wide facts (names, imports, types) once; :class:`FunctionSites`
answers per function.  Everything is computed from the input module only, so a site's data is a pure
function of (module, fid, instruction index).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping

from compiler.errors import InternalError
from compiler.events import wasi
from compiler.events.catalog import CATALOG, Event, opcode_events
from compiler.events.variables import variable
from compiler.sites.bindings import FUNCTION_WIDE, SITE_BINDERS, Binder, app_memid, imm
from compiler.wasm.control import EXIT_LABEL
from compiler.wasm.stack import FunctionTypes, ModuleTypes
from compiler.wasm.model import ExternKind, Instr
from compiler.wasm.opcodes import BY_NAME
from compiler.wasm.source_lines import SourceLoc, SourceMap, source_map

if TYPE_CHECKING:
    from compiler.wasm.model import Module

__all__ = [
    "Placement", "Site", "ModuleSites", "FunctionSites", "PROC_EXIT_MODULES", "EXIT_INSTRUCTIONS",
    "BLOCK_ENDING", "SLOT_TABLE_IMMEDIATE", "slot_table", "wasi_imports", "wasi_type_mismatches", "wasi_in_tables",
]

#: Import modules whose ``proc_exit`` function is a proc_exit call (EVENTS.md §5, REWRITING.md §10).
PROC_EXIT_MODULES = ("wasi_snapshot_preview1", "wasi_unstable")

#: Instructions that leave the function wherever they are (REWRITING.md §6.6: func:exit copies go before
#: them); the final ``end`` and branches to the outermost label are exits too (see ``exit_points``).
EXIT_INSTRUCTIONS = frozenset({"return", "return_call", "return_call_indirect", "return_call_ref",
                               "unreachable", "throw", "throw_ref", "rethrow"})

#: Instructions that end a basic block before them (EVENTS.md §6, the second branch of the machine).
BLOCK_ENDING = frozenset({"if", "else", "catch", "catch_all", "throw", "rethrow", "return", "unreachable",
                          "br", "br_if", "br_table", "br_on_null", "br_on_non_null", "br_on_cast",
                          "br_on_cast_fail"})


class Placement(enum.Enum):
    """Where a site's code goes relative to its anchor instruction (REWRITING.md §6, §8).

    Opcode probes take the placement of their mode (``BEFORE`` … ``AT_TARGET``); ``wasm:block`` sites are
    ``BEFORE`` or ``AFTER`` their anchor; ``FUNC_ENTRY`` is the start of the body; ``FUNC_EXIT`` is the
    function exit site (after the wrapper block, plus copies before every exit instruction);
    ``PROC_EXIT`` is the extra exit site immediately before a proc_exit call.
    """

    BEFORE = "before"
    AFTER = "after"
    ALT = "alt"
    ENTRY = "entry"
    EXIT = "exit"
    AT_TARGET = "at_target"
    FUNC_ENTRY = "func_entry"
    FUNC_EXIT = "func_exit"
    PROC_EXIT = "proc_exit"

    @property
    def structural(self) -> bool:
        """Whether code at this placement is *structural* (§8 positions 2 and 5: ``wasm:func``)."""
        return self in (Placement.FUNC_ENTRY, Placement.FUNC_EXIT, Placement.PROC_EXIT)


@dataclass(frozen=True, slots=True)
class Site:
    """A candidate site: an event at a location of one function, with its static bindings.

    ``index`` is the anchor instruction (0 for the function sites of ``wasm:func``); ``pc`` is what the
    report prints for it (REWRITING.md §11.2: the first instruction's pc for ``func:entry``/``func:exit``,
    the call's for a proc_exit site).  ``placement`` is None for opcode sites, whose probes' modes decide.
    """

    package: str
    event: str
    fid: int
    index: int
    pc: int
    placement: Placement | None
    bindings: Mapping[str, object]


# ------------------------------------------------------------------------------------------------
# Per-event binding plans, from the bound variables' rows and their binders (compiler.sites.bindings)

#: Instructions whose operand 0 is a slot of a table — the table ``resolved_fid``/``resolve_funcref`` read
#: the shadow of (REWRITING.md §15) — and the position of that table's index among their immediates.
SLOT_TABLE_IMMEDIATE = {"call_indirect": 1, "return_call_indirect": 1, "table.get": 0}


def slot_table(ins: Instr) -> int:
    """The table whose slot ``ins`` reads (one of :data:`SLOT_TABLE_IMMEDIATE`'s instructions)."""
    return ins.imms[SLOT_TABLE_IMMEDIATE[ins.op.name]]


def wasi_imports(module: Module) -> dict[int, str]:
    """Imported function index → name, for the imports of a WASI preview 1 function under
    ``wasi_snapshot_preview1`` or ``wasi_unstable`` (an import of another name there is not a site)."""
    funcs = [imp for imp in module.imports if imp.kind == ExternKind.FUNC]
    return {i: imp.name for i, imp in enumerate(funcs)
            if imp.module in wasi.IMPORT_MODULES and imp.name in wasi.NAMES}


def wasi_type_mismatches(module: Module, imports: Mapping[int, str]) -> dict[int, str]:
    """The WASI imports whose Wasm type is not the one api.h gives (a hand-written module may declare
    anything): index → ``"(i32) -> (), not (i32) -> (i32) as WASI preview 1's fd_close"``.  Their arguments
    are not where the table says, so a probe on
    them is an error rather than a decoding of the wrong values."""
    out = {}
    for index, name in imports.items():
        f = wasi.function(name)
        want = (tuple(t for p in f.params for t in p.wasm), ("i32",) if f.returns_errno else ())
        ft = module.func_type(index)
        if (tuple(ft.params), tuple(ft.results)) != want:
            out[index] = f"{_signature(ft.params, ft.results)}, not {_signature(*want)} as WASI preview 1's {name}"
    return out


def _signature(params: Iterable[object], results: Iterable[object]) -> str:
    return f"({' '.join(map(str, params))}) -> ({' '.join(map(str, results))})"


def wasi_in_tables(module: Module) -> list[str]:
    """The WASI functions whose import an element segment places in a table (active or passive segments:
    ``call_indirect`` may reach them, and such a call is not a ``wasi:p1`` site), sorted by name."""
    wasi_funcs = wasi_imports(module)
    found: set[str] = set()
    for seg in module.elements:
        if seg.mode == "declarative":
            continue
        for item in seg.items:
            if isinstance(item, int):
                index = item
            else:
                refs = [ins.imms[0] for ins in item if ins.op.name == "ref.func"]
                if not refs:
                    continue
                index = refs[0]
            if index in wasi_funcs:
                found.add(wasi_funcs[index])
    return sorted(found)


def imm_count(ins: Instr) -> int:
    """How many ``immN`` the instruction really carries.  Usually what the catalog lists; the exceptions:
    ``br_table`` (its target list) and the ``br_on_cast`` pair (the cast flags are not an ``immN``) —
    probes using ``immK`` skip sites without it, as for ``br_table``'s ``immK`` with K > n."""
    name = ins.op.name
    if name == "br_table":
        return len(ins.imms[0])
    if name == "br_on_cast" or name == "br_on_cast_fail":
        return len(ins.imms) - 1
    return len(ins.imms)


def _site_binder(name: str) -> Binder:
    """The per-instruction binder its row names for static variable ``name`` (a static variable with
    neither a constant nor a binder would silently stay unbound: an internal error at import)."""
    binder = variable(name).binder
    if binder is None or not binder.startswith("bindings.") or binder[9:] not in SITE_BINDERS:
        raise InternalError(f"static bound variable {name} has no per-site binder (its row: {binder})")
    return SITE_BINDERS[binder[9:]]


@dataclass(frozen=True, slots=True)
class _EventPlan:
    """What to bind at every site of one opcode event: its constants and the binders of the rest."""

    constants: dict[str, object]
    imms: tuple[int, ...]           # concrete immK indices
    imm_family: bool                # br_table: imm0 … immn
    binders: tuple[tuple[str, Binder], ...]


def _plan(event: Event) -> _EventPlan:
    constants: dict[str, object] = {}
    imms: list[int] = []
    family = False
    binders: list[tuple[str, Binder]] = []
    encoded = len(BY_NAME[event.name].imms)
    for var in event.vars:
        if not var.static:
            continue
        source = var.alias_of or var.name
        if event.name != "br_on_cast" and event.name != "br_on_cast_fail" and source.startswith("imm") \
                and source[3:].isdigit() and int(source[3:]) >= encoded:
            continue
        if var.constant is not None:
            constants[var.name] = var.constant
        elif var.name.startswith("imm"):
            if var.type is None:
                continue                            # immN:? has no usable value
            if var.name == "immN":
                family = True
            else:
                imms.append(int(var.name[3:]))
        else:
            binders.append((var.name, _site_binder(var.name)))
    return _EventPlan(constants, tuple(imms), family, tuple(binders))


_PLANS: dict[str, _EventPlan] = {e.name: _plan(e) for e in opcode_events()}
_EVENTS_BY_OPNAME: dict[str, Event] = {e.name: e for e in opcode_events()}

#: The static provider variables (EVENTS.md §2) with their binders, in catalog order: those of the
#: function (``fid``, ``fname``) and those of the instruction.  ``probe_id`` has none: the engine binds it.
_PROVIDER_BINDERS = tuple((v.name, _site_binder(v.name)) for v in CATALOG.vars
                          if v.static and variable(v.name).binder is not None)
_FUNCTION_PROVIDER = tuple((n, b) for n, b in _PROVIDER_BINDERS if n in FUNCTION_WIDE)
_SITE_PROVIDER = tuple((n, b) for n, b in _PROVIDER_BINDERS if n not in FUNCTION_WIDE)

#: The same without the source-level variables (ANALYSIS.md §5), for matching a program that reads none
#: of them: binding them reads the module's DWARF, which a large -g module makes costly.
_SITE_PROVIDER_NO_SOURCE = tuple((n, b) for n, b in _SITE_PROVIDER if n not in ("src_file", "src_line", "src_col"))


# ------------------------------------------------------------------------------------------------

class ModuleSites:
    """Module-wide facts for site data: function names, imports, the proc_exit functions, types, and
    ``APP_MEMID`` (module-wide, but a static binding at every site the matcher folds)."""

    __slots__ = ("module", "types", "num_imported", "names", "imports", "proc_exit", "name_module",
                 "app_memid", "wasi", "wasi_mistyped", "_functions", "_source", "site_provider")

    def __init__(self, module: Module, types: ModuleTypes | None = None, *, source_vars: bool = True) -> None:
        self.module = module
        self.types = types if types is not None else ModuleTypes(module)
        self.imports = [imp for imp in module.imports if imp.kind == ExternKind.FUNC]
        self.num_imported = len(self.imports)
        self.names: dict[int, str] = dict(module.names.functions) if module.names is not None else {}
        self.name_module = (module.names.module or "") if module.names is not None else ""
        self.proc_exit = frozenset(i for i, imp in enumerate(self.imports)
                                   if imp.name == "proc_exit" and imp.module in PROC_EXIT_MODULES)
        self.app_memid = app_memid(module)
        #: imported function index → WASI preview 1 function name, for the wasi:p1 sites (ANALYSIS.md §4)
        self.wasi = wasi_imports(module)
        self.wasi_mistyped = wasi_type_mismatches(module, self.wasi)
        self._functions: dict[int, FunctionSites] = {}
        self._source: SourceMap | None = None
        #: the per-instruction provider binders: without ``src_*`` when ``source_vars`` is False (a caller
        #: that knows no probe reads them; their sites then simply do not bind them)
        self.site_provider = _SITE_PROVIDER if source_vars else _SITE_PROVIDER_NO_SOURCE

    @property
    def source(self) -> SourceMap:
        """The module's line table over its instructions (read on first use: ANALYSIS.md §5)."""
        if self._source is None:
            self._source = source_map(self.module)
        return self._source

    def wasi_callee(self, ins: Instr) -> str | None:
        """The WASI function a ``call``/``return_call`` calls, or None (another callee)."""
        return self.wasi.get(ins.imms[0])

    def fname(self, fid: int) -> str:
        """The name-section name of function ``fid``, ``""`` if it has none (EVENTS.md §2)."""
        return self.names.get(fid, "")

    def callee_info(self, funcidx: int) -> tuple[str, str, str]:
        """``(target_fn_type, target_fn_name, target_imp_module)`` of a direct call (EVENTS.md §8.1)."""
        if funcidx < self.num_imported:
            imp = self.imports[funcidx]
            return "import", imp.name, imp.module
        return "local", self.names.get(funcidx, ""), self.name_module

    @property
    def defined(self) -> range:
        """The defined functions' indices, ascending (the traversal order of REWRITING.md §5)."""
        return range(self.num_imported, self.num_imported + len(self.module.code))

    def function(self, fid: int) -> FunctionSites:
        """The site data of defined function ``fid`` (created once and kept)."""
        fs = self._functions.get(fid)
        if fs is None:
            fs = self._functions[fid] = FunctionSites(self, fid)
        return fs

    def is_proc_exit(self, ins: Instr) -> bool:
        """Whether ``ins`` is a proc_exit call: ``call``/``return_call`` of an imported proc_exit."""
        name = ins.op.name
        return (name == "call" or name == "return_call") and ins.imms[0] in self.proc_exit


class FunctionSites:
    """The sites of one defined function and their static bindings."""

    __slots__ = ("ms", "fid", "fname", "instrs", "_types", "_provider", "_base", "_plans", "_locations")

    def __init__(self, ms: ModuleSites, fid: int) -> None:
        self.ms = ms
        self.fid = fid
        self.fname = ms.fname(fid)
        self.instrs = ms.module.code[fid - ms.num_imported].instrs
        self._types: FunctionTypes | None = None
        self._provider = {name: binder(self, 0, self.instrs[0]) for name, binder in _FUNCTION_PROVIDER}
        self._base: dict[object, dict[str, object]] = {}
        self._plans: dict[object, _EventPlan] = {}
        self._locations: tuple[SourceLoc, ...] | None = None

    def source_location(self, index: int) -> SourceLoc:
        """The source location of instruction ``index`` (``src_file``/``src_line``/``src_col``)."""
        if self._locations is None:
            self._locations = self.ms.source.locations(self.fid)
        return self._locations[index]

    @property
    def types(self) -> FunctionTypes:
        """The function's type facts (made on first use: a function the matcher rules out by its
        function-wide bindings alone never needs them)."""
        if self._types is None:
            self._types = FunctionTypes(self.ms.types, self.fid, self.instrs)
        return self._types

    @property
    def types_made(self) -> bool:
        """Whether :attr:`types` was used (the matcher hands on only the type facts it computed)."""
        return self._types is not None

    @property
    def function_bindings(self) -> Mapping[str, object]:
        """The function-wide static bindings (:data:`~compiler.sites.bindings.FUNCTION_WIDE`: ``fid``,
        ``fname``), the same at every site of the function (do not modify)."""
        return self._provider

    @property
    def control(self):
        """The function's block structure (branch targets, matching ends), computed with its types."""
        return self.types.control

    def provider(self, index: int) -> dict[str, object]:
        """The provider variables at instruction ``index`` (EVENTS.md §2)."""
        out = dict(self._provider)
        ins = self.instrs[index]
        for name, binder in self.ms.site_provider:
            out[name] = binder(self, index, ins)
        return out

    # -- opcode sites ----------------------------------------------------------------------------

    def event(self, index: int) -> Event:
        """The opcode event of instruction ``index`` (SIMD and legacy exception instructions have none:
        ``KeyError``)."""
        return _EVENTS_BY_OPNAME[self.instrs[index].op.name]

    def opcode_bindings(self, index: int) -> dict[str, object]:
        """The static bindings of the opcode site at instruction ``index`` (a new dict)."""
        ins = self.instrs[index]
        op = ins[0]
        base = self._base.get(op)
        if base is None:                            # provider constants + the event's constants
            plan = _PLANS[op.name]
            base = self._base[op] = {**self._provider, **plan.constants}
            self._plans[op] = plan
        plan = self._plans[op]
        out = base.copy()
        for name, binder in self.ms.site_provider:
            out[name] = binder(self, index, ins)
        for k in plan.imms:
            out[f"imm{k}"] = imm(ins, k)
        if plan.imm_family:                         # br_table: imm0 … immn (the default last)
            for k, depth in enumerate(ins.imms[0]):
                out[f"imm{k}"] = depth
        for name, binder in plan.binders:
            out[name] = binder(self, index, ins)
        return out

    def matched_bindings(self, index: int) -> dict[str, object]:
        """What a matched opcode site at instruction ``index`` folds with: its static bindings plus the
        module's ``APP_MEMID`` (a new dict, made on demand: most sites never need it)."""
        out = self.opcode_bindings(index)
        if self.ms.app_memid is not None:
            out["APP_MEMID"] = self.ms.app_memid
        return out

    def opcode_site(self, index: int) -> Site:
        """The ``wasm:opcode`` site of the instruction at ``index``, with its static bindings."""
        ins = self.instrs[index]
        return Site("opcode", _EVENTS_BY_OPNAME[ins.op.name].name, self.fid, index, ins.offset, None,
                    self.opcode_bindings(index))

    # -- wasm:func -----------------------------------------------------------------------------------

    def entry_site(self) -> Site:
        """``wasm:func:entry``: ``pc`` bound to 0, reported as the first instruction's (EVENTS.md §2.1)."""
        b = self.provider(0)
        b["pc"] = 0
        return Site("func", "entry", self.fid, 0, self.instrs[0].offset, Placement.FUNC_ENTRY, b)

    def exit_sites(self) -> list[Site]:
        """``wasm:func:exit``: the function site (values of the first instruction), then one site per
        proc_exit call in instruction order (values of the call)."""
        out = [Site("func", "exit", self.fid, 0, self.instrs[0].offset, Placement.FUNC_EXIT, self.provider(0))]
        for i in self.proc_exit_calls():
            out.append(Site("func", "exit", self.fid, i, self.instrs[i].offset, Placement.PROC_EXIT,
                            self.provider(i)))
        return out

    def proc_exit_calls(self) -> list[int]:
        """Indices of the proc_exit calls of this function."""
        is_pe = self.ms.is_proc_exit
        if not self.ms.proc_exit:
            return []
        return [i for i, ins in enumerate(self.instrs) if is_pe(ins)]

    def exit_points(self) -> list[int]:
        """Indices of every instruction where the body is left (REWRITING.md §6.6): exit instructions
        (``return``, ``return_call*``, ``unreachable``, ``throw``, ``throw_ref``, ``rethrow``), branches
        with a label that is the function's outermost label, and the final ``end``."""
        labels = self.control.labels
        out = []
        last = len(self.instrs) - 1
        for i, ins in enumerate(self.instrs):
            name = ins.op.name
            if name in EXIT_INSTRUCTIONS or i == last:
                out.append(i)
            elif i in labels and name != "try_table" and EXIT_LABEL in labels[i]:
                out.append(i)
        return out

    # -- wasm:block --------------------------------------------------------------------------------------

    def block_sites(self, event: str) -> list[Site]:
        """The ``wasm:block:start`` or ``wasm:block:end`` sites, each event with its own state machine
        exactly as EVENTS.md §6 (``instr_count`` bound for ``end``)."""
        is_end = event == "end"
        out: list[Site] = []
        instrs = self.instrs
        last = len(instrs) - 1
        proc_exit = self.ms.is_proc_exit if self.ms.proc_exit else None
        start = end = 0

        def site(k: int, placement: Placement, count: int) -> None:
            b = self.provider(k)
            if is_end:
                b["instr_count"] = count
            out.append(Site("block", event, self.fid, k, instrs[k].offset, placement, b))

        for k, ins in enumerate(instrs):
            name = ins.op.name
            if name == "loop" or name == "end":
                if start != k:
                    count = end - start
                    start = end
                    site(k, Placement.AFTER if name == "end" and k != last else Placement.BEFORE, count)
                elif k == 0 and not is_end:
                    end += 1
                    site(k, Placement.BEFORE, 0)
            elif name in BLOCK_ENDING:
                end += 1
                count = end - start
                start = end
                site(k, Placement.BEFORE, count)
            else:
                end += 1
                if k == 0 and not is_end:
                    site(k, Placement.BEFORE, 0)
                if is_end and proc_exit is not None and proc_exit(ins):
                    site(k, Placement.BEFORE, end - start)
        return out

    # -- wasm:source (ANALYSIS.md §5) -------------------------------------------------------------------

    def line_sites(self) -> list[Site]:
        """``wasm:source:line``: the statement starts of the line table (placed before the instruction)."""
        return [Site("source", "line", self.fid, k, self.instrs[k].offset, Placement.BEFORE, self.provider(k))
                for k in self.ms.source.statement_starts(self.fid)]

    def sites(self, package: str, event: str) -> Iterator[Site]:
        """Every candidate site of ``wasm:<package>:<event>`` in this function, in instruction order."""
        if package == "opcode":
            for i, ins in enumerate(self.instrs):
                if ins.op.name == event:
                    yield self.opcode_site(i)
        elif package == "block":
            yield from self.block_sites(event)
        elif package == "source":
            yield from self.line_sites()
        elif event == "entry":
            yield self.entry_site()
        else:
            yield from self.exit_sites()
