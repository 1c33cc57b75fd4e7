"""The code-generation environment of one site (REWRITING.md §6–§7): its saved operands, static
bindings, slots and frame locals, and the module-wide context every site shares.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence, TYPE_CHECKING

from compiler.backend.instrs import Code, CodegenError, LocalPool, const, flat
from compiler.backend.lowering import BodyCompiler, contains_return
from compiler.backend.storage import (
    ConstStorage, FrameStorage, GlobalStorage, LocalStorage, MemStorage, OperandStorage, Storage,
)
from compiler.backend.target import Env
from compiler.errors import InternalError
from compiler.events.variables import function, operand_read, variable
from compiler.lang import ast
from compiler.lang.diagnostics import Diagnostic
from compiler.lang.scopes import Callee, CheckedProbe, Symbol, VarKind
from compiler.lang.types import MapType, Prim, WhammType
from compiler.sites.finding import slot_table
from compiler.sites.matching import MatchedSite, SiteError
from compiler.sites.static_calls import StaticCallError, app_memory_builtin
from compiler.wasm.model import FuncType, Instr, MemArg

if TYPE_CHECKING:
    from compiler.backend.link import TypeTable
    from compiler.lang.scopes import Program
    from compiler.rewrite.layout import Layout
    from compiler.rewrite.templates import Template
    from compiler.wasm.model import Module
    from compiler.wasm.remap import Remap

__all__ = ["ProbeInfo", "probe_info", "ModuleContext", "site_error", "SiteEnv"]


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
        if isinstance(n, (ast.Assign, ast.IncDec)) and isinstance(n.target, ast.Name) and \
                n.target.id.startswith("arg"):
            writes = True
    return ProbeInfo(k, m, locals_, zeroed, writes)


@dataclass(slots=True, eq=False)
class ModuleContext:
    """What every function's rewriting shares: the input module, program, layout, knobs and caches."""

    module: Module
    program: Program
    layout: Layout
    types: TypeTable
    remap: Remap
    no_body: bool = False
    no_pred: bool = False
    no_bundle: bool = False
    flush_functions: frozenset[int] = frozenset()
    proc_exit: frozenset[int] = frozenset()          # input indices of imported proc_exit functions
    exit_func: int | None = None
    fnames: Mapping[int, str] = field(default_factory=dict)
    probe_bindings: Mapping[str, object] = field(default_factory=dict)   # APP_MEMID, outside sites
    proc_exit_callers: frozenset[int] = frozenset()   # functions containing a proc_exit call
    infos: dict[int, ProbeInfo] = field(default_factory=dict)
    templates: dict[tuple, Template] = field(default_factory=dict)
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


def site_error(program: Program, message: str, span: object, site: MatchedSite) -> SiteError:
    """A per-site error (REWRITING.md §5) pointing at the probe (or the offending node)."""
    diag = Diagnostic.error(message, span or site.probe.probe.rule.span)  # type: ignore[arg-type]
    return SiteError([diag.with_note("note", f"at {site.location}")], program.source, program.filename)


