"""Code of a monitor probe's functions: ``$P``, ``$A``, ``$S`` callbacks and the body (WEI.md §5).

The statements and expressions are compiled by the rewriting target's
:class:`~compiler.backend.lowering.BodyCompiler`; this module supplies the two seams that differ when
there is no site at compile time:

* :class:`MonitorEnv` — bound variables are the function's **parameters** (static ones included:
  ``fid`` is a value the engine passes, not a constant), unshared variables live in the site block
  whose base the body receives first, and ``@static`` calls either read the result the engine got from
  ``$S`` (in bodies) or are ordinary library calls (inside ``$P`` and ``$S``, which run at match time);
* :class:`MonitorCompiler` — routes every non-constant bound variable and every ``@static`` call
  through the environment instead of the compile-time values the rewriter folds in.

Strings the engine passes live in the engine buffer only during the call (§3); a body that stores a
string parameter anywhere that outlives the call copies its parameters first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

from compiler.errors import InternalError
from compiler.events.variables import variable
from compiler.lang import ast
from compiler.lang.scopes import CalleeKind, VarKind, callee_of, symbol_of, type_of
from compiler.lang.types import MapType, Prim, TupleType, WhammType
from compiler.backend.lowering import BodyCompiler, contains_return
from compiler.backend.instrs import Code, CodegenError, LocalPool, flat, mem_parts, parts_range
from compiler.backend.strings import Helper
from compiler.backend.storage import LocalStorage, OperandStorage, PtrStorage, Storage
from compiler.backend.site_code import ProbeEnv, probe_info
from compiler.wasm.model import FuncType, MemArg
from compiler.wei.layout import Header
from compiler.wei.params import param_type, valtypes
from compiler.wei.plan import ALLOC_PARAMS, site_inits

if TYPE_CHECKING:
    from compiler.lang.scopes import Symbol
    from compiler.backend.site_code import ModuleContext
    from compiler.wei.layout import MonitorLayout, SiteBlock
    from compiler.wei.plan import Member, MonitorProbe

__all__ = ["MonitorEnv", "MonitorCompiler", "predicate_function", "alloc_function", "static_function",
           "body_function", "Params"]


@dataclass(slots=True)
class BlockStorage(PtrStorage):
    """A variable at ``offset`` in the site block whose base address is in local ``ptr``."""

    offset: int = 0

    def _parts(self, path: Sequence[int]) -> list[tuple[int, str, str, str]]:
        first, n, _ = parts_range(self.type, path)
        return mem_parts(self.type, self.offset)[first:first + n]

    def base_offset(self) -> int:
        return self.offset


class Params:
    """A function's parameters: requested names → their locals, in declaration order."""

    def __init__(self) -> None:
        self.types: list = []
        self.locals: dict[str, tuple[int, ...]] = {}
        self.whamm: dict[str, WhammType] = {}

    def add(self, name: str, t: WhammType) -> tuple[int, ...]:
        """Append the parameters of ``name`` (one per flattened value of ``t``); returns their local indices."""
        types = valtypes(t)
        first = len(self.types)
        self.types.extend(types)
        self.locals[name] = tuple(range(first, first + len(types)))
        self.whamm[name] = t
        return self.locals[name]

    def add_request(self, name: str, members: Sequence[Member]) -> None:
        """A requested value, typed by the members that use it (``argN``/``localN`` bounds).  Members of
        one export must agree on its Wasm type: the export passes one value."""
        typed = []
        for m in members:
            try:
                typed.append((m, param_type(name, m.probe)))
            except KeyError:
                continue
        if not typed:
            raise InternalError(f"no type for requested value {name}")
        first, t = typed[0]
        for m, other in typed[1:]:
            if valtypes(other) != valtypes(t):
                raise CodegenError(f"probes {first.number} and {m.number} share the export "
                                   f"{first.probe.expansion.rule.rsplit(':', 1)[0]} but request {name} as {t} "
                                   f"and {other}", m.probe.probe.rule.span)
        self.add(name, t)


