"""``whamm instr --wei``: a checked script → a validated monitor module (WEI.md §3–§8).

Phases (timed in :attr:`Monitor.timings`):

1. **plan** — reject what the interface cannot express (:mod:`compiler.wei.support`), fold and place
   every probe, merge coinciding exports (:mod:`compiler.wei.plan`);
2. **layout** — what the code uses, then indices, globals, slots, site blocks and report groups
   (:mod:`compiler.wei.layout`);
3. **emit** — the linked runtime and the rewriting target's helpers, start routine, user functions and
   getters; ``wasm:exit`` and ``whamm:site_rows`` (:mod:`compiler.wei.report`); every probe's ``$P``,
   ``$A``, ``$S`` and body (:mod:`compiler.wei.codegen`); memory, exports and the start function;
4. **encode** and **validate** (a failure is a compiler bug: ``the monitor module failed validation``).

Exports: ``whamm_buffer`` (and ``memory`` when the monitor prints), ``whamm_buffer:start`` and
``whamm_buffer:max``, the ``get_<name>`` getters, every probe under its export name, every callback as
``$N`` (its function index), and ``wasm:exit`` whenever rewriting would emit the exit sequence.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

from compiler.backend.clock import clock_helper
from compiler.errors import WhammError
from compiler.lang import ast
from compiler.lang.diagnostics import Diagnostic, ScriptError
from compiler.lang.folder import fold_probe
from compiler.lang.scopes import VarKind, callee_of
from compiler.options import Options
from compiler.backend.instrs import CodegenError, const, op
from compiler.backend.strings import Helper, string_helpers
from compiler.backend.script_code import compile_function, getter
from compiler.backend.site_code import ModuleContext
from compiler.backend.uses import Uses
from compiler.backend.state import folded_nodes, library_memory
from compiler.backend.link import TypeTable, declare_imports, link_runtime, runtime_image, write_helper
from compiler.wasm.remap import Remap
from compiler.backend.runtime_abi import runtime_layout
from compiler.wasm import ValidationError, validate
from compiler.wasm.code import encode_body
from compiler.wasm.model import (
    DataSegment, Export, ExternKind, FuncBody, Global, GlobalType, Import, Limits, Module, Names,
)
from compiler.wasm.writer import write_module
from compiler.wei.codegen import alloc_function, body_function, predicate_function, static_function
from compiler.wei.layout import BUFFER_SIZE, plan_monitor
from compiler.wei.names import ExportName
from compiler.wei.plan import plan_probes
from compiler.wei.report import exit_function, site_rows_function
from compiler.wei.start import start_function
from compiler.wei.support import check_supported

if TYPE_CHECKING:
    from compiler.lang.scopes import Program
    from compiler.wei.layout import MonitorLayout
    from compiler.wei.plan import MonitorProbe

__all__ = ["Monitor", "MonitorError", "build_monitor", "BUFFER_START", "BUFFER_MAX", "BUFFER_MEMORY",
           "EXIT_EXPORT", "MONITOR_NAME"]

MONITOR_NAME = "whamm:monitor"
"""The monitor's module name (name section), which backtraces show for its frames."""
BUFFER_MEMORY = "whamm_buffer"
BUFFER_START = "whamm_buffer:start"
BUFFER_MAX = "whamm_buffer:max"
EXIT_EXPORT = "wasm:exit"


class MonitorError(WhammError):
    """The monitor cannot be produced (a library memory is missing, validation failed)."""


@dataclass(frozen=True, slots=True, eq=False)
class Monitor:
    """A validated monitor module: its bytes, the probe exports (name and plan, export order), the
    layout, the script's warnings and per-phase seconds."""

    wasm: bytes
    program: Program
    exports: tuple[tuple[ExportName, MonitorProbe], ...]
    layout: MonitorLayout
    warnings: tuple[Diagnostic, ...]
    timings: Mapping[str, float]

    @property
    def export_names(self) -> tuple[str, ...]:
        """The monitor's probe exports as the engine matches them (WEI.md export names)."""
        return tuple(str(name) for name, _ in self.exports)


