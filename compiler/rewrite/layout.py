"""Where instrumentation state lives in the output module (REWRITING.md §3, §9, §11, §14, §17).

:func:`plan_layout` decides, before any code is generated, everything whose position other code depends
on: the indices of added imports and functions, the globals of script variables, the addresses of every
per-site, shared and frame-report slot in the instrumentation memory, map ids (LANGUAGE.md §8) and the
report rows in their exact order (§11.3).  Code generation then only *reads* the layout, apart from two
on-demand tables whose indices are handed out in generation order (deterministic): string literals (the
string pool) and function types for multi-value block types.

The static region of the instrumentation memory starts at the runtime's ``__heap_base``; its end is
stored into the runtime's bump pointer (``whamm_heap_next``) by a data segment, so the ``whamm_core`` heap,
dynamic strings and maps are allocated above it (runtime/README.md "Linking contract").

The resulting :class:`ReportVar` list is also the machine-readable layout the shell reads live values
through (§17): per report variable its name, kind, type, probe, function, pc and location.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Mapping, Sequence

from compiler.backend import state
from compiler.backend.link import WRITE_SAVE_SIZE
from compiler.backend.state import (
    StaticRegion, global_aggregate_rows, place_global_aggregates, place_script_globals, size_of,
)
from compiler.backend.strings import STRING_HELPERS
from compiler.lang.scopes import CheckedProbe, Program, Symbol, VarKind
from compiler.lang.types import AggType, MapType, Prim, WhammType, wasm_types
from compiler.report.rows import GlobalLocation, MapLocation, MemoryLocation, ReportVar, type_group_key
from compiler.backend.uses import Uses
from compiler.wasm.model import ExternKind

__all__ = ["Layout", "plan_layout", "ProbeSlots", "probe_slots"]


def unshared_symbols(probe: CheckedProbe) -> list[Symbol]:
    """The probe's per-site variables (``unshared``, ``report``), declaration order."""
    return [s for s in probe.symbols if s.kind is VarKind.UNSHARED]


def shared_symbols(probe: CheckedProbe) -> list[Symbol]:
    """The probe's ``shared`` variables (one slot for all its sites), declaration order."""
    return [s for s in probe.symbols if s.kind is VarKind.SHARED]


def frame_symbols(probe: CheckedProbe) -> list[Symbol]:
    """The probe's ``frame`` variables (per function activation), declaration order."""
    return [s for s in probe.symbols if s.kind is VarKind.FRAME]


@dataclass(slots=True)
class Layout(state.Layout):
    """Every placement decision of one emit (see the module docstring): the layout both targets share
    (:class:`compiler.backend.state.Layout`) plus what only a rewritten module has — each matched site's
    block of unshared slots, the frame-report slots and the table shadows."""

    probe_slots: dict[int, ProbeSlots] = field(default_factory=dict)  # probe number → its block layout
    # site_base/site_maps key a matched site by identity (a MatchedSite holds an unhashable CheckedProbe):
    # only the emission that matched the sites, which holds them all, looks them up
    site_base: dict[int, int] = field(default_factory=dict)   # id(MatchedSite) → address of its block
    site_maps: dict[int, dict[str, int]] = field(default_factory=dict)  # id(MatchedSite) → name → map id
    frame_slots: dict[tuple[int, str, WhammType], int] = field(default_factory=dict)
    frame_aggregates: bool = False          # some function has frame aggregates (rewrite/frames.py)
    shadows: dict[int, tuple[int, int]] = field(default_factory=dict)  # table → (address, entries)
    # the shadow stack (ANALYSIS.md §3, rewrite/stack.py): the depth global, the ring of the last 256
    # frames and the name table
    stack_depth: int | None = None
    stack_ring: int | None = None
    stack_names: int = 0
    # coalesced per-site counters (docs/COALESCING.md): a site's slot address → the slot its value is
    # kept in (the first site of its run and group); filled while the functions are planned
    value_slots: dict[int, int] = field(default_factory=dict)

    def slot(self, site, name: str) -> int:
        """Address of unshared variable ``name`` of a matched site."""
        base = self.site_base[id(site)]
        offset = self.probe_slots[site.probe.number].offsets[name]
        return base + offset if offset else base    # (the same int object: value_slots keys it per site)

    def read_shared_values(self) -> None:
        """Point the report rows of the slots in :attr:`value_slots` at the slot holding their value
        (their identity, the ``memaddr`` id, stays their own slot's address)."""
        moved = self.value_slots
        rows = self.report
        for k, v in enumerate(rows):
            addr = v.location[0]
            if v.kind == "site" and addr in moved:
                rows[k] = v._replace(location=MemoryLocation(addr, moved[addr]))
        self.value_slots = {}   # now in the rows: kept, it would double a per-site instruction counter's rows


