"""The code that runs outside sites, the same in both targets (REWRITING.md §4, §10, §14; WEI.md §3):
the environment of script-level statements, user functions and ``wasm:begin/end/report`` bodies,
user functions themselves, the guarded body of a probe without a site, and the global getters.

Both targets compile this code with the shared lowering; what differs is only the compiler class (the
monitor's routes ``@static`` calls to the engine's library instance) and where it is placed (the
rewriting target's start and exit sequence in ``rewrite/exit.py``; the monitor's start and
report functions, :mod:`compiler.wei.start`, :mod:`compiler.wei.report`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from compiler.backend.instrs import CodegenError, LocalPool, flat, op
from compiler.backend.lowering import BodyCompiler, contains_return
from compiler.backend.site_code import ModuleContext, ProbeEnv, global_storage
from compiler.backend.storage import LocalStorage, Storage
from compiler.backend.strings import Helper
from compiler.lang.scopes import CheckedFunction, CheckedProbe, Symbol, VarKind
from compiler.lang.types import UNIT, MapType
from compiler.wasm.model import FuncType

if TYPE_CHECKING:
    from compiler.lang.folder import Folded

__all__ = ["ScriptEnv", "compile_function", "compile_guarded", "getter"]


class ScriptEnv(ProbeEnv):
    """Code outside sites: script-level statements, user functions, ``wasm:begin/end/report`` bodies.
    Locals (function locals, parameters, the bodies' ``var``s) are Wasm locals of the generated
    function; globals are as in :class:`~compiler.backend.site_code.ProbeEnv`; there is no site data.  ``params`` and
    ``function_locals`` are keyed by the (hashable, by value) symbols of the checked tree."""

    def __init__(self, ctx: ModuleContext, probe: CheckedProbe | None, pool: LocalPool,
                 params: Mapping[Symbol, LocalStorage] | None = None) -> None:
        super().__init__(ctx, probe, pool)
        self.params = dict(params or {})
        self.function_locals: dict[Symbol, LocalStorage] = {}

    def storage(self, sym: Symbol) -> Storage:
        if sym.kind is VarKind.GLOBAL:
            return global_storage(self.layout, sym)
        if sym.kind is VarKind.PARAM:
            return self.params[sym]
        if sym.kind in (VarKind.FUNCTION_LOCAL, VarKind.PROBE_LOCAL):
            st = self.function_locals.get(sym)
            if st is None:
                st = self.function_locals[sym] = LocalStorage(sym.type, tuple(self.pool.new(w) for w in flat(sym.type)))
            return st
        raise CodegenError(f"`{sym.name}` cannot be used here")


# ------------------------------------------------------------------------------------------------
# User functions (REWRITING.md D3) and getters (§14)


def compile_function(ctx: ModuleContext, cf: CheckedFunction) -> Helper:
    """A user function: parameters flattened (maps by id), result flattened (multi-value for tuples
    and ``str``), locals zero at every call (Wasm locals are)."""
    params: dict[Symbol, LocalStorage] = {}
    ptypes: list[str] = []
    for p in cf.params:
        types = flat(p.type)
        params[p] = LocalStorage(p.type, tuple(range(len(ptypes), len(ptypes) + len(types))))
        ptypes.extend(types)
    result = cf.result if cf.result is not None else UNIT
    pool = LocalPool(len(ptypes))
    env = ScriptEnv(ctx, None, pool, params)
    c = BodyCompiler(env)
    c.function_return = True
    for s in cf.body.stmts:
        c.stmt(s)
    if flat(result):
        c.code.emit("unreachable")  # the checker proved every path returns
    c.code.emit("end")
    return Helper(f"fn:{cf.name}", FuncType(tuple(ptypes), flat(result)), tuple(pool.groups()),
                  tuple(c.code.instrs))


def getter(layout, sym: Symbol, name: str) -> Helper:
    """``get_<name>`` (§14): the variable's single Wasm value (integers are normalised already)."""
    if isinstance(sym.type, MapType):
        body = (op("i32.const", layout.map_ids[sym.name]), op("end"))
    else:
        body = (op("global.get", layout.globals[sym.name][0]), op("end"))
    return Helper(name, FuncType((), flat(sym.type)), (), body)


def compile_guarded(c: BodyCompiler, folded: Folded, no_pred: bool) -> None:
    """``[P] BODY`` for a probe without a site (``wasm:begin/end/report``), with ``c`` set up for the
    target's storage (shared by both targets)."""
    code = c.code
    pred = folded.predicate if not no_pred else True
    if pred is False or folded.body is None:
        return
    if pred is not True:
        c.expr(pred)  # type: ignore[arg-type]
        c.ret_label = code.open("if", None)
    elif contains_return(folded.body):
        c.ret_label = code.open("block", None)
    for s in folded.body.stmts:
        c.stmt(s)
    if c.ret_label is not None:
        code.end()
    c.ret_label = None