class MonitorEnv(ProbeEnv):
    """The code-generation environment of one member's code in a monitor function."""

    def __init__(self, ctx: ModuleContext, member: Member, pool: LocalPool, params: Params,
                 base: int | None = None, block: SiteBlock | None = None,
                 statics: Mapping[int, tuple[WhammType, tuple[int, ...]]] | None = None) -> None:
        super().__init__(ctx, member.probe, pool)
        self.member = member
        self.params = params
        self.base = base
        self.block = block
        self.statics = dict(statics or {})

    def storage(self, sym: Symbol) -> Storage:
        if sym.kind is VarKind.UNSHARED:
            if self.base is None or self.block is None:
                raise CodegenError(f"`{sym.name}` cannot be used here")
            var = self.block.var(self.member, sym)
            return BlockStorage(sym.type, self.memory, self.base, var.offset)
        if sym.kind is VarKind.BOUND:
            return self.operand(sym.name, sym.type)
        return super().storage(sym)

    def operand(self, name: str, t: WhammType) -> OperandStorage:
        """A requested value as the callback's parameter holding it (there are no operands on a monitor's stack:
        the engine passes everything as arguments)."""
        locals_ = self.params.locals.get(name)
        if locals_ is None:
            raise CodegenError(f"`{name}` is not available here")
        return OperandStorage(t, locals_[0])

    def static(self, name: str) -> object:
        return None

    def bound(self, code: Code, compiler: BodyCompiler, name: str, t: WhammType) -> None:
        """Push dynamic bound variable ``name``: computed by the ``monitor_*`` method its row names
        (:mod:`compiler.events.variables`), else the requested value itself or, for an alias, its source."""
        monitor = variable(name).monitor
        if monitor is not None:
            getattr(self, monitor)(code, name, t)
            return
        var = self.probe.bound_used.get(name)
        source = var.alias_of if var is not None and var.alias_of is not None else name
        self.load(code, source, t)

    def monitor_effective_addr(self, code: Code, name: str, t: WhammType) -> None:
        """``effective_addr``: the address operand ``argK`` plus ``offset`` (a u64), wrapping as i32."""
        event = self.probe.event
        assert event is not None and event.mem is not None
        self.load(code, f"arg{event.mem.addr_arg}", Prim.U32)
        self.load(code, "offset", Prim.U64)
        code.emit("i32.wrap_i64")
        code.emit("i32.add")

    def monitor_nsecs(self, code: Code, name: str, t: WhammType) -> None:
        """``nsecs``: the monitor reads the clock itself (its generated ``whamm:nsecs``, backend/clock.py)."""
        code.emit("call", self.func("whamm:nsecs"))

    def monitor_target(self, code: Code, name: str, t: WhammType) -> None:
        """``target``: ``arg0 <= (num_targets - 1) ? arg0 : num_targets`` from the two requested values."""
        arg, n = self.params.locals["arg0"][0], self.params.locals["num_targets"][0]
        for ins in (("local.get", arg), ("local.get", n), ("local.get", arg), ("local.get", n),
                    ("i32.const", 1), ("i32.sub",), ("i32.le_u",), ("select",)):
            code.emit(*ins)

    def load(self, code: Code, name: str, t: WhammType) -> None:
        """Push requested value ``name`` read as type ``t``."""
        locals_ = self.params.locals.get(name)
        if locals_ is None:
            raise CodegenError(f"`{name}` is not available here")
        if len(locals_) == 1 and t is not Prim.FUNCREF:
            OperandStorage(t, locals_[0]).load(code, self)
        else:
            LocalStorage(t, locals_).load(code, self)


class MonitorCompiler(BodyCompiler):
    """A :class:`BodyCompiler` whose bound variables come from the environment's parameters and whose
    ``@static`` calls read a ``$S`` result (bodies) or call the library (everywhere else: ``$P``, ``$A``,
    ``$S`` and the code outside probes, which all run in the engine's library instance)."""

    def name(self, e: ast.Name) -> None:
        sym = self.symbol(e)
        if sym.kind is VarKind.BOUND and sym.bound is not None and sym.bound.constant is None:
            self.env.bound(self.code, self, e.id, self.type_of(e))
            return
        super().name(e)

    def call(self, e: ast.Call) -> None:
        if e.annotation == "static" and e.lib is not None:
            got = getattr(self.env, "statics", {}).get(id(e))
            if got is not None:
                t, locals_ = got
                LocalStorage(t, locals_).load(self.code, self.env)
                return
            callee = callee_of(e)
            if callee.kind is not CalleeKind.LIBRARY:
                raise InternalError(f"the @static call at {e.span} calls a {callee.kind.value} function")
            self.args(e)
            self.code.emit("call", self.env.library_func(callee.library or "", callee.name))
            return
        super().call(e)


# ------------------------------------------------------------------------------------------------
# The functions of one monitor probe


