"""The layout both targets share (REWRITING.md §3, §9, §11, §14; WEI.md §3): where the script's state
lives in the module a target writes, and the static region of the instrumentation memory.

The rewriting target places per-site state at compile time (``rewrite/layout.py``), the wei
target per-site blocks at match time (:mod:`compiler.wei.layout`); everything else — added imports and
functions, the script's globals, shared slots, map ids, scratch areas, string literals, report rows and
getters — is decided the same way and read through :class:`Layout` by the shared code generator
(:mod:`compiler.backend.lowering`), the code outside sites (:mod:`compiler.backend.script_code`) and the
report.  So it lives here, below both targets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compiler.backend.runtime_abi import value_size
from compiler.backend.uses import Uses
from compiler.errors import WhammError
from compiler.files import read_regular_file
from compiler.lang import ast
from compiler.lang.scopes import Program
from compiler.lang.types import AggType, MapType, WhammType, wasm_types
from compiler.report.rows import MemoryLocation, ReportVar
from compiler.wasm.model import ExternKind
from compiler.wasm.reader import read_module

if TYPE_CHECKING:
    from compiler.lang.folder import Folded

__all__ = ["StaticRegion", "Layout", "size_of", "folded_nodes", "place_script_globals", "LibraryMemory",
           "library_memory", "place_global_aggregates", "global_aggregate_rows"]


class StaticRegion:
    """The instrumentation memory's static part ``[base, end)``: slots, tables and strings, with their
    initial bytes (everything else starts zeroed)."""

    def __init__(self, base: int) -> None:
        self.base = base
        self.end = base
        self.init = bytearray()
        self.strings: dict[bytes, int] = {}

    def alloc(self, size: int, align: int = 8) -> int:
        """Reserve ``size`` bytes aligned to ``align`` at the end of the region; returns their address."""
        addr = (self.end + align - 1) // align * align
        self.end = addr + max(size, 0)
        return addr

    def put(self, addr: int, data: bytes) -> None:
        """Initial bytes at ``addr`` (within the region; bytes never put start as zero)."""
        off = addr - self.base
        if len(self.init) < off + len(data):
            self.init.extend(bytes(off + len(data) - len(self.init)))
        self.init[off:off + len(data)] = data

    def string(self, data: bytes) -> int:
        """The address of a literal (deduplicated, §9 "string literals")."""
        addr = self.strings.get(data)
        if addr is None:
            addr = self.alloc(len(data), 1)
            self.put(addr, data)
            self.strings[data] = addr
        return addr

    def segments(self, min_gap: int = 32) -> list[tuple[int, bytes]]:
        """The non-zero parts of the initial bytes as ``(address, bytes)`` runs: memory starts zeroed,
        so runs of at least ``min_gap`` zero bytes are left out."""
        data = bytes(self.init)
        out: list[tuple[int, bytes]] = []
        pos = 0
        for m in re.finditer(b"\\x00{%d,}" % min_gap, data):
            if m.start() > pos:
                out.append((self.base + pos, data[pos:m.start()]))
            pos = m.end()
        if pos < len(data):
            out.append((self.base + pos, data[pos:].rstrip(b"\x00")))
        return [(a, d) for a, d in out if d]


def size_of(t: WhammType) -> int:
    """Bytes of a variable slot (maps hold their ``i32`` id)."""
    return 4 if isinstance(t, MapType) else value_size(t)


def folded_nodes(folded: Folded) -> list[ast.Node]:
    """The nodes of a folded probe that will be compiled: predicate, body, initialisers."""
    out: list[ast.Node] = []
    if isinstance(folded.predicate, ast.Node):
        out.append(folded.predicate)
    if folded.body is not None:
        out.append(folded.body)
    out.extend(folded.inits.values())
    return out


@dataclass(slots=True)
class Layout:
    """The placement decisions both targets' code reads (module docstring).  Function, global and memory
    indices are **output** indices; ``fid``s in report rows stay input indices (REWRITING.md guarantee
    2.6).  The rewriting target extends it with its per-site slots and table shadows."""

    # functions
    func_imports: int                       # the application's imported functions
    func_shift: int                         # added function imports (they precede defined functions)
    added_imports: list[tuple[str, object]] = field(default_factory=list)  # ("fd_write"|"lib", what)
    fd_write: int | None = None
    clock: int | None = None                # WASI clock_time_get, when `nsecs` is read (backend/clock.py)
    clock_scratch: int = 0                  # the 8 bytes it writes the time to (unless borrowing)
    library_funcs: dict[tuple[str, str], int] = field(default_factory=dict)
    runtime: dict[str, int] = field(default_factory=dict)  # runtime export → output index
    runtime_base: int = 0
    functions: dict[str, int] = field(default_factory=dict)  # generated functions by name
    generated: list[str] = field(default_factory=list)       # their names in index order
    # memories
    mem_shift: int = 0                      # added memory imports
    app_memories: int = 0                   # memories of the input (imports first)
    app_memory_imports: int = 0
    library_memories: dict[str, int] = field(default_factory=dict)
    library_order: list[str] = field(default_factory=list)   # used libraries (memid numbering)
    memory: int = -1                        # the instrumentation memory, -1 if none
    borrow: tuple[int, int, bool, bool] | None = None
    # globals
    globals: dict[str, tuple[int, ...]] = field(default_factory=dict)
    global_types: list[str] = field(default_factory=list)    # types of the globals this emit adds
    exit_flag: int | None = None
    # memory contents
    region: StaticRegion | None = None
    scratch: int = 0                        # map keys and values
    write_scratch: int = 0                  # the output writer's iovec / saved region
    value_scratch: int = 0                  # a global report value being printed
    shared_slots: dict[tuple[int, str], int] = field(default_factory=dict)
    shared_maps: dict[tuple[int, str], int] = field(default_factory=dict)
    maps: list[tuple[int, MapType]] = field(default_factory=list)
    map_ids: dict[str, int] = field(default_factory=dict)    # script-level maps
    agg_slots: dict[str, int] = field(default_factory=dict)  # script-level aggregates' addresses
    # what the program needs
    uses: Uses = field(default_factory=Uses)
    can_print: bool = False
    needs_exit: bool = False
    has_instances: bool = False
    report: list[ReportVar] = field(default_factory=list)
    getters: dict[str, str] = field(default_factory=dict)   # variable → export name

    def out_func(self, fid: int) -> int:
        """Output index of input function ``fid``."""
        return fid + self.func_shift if fid >= self.func_imports else fid

    def out_memory(self, index: int) -> int:
        """Output index of input memory ``index``."""
        return index + self.mem_shift if index >= self.app_memory_imports else index

    def memory_of(self, memid: int) -> int:
        """Output memory index of a script memory id (LANGUAGE.md §11.1)."""
        a = self.app_memories
        if memid < a:
            return self.out_memory(memid)
        if memid == a:
            if self.memory < 0:
                raise ValueError("the instrumentation memory is not present")
            return self.memory
        lib = self.library_order[memid - a - 1]
        return self.library_memories[lib]

    def memid(self, library: str) -> int:
        """``memid(lib)``: the instrumentation memory for ``whamm_core``, else ``A + 1 + k``."""
        if library == "whamm_core":
            return self.app_memories
        return self.app_memories + 1 + self.library_order.index(library)

    @property
    def has_runtime(self) -> bool:
        """Whether the output links the runtime and has an instrumentation memory (a script of numeric globals
        only needs neither, REWRITING.md §2)."""
        return self.memory >= 0

    def string(self, data: bytes) -> int:
        """The address of a string literal in the static region (deduplicated)."""
        assert self.region is not None
        return self.region.string(data)


def place_script_globals(lay: Layout, program: Program, first: int) -> int:
    """Give each non-map script variable one Wasm global per flattened value (REWRITING.md §9), from
    global index ``first``, then the exit sequence's run-once flag if there is an exit sequence (§10).
    Returns the next free global index.  Shared by both targets."""
    index = first
    for g in program.globals.values():
        if g.is_map or isinstance(g.type, AggType):
            continue
        types = wasm_types(g.type)
        lay.globals[g.name] = tuple(range(index, index + len(types)))
        lay.global_types.extend(types)
        index += len(types)
    if lay.needs_exit:
        lay.exit_flag = index
        lay.global_types.append("i32")
        index += 1
    return index


def place_global_aggregates(lay: Layout, program: Program) -> None:
    """A slot of the static region for each script-level aggregate (ANALYSIS.md §1): aggregates are
    updated in place by the runtime, so they live in memory, not in Wasm globals.  Shared by both targets."""
    assert lay.region is not None
    for g in program.globals.values():
        if isinstance(g.type, AggType):
            lay.agg_slots[g.name] = lay.region.alloc(size_of(g.type), 8)


def global_aggregate_rows(lay: Layout, program: Program) -> list[ReportVar]:
    """The ``memaddr`` report rows of the script-level report aggregates, by name (they follow the other
    rows of their type group, REWRITING.md §11.3)."""
    return [ReportVar(g.name, "global", g.type, None, None, None, None, MemoryLocation(lay.agg_slots[g.name]))
            for g in sorted(program.globals.values(), key=lambda g: g.name.encode())
            if g.report and isinstance(g.type, AggType)]


@dataclass(frozen=True, slots=True)
class LibraryMemory:
    """A library's first exported memory: its export name and declared limits (for the import)."""

    export: str
    limits: object


def library_memory(program: Program, lib: str, data: bytes | None) -> LibraryMemory:
    """The memory ``memid(lib)`` imports: the library's first exported memory (REWRITING.md §13.2; the wei
    monitor imports it the same way, WEI.md §3).  Both targets call this one function."""
    library = program.libraries[lib]
    if data is None:
        if library.path is None:
            raise WhammError(f"the memory of library {lib} is needed (memid) but its module is not available")
        try:
            data = read_regular_file(library.path)
        except OSError as exc:
            raise WhammError(f"cannot read library {lib} '{library.path}': {exc.strerror or exc}") from None
    m = read_module(data)
    mems = [e for e in m.exports if e.kind == ExternKind.MEMORY]
    if not mems:
        raise WhammError(f"library {lib} exports no memory (memid({lib}) needs one)")
    return LibraryMemory(mems[0].name, m.memory_limits()[mems[0].index])
