"""Where each input code address went: the map the output's DWARF is rewritten with (ANALYSIS.md §5).

Wasm DWARF addresses are offsets from the start of the code section's payload (the function count):
a function's ``DW_AT_low_pc`` is its body's first byte (the locals declaration, after the body size)
and its ``DW_AT_high_pc`` one past its ``end``.  Instrumenting moves every address: bodies grow,
size LEBs widen, added imports renumber calls (and so re-encode instructions).  The rewriter knows
exactly where everything went, so nothing here is guessed from the bytes:

* a body the output copies unchanged moves as a whole (one shift, any address inside it);
* a body re-encoded only because indices moved keeps its instructions one for one;
* a rewritten body is walked with its plan in splice's order (:func:`~compiler.rewrite.marks.segments`),
  which says which output bytes are which input instructions and which were injected at which
  anchor instruction.  The walk must rebuild the output body byte for byte, else it is an internal
  error — never a wrong map.

:meth:`AddressMap.address` maps the addresses that can be named exactly (body starts and ends,
instruction starts, 0 — the base address compilation units use) and raises :class:`Unmappable` for
any other; :meth:`AddressMap.pieces` gives the debug-line rewriter the output order of a rewritten
body, injected runs with the input address of the instruction they instrument.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

from compiler.errors import InternalError
from compiler.rewrite.marks import input_code, segments
from compiler.wasm.binary import Cursor
from compiler.wasm.code import encode_locals
from compiler.wasm.reader import read_module

if TYPE_CHECKING:
    from compiler.rewrite.plan import FunctionPlan
    from compiler.wasm.model import Module

__all__ = ["AddressMap", "FunctionMap", "Piece", "Unmappable", "address_map"]


class Unmappable(Exception):
    """An input code address that names no place the map knows (mid-instruction, in a size LEB, past
    the code): the debug section holding it cannot be rewritten truthfully."""

    def __init__(self, address: int) -> None:
        super().__init__(f"code address 0x{address:x} is not an instruction boundary")
        self.address = address


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of a rewritten output body, at ``out`` (relative to the body start): input code copied
    from input address ``source`` (relative too), or, with ``injected``, code the rewriter added for
    the instruction at ``source``."""

    out: int
    source: int
    injected: bool


@dataclass(slots=True)
class FunctionMap:
    """One input function body: its range in the input and output code payloads, and either nothing
    more (``exact`` None: the body was copied byte for byte) or the exact map of its body-relative
    instruction addresses (start and end included) and the pieces of its output in order."""

    in_start: int
    in_end: int
    out_start: int
    out_end: int
    exact: dict[int, int] | None = None
    pieces: tuple[Piece, ...] = ()


class AddressMap:
    """Input code addresses → output code addresses, function by function (module doc)."""

    def __init__(self, functions: Sequence[FunctionMap]) -> None:
        self.functions = list(functions)
        self._starts = [f.in_start for f in self.functions]

    def function_at(self, address: int) -> FunctionMap | None:
        """The function whose body holds ``address`` (its end included), or None."""
        k = bisect.bisect_right(self._starts, address) - 1
        if k >= 0 and address <= self.functions[k].in_end:
            return self.functions[k]
        return None

    def overlapping(self, start: int, stop: int) -> list[FunctionMap]:
        """The functions whose bodies overlap ``[start, stop)``, in address order."""
        k = max(bisect.bisect_right(self._starts, start) - 1, 0)
        out = []
        while k < len(self.functions) and self.functions[k].in_start < stop:
            if self.functions[k].in_end > start:
                out.append(self.functions[k])
            k += 1
        return out

    def address(self, address: int) -> int:
        """The output address of ``address``: a body start or end, an instruction start, or 0."""
        if address == 0:
            return 0
        f = self.function_at(address)
        if f is None:
            raise Unmappable(address)
        if f.exact is None:
            return f.out_start + address - f.in_start
        out = f.exact.get(address - f.in_start)
        if out is None:
            raise Unmappable(address)
        return f.out_start + out