def _finish(name: str, params: Params, results: tuple, pool: LocalPool, code: Code) -> Helper:
    code.emit("end")
    return Helper(name, FuncType(tuple(params.types), results), tuple(pool.groups()), tuple(code.instrs))


def _request_params(names: Sequence[str], members: Sequence[Member]) -> Params:
    params = Params()
    for n in names:
        params.add_request(n, members)
    return params


def predicate_function(ctx: ModuleContext, probe: MonitorProbe) -> Helper:
    """``$P``: ``(params) -> i32`` returning the predicate (§5.2)."""
    member = probe.members[0]
    params = _request_params(probe.pred_params, probe.members)
    pool = LocalPool(len(params.types))
    env = MonitorEnv(ctx, member, pool, params)
    c = MonitorCompiler(env)
    c.expr(member.predicate)  # type: ignore[arg-type]
    return _finish(f"wei:P:{probe.rule}", params, ("i32",), pool, c.code)


def static_function(ctx: ModuleContext, probe: MonitorProbe, k: int) -> Helper:
    """``$S``: ``(params) -> T`` returning one ``@static`` call's value (§5.4)."""
    s = probe.statics[k]
    params = _request_params(s.params, (s.member,))
    pool = LocalPool(len(params.types))
    env = MonitorEnv(ctx, s.member, pool, params)
    c = MonitorCompiler(env)
    c.call(s.call)
    return _finish(f"wei:S{k}:{probe.rule}", params, flat(s.result), pool, c.code)


def alloc_function(ctx: ModuleContext, ml: MonitorLayout, probe: MonitorProbe, block: SiteBlock) -> Helper:
    """``$A``: ``(fname_ptr, fname_len, fid, pc, params) -> i32`` (§5.3): allocate and zero the site
    block, copy ``fname``, fill and link the report row headers, create the unshared maps, run the
    initialisers and ``@init`` statements in source order, return the base."""
    lay = ml.layout
    mem = lay.memory
    rt = lay.runtime
    params = Params()
    params.add("fname", Prim.STR)
    params.add("fid", Prim.U32)
    params.add("pc", Prim.U32)
    for n in probe.alloc_params[len(ALLOC_PARAMS):]:
        params.add_request(n, probe.members)
    pool = LocalPool(len(params.types))
    code = Code()
    base = pool.new("i32")
    fptr, flen = params.locals["fname"]
    fid, pc = params.locals["fid"][0], params.locals["pc"][0]
    copy = pool.new("i32")
    for ins in (("i32.const", block.size), ("call", rt["mem_alloc"]), ("local.tee", base),
                ("i32.const", 0), ("i32.const", block.size), ("memory.fill", mem),
                # fname is copied: the engine buffer is only valid during this call
                ("local.get", flen), ("call", rt["mem_alloc"]), ("local.tee", copy),
                ("local.get", fptr), ("local.get", flen), ("memory.copy", mem, mem),
                ("local.get", copy), ("local.set", fptr)):
        code.emit(*ins)
    for var in block.vars:
        if var.header is not None:
            assert var.info is not None and var.group is not None
            h = var.header
            for field_, value in ((Header.INFO, ("i32.const", var.info)), (Header.FNAME_PTR, ("local.get", fptr)),
                                  (Header.FNAME_LEN, ("local.get", flen)), (Header.FID, ("local.get", fid)),
                                  (Header.PC, ("local.get", pc))):
                code.emit("local.get", base)
                code.emit(*value)
                code.emit("i32.store", MemArg(2, h + field_, mem))
            head, tail = ml.heads[var.group], ml.tails[var.group]
            # append to the group's list: tail.next = header (or head = header), tail = header
            code.emit("global.get", tail)
            code.open("if", None)
            code.emit("global.get", tail)
            code.emit("local.get", base)
            code.emit("i32.const", h)
            code.emit("i32.add")
            code.emit("i32.store", MemArg(2, Header.NEXT, mem))
            code.emit("else")
            code.emit("local.get", base)
            code.emit("i32.const", h)
            code.emit("i32.add")
            code.emit("global.set", head)
            code.end()
            code.emit("local.get", base)
            code.emit("i32.const", h)
            code.emit("i32.add")
            code.emit("global.set", tail)
        if isinstance(var.symbol.type, MapType):
            for ins in (("local.get", base), ("global.get", ml.next_map), ("i32.store", MemArg(2, var.offset, mem)),
                        ("global.get", ml.next_map), ("i32.const", ml.map_desc(var.symbol.type)),
                        ("call", rt["whamm_map_create"]),
                        ("global.get", ml.next_map), ("i32.const", 1), ("i32.add",), ("global.set", ml.next_map)):
                code.emit(*ins)
    statics = _static_params(probe, params, skip=True)
    for m in probe.members:
        env = MonitorEnv(ctx, m, pool, params, base, block, statics)
        c = MonitorCompiler(env, code)
        for sym, node in site_inits(m):
            if sym is not None:
                if isinstance(sym.type, MapType):
                    continue
                c.assign_to(env.storage(sym), sym.type, (), node)  # type: ignore[arg-type]
            else:
                call = node.call  # type: ignore[attr-defined]
                c.expr(call)
                c.drop(c.type_of(call))
    code.emit("local.get", base)
    return _finish(f"wei:A:{probe.rule}", params, ("i32",), pool, code)