def plan_layout(module, program: Program, sites: Sequence, *, uses: Uses, no_report: bool,
                runtime_heap_base: int,
                runtime_exports: Mapping[str, int], runtime_functions: int, runtime_globals: int,
                emitted_user_functions: Sequence[str], special: Mapping[str, Sequence]) -> Layout:
    """Decide the layout for ``sites`` (the matched sites, allocation order).

    ``special`` maps ``begin``/``end``/``report`` to their probes; ``uses`` is what the emitted code
    needs (:class:`Uses`, already filled).
    """

    fimports = [imp for imp in module.imports if imp.kind == ExternKind.FUNC]
    mem_imports = [imp for imp in module.imports if imp.kind == ExternKind.MEMORY]
    lay = Layout(func_imports=len(fimports), func_shift=0)
    lay.uses = uses
    lay.app_memory_imports = len(mem_imports)
    lay.app_memories = len(mem_imports) + len(module.memories)
    lay.library_order = [u for u in program.uses if u != "whamm_core"]

    # ---- report variable instances and slots that will exist (decides memory and printing)
    site_list = sites if isinstance(sites, (list, tuple)) else list(sites)
    probes_with_sites: dict[int, CheckedProbe] = {}
    with_frames: set[int] = set()
    # the probe objects in order of first appearance (one C-level pass: a module may have a site per
    # instruction, but only a few probe expansions)
    for p in dict(zip(map(id, map(_probe, site_list)), map(_probe, site_list))).values():
        n = p.expansion.number
        if n not in probes_with_sites:
            probes_with_sites[n] = p
            if frame_symbols(p):
                with_frames.add(n)
    frames: dict[tuple[int, str, WhammType], tuple[Symbol, CheckedProbe]] = {}
    if with_frames:
        for s in site_list:
            if s.probe.number in with_frames:
                for sym in frame_symbols(s.probe):
                    frames.setdefault((s.fid, sym.name, sym.type), (sym, s.probe))
    global_report = [g for g in program.globals.values() if g.report]
    any_site_report = any(sym.report for p in probes_with_sites.values() for sym in unshared_symbols(p)) or \
        any(sym.report for p in probes_with_sites.values() for sym in shared_symbols(p)) or \
        any(sym.report for sym, _ in frames.values())
    lay.has_instances = bool(global_report) or any_site_report
    has_report_probe = bool(special.get("report"))
    lay.can_print = lay.has_instances and not no_report or (has_report_probe and not no_report) or uses.prints
    lay.needs_exit = lay.has_instances or has_report_probe or bool(special.get("end")) or lay.can_print
    has_slots = any(unshared_symbols(p) for p in probes_with_sites.values()) or \
        any(shared_symbols(p) for p in probes_with_sites.values()) or \
        any(sym.report for sym, _ in frames.values())
    has_maps = any(g.is_map or isinstance(g.type, AggType) for g in program.globals.values()) or \
        any(sym.is_map for p in probes_with_sites.values() for sym in p.symbols)
    # nsecs: WASI writes the time into the memory exported as `memory`, the instrumentation memory
    # unless the application exports one (backend/clock.py)
    app_exports_memory = any(e.name == "memory" for e in module.exports)
    lay.frame_aggregates = any(isinstance(sym.type, AggType) for sym, _ in frames.values())
    needs_runtime = lay.can_print or has_slots or has_maps or lay.frame_aggregates or uses.strings or \
        bool(uses.core) or bool(uses.shadows) or uses.stack_frames or (uses.clock and not app_exports_memory)

    # ---- imports: fd_write, library functions, library memories
    added: list = []
    if lay.can_print:
        for i, imp in enumerate(fimports):
            if imp.module == "wasi_snapshot_preview1" and imp.name == "fd_write":
                lay.fd_write = i
                break
        else:
            added.append(("fd_write", None))
    if uses.clock:
        for i, imp in enumerate(fimports):
            if imp.module == "wasi_snapshot_preview1" and imp.name == "clock_time_get":
                lay.clock = i
                break
        else:
            added.append(("clock", None))
    for lib, name in uses.library_functions:
        added.append(("lib", (lib, name)))
    lay.func_shift = len(added)
    for k, (kind, what) in enumerate(added):
        if kind == "fd_write":
            lay.fd_write = lay.func_imports + k
        elif kind == "clock":
            lay.clock = lay.func_imports + k
        else:
            lay.library_funcs[what] = lay.func_imports + k  # type: ignore[index]
    lay.added_imports = added
    for k, lib in enumerate(uses.library_memories):
        lay.library_memories[lib] = len(mem_imports) + k
    lay.mem_shift = len(uses.library_memories)

    # ---- functions
    app_funcs = lay.func_imports + lay.func_shift + len(module.functions)
    next_index = app_funcs
    if needs_runtime:
        lay.runtime_base = next_index
        lay.runtime = {name: next_index + i - 1 for name, i in runtime_exports.items()}
        next_index += runtime_functions
        lay.memory = lay.app_memories + lay.mem_shift
    names = []
    if needs_runtime:
        names += ["whamm:write", *STRING_HELPERS]
    names += [f"fn:{n}" for n in emitted_user_functions]
    if uses.clock:
        names.append("whamm:nsecs")
    names.append("whamm:start")
    if lay.needs_exit:
        names.append("whamm:exit")
    for n in names:
        lay.functions[n] = next_index
        lay.generated.append(n)
        next_index += 1

    # ---- globals: the runtime's, then ours
    gbase = len(module.global_types())
    if needs_runtime:
        gbase += runtime_globals
    gbase = place_script_globals(lay, program, gbase)
    if uses.stack:
        lay.stack_depth = gbase
        lay.global_types.append("i32")
        gbase += 1

    # ---- the instrumentation memory's static region
    if needs_runtime:
        region = StaticRegion(runtime_heap_base)
        lay.region = region
        key_sizes = [size_of(t.key) + size_of(t.value) for t in _all_map_types(program, probes_with_sites)]
        lay.scratch = region.alloc(max(key_sizes, default=0))
        lay.write_scratch = region.alloc(WRITE_SAVE_SIZE)
        lay.value_scratch = region.alloc(max((size_of(g.type) for g in global_report), default=0))
        _place_state(lay, program, site_list, probes_with_sites, frames)
        place_global_aggregates(lay, program)
        for table in sorted(uses.shadows):
            size = module.table_types()[table].limits.min
            addr = region.alloc(4 * size)
            lay.shadows[table] = (addr, size)
            region.put(addr, shadow_init(module, table, size))
        if uses.clock:
            lay.clock_scratch = region.alloc(8, 8)
        if uses.stack_frames:
            place_stack_frames(lay, module, region)
    else:
        _place_state(lay, program, site_list, probes_with_sites, frames)

    # ---- getters (§14)
    exported = {e.name for e in module.exports}
    for g in program.globals.values():
        if len(wasm_types(g.type)) == 1 and g.type is not Prim.FUNCREF and not isinstance(g.type, AggType):
            name = f"get_{g.name}"
            if name not in exported:
                lay.getters[g.name] = name
    for g, export in lay.getters.items():
        lay.functions[export] = next_index
        lay.generated.append(export)
        next_index += 1
    _report(lay, program, site_list, probes_with_sites, frames)
    return lay


