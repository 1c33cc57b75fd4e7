"""Plan + input body → output body bytes (REWRITING.md §8): the one step of rewriting that writes bytes.

:func:`splice` reads the :class:`~compiler.rewrite.plan.FunctionPlan` and the input function's body
(its instructions renumbered by the plan's own ``renumbering``) and nothing else — no layout, no
module context — which is what makes the plan a sound key for reusing output bytes
(:mod:`compiler.rewrite.bodycache`).  It copies the input's bytes between the positions that get code
around them (or are replaced, or need their branch depths adjusted), so its cost follows the number
of sites rather than the size of the function.
"""
from __future__ import annotations

import bisect
from typing import Sequence

from compiler.rewrite.plan import FunctionPlan, code_bytes
from compiler.wasm.code import encode_instr, encode_locals
from compiler.wasm.model import FuncBody, Instr

__all__ = ["splice"]


def splice(plan: FunctionPlan, body: FuncBody, instrs: Sequence[Instr]) -> bytes:
    """The output body (locals declaration and code) of ``plan`` applied to ``body``.

    ``instrs`` are ``body``'s instructions renumbered with ``plan.renumbering`` — ``body.instrs``
    itself when nothing moves (then the input's bytes are copied as they are)."""
    locals_ = tuple(body.locals) + plan.locals
    raw = body.raw
    if raw is None or instrs is not body.instrs:
        raw, instrs = _reencoded(instrs)   # renumbered (or built in memory): encode every instruction
    return encode_locals(locals_) + _code(plan, raw, instrs)


def _reencoded(instrs: Sequence[Instr]) -> tuple[bytes, list[Instr]]:
    """The instructions encoded one by one, with their offsets re-pointed into the result so the
    splice can copy from it like from the input's bytes."""
    pieces = []
    pos = 0
    moved = []
    new = tuple.__new__
    for ins in instrs:
        b = encode_instr(ins)
        moved.append(new(Instr, (ins.op, ins.imms, pos)))
        pieces.append(b)
        pos += len(b)
    return b"".join(pieces), moved


def _code(plan: FunctionPlan, raw: bytes, instrs: Sequence[Instr]) -> bytes:
    """The instrumented code: ``raw`` holds ``instrs`` at their offsets."""
    before = {i: code_bytes(c) for i, c in plan.before}
    after = {i: code_bytes(c) for i, c in plan.after}
    replace_before = dict(plan.replace_before)
    replace_after = dict(plan.replace_after)
    adjusted = dict(plan.adjusted)
    last = len(instrs) - 1
    active = sorted({*before, *after, *replace_before, *replace_after, *adjusted})
    count = len(active)
    pieces: list[bytes] = []
    append = pieces.append
    if plan.wrap:
        append(plan.wrap)

    def instr(k: int) -> None:
        a = adjusted.get(k)
        append(a if a is not None else raw[instrs[k].offset:instrs[k + 1].offset])

    def emit_range(i: int, stop: int) -> None:
        n = bisect.bisect_left(active, i)
        while True:
            j = active[n] if n < count else stop
            if j >= stop:
                if i < stop:
                    append(raw[instrs[i].offset:instrs[stop].offset])
                return
            if i < j:
                append(raw[instrs[i].offset:instrs[j].offset])
            append(before.get(j, b""))
            r = replace_before.get(j)
            if r is None:
                instr(j)
                append(after.get(j, b""))
                r = replace_after.get(j)
                if r is not None:
                    append(code_bytes(r.prefix))
                    if r.keep:
                        emit_range(r.start, r.stop)
                        append(r.suffix)
                    i = r.stop
                    n = bisect.bisect_left(active, i)
                else:
                    i = j + 1
                    n += 1
                continue
            append(code_bytes(r.prefix))
            end = r.stop - 1
            if r.keep:
                instr(j)
                if end > j:
                    append(after.get(j, b""))
                    emit_range(j + 1, end)
                    append(before.get(end, b""))
                    instr(end)
                append(r.suffix)
            append(after.get(end, b""))
            i = r.stop
            n = bisect.bisect_left(active, i)

    emit_range(0, last)
    append(before.get(last, b""))
    if plan.wrap:
        append(b"\x0b")                                  # the wrapper block's end
        append(code_bytes(plan.exit))
    append(raw[instrs[last].offset:])
    return b"".join(pieces)
