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

An input instruction's address maps to the start of its *unit*: the code injected for it (before
it, or replacing it) and then the instruction; code injected after it runs on in its unit until the
next instruction's unit starts.  So a range ``[a, b)`` of input code becomes the output code that
executes ``a`` up to ``b`` with its instrumentation, and the line table gives injected code the line
of the instruction it instruments.  An instruction an ``alt`` removed maps to the unit after it.  A
call's return address is the exception (:meth:`AddressMap.return_address`): the call returns right
after its own bytes, before the code injected after it.

:meth:`AddressMap.address` maps the addresses that can be named exactly (body starts and ends,
instruction starts, 0 — the base address compilation units use) and raises :class:`Unmappable` for
any other; :attr:`FunctionMap.units` gives the line-table rewriter a rewritten body's units in output
order.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence

from compiler.errors import InternalError
from compiler.rewrite.marks import input_code, segments
from compiler.wasm.code import encode_locals
from compiler.wasm.dwarf import code_bodies
from compiler.wasm.reader import read_module

if TYPE_CHECKING:
    from compiler.rewrite.plan import FunctionPlan
    from compiler.wasm.model import Module

__all__ = ["AddressMap", "FunctionMap", "Unmappable", "address_map"]


class Unmappable(Exception):
    """An input code address that names no place the map knows (mid-instruction, in a size LEB, past
    the code): the debug section holding it cannot be rewritten truthfully."""

    def __init__(self, address: int) -> None:
        super().__init__(f"code address 0x{address:x} is not an instruction boundary")
        self.address = address


@dataclass(slots=True)
class FunctionMap:
    """One input function body: its range in the input and output code payloads, and either nothing
    more (``exact`` None: the body was copied byte for byte) or the map of its body-relative
    addresses (body start and end, instruction starts), its units as ``(output, input)``
    body-relative starts in output order, and its input instruction starts (``boundaries``)."""

    in_start: int
    in_end: int
    out_start: int
    out_end: int
    exact: dict[int, int] | None = None
    units: tuple[tuple[int, int], ...] = ()
    boundaries: frozenset[int] = frozenset()
    returns: dict[int, int] = field(default_factory=dict)
    """Input instruction start → the output address right after the copy of the instruction before it
    (where a call before it returns to), for rewritten bodies."""


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

    def return_address(self, address: int) -> int:
        """The output address a call returns to when ``address`` is the input instruction after it:
        right after the call's copy — before the code injected after the call, which
        :meth:`address` puts in the call's unit."""
        f = self.function_at(address)
        if f is not None and f.exact is not None:
            out = f.returns.get(address - f.in_start)
            if out is not None:
                return f.out_start + out
        return self.address(address)

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


def address_map(module: Module, output: bytes, plans: Mapping[int, FunctionPlan], func_shift: int) -> AddressMap:
    """The map from ``module``'s code to ``output``'s (the instrumented module's bytes); ``plans`` are
    the plans of the rewritten functions by input function index, ``func_shift`` how far the input's
    defined functions moved in the function index space."""
    out_module = read_module(output)
    nimp = module.num_imported_funcs
    in_bodies = code_bodies(module)
    out_bodies = code_bodies(out_module)
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
    f.units = ((0, 0),) + tuple((b.offset, a.offset) for a, b in zip(ins, outs))
    f.exact = {source: out for out, source in f.units}
    f.exact[f.in_end - f.in_start] = f.out_end - f.out_start
    f.boundaries = frozenset(a.offset for a in ins)


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
    start: dict[int, int] = {}                           # instruction -> its unit's output start
    units = [(0, 0)]                                     # the locals declaration

    def unit(k: int, out: int) -> None:
        if k not in start:
            start[k] = out
            units.append((out, source[k]))

    for s in segs:
        out = len(head) + s.start
        if s.anchor is not None:
            kind, k = s.anchor
            if kind == "exit":               # the wrapper's block (at the start) or the exit code
                k = 0 if s.start == 0 else last
            if kind != "after":              # code after an instruction runs on in its unit
                unit(k, out)
            continue
        if s.first in adjusted:              # one instruction, its branch depth re-encoded
            unit(s.first, out)
            if s.first < last:
                f.returns[source[s.first + 1]] = out + len(s.data)
            continue
        for k in range(s.first, bisect.bisect_left(at, at[s.first] + len(s.data))):   # a copy
            unit(k, out + at[k] - at[s.first])
            if k < last:
                f.returns[source[k + 1]] = out + at[k + 1] - at[s.first]
    exact = {0: 0, f.in_end - f.in_start: f.out_end - f.out_start}
    following = f.out_end - f.out_start
    for k in range(last, -1, -1):            # a removed instruction: the unit after it
        following = start.get(k, following)
        exact[source[k]] = following
    f.exact = exact
    f.units = tuple(units)
    f.boundaries = frozenset(source)