def build_monitor(program: Program, *, options: Options | None = None,
                  libraries: Mapping[str, bytes] | None = None) -> Monitor:
    """The monitor module of a script checked with ``wei=True``.  ``options`` is any object with the
    knobs of REWRITING.md §16 (``no_body``, ``no_pred``, ``no_report``, ``no_bundle``); ``libraries`` the
    bytes of user libraries whose memory ``memid`` imports (read from their path when absent).  Raises
    :class:`~compiler.wei.support.UnsupportedError`, :class:`ScriptError` for code that cannot be compiled
    (at its source position) and :class:`MonitorError`."""
    opts = options if options is not None else Options()
    no_report = opts.no_report
    no_body = opts.no_body or opts.no_bundle
    no_pred = opts.no_pred
    t0 = time.perf_counter()
    check_supported(program)
    probes = plan_probes(program)
    special: dict[str, list] = {"begin": [], "end": [], "report": []}
    for cp in program.probes:
        if cp.package in special:
            f = fold_probe(cp, {}, constants=program.constants)
            if f.predicate is not False:
                special[cp.package].append((cp, f))
    t1 = time.perf_counter()

    uses, user_fns = _uses(program, probes, special)
    lib_memories = {lib: library_memory(program, lib, (libraries or {}).get(lib)) for lib in uses.library_memories}
    ml = plan_monitor(program, probes, uses, no_report=no_report, special=special, user_functions=user_fns,
                      library_memories=lib_memories)
    lay = ml.layout
    t2 = time.perf_counter()

    out = Module(names=Names(module=MONITOR_NAME))
    types = TypeTable(out)
    declare_imports(out, types, lay.added_imports, program.libraries)
    for lib, lm in lib_memories.items():
        out.imports.append(Import(program.libraries[lib].import_module, lm.export, ExternKind.MEMORY, lm.limits))
    link_runtime(out, types, func_base=lay.runtime_base, write=lay.functions["whamm:write"], memory=lay.memory)
    for g in lay.global_types:
        out.globals.append(Global(GlobalType(g, True), (const(g, 0), op("end"))))
    for k in range(ml.extra_globals):
        init = ml.first_map if ml.first_map and k == ml.extra_globals - 1 else 0
        out.globals.append(Global(GlobalType("i32", True), (const("i32", init), op("end"))))
    for value in (ml.buffer, BUFFER_SIZE):
        out.globals.append(Global(GlobalType("i32", False), (const("i32", value), op("end"))))

    ctx = ModuleContext(Module(), program, lay, types, Remap(), no_body=no_body, no_pred=no_pred)
    helpers: dict[str, Helper] = {}
    probe_helpers: list[list[Helper]] = []
    try:
        helpers["whamm:write"] = write_helper(lay.fd_write, lay.memory, lay.write_scratch, None)
        for h in string_helpers(lay.memory, lay.functions):
            helpers[h.name] = h
        if lay.clock is not None:
            helpers["whamm:nsecs"] = clock_helper(lay.clock, lay.memory, lay.clock_scratch, None)
        for name in user_fns:
            helpers[f"fn:{name}"] = compile_function(ctx, program.functions[name])
        helpers["whamm:start"] = start_function(ctx, ml, [m.probe for m in _members(probes)], special["begin"])
        if lay.needs_exit:
            helpers["whamm:exit"] = exit_function(ctx, ml, special["end"], special["report"], no_report)
        for var, export in lay.getters.items():
            helpers[export] = getter(lay, program.globals[var], export)
        if "whamm:site_rows" in lay.functions:
            helpers["whamm:site_rows"] = site_rows_function(ml)
        for p, block in zip(probes, ml.blocks):
            fns = []
            if p.static_predicate:
                fns.append(predicate_function(ctx, p))
            if block is not None:
                fns.append(alloc_function(ctx, ml, p, block))
            fns.extend(static_function(ctx, p, k) for k in range(len(p.statics)))
            fns.append(body_function(ctx, ml, p, block, no_body=no_body, no_pred=no_pred))
            probe_helpers.append(fns)
    except CodegenError as exc:
        raise ScriptError([Diagnostic.error(exc.message, exc.span)], program.source, program.filename) from None

    for name in lay.generated:
        _append(out, types, helpers[name], lay.functions[name])
    exports: list[tuple[ExportName, MonitorProbe]] = []
    for p, fns, indices in zip(probes, probe_helpers, ml.functions):
        first = indices.callbacks + (indices.body,)
        for h, index in zip(fns, first):
            _append(out, types, h, index)
        name = p.export_name(indices.callbacks)
        exports.append((name, p))

    # ---- memory, exports, start
    rl = runtime_layout()
    region = lay.region
    assert region is not None
    end = (region.end + 7) // 8 * 8
    out.memories.append(Limits(max(runtime_image().memory_min, (end + 0xFFFF) // 0x10000)))
    flags = 2 if lay.memory else 0
    for addr, data in region.segments():
        out.data.append(DataSegment(data, lay.memory, (const("i32", addr), op("end")), flags))
    out.data.append(DataSegment(end.to_bytes(4, "little"), lay.memory, (const("i32", rl.heap_next_addr), op("end")),
                                flags))
    out.exports.append(Export(BUFFER_MEMORY, ExternKind.MEMORY, lay.memory))
    if lay.can_print or lay.clock is not None:     # WASI writes output and the time through `memory`
        out.exports.append(Export("memory", ExternKind.MEMORY, lay.memory))
    out.exports.append(Export(BUFFER_START, ExternKind.GLOBAL, ml.buffer_globals))
    out.exports.append(Export(BUFFER_MAX, ExternKind.GLOBAL, ml.buffer_globals + 1))
    for var, export in lay.getters.items():
        out.exports.append(Export(export, ExternKind.FUNC, lay.functions[export]))
    for (name, p), indices in zip(exports, ml.functions):
        for index in indices.callbacks:
            out.exports.append(Export(f"${index}", ExternKind.FUNC, index))
        out.exports.append(Export(str(name), ExternKind.FUNC, indices.body))
    if lay.needs_exit:
        out.exports.append(Export(EXIT_EXPORT, ExternKind.FUNC, lay.functions["whamm:exit"]))
    start = helpers["whamm:start"]
    if len(start.instrs) > 1:
        out.start = lay.functions["whamm:start"]
    out.types = types.groups()
    t3 = time.perf_counter()

    data = write_module(out)
    t4 = time.perf_counter()
    try:
        validate(data)
    except ValidationError as exc:
        reason = str(exc).removeprefix("invalid module: ").strip()
        raise MonitorError(f"the monitor module failed validation: {reason}") from None
    t5 = time.perf_counter()
    timings = {"plan": t1 - t0, "layout": t2 - t1, "emit": t3 - t2, "encode": t4 - t3, "validate": t5 - t4}
    return Monitor(data, program, tuple(exports), ml, tuple(program.warnings), timings)


def _append(out: Module, types: TypeTable, h: Helper, index: int) -> None:
    assert index == out.num_imported_funcs + len(out.functions), h.name
    out.functions.append(types.func(h.type))
    raw = encode_body(h.locals, h.instrs)
    out.code.append(FuncBody.from_bytes(raw, 0, len(raw)))
    out.names.functions[index] = h.name if h.name.startswith(("whamm:", "wei:")) else f"whamm:{h.name}"  # type: ignore


def _members(probes):
    seen: dict[int, object] = {}
    for p in probes:
        for m in p.members:
            seen.setdefault(m.number, m)
    return [seen[n] for n in sorted(seen)]


def _uses(program: Program, probes, special) -> tuple[Uses, list[str]]:
    """What the monitor's code needs (as :class:`~compiler.backend.uses.Uses`), including the library
    functions that ``@static`` calls make at run time (in ``$P``, ``$A``, ``$S`` and outside probes), and
    the user functions to compile."""
    uses = Uses()

    def scan(node: ast.Node) -> None:
        uses.scan(node)
        for n in ast.walk(node):
            if isinstance(n, ast.Call) and n.annotation == "static" and n.lib is not None:
                callee = callee_of(n)
                if callee.library == "whamm_core":
                    uses.core.add(callee.name)
                else:
                    uses.library_functions[(callee.library, callee.name)] = None

    for stmt in program.statements:
        scan(stmt)
    for m in _members(probes):
        f = m.folded
        for node in folded_nodes(f):
            scan(node)
        for d in m.probe.declarations():
            if d.symbol is not None and d.symbol.kind is VarKind.SHARED and d.init is not None:
                scan(d.init)
    for lst in special.values():
        for cp, f in lst:
            for node in folded_nodes(f):
                scan(node)
    done: set[str] = set()
    while True:
        todo = [n for n in uses.user_functions if n not in done]
        if not todo:
            break
        for name in todo:
            done.add(name)
            cf = program.functions[name]
            scan(cf.body)
    return uses, [n for n in program.functions if n in uses.user_functions]