def _bodies(data: bytes, module: Module) -> list[tuple[int, int]]:
    """Each body's ``(start, end)`` relative to the code section's payload (start after the size)."""
    section = module.origin.sections.get(10) if module.origin is not None else None
    if section is None:
        return []
    start, end, _ = section
    cur = Cursor(data, start + 1, end)
    cur.u32()                               # the section size
    payload = cur.pos
    out = []
    for _ in range(cur.u32()):
        size = cur.u32()
        out.append((cur.pos - payload, cur.pos - payload + size))
        cur.pos += size
    return out


def address_map(module: Module, output: bytes, plans: Mapping[int, FunctionPlan], func_shift: int) -> AddressMap:
    """The map from ``module``'s code to ``output``'s (the instrumented module's bytes); ``plans`` are
    the plans of the rewritten functions by input function index, ``func_shift`` how far the input's
    defined functions moved in the function index space."""
    out_module = read_module(output)
    nimp = module.num_imported_funcs
    in_bodies = _bodies(module.origin.data, module)
    out_bodies = _bodies(output, out_module)
    functions = []
    for k, (in_start, in_end) in enumerate(in_bodies):
        fid = nimp + k
        out_index = fid + func_shift - out_module.num_imported_funcs
        if not 0 <= out_index < len(out_bodies):
            raise InternalError(f"internal: input function {fid} has no output body")
        out_start, out_end = out_bodies[out_index]
        f = FunctionMap(in_start, in_end, out_start, out_end)
        in_body = module.code[k]
        out_body = out_module.code[out_index]
        plan = plans.get(fid)
        if plan is not None:
            _rewritten(f, module, fid, plan, out_body)
        elif in_body.raw != out_body.raw:
            _renumbered(f, in_body, out_body, fid)
        functions.append(f)
    return AddressMap(functions)


def _renumbered(f: FunctionMap, in_body, out_body, fid: int) -> None:
    """A body re-encoded because indices moved: the same instructions, one for one."""
    ins, outs = in_body.instrs, out_body.instrs
    if len(ins) != len(outs) or any(a.op is not b.op for a, b in zip(ins, outs)):
        raise InternalError(f"internal: function {fid} was re-encoded with other instructions")
    f.exact = {0: 0, f.in_end - f.in_start: f.out_end - f.out_start}
    f.exact.update((a.offset, b.offset) for a, b in zip(ins, outs))
    f.pieces = tuple(Piece(b.offset, a.offset, False) for a, b in zip(ins, outs))


def _rewritten(f: FunctionMap, module: Module, fid: int, plan: FunctionPlan, out_body) -> None:
    """A rewritten body: its plan walked in splice's order, checked against the output bytes."""
    in_body = module.code[fid - module.num_imported_funcs]
    raw, instrs = input_code(module, fid, plan)
    segs = segments(plan, raw, instrs)
    head = encode_locals(tuple(in_body.locals) + plan.locals)
    if out_body.raw != head + b"".join(s.data for s in segs):
        raise InternalError(f"internal: the plan of function {fid} does not rebuild its instrumented body")
    source = [ins.offset for ins in in_body.instrs]      # input addresses (the original encoding)
    at = [ins.offset for ins in instrs]                  # where splice read them (maybe re-encoded)
    adjusted = {k for k, _ in plan.adjusted}
    last = len(instrs) - 1
    exact = {0: 0, f.in_end - f.in_start: f.out_end - f.out_start}
    pieces = [Piece(0, 0, False)]                        # the locals declaration
    for s in segs:
        out = len(head) + s.start
        if s.anchor is not None:
            kind, k = s.anchor
            if kind == "exit":               # the wrapper's block (at the start) or the exit code
                k = 0 if s.start == 0 else last
            pieces.append(Piece(out, source[k], True))
            continue
        if s.first in adjusted:              # one instruction, its branch depth re-encoded
            stretch = [s.first]
        else:                                # a copy of consecutive instructions
            stretch = range(s.first, bisect.bisect_left(at, at[s.first] + len(s.data)))
        for k in stretch:
            o = out + at[k] - at[s.first]
            exact[source[k]] = o
            pieces.append(Piece(o, source[k], False))
    f.exact = exact
    f.pieces = tuple(pieces)
