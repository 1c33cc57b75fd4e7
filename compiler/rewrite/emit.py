"""The rewriting pipeline: input module + checked program + matched sites → validated output bytes.

:func:`emit` is the backend's entry point (REWRITING.md as a whole); :func:`instrument` is the
convenience that also folds the script-level code and runs the matcher in the order LANGUAGE.md §13.4
requires for ``@static`` calls.  Phases, each timed (:attr:`Emitted.timings`):

1. **layout** — fold ``wasm:begin/end/report`` bodies, find what the emitted code uses, and decide
   indices, globals, slots, map ids and report rows (:mod:`compiler.rewrite.layout`);
2. **emit** — rewrite the functions that need it (:mod:`compiler.rewrite.bodies`: each is planned by
   :class:`~compiler.rewrite.inject.FunctionRewriter` from its own sites, and the plan spliced onto the
   input body; every other body is copied as raw bytes, or only renumbered when added imports shift
   indices), link the runtime, generate the start routine, exit sequence, helpers, user functions and
   getters, and fill the data, exports, start and name sections;
3. **encode** — :func:`~compiler.wasm.writer.write_module` (unchanged sections are copied);
4. **validate** — wasmtime; a failure is a compiler bug reported as
   ``the instrumented module failed validation: <reason>`` and no bytes are returned.

Incrementality (SHELL.md): pass the same :class:`~compiler.rewrite.bodycache.FunctionCache` to
successive calls; a function whose plan equals one spliced before reuses those bytes
(:mod:`compiler.rewrite.bodycache` says why that is sound by construction).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

from compiler.errors import WhammError
from compiler.gc_pause import collector_paused
from compiler.lang import ast
from compiler.lang.diagnostics import Diagnostic, ScriptError
from compiler.lang.folder import Folded, fold_expr, fold_probe, literal
from compiler.lang.scopes import VarKind
from compiler.lang.types import AggType, wasm_types
from compiler.options import Options
from compiler.rewrite.addrmap import address_map
from compiler.rewrite.bodies import rewrite_bodies
from compiler.rewrite.debug_sections import is_debug_section, rewrite_debug_sections
from compiler.rewrite.bodycache import FunctionCache
from compiler.rewrite.coalesce import counter_globals
from compiler.backend.instrs import CodegenError, const, op
from compiler.backend.clock import clock_helper
from compiler.backend.strings import Helper, string_helpers
from compiler.backend.script_code import compile_function, getter
from compiler.rewrite.exit import descriptors, exit_function, start_function
from compiler.backend.site_code import ModuleContext
from compiler.rewrite.site_env import site_error
from compiler.report.metadata import encode as encode_metadata
from compiler.report.rows import GlobalLocation
from compiler.backend.state import LibraryMemory, folded_nodes, library_memory
from compiler.rewrite.layout import Layout, plan_layout
from compiler.backend.uses import Uses
from compiler.backend.link import TypeTable, declare_imports, link_runtime, runtime_image, write_helper
from compiler.sites.source_use import no_dwarf_warning
from compiler.sites.matching import match
from compiler.sites.finding import SLOT_TABLE_IMMEDIATE, Placement, slot_table, wasi_in_tables
from compiler.wasm.stack import FunctionTypes, ModuleTypes
from compiler.sites.static_calls import StaticCalls
from compiler.wasm import ValidationError, validate
from compiler.wasm.binary import Cursor
from compiler.wasm.code import encode_body
from compiler.wasm.model import (
    CustomSection, DataSegment, Export, ExternKind, FuncBody, Global, GlobalType, Import, Limits, Module,
    Names,
)
from compiler.wasm.reader import read_module
from compiler.wasm.remap import Remap, Shift, remap_module
from compiler.wasm.writer import write_module

if TYPE_CHECKING:
    from compiler.lang.folder import StaticCall
    from compiler.lang.scopes import CheckedProbe, Program
    from compiler.sites.matching import Matches

__all__ = ["Prelude", "Emitted", "EmitError", "FunctionCache", "emit", "instrument",
           "fold_prelude"]


class EmitError(WhammError):
    """The output cannot be produced (validation failed, an unprintable ``memory`` export, …)."""


@dataclass(frozen=True, slots=True)
class Prelude:
    """Script-level code folded before any site (LANGUAGE.md §13.4 rule 1): the typed statements, and
    per probe number its folded shared initialisers."""

    statements: tuple[ast.Stmt, ...]
    shared: Mapping[int, Mapping[str, ast.Expr]]


@dataclass(frozen=True, slots=True, eq=False)
class Emitted:
    """The result: validated output bytes, the layout (report variables and where they live, §17),
    warnings, per-phase seconds, and the name of every function the output adds (output index →
    ``whamm:…``) so traps in added code can be attributed."""

    wasm: bytes
    layout: Layout
    warnings: tuple[Diagnostic, ...]
    timings: Mapping[str, float]
    added_functions: Mapping[int, str]
    func_shift: int
    func_imports: int

    def input_function(self, index: int) -> int | None:
        """The input function index of output function ``index``, or None for added functions."""
        if index in self.added_functions:
            return None
        if index < self.func_imports:
            return index
        if index < self.func_imports + self.func_shift:
            return None
        return index - self.func_shift

    @property
    def report(self):
        """The report variables in report order (the layout's), for tools reading the report of a run."""
        return self.layout.report


# ------------------------------------------------------------------------------------------------
# Folding outside sites


def fold_prelude(program: Program, static_call: StaticCall | None = None, module: Module | None = None) -> Prelude:
    """Fold the script-level statements (script order), then the shared initialisers (probe order) —
    the first ``@static`` calls of a compilation (LANGUAGE.md §13.4 rule 1).  With ``module``,
    ``APP_MEMID`` folds too (else it is resolved when the code is generated)."""
    statements = []
    bindings = _memid_bindings(module) if module is not None else {}
    for stmt in program.statements:
        folded = _fold_statement(stmt, program, static_call, bindings)
        if folded is not None:
            statements.append(folded)
    shared: dict[int, Mapping[str, ast.Expr]] = {}
    for cp in program.probes:
        inits: dict[str, ast.Expr] = {}
        for d in cp.declarations():
            sym = d.symbol
            if sym is not None and sym.kind is VarKind.SHARED and d.init is not None:
                inits[sym.name] = _fold(d.init, bindings, program, static_call, sym.type)
        if inits:
            shared[cp.number] = inits
    return Prelude(tuple(statements), shared)


def _fold(e: ast.Expr, bindings: Mapping[str, object], program: Program, static_call: StaticCall | None,
          t) -> ast.Expr:
    """Fold one typed expression; a static result becomes a literal node of type ``t``."""
    value = fold_expr(e, bindings, constants=program.constants, static_call=static_call)
    if isinstance(value, ast.Expr):
        return value
    return literal(value, t, e.span)


def _has_static_call(node: ast.Node) -> bool:
    return any(isinstance(n, ast.Call) and n.annotation == "static" for n in ast.walk(node))


def _fold_statement(stmt: ast.Stmt, program: Program, static_call: StaticCall | None,
                    bindings: Mapping[str, object]):
    """One script-level statement with its ``@static`` calls evaluated (None when the statement was a
    ``@static`` call, which ran now).  Statements without ``@static`` calls are kept as they are: their
    constants are globals already holding the value when later code runs."""
    import dataclasses
    if not _has_static_call(stmt):
        return stmt

    def fold(e: ast.Expr) -> ast.Expr:
        return _fold(e, bindings, program, static_call, e.checked_type)  # (a call statement's call: ())

    if isinstance(stmt, ast.VarDecl) and stmt.init is not None:
        return dataclasses.replace(stmt, init=fold(stmt.init))
    if isinstance(stmt, ast.Assign):
        return dataclasses.replace(stmt, value=fold(stmt.value))
    if isinstance(stmt, ast.CallStmt) and isinstance(stmt.call, ast.Call):
        folded = fold(stmt.call)
        if not isinstance(folded, (ast.Call, ast.MethodCall)):
            return None
        return dataclasses.replace(stmt, call=folded)
    return stmt


# ------------------------------------------------------------------------------------------------
# The pipeline


def instrument(module: Module, program: Program, *, static_call: StaticCall | None = None,
               options: Options | None = None, cache: FunctionCache | None = None,
               libraries: Mapping[str, bytes] | None = None) -> Emitted:
    """Fold the script-level code, match, and emit (the whole of ``whamm instr`` after parsing).

    Without ``static_call`` a :class:`~compiler.sites.static_calls.StaticCalls` for this compilation
    is used (its library instances are discarded at the end, REWRITING.md §13.3); ``libraries`` gives
    user library binaries by name (else they are read from their paths when needed)."""
    own = static_call is None
    calls = StaticCalls(module, program, library_bytes=libraries) if own else static_call
    try:
        t0 = time.perf_counter()
        prelude = fold_prelude(program, calls, module)
        with collector_paused():   # as in emit: matching allocates per site while the decoded module is alive
            matches = match(module, program, static_call=calls)
        t1 = time.perf_counter()
        out = emit(module, program, matches, options, prelude=prelude, static_call=calls, cache=cache,
                   libraries=libraries)
    finally:
        if own:
            calls.close()  # type: ignore[union-attr]
    timings = {"match": t1 - t0, **out.timings}
    return Emitted(out.wasm, out.layout, out.warnings, timings, out.added_functions, out.func_shift,
                   out.func_imports)


def emit(module: Module, program: Program, matches: Matches, options: Options | None = None, *,
         prelude: Prelude | None = None, static_call: StaticCall | None = None,
         cache: FunctionCache | None = None, libraries: Mapping[str, bytes] | None = None) -> Emitted:
    """Produce the instrumented module.  ``module`` is not modified.  ``libraries`` gives the bytes of
    user libraries whose memory ``memid(lib)`` imports (read from their path when absent).  Raises
    :class:`~compiler.sites.matching.SiteError` for per-site script errors and :class:`EmitError`.

    The cyclic garbage collector is paused meanwhile: emitting allocates a tuple or two per site and
    report row while hundreds of thousands of decoded instructions are alive, and its full passes over
    them cost more than the rest of the work on a large module (nothing here builds cycles)."""
    with collector_paused():
        return _emit(module, program, matches, options, prelude, static_call, cache, libraries)


def _emit(module: Module, program: Program, matches: Matches, options: Options | None, prelude: Prelude | None,
          static_call: StaticCall | None, cache: FunctionCache | None,
          libraries: Mapping[str, bytes] | None) -> Emitted:
    opts = options if options is not None else Options()
    no_report = opts.no_report
    t0 = time.perf_counter()
    if prelude is None:
        prelude = fold_prelude(program, static_call, module)
    warnings: list[Diagnostic] = no_dwarf_warning(module, program)
    app_bindings = _memid_bindings(module)
    special: dict[str, list[tuple[CheckedProbe, Folded]]] = {"begin": [], "end": [], "report": []}
    for cp in program.probes:
        if cp.package in special:
            f = fold_probe(cp, app_bindings, constants=program.constants, static_call=static_call)
            if f.predicate is not False:
                special[cp.package].append((cp, f))
    sites = matches.sites
    mtypes = ModuleTypes(module)
    ftypes: dict[int, FunctionTypes] = dict(matches.types)

    def ft(fid: int) -> FunctionTypes:
        t = ftypes.get(fid)
        if t is None:
            t = ftypes[fid] = FunctionTypes(mtypes, fid)
        return t

    if any(cp.package == "p1" for cp in program.probes) and (tabled := wasi_in_tables(module)):
        warnings.append(Diagnostic.warning(       # once per module (ANALYSIS.md §4)
            f"WASI imports placed in a table ({', '.join(tabled)}): calls through call_indirect are not "
            "wasi:p1 sites", None))

    # ---- what the code uses
    uses = Uses()
    for stmt in prelude.statements:
        uses.scan(stmt)
    # Sites share their Folded, and a fold belongs to one probe expansion (one event): a fold seen
    # already was scanned — unless the event reads a table slot, whose table each site names.
    scanned: set[int] = set()
    numbers: set[int] = set()                   # the probes with sites
    for site in sites:
        if id(site.folded) in scanned:
            continue
        numbers.add(site.probe.number)
        table = None
        if site.probe.expansion.event in SLOT_TABLE_IMMEDIATE:
            table = slot_table(ft(site.fid).instrs[site.index])
        else:
            scanned.add(id(site.folded))
        for node in folded_nodes(site.folded):
            uses.scan(node, table)
    # each probe number with the expansion of its last site, found from the end
    with_sites: dict[int, CheckedProbe] = {}
    for site in reversed(sites):
        if site.probe.number not in with_sites:
            with_sites[site.probe.number] = site.probe
            if len(with_sites) == len(numbers):
                break
    for number, inits in prelude.shared.items():
        if number in with_sites:
            for e in inits.values():
                uses.scan(e)
    for lst in special.values():
        for cp, f in lst:
            for node in folded_nodes(f):
                uses.scan(node)
    done: set[str] = set()
    while True:
        todo = [n for n in uses.user_functions if n not in done]
        if not todo:
            break
        for name in todo:
            done.add(name)
            cf = program.functions[name]
            uses.scan(cf.body)
    user_fns = [n for n in program.functions if n in done]
    uses.resolve_memids(len(module.memory_limits()), [u for u in program.uses if u != "whamm_core"])

    # ---- the layout
    rt = runtime_image()
    lib_memories = _library_memories(program, uses, libraries)
    lay = plan_layout(module, program, sites, uses=uses, no_report=no_report,
                      runtime_heap_base=rt.heap_base, runtime_exports=rt.exports,
                      runtime_functions=len(rt.bodies), runtime_globals=len(rt.globals),
                      emitted_user_functions=user_fns, special=special)
    for sym in program.globals.values():
        if len(wasm_types(sym.type)) == 1 and sym.name not in lay.getters and not isinstance(sym.type, AggType):
            warnings.append(Diagnostic.warning(
                f"getter get_{sym.name} not exported: the application already exports that name", None))
    t1 = time.perf_counter()

    # ---- the output module
    types = TypeTable(module)
    out = Module(types=list(module.types), imports=list(module.imports), functions=list(module.functions),
                 tables=list(module.tables), memories=list(module.memories), tags=list(module.tags),
                 globals=list(module.globals), exports=list(module.exports), start=module.start,
                 elements=list(module.elements), data_count=module.data_count, code=list(module.code),
                 data=list(module.data), customs=list(module.customs),
                 names=module.names.copy() if module.names is not None else Names(), origin=module.origin)
    declare_imports(out, types, lay.added_imports, program.libraries)
    for lib in uses.library_memories:
        lm = lib_memories[lib]
        out.imports.append(Import(program.libraries[lib].import_module, lm.export, ExternKind.MEMORY, lm.limits))
    renumbering = (lay.func_imports, lay.func_shift, lay.app_memory_imports, lay.mem_shift)
    remap = Remap(func=Shift(lay.func_imports, lay.func_shift), memory=Shift(lay.app_memory_imports, lay.mem_shift))
    remap_module(out, remap)

    # flush points (§10)
    exported = {e.name: e for e in module.exports}
    flush: set[int] = set()
    main = exported.get("main")
    start_export = exported.get("_start")
    if main is not None and main.kind == ExternKind.FUNC:
        flush.add(main.index)
    elif start_export is not None and start_export.kind == ExternKind.FUNC:
        flush.add(start_export.index)
    elif module.start is not None:
        flush.add(module.start)
    flush = {f for f in flush if f >= lay.func_imports}
    if lay.needs_exit and not flush:
        warnings.append(Diagnostic.warning(
            "no flush point: the report will not be printed unless the host calls whamm_flush", None))
    mem_export = exported.get("memory")
    if lay.can_print or uses.clock:     # WASI reaches the memory exported as `memory` (§12.5, nsecs)
        if mem_export is not None and mem_export.kind != ExternKind.MEMORY:
            what = "print" if lay.can_print else "read the clock (nsecs)"
            raise EmitError(f'cannot {what}: the application exports a non-memory item named "memory"')
        if mem_export is not None:
            limits = module.memory_limits()[mem_export.index]
            if limits.is64:
                raise EmitError("unsupported Wasm feature memory64: the exported memory cannot be written from")
            log2 = 16 if limits.page_size_log2 is None else limits.page_size_log2
            lay.borrow = (lay.out_memory(mem_export.index), log2, limits.is64, opts.lend_low)
    proc_exit = frozenset(i for i, imp in enumerate(imp for imp in module.imports if imp.kind == ExternKind.FUNC)
                          if imp.name == "proc_exit" and imp.module in ("wasi_snapshot_preview1", "wasi_unstable"))
    ctx = ModuleContext(module, program, lay, types, remap,
                        no_body=opts.no_body,
                        no_pred=opts.no_pred,
                        no_bundle=opts.no_bundle,
                        counters={} if opts.no_coalesce or opts.no_body else counter_globals(program, lay),
                        flush_functions=frozenset(flush), proc_exit=proc_exit,
                        exit_func=lay.functions.get("whamm:exit"),
                        fnames=dict(module.names.functions) if module.names is not None else {},
                        probe_bindings=app_bindings)

    # ---- function bodies
    plans = rewrite_bodies(module, out, ctx, matches, ft, remap, renumbering, cache)
    if lay.value_slots:                 # coalesced per-site counters: rows read the slot they share
        lay.read_shared_values()

    # ---- the instrumentation memory and the runtime
    added_names: dict[int, str] = {}
    desc: dict[bytes, int] = {}
    if lay.has_runtime:
        region = lay.region
        assert region is not None
        desc = descriptors(lay)
        link_runtime(out, types, func_base=lay.runtime_base, write=lay.functions["whamm:write"],
                     memory=lay.memory)
        for i in range(lay.runtime_base, lay.runtime_base + len(rt.bodies)):
            added_names[i] = out.names.functions.get(i, "whamm:rt")  # type: ignore[union-attr]
    for g in lay.global_types:
        out.globals.append(Global(GlobalType(g, True), _zero_expr(g)))

    # ---- generated functions, in the layout's order
    helpers: dict[str, Helper] = {}
    try:
        if lay.has_runtime:
            helpers["whamm:write"] = write_helper(lay.fd_write, lay.memory, lay.write_scratch, lay.borrow)
            for h in string_helpers(lay.memory, lay.functions):
                helpers[h.name] = h
        if uses.clock:
            assert lay.clock is not None
            helpers["whamm:nsecs"] = clock_helper(lay.clock, lay.memory, lay.clock_scratch, lay.borrow)
        for name in user_fns:
            helpers[f"fn:{name}"] = compile_function(ctx, program.functions[name])
        app_start = remap.func(module.start) if module.start is not None else None
        shared_inits = []
        for number in sorted(with_sites):
            if number in prelude.shared:
                shared_inits.append((with_sites[number], prelude.shared[number]))
        helpers["whamm:start"] = start_function(ctx, prelude.statements, shared_inits, sites,
                                                special["begin"], app_start, desc)
        if lay.needs_exit:
            helpers["whamm:exit"] = exit_function(ctx, special["end"], special["report"], no_report, desc)
    except CodegenError as exc:
        raise ScriptError([Diagnostic.error(exc.message, exc.span)], program.source, program.filename) from None
    for var, export in lay.getters.items():
        helpers[export] = getter(lay, program.globals[var], export)
    for name in lay.generated:
        h = helpers[name]
        index = lay.functions[name]
        assert index == out.num_imported_funcs + len(out.functions), name
        out.functions.append(types.func(h.type))
        raw = encode_body(h.locals, h.instrs)
        out.code.append(FuncBody.from_bytes(raw, 0, len(raw)))
        label = name if name.startswith("whamm:") else f"whamm:{name}"
        out.names.functions[index] = label  # type: ignore[union-attr]
        added_names[index] = label
    start_body = helpers["whamm:start"]
    needs_start = len(start_body.instrs) > 1 and not (
        len(start_body.instrs) == 2 and start_body.instrs[0].op.name == "call")
    if needs_start:
        out.start = lay.functions["whamm:start"]

    # ---- memory contents, exports, metadata
    if lay.has_runtime:
        region = lay.region
        assert region is not None
        end = (region.end + 7) // 8 * 8
        pages = max(rt.memory_min, (end + 0xFFFF) // 0x10000)
        out.memories.append(Limits(pages))
        for addr, data in region.segments():
            out.data.append(DataSegment(data, lay.memory, _i32_expr(addr), 2 if lay.memory else 0))
        out.data.append(DataSegment(end.to_bytes(4, "little"), lay.memory, _i32_expr(rt.heap_next_addr),
                                    2 if lay.memory else 0))
        if (lay.can_print or uses.clock) and mem_export is None:
            out.exports.append(Export("memory", ExternKind.MEMORY, lay.memory))
        out.exports.append(Export("whamm:memory", ExternKind.MEMORY, lay.memory))
    for var, export in lay.getters.items():
        out.exports.append(Export(export, ExternKind.FUNC, lay.functions[export]))
    for v in lay.report:
        if isinstance(v.location, GlobalLocation) and v.location.export is None:
            for k, g in enumerate(v.location.globals):  # §17: tools read str/tuple globals through these
                out.exports.append(Export(f"whamm:global:{v.name}.{k}", ExternKind.GLOBAL, g))
    if lay.maps:
        # §17: tools (the shell) read live maps through the runtime (runtime_abi.read_map).
        for name in ("whamm_map_len", "whamm_map_entries", "mem_free"):
            out.exports.append(Export(f"whamm:{name}", ExternKind.FUNC, lay.runtime[name]))
    if lay.needs_exit and not flush:
        out.exports.append(Export("whamm_flush", ExternKind.FUNC, lay.functions["whamm:exit"]))
    taken = {e.name for e in module.exports}
    clash = next((e.name for e in out.exports[len(module.exports):] if e.name in taken), None)
    if clash is not None:   # e.g. an input that is whamm's output already: say so, not "failed validation"
        raise EmitError(f"the application already exports `{clash}`, a name the instrumentation adds "
                        "(was it instrumented by whamm already? instrument the original module)")
    if lay.report or lay.has_runtime:
        names = out.names.functions if out.names is not None else {}
        out.customs.append(CustomSection("whamm.report", _metadata(lay, names), 0 if not out.customs else 11))
    out.types = types.groups()
    t2 = time.perf_counter()

    data = write_module(out)
    if any(is_debug_section(c) for c in module.customs):
        data = _true_dwarf(module, out, data, plans, lay.func_shift, warnings)
    t3 = time.perf_counter()
    try:
        validate(data)
    except ValidationError as exc:
        reason = str(exc).removeprefix("invalid module: ").strip()
        _blame_alt(data, reason, len(module.code), lay, matches, program)
        raise EmitError(f"the instrumented module failed validation: {reason}") from None
    t4 = time.perf_counter()
    timings = {"layout": t1 - t0, "emit": t2 - t1, "encode": t3 - t2, "validate": t4 - t3}
    return Emitted(data, lay, tuple(warnings), timings, added_names, lay.func_shift, lay.func_imports)


# ------------------------------------------------------------------------------------------------
# helpers

def _true_dwarf(module: Module, out: Module, data: bytes, plans, func_shift: int,
                warnings: list[Diagnostic]) -> bytes:
    """``data`` with its debug sections rewritten for the moved code (ANALYSIS.md §5: never stale);
    a section that cannot be remapped is dropped with a warning.  Inputs without debug sections never
    get here, so their output stays as it was."""
    amap = address_map(module, data, plans, func_shift)
    out.customs, notes = rewrite_debug_sections(out.customs, amap)
    warnings.extend(Diagnostic.warning(note, None) for note in notes)
    return write_module(out)


def _blame_alt(data: bytes, reason: str, defined: int, lay: Layout, matches: Matches, program: Program) -> None:
    """REWRITING.md §6.3: an ``alt`` replacement can leave its function invalid (e.g. replacing
    ``return`` before code that needs its polymorphic stack).  When wasmtime's error lies in a function
    with an ``alt`` site, report it as a script error at that site instead of a compiler bug."""
    import re
    m = re.search(r"\(at offset 0x([0-9a-fA-F]+)\)", reason)
    if m is None:
        return
    offset = int(m.group(1), 16)
    try:
        written = read_module(data)
    except WhammError:
        return
    start, end, _ = written.origin.sections.get(10, (0, 0, None))  # type: ignore[union-attr]
    if not start <= offset < end:
        return
    cur = Cursor(data, start + 1, end)
    cur.u32()
    count = cur.u32()
    nimp = written.num_imported_funcs
    for k in range(count):
        size = cur.u32()
        if offset < cur.pos + size:
            fid = nimp + k
            break
        cur.pos += size
    else:
        return
    first = lay.func_imports + lay.func_shift          # the application's defined functions start here
    if not first <= fid < first + defined:
        return
    input_fid = fid - lay.func_shift
    alts = [s for s in matches.by_function.get(input_fid, ()) if s.placement is Placement.ALT]
    if alts:
        text = reason.split(" (at offset")[0]
        raise site_error(program, f"the alt replacement leaves the function invalid: {text}", None, alts[0])


def _memid_bindings(module: Module) -> dict[str, object]:
    defined = len(module.memories)
    if not defined:
        return {}
    return {"APP_MEMID": len(module.memory_limits()) - defined}


def _zero_expr(t: str):
    return (const(t, 0), op("end"))


def _i32_expr(value: int):
    return (const("i32", value), op("end"))


def _library_memories(program: Program, uses: Uses, libraries: Mapping[str, bytes] | None) -> dict[str, LibraryMemory]:
    """The memory of every library a ``memid`` names (the same function the wei target uses)."""
    return {lib: library_memory(program, lib, (libraries or {}).get(lib)) for lib in uses.library_memories}


def _metadata(lay: Layout, function_names: Mapping[int, str]) -> bytes:
    """The ``whamm.report`` custom section (REWRITING.md §17) as the compact binary table of
    :mod:`compiler.report.metadata`; ``function_names`` is the output's name section, where tools find
    the rows' function names."""
    return encode_metadata(lay.report, "whamm:memory" if lay.has_runtime else None, function_names,
                           lay.func_imports, lay.func_shift)

