"""Where a pc of the instrumented module comes from in the input, for a trap's ``file:line``.

A trap's frame gives the output function and the pc in it (wasmtime's ``func_offset``, counted from the
body's first byte as our pcs are).  A rewritten function's output is :func:`~compiler.rewrite.splice.splice`
of its plan, and :func:`~compiler.rewrite.marks.segments` says which stretch of it is copied input code
(from which instruction) and which is inserted at which anchor; inserted code counts as the instruction
it instruments (ANALYSIS.md §5: "injected code gets the line of the instruction it instruments").  A
function without a plan was copied instruction by instruction (perhaps renumbered, so re-encoded with
other sizes): the k-th output instruction is the k-th input one.  The input pc then gives the line
(:mod:`compiler.wasm.source_lines`).
"""
from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Callable, Mapping

from compiler.errors import InternalError
from compiler.rewrite.marks import input_code, segments
from compiler.wasm.code import encode_locals
from compiler.wasm.reader import read_module
from compiler.wasm.source_lines import source_map

if TYPE_CHECKING:
    from compiler.rewrite.emit import Emitted
    from compiler.rewrite.plan import FunctionPlan
    from compiler.wasm.model import Module

__all__ = ["input_pc", "trap_locator"]


def input_pc(module: Module, out_module: Module, fid: int, out_fid: int, plan: FunctionPlan | None,
             out_pc: int) -> int:
    """The input pc of output pc ``out_pc`` of function ``out_fid`` (input ``fid``, rewritten by ``plan``
    or copied when None): the input instruction there, or the one the inserted code there instruments."""
    in_body = module.code[fid - module.num_imported_funcs]
    out_body = out_module.code[out_fid - out_module.num_imported_funcs]
    if plan is None:
        out_offsets = [ins.offset for ins in out_body.instrs]
        if len(out_offsets) != len(in_body.instrs):
            raise InternalError(f"function {fid} was rewritten, but its build kept no plan")
        k = max(bisect.bisect_right(out_offsets, out_pc) - 1, 0)
        return in_body.instrs[k].offset
    raw, instrs = input_code(module, fid, plan)
    segs = segments(plan, raw, instrs)
    head = len(encode_locals(tuple(in_body.locals) + plan.locals))
    at = out_pc - head
    seg = segs[max(bisect.bisect_right([s.start for s in segs], at) - 1, 0)]
    if seg.anchor is not None:
        k = seg.anchor[1] if seg.anchor[1] >= 0 else len(instrs) - 1   # ("exit", -1): the function's end
    else:
        offsets = [ins.offset for ins in instrs]
        k = bisect.bisect_right(offsets, offsets[seg.first] + at - seg.start) - 1
    return in_body.instrs[k].offset


def trap_locator(module: Module, wasm: bytes, emitted: Emitted,
                 plans: Mapping[int, FunctionPlan]) -> Callable[[int, int], str] | None:
    """A function (output function index, pc) → ``file:line`` (base name; ``""`` when unknown or in a
    function whamm added) for the frames of a trap; None when the input has no line table.  The output
    module is decoded on the first call (only a trap needs it)."""
    smap = source_map(module)
    if not smap.has_lines:
        return None
    decoded: list[Module] = []

    def locate(index: int, pc: int) -> str:
        fid = emitted.input_function(index)
        if fid is None or fid < module.num_imported_funcs:
            return ""
        if not decoded:
            decoded.append(read_module(wasm))
        return smap.location_at_pc(fid, input_pc(module, decoded[0], fid, index, plans.get(fid), pc)).short

    return locate