def _static_params(probe: MonitorProbe, params: Params, skip: bool = False) -> dict:
    """``@static`` call node → (type, locals) of the ``$S`` results; with ``skip`` (in ``$A``, which runs
    before the ``$S`` callbacks) no locals exist and the calls are compiled as library calls."""
    if skip:
        return {}
    out = {}
    for k, s in enumerate(probe.statics):
        out[id(s.call)] = (s.result, params.locals[f"$S{k}"])
    return out


def body_function(ctx: ModuleContext, ml: MonitorLayout, probe: MonitorProbe, block: SiteBlock | None,
                  *, no_body: bool = False, no_pred: bool = False) -> Helper:
    """The body: ``(base if $A, s0…, params) -> ()`` running every member's code, each wrapped in its
    pushed-down predicate (§5.5, §6, §8)."""
    params = Params()
    base = params.add("$base", Prim.I32)[0] if probe.alloc else None
    for k, s in enumerate(probe.statics):
        params.add(f"$S{k}", s.result)
    for n in probe.body_params:
        params.add_request(n, probe.members)
    pool = LocalPool(len(params.types))
    code = Code()
    if _stores_strings(probe):
        _copy_string_params(code, ml, params, pool)
    statics = _static_params(probe, params)
    for m in probe.members:
        env = MonitorEnv(ctx, m, pool, params, base, block, statics)
        c = MonitorCompiler(env, code)
        c.skip_init_calls = True
        pred = None if no_pred else probe.pushed(m)
        body = m.folded.body
        stmts = () if no_body or body is None else body.stmts
        if pred is None and not stmts:
            continue
        if pred is not None:
            c.expr(pred)
            c.ret_label = code.open("if", None)
        elif body is not None and contains_return(body):
            c.ret_label = code.open("block", None)
        c.zero(probe_info(m.probe).zeroed)
        for s in stmts:
            c.stmt(s)
        if c.ret_label is not None:
            code.end()
    return _finish(f"wei:body:{probe.rule}", params, (), pool, code)


def _has_str(t: WhammType) -> bool:
    if t is Prim.STR:
        return True
    if isinstance(t, TupleType):
        return any(_has_str(e) for e in t.elems)
    return False


def _stores_strings(probe: MonitorProbe) -> bool:
    """Whether a body may keep a string beyond the call: it assigns a string-typed value to a variable
    that is not probe-local (map entries are copied by the runtime)."""
    for m in probe.members:
        if m.folded.body is None:
            continue
        for n in ast.walk(m.folded.body):
            if isinstance(n, ast.Assign) and not isinstance(n.target, ast.Index):
                t = type_of(n.value)
                target = n.target
                while isinstance(target, ast.Field):
                    target = target.tuple
                sym = symbol_of(target)  # type: ignore[arg-type]
                if _has_str(t) and sym.kind is not VarKind.PROBE_LOCAL:
                    return True
    return False


def _copy_string_params(code: Code, ml: MonitorLayout, params: Params, pool: LocalPool) -> None:
    """Replace every string parameter's pointer by a fresh copy of its bytes (WEI.md §3)."""
    rt = ml.layout.runtime
    mem = ml.layout.memory
    for name, t in params.whamm.items():
        if t is not Prim.STR:
            continue
        ptr, length = params.locals[name]
        copy = pool.new("i32")
        for ins in (("local.get", length), ("call", rt["mem_alloc"]), ("local.tee", copy),
                    ("local.get", ptr), ("local.get", length), ("memory.copy", mem, mem),
                    ("local.get", copy), ("local.set", ptr)):
            code.emit(*ins)
