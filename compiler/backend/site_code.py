"""The code-generation environment both targets build on (REWRITING.md §6–§9, WEI.md §5): the
module-wide context, what a probe's code needs at every site, and the storage of the variables whose
place does not depend on a site.

A rewritten site (``SiteEnv`` in ``rewrite/site_env.py``), a monitor callback
(:class:`compiler.wei.codegen.MonitorEnv`) and the code outside sites
(:class:`compiler.backend.script_code.ScriptEnv`) differ in where unshared, frame and bound variables
live; script-level globals, shared slots, probe locals, functions, strings and memories are resolved
against the shared :class:`~compiler.backend.state.Layout` the same way, here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence, TYPE_CHECKING

from compiler.backend.instrs import CodegenError, LocalPool, flat
from compiler.backend.storage import ConstStorage, GlobalStorage, LocalStorage, MemStorage, OperandStorage, Storage
from compiler.backend.target import Env
from compiler.errors import InternalError
from compiler.events import wasi
from compiler.events.variables import operand_read
from compiler.lang import ast
from compiler.lang.scopes import CheckedProbe, Symbol, VarKind
from compiler.lang.types import AggType, MapType, WhammType
from compiler.sites.static_calls import StaticCallError, app_memory_builtin
from compiler.wasm.model import FuncType

if TYPE_CHECKING:
    from compiler.backend.link import TypeTable
    from compiler.backend.state import Layout
    from compiler.lang.scopes import Program
    from compiler.wasm.model import Module
    from compiler.wasm.remap import Remap

__all__ = ["ALL", "ProbeInfo", "probe_info", "ModuleContext", "ProbeEnv", "global_storage"]


ALL = -1


@dataclass(frozen=True, slots=True)
class ProbeInfo:
    """What a probe's code needs at every site: operands to save (``ALL`` for every one), results to
    save, its probe-local variables (and which need zeroing per visit, D2), and whether it returns."""

    args: int
    results: int
    locals: tuple[Symbol, ...]
    zeroed: tuple[Symbol, ...]
    writes_args: bool


def probe_info(probe: CheckedProbe) -> ProbeInfo:
    """§6: ``k = 1 + the highest operand index referenced`` (derived variables included; ``dup_at`` and
    ``alt`` need all operands)."""
    k = m = 0
    event = probe.event
    if probe.package == "p1":            # wasi:p1 variables read the call's arguments and its errno
        return _wasi_info(probe)
    addr_arg = event.mem.addr_arg if event is not None and event.mem is not None else None
    for name, var in probe.bound_used.items():
        read = None if var.static else operand_read(name, addr_arg)   # the row's `reads`
        if read is not None:
            if read[0] == "arg":
                k = max(k, read[1] + 1)
            else:
                m = max(m, read[1] + 1)
    if probe.is_alt or any(c.name == "dup_at" for c in probe.callees()):
        k = ALL
    locals_ = tuple(s for s in probe.symbols if s.kind is VarKind.PROBE_LOCAL)
    top = {s.symbol for s in probe.body.stmts if isinstance(s, ast.VarDecl) and s.init is not None}
    zeroed = tuple(s for s in locals_ if s not in top)
    writes = False
    for n in ast.walk(probe.probe.body):
        if isinstance(n, (ast.Assign, ast.CompoundAssign, ast.IncDec)) and isinstance(n.target, ast.Name) and \
                n.target.id.startswith("arg"):
            writes = True
    return ProbeInfo(k, m, locals_, zeroed, writes)


def _wasi_info(probe: CheckedProbe) -> ProbeInfo:
    """A ``wasi:p1`` probe saves every argument of the call (its variables are computed from them) and, in
    ``after`` mode, the errno result; it never assigns them."""
    locals_ = tuple(s for s in probe.symbols if s.kind is VarKind.PROBE_LOCAL)
    top = {s.symbol for s in probe.body.stmts if isinstance(s, ast.VarDecl) and s.init is not None}
    after = probe.mode == "after" and wasi.function(probe.expansion.event).returns_errno  # type: ignore[arg-type]
    return ProbeInfo(ALL, 1 if after else 0, locals_, tuple(s for s in locals_ if s not in top), False)


@dataclass(slots=True, eq=False)
class ModuleContext:
    """What all code of one output module shares: the input module, program, layout, knobs and caches
    (the monitor's code reads the same fields; the proc_exit and template fields are the rewriting
    target's)."""

    module: Module
    program: Program
    layout: Layout
    types: TypeTable
    remap: Remap
    no_body: bool = False
    no_pred: bool = False
    no_bundle: bool = False
    counters: Mapping[object, tuple] = field(default_factory=dict)   # coalesced counters (rewrite.coalesce)
    flush_functions: frozenset[int] = frozenset()
    proc_exit: frozenset[int] = frozenset()          # input indices of imported proc_exit functions
    exit_func: int | None = None
    fnames: Mapping[int, str] = field(default_factory=dict)
    probe_bindings: Mapping[str, object] = field(default_factory=dict)   # APP_MEMID, outside sites
    proc_exit_callers: frozenset[int] = frozenset()   # functions containing a proc_exit call
    infos: dict[int, ProbeInfo] = field(default_factory=dict)
    templates: dict[tuple, object] = field(default_factory=dict)   # the rewriting target's compiled templates
    templatable: dict[int, bool] = field(default_factory=dict)

    def info(self, probe: CheckedProbe) -> ProbeInfo:
        """What the code generators need to know about a probe (:func:`probe_info`), computed once per probe number."""
        number = probe.expansion.number
        info = self.infos.get(number)
        if info is None:
            info = self.infos[number] = probe_info(probe)
        return info

    def blocktype(self, results: Sequence) -> object:
        """A block type for ``results``: none, the value type itself, or a function type index for several."""
        if not results:
            return None
        if len(results) == 1:
            return results[0]
        return self.types.func(FuncType((), tuple(results)))


class ProbeEnv(Env):
    """Code generation for one probe's code against the shared layout: script-level, shared and
    probe-local variables, functions, strings, memories and the module's static bindings.  Subclasses
    say where the rest lives — per-site slots, frame locals and bound variables at a rewritten site,
    parameters in a monitor callback, function locals outside sites."""

    def __init__(self, ctx: ModuleContext, probe: CheckedProbe | None, pool: LocalPool) -> None:
        self.ctx = ctx
        self.probe = probe
        self.pool = pool
        self.layout = ctx.layout
        self.memory = ctx.layout.memory
        self.locals: dict[int, Storage] = {}   # probe-local symbols by id
        self.bindings: Mapping[str, object] = ctx.probe_bindings

    # -- Env -----------------------------------------------------------------------------------

    def storage(self, sym: Symbol) -> Storage:
        kind = sym.kind
        lay = self.layout
        if kind is VarKind.GLOBAL:
            return global_storage(lay, sym)
        if kind is VarKind.SHARED:
            key = (self.probe.number, sym.name)
            if isinstance(sym.type, MapType):
                return ConstStorage(sym.type, lay.shared_maps[key])
            return MemStorage(sym.type, lay.memory, lay.shared_slots[key])
        if kind is VarKind.PROBE_LOCAL:
            st = self.locals.get(id(sym))
            if st is None:
                st = self.locals[id(sym)] = LocalStorage(sym.type, tuple(self.pool.temp(w) for w in flat(sym.type)))
            return st
        if kind is VarKind.BOUND:
            return self.operand(sym.name, sym.type)
        raise CodegenError(f"`{sym.name}` cannot be used here")

    def operand(self, name: str, t: WhammType) -> OperandStorage:
        """Storage of an operand-like bound variable (``argN``, ``resN``, ``localN`` …); none outside a
        site or callback."""
        raise CodegenError(f"`{name}` is not available here")

    def func(self, name: str) -> int:
        lay = self.layout
        index = lay.functions.get(name)
        if index is None:
            index = lay.runtime.get(name)
        if index is None:
            raise InternalError(f"the layout has no function {name}")
        return index

    def string(self, data: bytes) -> int:
        return self.layout.string(data)

    def blocktype(self, results: tuple[str, ...]) -> object:
        return self.ctx.blocktype(results)

    def library_func(self, library: str, name: str) -> int:
        if library == "whamm_core":
            return self.func(name)
        return self.layout.library_funcs[(library, name)]

    def memory_index(self, memid: int) -> int:
        app_memories = self.ctx.module.memory_limits()
        if memid < len(app_memories) and app_memories[memid].is64:  # the built-ins pass i32 addresses
            raise CodegenError(f"memory64 is not supported: application memory {memid} has 64-bit addresses")
        try:
            return self.layout.memory_of(memid)
        except (IndexError, ValueError):
            raise CodegenError(f"no memory with id {memid}") from None

    def memid(self, library: str) -> int:
        return self.layout.memid(library)

    def scratch(self) -> int:
        return self.layout.scratch

    def static(self, name: str) -> object:
        return self.bindings.get(name)

    def constant(self, name: str) -> object:
        return self.ctx.program.constants.get(name)

    def static_builtin(self, name: str, memid: int) -> int:
        try:
            return app_memory_builtin(self.ctx.module, name, memid)
        except StaticCallError as exc:
            raise CodegenError(str(exc)) from None


def global_storage(lay: Layout, sym: Symbol) -> Storage:
    """A script-level variable's storage: its output globals, or a map's constant id."""
    if isinstance(sym.type, MapType):
        return ConstStorage(sym.type, lay.map_ids[sym.name])
    if isinstance(sym.type, AggType):
        return MemStorage(sym.type, lay.memory, lay.agg_slots[sym.name])
    return GlobalStorage(sym.type, lay.globals[sym.name])
