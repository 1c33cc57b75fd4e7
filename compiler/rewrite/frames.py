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

if TYPE_CHECKING:
    from compiler.rewrite.inject import FunctionRewriter

__all__ = ["place_frames"]

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
