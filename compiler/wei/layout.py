"""Where everything lives in a monitor module (WEI.md §3, §5.3, §7).

The monitor reuses the machinery both targets share — the linked instrumentation runtime, the
:class:`~compiler.backend.state.Layout` that the code generator, start routine, user functions and
getters read — for a module with no application: no input functions, memories or globals, so output
indices start at zero.  What differs is per-site state, which the engine creates at match time:

* every monitor probe with unshared variables has a **site block** layout: ``$A`` allocates one block
  per attached site and the body addresses its variables relative to the block's base;
* a report variable's slot is preceded by a 24-byte **row header** (next header of the same type group,
  static row info, the ``fname`` copy, ``fid``, ``pc``) so the report can list rows in the order the
  engine called ``$A``, each type group a linked list whose head and tail are globals;
* the static **row info** of a report variable holds the constant parts of its row (name, types, probe
  id without the mode) and its type descriptor.

Memory 0 (after any imported library memories) is the runtime's memory, exported as ``whamm_buffer``:
the runtime's own data first, then the static region (scratch areas, the 1024-byte **engine buffer**,
shared-variable slots, row infos, string literals); ``whamm_buffer:start`` is the buffer's address.
Note (differs from upstream whamm): string literals do not start at offset 0 — the runtime's data does.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence

from compiler.lang.scopes import VarKind
from compiler.lang.types import AggType, MapType, Prim, WhammType, wasm_types
from compiler.backend.strings import STRING_HELPERS
from compiler.report.rows import GlobalLocation, MapLocation, MemoryLocation, ReportVar, type_group_key, wasm_type_text
from compiler.backend.state import (
    Layout, LibraryMemory, StaticRegion, global_aggregate_rows, place_global_aggregates, place_script_globals,
    size_of,
)
from compiler.backend.uses import Uses
from compiler.backend.link import WRITE_SAVE_SIZE, runtime_image
from compiler.backend.runtime_abi import encode_type, runtime_layout

if TYPE_CHECKING:
    from compiler.lang.scopes import CheckedProbe, Program, Symbol
    from compiler.wei.plan import Member, MonitorProbe

__all__ = ["BUFFER_SIZE", "HEADER_SIZE", "Header", "Info", "SiteVar", "SiteBlock", "ProbeFunctions",
           "MonitorLayout", "plan_monitor"]

BUFFER_SIZE = 1024
"""``whamm_buffer:max``: bytes the engine may write per call (WEI.md §3)."""
HEADER_SIZE = 24


class Header:
    """Field offsets of a report row header (in front of the variable's value)."""

    NEXT = 0
    INFO = 4
    FNAME_PTR = 8
    FNAME_LEN = 12
    FID = 16
    PC = 20


class Info:
    """Field offsets of a report variable's static row info."""

    MID_PTR = 0
    MID_LEN = 4
    TAIL_PTR = 8
    TAIL_LEN = 12
    DESC = 16          # the value's type descriptor; 0 for a map (printed by id)
    SIZE = 20


@dataclass(frozen=True, slots=True, eq=False)
class SiteVar:
    """An unshared variable's place in its probe's site block.  ``name`` is the report name (renamed on
    merge clashes); ``header``/``info``/``group`` are set for report variables only."""

    member: Member
    symbol: Symbol
    name: str
    offset: int
    header: int | None = None
    info: int | None = None
    group: int | None = None


@dataclass(frozen=True, slots=True)
class SiteBlock:
    """The per-site variable block of one monitor probe."""

    size: int
    vars: tuple[SiteVar, ...]

    def var(self, member: Member, sym: Symbol) -> SiteVar:
        """The slot of ``member``'s variable ``sym`` in this block; ``KeyError`` if the layout placed none."""
        for v in self.vars:
            if v.member is member and v.symbol is sym:
                return v
        raise KeyError(sym.name)


@dataclass(frozen=True, slots=True)
class ProbeFunctions:
    """Function indices of one monitor probe's callbacks and body."""

    predicate: int | None
    alloc: int | None
    statics: tuple[int, ...]
    body: int

    @property
    def callbacks(self) -> tuple[int, ...]:
        """``$P``, ``$A``, ``$S``… in export-name order."""
        head = (self.predicate,) if self.predicate is not None else ()
        alloc = (self.alloc,) if self.alloc is not None else ()
        return head + alloc + self.statics


@dataclass(slots=True, eq=False)
class MonitorLayout:
    """Every placement decision of one monitor (module docstring).  ``layout`` is the rewriting
    target's view (what its code generator reads); the rest is the monitor's own."""

    layout: Layout
    probes: list[MonitorProbe]
    blocks: list[SiteBlock | None]
    functions: list[ProbeFunctions]
    groups: list[WhammType] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    tails: list[int] = field(default_factory=list)
    next_map: int = 0
    first_map: int = 0
    buffer: int = 0
    extra_globals: int = 0          # mutable i32 globals after the layout's: heads, tails, next map id
    buffer_globals: int = 0         # index of whamm_buffer:start (whamm_buffer:max follows)
    descs: dict[bytes, int] = field(default_factory=dict)
    static_instances: bool = False  # global or shared report variables (rows that always exist)
    library_memories: dict[str, LibraryMemory] = field(default_factory=dict)

    def desc(self, t: WhammType) -> int:
        """The address of ``t``'s runtime type descriptor (placed on first use)."""
        d = encode_type(t)
        addr = self.descs.get(d)
        if addr is None:
            addr = self.descs[d] = self.layout.string(d)
        return addr

    def map_desc(self, t: MapType) -> int:
        """Address of the runtime's type descriptor of a map type (key then value), stored once per type."""
        d = encode_type(t.key) + encode_type(t.value)
        addr = self.descs.get(d)
        if addr is None:
            addr = self.descs[d] = self.layout.string(d)
        return addr


def _shared(probe: CheckedProbe) -> list[Symbol]:
    return [s for s in probe.symbols if s.kind is VarKind.SHARED]


def plan_monitor(program: Program, probes: Sequence[MonitorProbe], uses: Uses, *, no_report: bool,
                 special: Mapping[str, Sequence], user_functions: Sequence[str],
                 library_memories: Mapping[str, LibraryMemory]) -> MonitorLayout:
    """Decide indices, globals, memory and report rows for ``probes`` (export order)."""

    members = [m for p in probes for m in p.members]
    member_probes: dict[int, CheckedProbe] = {}
    for m in members:
        member_probes.setdefault(m.number, m.probe)
    global_report = [g for g in program.globals.values() if g.report]
    site_report = any(s.report for m in members for s in m.unshared())
    shared_report = any(s.report for p in member_probes.values() for s in _shared(p))
    has_report_vars = bool(global_report) or site_report or shared_report
    has_report_probe = bool(special.get("report"))

    lay = Layout(func_imports=0, func_shift=0)
    lay.uses = uses
    lay.has_instances = bool(global_report) or shared_report
    lay.can_print = (has_report_vars or has_report_probe) and not no_report or uses.prints
    lay.needs_exit = has_report_vars or has_report_probe or bool(special.get("end")) or lay.can_print
    lay.library_order = [u for u in program.uses if u != "whamm_core"]

    # ---- imports: fd_write, library functions, library memories
    added: list = []
    if lay.can_print:
        added.append(("fd_write", None))
    if uses.clock:
        added.append(("clock", None))
    added.extend(("lib", key) for key in uses.library_functions)
    for k, (kind, what) in enumerate(added):
        if kind == "fd_write":
            lay.fd_write = k
        elif kind == "clock":
            lay.clock = k
        else:
            lay.library_funcs[what] = k
    lay.added_imports = added
    lay.func_shift = len(added)
    for k, lib in enumerate(uses.library_memories):
        lay.library_memories[lib] = k
    lay.mem_shift = len(uses.library_memories)
    lay.memory = lay.mem_shift

    # ---- functions: the runtime, generated helpers, then every probe's callbacks and body
    img = runtime_image()
    lay.runtime_base = len(added)
    lay.runtime = {name: lay.runtime_base + i - 1 for name, i in img.exports.items()}
    next_index = lay.runtime_base + len(img.bodies)
    names = ["whamm:write", *STRING_HELPERS, *(f"fn:{n}" for n in user_functions), "whamm:start"]
    if lay.needs_exit:
        names.append("whamm:exit")
    if uses.clock:
        names.append("whamm:nsecs")
    for g in program.globals.values():
        if len(wasm_types(g.type)) == 1 and g.type is not Prim.FUNCREF and not isinstance(g.type, AggType):
            lay.getters[g.name] = f"get_{g.name}"
    names.extend(lay.getters.values())
    if site_report:
        names.append("whamm:site_rows")
    for n in names:
        lay.functions[n] = next_index
        lay.generated.append(n)
        next_index += 1
    functions = []
    for p in probes:
        pred = alloc = None
        if p.static_predicate:
            pred, next_index = next_index, next_index + 1
        if p.alloc:
            alloc, next_index = next_index, next_index + 1
        statics = tuple(range(next_index, next_index + len(p.statics)))
        next_index += len(p.statics)
        functions.append(ProbeFunctions(pred, alloc, statics, next_index))
        next_index += 1

    # ---- globals: the runtime's, script variables, the exit flag, then the monitor's own
    gbase = len(img.globals)
    gbase = place_script_globals(lay, program, gbase)

    # ---- the static region
    region = StaticRegion(runtime_layout().heap_base)
    lay.region = region
    map_types = [g.type for g in program.globals.values() if isinstance(g.type, MapType)]
    map_types += [s.type for m in members for s in m.probe.symbols if isinstance(s.type, MapType)]
    map_types += [s.type for f in program.functions.values() for s in (*f.params, *f.symbols)
                  if isinstance(s.type, MapType)]
    lay.scratch = region.alloc(max((size_of(t.key) + size_of(t.value) for t in map_types), default=0))  # type: ignore
    place_global_aggregates(lay, program)
    lay.write_scratch = region.alloc(WRITE_SAVE_SIZE)
    lay.value_scratch = region.alloc(max((size_of(g.type) for g in global_report), default=0))
    ml = MonitorLayout(lay, list(probes), [], functions, library_memories=dict(library_memories))
    ml.buffer = region.alloc(BUFFER_SIZE)
    if uses.clock:
        lay.clock_scratch = region.alloc(8, 8)

    # map ids: script maps by name (LANGUAGE.md §8), shared maps in probe order, then unshared maps as
    # $A creates them
    lay.map_ids = dict(program.map_ids)
    next_id = len(program.map_ids)
    for name, mid in sorted(program.map_ids.items(), key=lambda kv: kv[1]):
        lay.maps.append((mid, program.globals[name].type))  # type: ignore[arg-type]
    for number in sorted(member_probes):
        for sym in _shared(member_probes[number]):
            addr = region.alloc(size_of(sym.type), _align(sym.type))
            lay.shared_slots[(number, sym.name)] = addr
            if isinstance(sym.type, MapType):
                lay.shared_maps[(number, sym.name)] = next_id
                lay.maps.append((next_id, sym.type))
                region.put(addr, next_id.to_bytes(4, "little"))
                next_id += 1
    ml.first_map = next_id

    # ---- site blocks and report groups
    groups: dict[WhammType, int] = {}
    for m in members:
        for sym in m.unshared():
            if sym.report:
                groups.setdefault(sym.type, 0)
    ml.groups = sorted(groups, key=type_group_key)
    group_index = {t: i for i, t in enumerate(ml.groups)}
    for p in probes:
        ml.blocks.append(_block(ml, p, group_index) if p.alloc else None)

    # ---- the monitor's globals
    extra = gbase
    ml.heads = list(range(extra, extra + len(ml.groups)))
    ml.tails = list(range(extra + len(ml.groups), extra + 2 * len(ml.groups)))
    ml.next_map = extra + 2 * len(ml.groups)
    ml.extra_globals = 2 * len(ml.groups) + 1
    ml.buffer_globals = extra + ml.extra_globals

    # ---- static report rows: shared variables (per group, after the site rows), globals, maps
    ml.static_instances = lay.has_instances
    rows = []
    for number in sorted(member_probes):
        probe = member_probes[number]
        for sym in _shared(probe):
            if sym.report:
                rows.append((type_group_key(sym.type), ReportVar(
                    sym.name, "shared", sym.type, probe.expansion.engine_id, None, None, None,
                    MemoryLocation(lay.shared_slots[(number, sym.name)]))))
    rows.extend((type_group_key(r.whamm_type), r) for r in global_aggregate_rows(lay, program))
    rows.sort(key=lambda r: r[0])
    lay.report = [r for _, r in rows]
    for g in sorted((g for g in program.globals.values() if g.report and not g.is_map
                     and not isinstance(g.type, AggType)), key=lambda g: g.name.encode()):
        lay.report.append(ReportVar(g.name, "global", g.type, None, None, None, None,
                                    GlobalLocation(lay.globals[g.name], lay.getters.get(g.name))))
    for name, mid in sorted(lay.map_ids.items(), key=lambda kv: kv[1]):
        g = program.globals[name]
        if g.report:
            lay.report.append(ReportVar(name, "map", g.type, None, None, None, None, MapLocation(mid)))
    return ml


def _align(t: WhammType) -> int:
    return 8 if size_of(t) >= 8 else 4


def _block(ml: MonitorLayout, probe: MonitorProbe, group_index: Mapping[WhammType, int]) -> SiteBlock:
    """The site block of ``probe``: each unshared variable in member and declaration order, report
    variables behind their row header."""
    region = ml.layout.region
    assert region is not None
    off = 0
    out = []
    for m in probe.members:
        engine_id = m.probe.expansion.engine_id
        for sym in m.unshared():
            name = m.names.get(sym.name, sym.name)
            off = (off + 7) // 8 * 8
            if not sym.report:
                out.append(SiteVar(m, sym, name, off))
                off += size_of(sym.type)
                continue
            t = sym.type
            wasm = "i32" if isinstance(t, MapType) else wasm_type_text(t)
            mid = f", memaddr, {name}, {t}, {wasm}, script0, ".encode()
            tail = f"{engine_id}, ".encode()
            desc = 0 if isinstance(t, MapType) else ml.desc(t)
            info = region.alloc(Info.SIZE, 4)
            region.put(info, struct.pack("<IIIII", region.string(mid), len(mid), region.string(tail), len(tail),
                                         desc))
            out.append(SiteVar(m, sym, name, off + HEADER_SIZE, off, info, group_index[t]))
            off += HEADER_SIZE + size_of(t)
    return SiteBlock((off + 7) // 8 * 8, tuple(out))


