"""The shadow stack behind ``callstack`` and ``stack_depth`` (ANALYSIS.md §3), added only when a script
reads one of them.

State: the depth in a mutable ``i32`` global and, when ``callstack`` is read, a ring of the last 256
frames in the instrumentation memory (frame ``d`` at ``ring[d % 256]``, each the function's index among
the defined functions) — all a ``callstack`` string shows (runtime/callstack.c builds it).

Every defined function of the application is rewritten:

* **entry** (before everything else at its first instruction, so ``func:entry`` probes and ``before``
  probes on it see their own frame): the depth is kept in an added local, the frame stored, the
  depth incremented;
* **exits**: the depth is set back to the kept value after the function's ``func:exit`` code — after
  the wrapper block (falling off the end, every branch to the outermost label) and before ``return``,
  ``throw``, ``throw_ref`` and ``rethrow``;
* **``return_call*``**: the same, before the call, so the callee's entry reuses the frame (a tail call
  replaces the caller's frame; a tail call to an import leaves the caller's caller on top, as it is);
* **catch landings** (each ``try_table`` catch target, the start of a legacy ``catch``/``catch_all``): the
  depth is set to the kept value + 1, the function's own frame, since the throw may have left frames of
  callees (or this function's own ``throw`` exit code) behind;
* **traps** (``unreachable`` and the rest) leave the stack as it is: the run is over.

Restoring a kept value rather than decrementing makes the stack self-healing: a function a throw
leaves without a catch is popped when a caller catches or exits.  What this cannot repair: after a trap
the host may call into the same instance again (another export); the frames the trap abandoned then
stay below the new ones (``stack_depth`` counts them, ``callstack`` shows them) — docs/CALLSTACK.md.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.backend.instrs import op
from compiler.wasm.model import MemArg

if TYPE_CHECKING:
    from compiler.rewrite.inject import FunctionRewriter

__all__ = ["place_stack", "POP_BEFORE", "leave_points"]

#: Instructions that leave the function normally or by an exception: the frame is popped before them.
POP_BEFORE = frozenset({"return", "return_call", "return_call_indirect", "return_call_ref", "throw",
                        "throw_ref", "rethrow"})


def place_stack(rw: FunctionRewriter) -> None:
    """Put the shadow stack's push, pops and catch-landing resets into ``rw``'s buckets (module
    docstring).  Called before any site is placed, so the push is the first code at the entry."""
    lay = rw.ctx.layout
    depth = lay.stack_depth
    assert depth is not None
    kept = rw.pool.new("i32")
    push = [op("global.get", depth), op("local.tee", kept)]
    if lay.stack_ring is not None:
        k = rw.fid - lay.func_imports
        push += [op("i32.const", 255), op("i32.and"), op("i32.const", 2), op("i32.shl"), op("i32.const", k),
                 op("i32.store", MemArg(2, lay.stack_ring, lay.memory)), op("local.get", kept)]
    push += [op("i32.const", 1), op("i32.add"), op("global.set", depth)]
    rw.add_pre1(0, push)
    pop = [op("local.get", kept), op("global.set", depth)]
    reset = [op("local.get", kept), op("i32.const", 1), op("i32.add"), op("global.set", depth)]
    leaves, landings = leave_points(rw)
    for i in leaves:
        rw.add_pre(i, "stack", pop)
    for i in landings:
        rw.add_post1(i, reset)
    rw.add_exit("stack", pop)


def leave_points(rw: FunctionRewriter) -> tuple[list[int], list[int]]:
    """The instructions of ``rw``'s function before which an activation leaves it other than through its
    end (:data:`POP_BEFORE`), and its catch landings (each ``try_table`` catch target inside the
    function, the start of each legacy ``catch``/``catch_all``), both ascending.  The frame stack of
    ``frame`` aggregates (rewrite/frames.py) releases and resets at the same points."""
    leaves: list[int] = []
    landings: set[int] = set()
    for i, ins in enumerate(rw.instrs):
        name = ins.op.name
        if name in POP_BEFORE:
            leaves.append(i)
        elif name in ("catch", "catch_all"):
            landings.add(i)
        elif name == "try_table":
            for point in rw.control.targets(i):
                if point.kind != "exit":      # a catch to the outermost label leaves the function
                    landings.add(point.index)
    return leaves, sorted(landings)
