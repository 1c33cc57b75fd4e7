"""The frame stack behind ``frame`` aggregates (``frame var h: hist;``, docs/AGGREGATES.md): an aggregate
needs memory, and a frame variable is per activation, so each activation of a function whose probes
declare frame aggregates gets one zeroed region of the instrumentation memory holding all of them.

Only those functions are rewritten, and only so:

* **entry** (at the first instruction, after the shadow stack's push and before every probe):
  ``whamm_frame_enter(size)`` allocates the region on top of the runtime's frame stack
  (runtime/frame.c) and its address is kept in an added local; the aggregates are at fixed offsets in it;
* **exits** — the same points as the shadow stack's (:func:`compiler.rewrite.stack.leave_points`), after
  the ``func:exit`` code, which may still read the aggregates: ``whamm_frame_leave(region)`` after the
  wrapper block (falling off the end, branches to the outermost label) and before ``return`` and
  ``return_call*``.  Before a ``throw``/``throw_ref``/``rethrow`` only when it is outside every
  ``try``/``try_table`` of the function: one inside may be caught by this very activation, whose region
  must then live on.  A region an exception leaves behind is freed by the next enclosing activation
  with frame aggregates that leaves or catches, since leaving frees every region above one's own;
* **catch landings**: ``whamm_frame_reset(region)`` frees what the throw left above this activation's
  region;
* **catchers without frame aggregates**: a function that has no frame aggregates but catches exceptions
  (it has catch landings) marks the frame stack's height at its entry (``whamm_frame_mark``) and
  unwinds to the mark at its landings and at its exit (``whamm_frame_unwind``: a catch may branch to
  the outermost label).  Without it the regions a throw left above such a catcher are freed only by an
  enclosing activation with frame aggregates — with none, a loop that throws from instrumented
  functions and catches in an uninstrumented one grows the instrumentation memory without bound.
  :func:`catching_functions` names them, so they are rewritten though no site is in them;
* **traps** leave the regions where they are: later calls from the host allocate above them (a trap
  abandons at most one region per activation it unwinds, each never reused).

A ``report frame`` aggregate is also copied to its per-function report slot after each update
(:class:`~compiler.backend.storage.FrameAggStorage`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.backend.instrs import op
from compiler.backend.state import size_of
from compiler.backend.storage import FrameAggStorage
from compiler.errors import InternalError
from compiler.lang.scopes import VarKind
from compiler.lang.types import AggType, WhammType
from compiler.rewrite.stack import leave_points
from compiler.wasm.model import ExternKind, Module

if TYPE_CHECKING:
    from compiler.rewrite.inject import FunctionRewriter

__all__ = ["place_frames", "catching_functions"]

_THROWS = frozenset({"throw", "throw_ref", "rethrow"})


def place_frames(rw: FunctionRewriter) -> None:
    """Give ``rw``'s function its frame region if its sites' probes declare frame aggregates: the
    enter, leave and reset calls in its buckets and a :class:`FrameAggStorage` per (name, type) in
    ``rw.frames``, where its sites' code finds them (module docstring).  Called before any site is
    placed, so the enter call precedes every probe's code at the entry."""
    lay = rw.ctx.layout
    if not lay.frame_aggregates:
        return
    offsets: dict[tuple[str, WhammType], int] = {}
    size = 0
    for probe in {id(site.probe): site.probe for site in rw.sites}.values():
        for sym in probe.symbols:
            key = (sym.name, sym.type)
            if sym.kind is VarKind.FRAME and isinstance(sym.type, AggType) and key not in offsets:
                offsets[key] = size
                size += size_of(sym.type)
    if not offsets:
        _place_unwind(rw)
        return
    region = rw.pool.new("i32")
    for (name, t), offset in offsets.items():
        rw.frames[(name, t)] = FrameAggStorage(t, lay.memory, region, offset, size_of(t),
                                               lay.frame_slots.get((rw.fid, name, t)))
    rw.add_pre1(0, [op("i32.const", size), op("call", _runtime(rw, "whamm_frame_enter")), op("local.set", region)])
    leave = [op("local.get", region), op("call", _runtime(rw, "whamm_frame_leave"))]
    leaves, landings = leave_points(rw)
    in_try = _inside_try(rw)
    for i in leaves:
        if not (rw.instrs[i].op.name in _THROWS and i in in_try):
            rw.add_pre(i, "stack", leave)
    reset = [op("local.get", region), op("call", _runtime(rw, "whamm_frame_reset"))]
    for i in landings:
        rw.add_post1(i, reset)
    rw.add_exit("stack", leave)


def _place_unwind(rw: FunctionRewriter) -> None:
    """In a function without frame aggregates that catches: mark at the entry, unwind to the mark at its
    catch landings and its exit (module docstring)."""
    _, landings = leave_points(rw)
    if not landings and not any(ins.op.name == "try_table" for ins in rw.instrs):
        return
    mark = rw.pool.new("i32")
    rw.add_pre1(0, [op("call", _runtime(rw, "whamm_frame_mark")), op("local.set", mark)])
    unwind = [op("local.get", mark), op("call", _runtime(rw, "whamm_frame_unwind"))]
    for i in landings:
        rw.add_post1(i, unwind)
    rw.add_exit("stack", unwind)


def catching_functions(module: Module) -> set[int]:
    """The defined functions (by function index) that can catch an exception: their bodies hold a
    ``try_table`` or a legacy ``try``.  Empty without a tag in the module: without one, nothing in it
    throws (a throw names a tag) and no exception of another module's tag is expected to pass through."""
    if not module.tags and not any(imp.kind is ExternKind.TAG for imp in module.imports):
        return set()
    nimp = module.num_imported_funcs
    return {nimp + k for k, body in enumerate(module.code)
            if any(ins.op.name in ("try_table", "try") for ins in body.instrs)}


def _runtime(rw: FunctionRewriter, name: str) -> int:
    """The output index of runtime export ``name`` (linked whenever a script has an aggregate)."""
    index = rw.ctx.layout.runtime.get(name)
    if index is None:
        raise InternalError(f"frame aggregates need the runtime's {name}, which the layout did not link")
    return index


def _inside_try(rw: FunctionRewriter) -> set[int]:
    """Indices of the instructions nested in a ``try`` or ``try_table`` of the function (at any depth)."""
    inside: set[int] = set()
    open_blocks: list[bool] = []      # per open construct: is it a try
    tries = 0
    for i, ins in enumerate(rw.instrs):
        name = ins.op.name
        if tries:
            inside.add(i)
        if name in ("block", "loop", "if", "try", "try_table"):
            is_try = name in ("try", "try_table")
            open_blocks.append(is_try)
            tries += is_try
        elif name in ("end", "delegate") and open_blocks:
            tries -= open_blocks.pop()
    return inside