def place_stack_frames(lay: Layout, module, region: StaticRegion) -> None:
    """The shadow stack's ring of the last 256 frames and its name table (ANALYSIS.md §3,
    runtime/callstack.c): per defined function, in index order, the (address, length) of its name —
    the name section's, or ``#fid`` when it has none."""
    lay.stack_ring = region.alloc(4 * STACK_RING, 4)
    names = module.names.functions if module.names is not None else {}
    defined = len(module.functions)
    lay.stack_names = region.alloc(8 * defined, 4)
    table = bytearray()
    for k in range(defined):
        fid = lay.func_imports + k
        name = (names.get(fid) or f"#{fid}").encode()
        table += region.string(name).to_bytes(4, "little") + len(name).to_bytes(4, "little")
    region.put(lay.stack_names, bytes(table))


#: Frames the shadow stack's ring keeps (runtime/callstack.c's RING): the innermost ones, which are
#: all a ``callstack`` string shows.
STACK_RING = 256


#: A matched site's probe expansion (a C-level getter for plan_layout's pass over the sites).
_probe = attrgetter("probe")


def shadow_init(module, table: int, size: int) -> bytes:
    """A table shadow's initial entries (REWRITING.md §15): -1 everywhere, then every active element
    segment on the table with a constant offset, in order (``ref.func N`` or index ``N`` → ``N``, anything
    else → -1); entries outside the table's initial size are ignored."""
    entries = [-1] * size
    for seg in module.elements:
        if seg.mode != "active" or seg.table != table or seg.offset is None:
            continue
        expr = [i for i in seg.offset if i.op.name != "end"]
        if len(expr) != 1 or expr[0].op.name != "i32.const":
            continue
        start = expr[0].imms[0]
        for k, item in enumerate(seg.items):
            if not 0 <= start + k < size:
                continue
            if isinstance(item, int):
                entries[start + k] = item
            else:
                code = [i for i in item if i.op.name != "end"]
                entries[start + k] = code[0].imms[0] if len(code) == 1 and code[0].op.name == "ref.func" else -1
    return b"".join((e & 0xFFFFFFFF).to_bytes(4, "little") for e in entries)


