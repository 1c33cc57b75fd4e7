"""The function-bodies phase of the rewriting pipeline (REWRITING.md §6–§10, §15): which input
functions change, and their new bodies — planned, then spliced or taken from the cache.

A function is rewritten when it has sites, is a flush point, calls ``proc_exit`` (with an exit
sequence), may mutate a shadowed table or the script reads the call stack (every function then keeps
the shadow stack, ``rewrite/stack.py``); every other body is copied as raw bytes, renumbered only
when added imports shift indices.  Each rewritten function is planned
(:class:`~compiler.rewrite.inject.FunctionRewriter`) and the plan spliced onto the input body
(:func:`~compiler.rewrite.splice.splice`), unless the incremental cache already holds the bytes of an
equal plan (:mod:`compiler.rewrite.bodycache`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from compiler.rewrite.bodycache import FunctionCache
from compiler.rewrite.frames import catching_functions
from compiler.rewrite.inject import FunctionRewriter
from compiler.backend.site_code import ModuleContext
from compiler.rewrite.splice import splice
from compiler.wasm.model import FuncBody, Module
from compiler.wasm.remap import Remap, remap_body, remap_instrs

if TYPE_CHECKING:
    from compiler.rewrite.plan import FunctionPlan
    from compiler.sites.matching import Matches
    from compiler.wasm.stack import FunctionTypes

__all__ = ["rewrite_bodies"]


def rewrite_bodies(module: Module, out: Module, ctx: ModuleContext, matches: Matches,
                   types_of: Callable[[int], FunctionTypes], remap: Remap, renumbering: tuple,
                   cache: FunctionCache | None) -> dict[int, FunctionPlan]:
    """Fill ``out.code`` with the output bodies of the input's defined functions; sets
    ``ctx.proc_exit_callers``.  ``renumbering`` are the parameters ``remap`` was built from (they go
    into every plan).  Returns the plan of every rewritten function (the output DWARF's address map
    is built from them)."""
    nimp = module.num_imported_funcs
    by_function = matches.by_function
    if cache is not None:
        cache.bind(module)
        cache.start()
    candidates = {fid for fid, s in by_function.items() if s} | ctx.flush_functions
    if ctx.exit_func is not None and ctx.proc_exit:
        callers = cache.callers.get(ctx.proc_exit) if cache is not None else None
        if callers is None:
            callers = frozenset(_calling(module, ctx.proc_exit))
            if cache is not None:
                cache.callers[ctx.proc_exit] = callers
        ctx.proc_exit_callers = callers
        candidates |= callers
    if ctx.layout.frame_aggregates:             # catchers unwind the frame stack (rewrite/frames.py)
        candidates |= catching_functions(module)
    if ctx.layout.shadows or ctx.layout.stack_depth is not None:   # table shadows, the shadow stack
        candidates |= set(range(nimp, nimp + len(module.code)))
    moving = bool(remap.moving)
    plans: dict[int, FunctionPlan] = {}
    counted: dict = {}      # coalescing's answers per fold: the matches keep every fold alive meanwhile
    for fid in sorted(candidates):
        f_types = types_of(fid)
        instrs = remap_instrs(f_types.instrs, remap) if moving else f_types.instrs
        plan = FunctionRewriter(ctx, fid, f_types, by_function.get(fid, ()), instrs, renumbering, counted).plan()
        plans[fid] = plan
        raw = cache.lookup(plan) if cache is not None else None
        if raw is None:
            raw = splice(plan, module.code[fid - nimp], instrs)
            if cache is not None:
                cache.store(plan, raw)
        out.code[fid - nimp] = FuncBody.from_bytes(raw, 0, len(raw), fid)
    if moving:
        for k, body in enumerate(out.code):
            if nimp + k not in candidates:
                out.code[k] = remap_body(body, remap)
    return plans


def _calling(module: Module, targets: frozenset[int]) -> set[int]:
    """Defined functions whose body calls one of ``targets``: a raw byte pre-filter (the opcode and the
    first LEB128 byte of the index, with or without a continuation bit — toolchains pad call indices to
    five bytes), then the candidates are decoded."""
    patterns = [bytes((opcode, first)) for t in targets for opcode in (0x10, 0x12)
                for first in (t & 0x7F, t & 0x7F | 0x80)]
    nimp = module.num_imported_funcs
    out = set()
    for k, body in enumerate(module.code):
        raw = body.raw
        if raw is not None and not any(p in raw for p in patterns):
            continue
        if any(ins.op.name in ("call", "return_call") and ins.imms[0] in targets for ins in body.instrs):
            out.add(nimp + k)
    return out