class SiteEnv(Env):
    """Code generation for one matched site: storage of every variable kind, dynamic bound variables
    and bound functions, all resolved against the layout and this site's saved operands.  ``instr`` is
    the site's instruction as the input numbers it (its function and memory immediates are input
    indices, mapped with the layout's ``out_func``/``out_memory`` where code uses them)."""

    def __init__(self, ctx: ModuleContext, probe: CheckedProbe, site: MatchedSite | None, pool: LocalPool,
                 frames: dict[tuple[str, WhammType], LocalStorage] | None, instr: Instr | None) -> None:
        self.ctx = ctx
        self.probe = probe
        self.site = site
        self.instr = instr
        self.pool = pool
        self.frames = frames
        self.layout = ctx.layout
        self.memory = ctx.layout.memory
        self.args: list[int] = []          # saved operand locals, arg0 first
        self.results: list[int] = []       # saved result locals, res0 first
        self.locals: dict[int, Storage] = {}   # probe-local symbols by id
        self.alt_label: object = None
        self.dedicated = False
        self.bindings: Mapping[str, object] = site.bindings if site is not None else ctx.probe_bindings

    # -- Env -----------------------------------------------------------------------------------

    def storage(self, sym: Symbol) -> Storage:
        kind = sym.kind
        lay = self.layout
        if kind is VarKind.GLOBAL:
            return global_storage(lay, sym)
        if kind is VarKind.UNSHARED:
            if isinstance(sym.type, MapType):
                return ConstStorage(sym.type, lay.site_maps[id(self.site)][sym.name])
            return MemStorage(sym.type, lay.memory, lay.slot(self.site, sym.name))
        if kind is VarKind.SHARED:
            key = (self.probe.number, sym.name)
            if isinstance(sym.type, MapType):
                return ConstStorage(sym.type, lay.shared_maps[key])
            return MemStorage(sym.type, lay.memory, lay.shared_slots[key])
        if kind is VarKind.FRAME:
            if self.frames is None:
                raise CodegenError(f"frame variable `{sym.name}` cannot be used here")
            local = self.frames.get((sym.name, sym.type))
            if local is None:
                local = self.frames[(sym.name, sym.type)] = LocalStorage(
                    sym.type, tuple(self.pool.new(w) for w in flat(sym.type)))
            slot = lay.frame_slots.get((self.site.fid, sym.name, sym.type))
            return FrameStorage(sym.type, local, None if slot is None else MemStorage(sym.type, lay.memory, slot))
        if kind is VarKind.PROBE_LOCAL:
            st = self.locals.get(id(sym))
            if st is None:
                st = self.locals[id(sym)] = LocalStorage(sym.type, tuple(self.pool.temp(w) for w in flat(sym.type)))
            return st
        if kind is VarKind.BOUND:
            return self.operand(sym.name, sym.type)
        raise CodegenError(f"`{sym.name}` cannot be used here")

    def operand(self, name: str, t: WhammType) -> OperandStorage:
        """Storage of ``argN``/``resN`` (the local the site saved the operand or result in) or ``localN`` (the
        application's local itself), so bodies can read and assign them."""
        mm = re.fullmatch(r"(arg|res|local)(\d+)", name)
        if mm is None:
            raise CodegenError(f"cannot assign to `{name}`")
        n = int(mm[2])
        if mm[1] == "local":
            return OperandStorage(t, n)
        saved = self.args if mm[1] == "arg" else self.results
        if n >= len(saved):
            raise CodegenError(f"`{name}` is not available at this site")
        return OperandStorage(t, saved[n])

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

    # -- dynamic bound variables (EVENTS.md §7–§8) ----------------------------------------------

    def arg(self, code: Code, n: int, t: WhammType = Prim.U32) -> None:
        """Push the site's saved operand ``n`` as type ``t``."""
        self.operand(f"arg{n}", t).load(code, self)

    def bound(self, code: Code, compiler: BodyCompiler, name: str, t: WhammType) -> None:
        """Push dynamic bound variable ``name``: the ``lower_*`` method its row names
        (:mod:`compiler.events.variables`)."""
        lowering = variable(name).lowering
        if lowering is None:
            raise CodegenError(f"`{name}` is not available at this site")
        getattr(self, lowering)(code, name, t)

    def event_site(self, name: str) -> MatchedSite:
        """The site whose instruction binds ``name`` (probes outside sites have no event variables)."""
        if self.site is None:
            raise CodegenError(f"`{name}` is not available here")
        return self.site

    def site_static(self, site: MatchedSite, name: str) -> int:
        """A static binding a lowering builds on (``offset``, ``num_targets``); its binder always binds it
        at the events whose variables need it, so a missing one is a bug."""
        value = site.bindings.get(name)
        if value is None:
            raise InternalError(f"site {site.location} has no static `{name}`")
        return int(value)  # type: ignore[call-overload]

    def lower_operand(self, code: Code, name: str, t: WhammType) -> None:
        """``argN``, ``resN``, ``localN``: the saved operand or result, or the function's local."""
        self.operand(name, t).load(code, self)

    def lower_addr(self, code: Code, name: str, t: WhammType) -> None:
        """``addr``: the event's address operand ``argK`` (EVENTS.md §8.3)."""
        event = self.event_site(name).probe.event
        assert event is not None and event.mem is not None
        self.arg(code, event.mem.addr_arg)

    def lower_effective_addr(self, code: Code, name: str, t: WhammType) -> None:
        """``effective_addr``: ``addr`` plus the site's static offset, wrapping as i32."""
        self.lower_addr(code, name, t)
        code.add(const("i32", self.site_static(self.event_site(name), "offset")))
        code.emit("i32.add")

    def lower_table_entry_idx(self, code: Code, name: str, t: WhammType) -> None:
        """``table_entry_idx``: ``arg0``, the table slot (EVENTS.md §8.2)."""
        self.event_site(name)
        self.arg(code, 0, Prim.I32)

    def lower_target_funcref(self, code: Code, name: str, t: WhammType) -> None:
        """``target_funcref``: the element in slot ``arg0`` of the site's table."""
        self.event_site(name)
        self.arg(code, 0, Prim.I32)
        code.emit("table.get", self.site_table())

    def lower_resolved_fid(self, code: Code, name: str, t: WhammType) -> None:
        """``resolved_fid`` where dynamic: the input function index in slot ``arg0`` per the table's
        shadow (REWRITING.md §15)."""
        self.event_site(name)
        self.arg(code, 0, Prim.I32)
        self.shadow_lookup(code)

    def lower_target(self, code: Code, name: str, t: WhammType) -> None:
        """``target``: ``arg0 <= (num_targets - 1) ? arg0 : num_targets`` (EVENTS.md §8.4)."""
        n = self.site_static(self.event_site(name), "num_targets")
        self.arg(code, 0)
        code.emit("i32.const", n)
        self.arg(code, 0)
        code.add(const("i32", n - 1))
        code.emit("i32.le_u")
        code.emit("select")

    def lower_failed(self, code: Code, name: str, t: WhammType) -> None:
        """``failed``: ``res0 == -1`` (memory.grow)."""
        self.event_site(name)
        self.operand("res0", Prim.I32).load(code, self)
        code.emit("i32.const", -1)
        code.emit("i32.eq")

    def site_table(self) -> int:
        """The table the site's instruction reads (``call_indirect``, ``table.get`` …)."""
        assert self.instr is not None
        return slot_table(self.instr)

    def shadow_lookup(self, code: Code) -> None:
        """The table index on the stack → the input function index in the shadow, or -1 (§15).  The
        layout reserves a shadow for every table a site reads one of, so a missing one is a bug."""
        table = self.site_table()
        shadow = self.layout.shadows.get(table)
        if shadow is None:
            raise InternalError(f"no shadow reserved for table {table}")
        t = self.pool.temp("i32")
        code.emit("local.set", t)
        addr, size = shadow
        code.emit("local.get", t)
        code.emit("i32.const", size)
        code.emit("i32.lt_u")
        code.open("if", "i32")
        code.emit("local.get", t)
        code.emit("i32.const", 2)
        code.emit("i32.shl")
        code.emit("i32.load", MemArg(2, addr, self.memory))
        code.emit("else")
        code.emit("i32.const", -1)
        code.end()
        self.pool.release(t)

    def bound_call(self, code: Code, compiler: BodyCompiler, e: ast.Call, callee: Callee) -> None:
        """Compile a call of an event's bound function: the ``call_*`` method its row names
        (:mod:`compiler.events.variables`)."""
        getattr(self, function(callee.name).lowering)(code, compiler, e, callee.name)

    def call_drop_args(self, code: Code, compiler: BodyCompiler, e: ast.Call, name: str) -> None:
        """``drop_args()``: nothing (alt probes consume every operand anyway)."""

    def call_alt_call(self, code: Code, compiler: BodyCompiler, e: ast.Call, name: str) -> None:
        """``alt_call_by_id``/``alt_call_by_name``: call the other function with the saved arguments and
        leave the alt probe (its results replace the call's)."""
        if self.alt_label is None:
            raise CodegenError(f"{name} can only be used in alt probes", e.span)
        fid = self.alt_target(e, name)
        ins = self.instr
        assert ins is not None
        original = self.ctx.module.func_type(ins.imms[0])
        if self.ctx.module.func_type(fid) != original:
            raise CodegenError(f"{name}: function {fid} does not have the type of the original callee", e.span)
        for i in reversed(self.args):
            code.emit("local.get", i)
        code.emit("call", self.layout.out_func(fid))
        code.br(self.alt_label)

    def call_resolve_funcref(self, code: Code, compiler: BodyCompiler, e: ast.Call, name: str) -> None:
        """``resolve_funcref(ref, idx)``: evaluate and drop ``ref``, then the shadow entry ``idx``."""
        compiler.expr(e.args[0])
        code.emit("drop")
        compiler.expr(e.args[1])
        self.shadow_lookup(code)

    def alt_target(self, e: ast.Call, name: str) -> int:
        """The input function ``alt_call_by_id``/``alt_call_by_name`` calls: a constant id in range, or the
        first defined function of that name; anything else is an error at the argument."""
        arg = e.args[0]
        if name == "alt_call_by_id":
            if not isinstance(arg, ast.IntLit):
                raise CodegenError("the function id must be a compile-time constant", arg.span)
            fid = arg.value
            if not 0 <= fid < self.ctx.module.num_imported_funcs + len(self.ctx.module.functions):
                raise CodegenError(f"no function with index {fid}", arg.span)
            return fid
        if not isinstance(arg, ast.StrLit):
            raise CodegenError("the function name must be a compile-time constant", arg.span)
        wanted = arg.value.decode(errors="replace")
        first = self.ctx.module.num_imported_funcs
        for fid, fname in sorted(self.ctx.fnames.items()):
            if fid >= first and fname == wanted:
                return fid
        raise CodegenError(f"alt_call_by_name: no function named {wanted!r}", arg.span)

    def call_dup_at(self, code: Code, compiler: BodyCompiler, e: ast.Call, name: str) -> None:
        """Repeat the bulk-memory operation with its destination at ``dst_addr`` of ``dst_mem``."""
        ins = self.instr
        assert ins is not None
        dst_mem = compiler.memid_arg(e.args[0])
        compiler.expr(e.args[1])
        self.arg(code, 1)
        self.arg(code, 0)
        name = ins.op.name
        if name == "memory.copy":
            code.emit("memory.copy", dst_mem, self.layout.out_memory(ins.imms[1]))
        elif name == "memory.fill":
            code.emit("memory.fill", dst_mem)
        elif name == "memory.init":
            code.emit("memory.init", ins.imms[0], dst_mem)
        else:
            raise CodegenError("dup_at is only available at memory.copy, memory.fill and memory.init", e.span)


def global_storage(lay: Layout, sym: Symbol) -> Storage:
    """A script-level variable's storage: its output globals, or a map's constant id."""
    if isinstance(sym.type, MapType):
        return ConstStorage(sym.type, lay.map_ids[sym.name])
    return GlobalStorage(sym.type, lay.globals[sym.name])


def compile_body(ctx: ModuleContext, site: MatchedSite, env: SiteEnv, info: ProbeInfo) -> list[Instr]:
    """``[P] BODY`` of one site, compiled from its folded predicate and body (§6 notation)."""
    f = site.folded
    body = f.body
    c = BodyCompiler(env)
    c.skip_init_calls = True
    code = c.code
    stmts = () if ctx.no_body or body is None else body.stmts
    pred = f.predicate if not ctx.no_pred else True
    if pred is True and not stmts:
        return []
    if pred is not True:
        c.cond(pred)  # type: ignore[arg-type]
        c.ret_label = code.open("if", None)
    elif body is not None and contains_return(body):
        c.ret_label = code.open("block", None)
    c.zero(info.zeroed)
    for s in stmts:
        c.stmt(s)
    if c.ret_label is not None:
        code.end()
    return code.instrs