def _all_map_types(program: Program, probes: Mapping[int, CheckedProbe]) -> list[MapType]:
    out = [g.type for g in program.globals.values() if isinstance(g.type, MapType)]
    for p in probes.values():
        out += [s.type for s in p.symbols if isinstance(s.type, MapType)]
    for f in program.functions.values():
        out += [s.type for s in (*f.params, *f.symbols) if isinstance(s.type, MapType)]
    return out  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class ProbeSlots:
    """A probe's per-site variables laid out as one block: each variable's offset in the block
    (declaration order), the block size, and its report variables in declaration order."""

    offsets: dict[str, int]
    size: int
    maps: tuple[Symbol, ...]
    report: tuple[tuple[Symbol, tuple], ...]     # (symbol, type group key)
    report_at: tuple[tuple[Symbol, tuple, int], ...]   # (symbol, type group key, offset in the block)


def probe_slots(probe: CheckedProbe) -> ProbeSlots:
    """The per-site block of a probe's ``unshared`` variables: each one aligned to its type, in declaration
    order, with the maps and report variables among them."""
    offsets: dict[str, int] = {}
    size = 0
    for sym in unshared_symbols(probe):
        align = _align(sym.type)
        size = (size + align - 1) // align * align
        offsets[sym.name] = size
        size += size_of(sym.type)
    maps = tuple(s for s in unshared_symbols(probe) if isinstance(s.type, MapType))
    report = tuple((s, type_group_key(s.type)) for s in unshared_symbols(probe) if s.report)
    return ProbeSlots(offsets, size, maps, report, tuple((s, k, offsets[s.name]) for s, k in report))


def _place_state(lay: Layout, program: Program, sites: list, probes: Mapping[int, CheckedProbe],
                 frames: Mapping[tuple[int, str, WhammType], tuple[Symbol, CheckedProbe]]) -> None:
    """Map ids (LANGUAGE.md §8) and the slots of unshared, shared and frame-report variables.  A site's
    unshared variables form one block (:class:`ProbeSlots`) at ``site_base[id(site)]``."""
    region = lay.region
    lay.map_ids = dict(program.map_ids)
    next_id = len(program.map_ids)
    for name, mid in sorted(program.map_ids.items(), key=lambda kv: kv[1]):
        lay.maps.append((mid, program.globals[name].type))  # type: ignore[arg-type]
    for number in sorted(probes):
        for sym in shared_symbols(probes[number]):
            if isinstance(sym.type, MapType):
                lay.shared_maps[(number, sym.name)] = next_id
                lay.maps.append((next_id, sym.type))
                next_id += 1
    facts = lay.probe_slots
    for number, probe in probes.items():
        facts[number] = probe_slots(probe)
    for s in sites if any(f.maps for f in facts.values()) else ():
        f = facts[s.probe.expansion.number]
        if f.maps:
            ids = {}
            for sym in f.maps:
                ids[sym.name] = next_id
                lay.maps.append((next_id, sym.type))  # type: ignore[arg-type]
                next_id += 1
            lay.site_maps[id(s)] = ids
    if region is None:
        return
    alloc = region.alloc
    base = lay.site_base
    # Probe by probe (its site blocks in allocation order, then its shared slots): appending a probe
    # leaves every earlier address where it was, so the shell re-emits only the functions whose sites
    # changed (SHELL.md "Incremental re-instrumentation").  Addresses are implementation-defined (§11.2);
    # the report's row order does not depend on them.
    by_probe: dict[int, list] = {}
    for s in sites if any(f.size for f in facts.values()) else ():   # (skipped without per-site state)
        by_probe.setdefault(s.probe.expansion.number, []).append(s)
    for number in sorted(probes):
        for s in by_probe.get(number, ()):
            f = facts[number]
            if f.size:
                b = base[id(s)] = alloc(f.size, 8)
                if f.maps:
                    for sym in f.maps:
                        region.put(b + f.offsets[sym.name], lay.site_maps[id(s)][sym.name].to_bytes(4, "little"))
        for sym in shared_symbols(probes[number]):
            addr = alloc(size_of(sym.type), _align(sym.type))
            lay.shared_slots[(number, sym.name)] = addr
            if isinstance(sym.type, MapType):
                region.put(addr, lay.shared_maps[(number, sym.name)].to_bytes(4, "little"))
    for key in sorted(frames, key=lambda k: k[0]):
        sym, _ = frames[key]
        if sym.report:
            lay.frame_slots[key] = alloc(size_of(sym.type), _align(sym.type))


