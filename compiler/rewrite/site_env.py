"""The code-generation environment of one rewritten site (REWRITING.md §6–§7): its saved operands,
unshared slots, frame locals, dynamic bound variables and bound functions, on top of what every
target's code shares (:mod:`compiler.backend.site_code`: the module-wide context, probe facts, the
storage of script, shared and probe-local variables).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from compiler.backend.instrs import Code, CodegenError, LocalPool, const, flat
from compiler.backend.lowering import BodyCompiler, contains_return
from compiler.backend.site_code import ModuleContext, ProbeEnv, ProbeInfo
from compiler.backend.storage import (
    ConstStorage, FrameAggStorage, FrameStorage, LocalStorage, MemStorage, OperandStorage, Storage,
)
from compiler.errors import InternalError
from compiler.events.variables import function, variable
from compiler.lang import ast
from compiler.lang.diagnostics import Diagnostic
from compiler.lang.scopes import Callee, CheckedProbe, Symbol, VarKind
from compiler.lang.types import AggType, MapType, Prim, WhammType
from compiler.sites.finding import slot_table
from compiler.sites.matching import MatchedSite, SiteError
from compiler.rewrite.wasi_env import is_wasi_var, lower_wasi, track_fd_path
from compiler.wasm.model import Instr, MemArg

if TYPE_CHECKING:
    from compiler.lang.scopes import Program

__all__ = ["site_error", "SiteEnv", "compile_body"]


def site_error(program: Program, message: str, span: object, site: MatchedSite) -> SiteError:
    """A per-site error (REWRITING.md §5) pointing at the probe (or the offending node)."""
    diag = Diagnostic.error(message, span or site.probe.probe.rule.span)  # type: ignore[arg-type]
    return SiteError([diag.with_note("note", f"at {site.location}")], program.source, program.filename)


class SiteEnv(ProbeEnv):
    """Code generation for one matched site: on top of :class:`~compiler.backend.site_code.ProbeEnv`,
    the site's unshared slots, frame locals and frame aggregates, saved operands, dynamic bound variables and bound
    functions.  ``instr`` is the site's instruction as the input numbers it (its function and memory
    immediates are input indices, mapped with the layout's ``out_func``/``out_memory`` where code uses
    them)."""

    def __init__(self, ctx: ModuleContext, probe: CheckedProbe, site: MatchedSite | None, pool: LocalPool,
                 frames: dict[tuple[str, WhammType], LocalStorage | FrameAggStorage] | None,
                 instr: Instr | None) -> None:
        super().__init__(ctx, probe, pool)
        self.site = site
        self.instr = instr
        self.frames = frames
        self.args: list[int] = []          # saved operand locals, arg0 first
        self.results: list[int] = []       # saved result locals, res0 first
        self.alt_label: object = None
        self.dedicated = False
        if site is not None:
            self.bindings = site.bindings

    def storage(self, sym: Symbol) -> Storage:
        kind = sym.kind
        lay = self.layout
        if kind is VarKind.UNSHARED:
            if isinstance(sym.type, MapType):
                return ConstStorage(sym.type, lay.site_maps[id(self.site)][sym.name])
            return MemStorage(sym.type, lay.memory, lay.slot(self.site, sym.name))
        if kind is VarKind.FRAME:
            if self.frames is None:
                raise CodegenError(f"frame variable `{sym.name}` cannot be used here")
            local = self.frames.get((sym.name, sym.type))
            if isinstance(local, FrameAggStorage):
                return local
            if isinstance(sym.type, AggType):
                raise InternalError(f"frame aggregate `{sym.name}` has no region in this function")
            if local is None:
                local = self.frames[(sym.name, sym.type)] = LocalStorage(
                    sym.type, tuple(self.pool.new(w) for w in flat(sym.type)))
            slot = lay.frame_slots.get((self.site.fid, sym.name, sym.type))
            return FrameStorage(sym.type, local, None if slot is None else MemStorage(sym.type, lay.memory, slot))
        return super().storage(sym)

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

    # -- dynamic bound variables (EVENTS.md §7–§8) ----------------------------------------------

    def arg(self, code: Code, n: int, t: WhammType = Prim.U32) -> None:
        """Push the site's saved operand ``n`` as type ``t``."""
        self.operand(f"arg{n}", t).load(code, self)

    def bound(self, code: Code, compiler: BodyCompiler, name: str, t: WhammType) -> None:
        """Push dynamic bound variable ``name``: the ``lower_*`` method its row names
        (:mod:`compiler.events.variables`); a ``wasi:p1`` variable: :func:`~compiler.rewrite.wasi_env.lower_wasi`."""
        if is_wasi_var(self, name):
            lower_wasi(self, code, name, t)
            return
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

    def lower_nsecs(self, code: Code, name: str, t: WhammType) -> None:
        """``nsecs``: a call of the generated ``whamm:nsecs`` (backend/clock.py)."""
        code.emit("call", self.func("whamm:nsecs"))

    def lower_stack_depth(self, code: Code, name: str, t: WhammType) -> None:
        """``stack_depth``: the shadow stack's depth global (rewrite/stack.py)."""
        depth = self.layout.stack_depth
        if depth is None:
            raise InternalError("stack_depth is read but the layout has no shadow stack")
        code.emit("global.get", depth)

    def lower_callstack(self, code: Code, name: str, t: WhammType) -> None:
        """``callstack``: the runtime's interned string of the shadow stack (runtime/callstack.c), whose
        ``len << 32 | ptr`` result is split into the ``str`` pair."""
        lay = self.layout
        if lay.stack_ring is None:
            raise InternalError("callstack is read but the layout has no shadow stack frames")
        self.lower_stack_depth(code, name, t)
        code.emit("i32.const", lay.stack_ring)
        code.emit("i32.const", lay.stack_names)
        code.emit("call", self.func("whamm_callstack"))
        self.split_packed_str(code)

    def split_packed_str(self, code: Code) -> None:
        """Turn the runtime's one-value string, an i64 ``len << 32 | ptr`` on the stack, into the ``str``
        pair (ptr, len) (``whamm_callstack``, ``whamm_fd_path``)."""
        packed = self.pool.temp("i64")
        code.emit("local.tee", packed)
        code.emit("i32.wrap_i64")
        code.emit("local.get", packed)
        code.emit("i64.const", 32)
        code.emit("i64.shr_u")
        code.emit("i32.wrap_i64")
        self.pool.release(packed)

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

    def call_track_fd_path(self, code: Code, compiler: BodyCompiler, e: ast.Call, name: str) -> None:
        """``track_fd_path()``: update the runtime's fd → path table after a tracked WASI call."""
        try:
            track_fd_path(self, code)
        except CodegenError as exc:
            raise CodegenError(exc.args[0], e.span) from None

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
