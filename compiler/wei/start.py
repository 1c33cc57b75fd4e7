"""The monitor's start function (WEI.md §3): state, script-level statements, shared initialisers,
``wasm:begin`` — in that order — and the guarded bodies of the probes without sites.

This mirrors the rewriting target's start routine (REWRITING.md §4 steps 1–3 and 5; per-site
initialisation is ``$A``'s job here) with one difference: there is no compile-time library instance.
A ``@static`` call outside a probe body (script-level statements, shared initialisers, ``wasm:begin``,
``wasm:end``, ``wasm:report``) is an ordinary call of the engine's library instance, made when the code
runs — at instantiation for the start function, the only moment the monitor has before matching.  The
code is therefore compiled unfolded, with :class:`~compiler.wei.codegen.MonitorCompiler`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from compiler.lang import ast
from compiler.lang.scopes import VarKind
from compiler.lang.types import MapType
from compiler.backend.instrs import Code, LocalPool
from compiler.backend.strings import Helper
from compiler.backend.script_code import ScriptEnv, compile_guarded
from compiler.backend.site_code import ProbeEnv, global_storage
from compiler.wasm.model import FuncType
from compiler.wei.codegen import MonitorCompiler

if TYPE_CHECKING:
    from compiler.lang.folder import Folded
    from compiler.lang.scopes import CheckedProbe
    from compiler.backend.site_code import ModuleContext
    from compiler.wei.layout import MonitorLayout

__all__ = ["start_function", "guarded"]


def guarded(ctx: ModuleContext, probe: CheckedProbe, folded: Folded, pool: LocalPool, code: Code) -> None:
    """``[P] BODY`` of a probe without sites (``wasm:begin``/``end``/``report``)."""
    env = ScriptEnv(ctx, probe, pool)
    compile_guarded(MonitorCompiler(env, code), folded, ctx.no_pred)


def start_function(ctx: ModuleContext, ml: MonitorLayout, shared: Sequence[CheckedProbe],
                   begin: Sequence[tuple[CheckedProbe, Folded]]) -> Helper:
    """``whamm:start``: create the static maps, run the script-level statements, the shared initialisers
    of the probes in ``shared`` (probe order) and the ``wasm:begin`` bodies."""
    lay = ctx.layout
    prog = ctx.program
    pool = LocalPool(0)
    code = Code()
    for mid, mt in lay.maps:
        code.emit("i32.const", mid)
        code.emit("i32.const", ml.map_desc(mt))
        code.emit("call", lay.runtime["whamm_map_create"])
    env = ScriptEnv(ctx, None, pool)
    for stmt in prog.statements:
        c = MonitorCompiler(env, code)
        if isinstance(stmt, ast.VarDecl):
            if stmt.init is not None:
                sym = prog.globals[stmt.name]
                c.assign_to(global_storage(lay, sym), sym.type, (), stmt.init)
            continue
        c.stmt(stmt)
    for probe in shared:
        senv = ProbeEnv(ctx, probe, pool)
        c = MonitorCompiler(senv, code)
        for d in probe.declarations():
            sym = d.symbol
            if sym is not None and sym.kind is VarKind.SHARED and d.init is not None and \
                    not isinstance(sym.type, MapType):
                c.assign_to(senv.storage(sym), sym.type, (), d.init)
    for probe, folded in begin:
        guarded(ctx, probe, folded, pool, code)
    code.emit("end")
    return Helper("whamm:start", FuncType((), ()), tuple(pool.groups()), tuple(code.instrs))