def _align(t: WhammType) -> int:
    return 8 if size_of(t) >= 8 else 4


def _report(lay: Layout, program: Program, sites: list, probes: Mapping[int, CheckedProbe],
            frames: Mapping[tuple[int, str, WhammType], tuple[Symbol, CheckedProbe]]) -> None:
    """The report rows in the order of §11.3: ``memaddr`` rows by type group (per-site rows in site
    allocation order, then shared, then frame rows), then ``global_id`` rows by name, then maps by id."""
    groups: dict[tuple, list[list[ReportVar]]] = {}
    new = tuple.__new__
    facts = lay.probe_slots
    base = lay.site_base
    probe_ids: dict[int, str] = {}     # formatted once per probe, and fname read once per function:
    fid = fname = None                  # the per-site properties cost more than the rows (27k sites)
    for s in sites if any(f.report for f in facts.values()) else ():
        number = s.probe.expansion.number
        f = facts[number]
        if not f.report:
            continue
        b = base[id(s)]
        probe_id = probe_ids.get(number)
        if probe_id is None:
            probe_id = probe_ids[number] = s.probe.probe_id
        if s.fid != fid:
            fid = s.fid
            fname = s.fname
        pc = s.pc
        for sym, key, off in f.report_at:
            rows = groups.get(key)
            if rows is None:
                rows = groups[key] = [[], [], []]
            rows[0].append(new(ReportVar, (sym.name, "site", sym.type, probe_id, fid, fname, pc,
                                           new(MemoryLocation, (b + off if off else b, None)))))
    for number in sorted(probes):
        for sym in shared_symbols(probes[number]):
            if sym.report:
                groups.setdefault(type_group_key(sym.type), [[], [], []])[1].append(ReportVar(
                    sym.name, "shared", sym.type, probes[number].probe_id, None, None, None,
                    MemoryLocation(lay.shared_slots[(number, sym.name)])))
    fnames: dict[int, str] = {s.fid: s.fname for s in sites} if frames else {}
    for key in sorted(frames, key=lambda k: k[0]):
        sym, _ = frames[key]
        if sym.report:
            groups.setdefault(type_group_key(sym.type), [[], [], []])[2].append(ReportVar(
                sym.name, "frame", sym.type, None, key[0], fnames.get(key[0], ""), None,
                MemoryLocation(lay.frame_slots[key])))
    for row in global_aggregate_rows(lay, program):
        rows = groups.setdefault(type_group_key(row.whamm_type), [[], [], []])
        if len(rows) == 3:
            rows.append([])
        rows[3].append(row)
    report: list[ReportVar] = []
    for key in sorted(groups):
        for rows in groups[key]:
            report.extend(rows)
    lay.report = report
    for g in sorted((g for g in program.globals.values() if g.report and not g.is_map
                     and not isinstance(g.type, AggType)), key=lambda g: g.name.encode()):
        lay.report.append(ReportVar(g.name, "global", g.type, None, None, None, None,
                                    GlobalLocation(lay.globals[g.name], lay.getters.get(g.name))))
    for name, mid in sorted(lay.map_ids.items(), key=lambda kv: kv[1]):
        g = program.globals[name]
        if g.report:
            lay.report.append(ReportVar(name, "map", g.type, None, None, None, None, MapLocation(mid)))
