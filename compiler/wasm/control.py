"""The control structure of a function body: one cheap pass, no types.

Site matching and the rewriter need the block structure long before (and far more often than) operand
types: the matching ``else``/``end`` of every opener, the opener of every ``end``, the label each branch
targets, and where control continues after a branch (REWRITING.md §6.4–§6.5, ``at_target``).  That pass
is kept apart from the typed operand-stack walk (:mod:`compiler.wasm.stack`), which uses it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from compiler.gc_pause import collector_paused
from compiler.wasm.model import Instr
from compiler.wasm.opcodes import BY_NAME

__all__ = ["Control", "TargetPoint", "control", "OPENERS", "MIDDLES", "BRANCHES", "UNCONDITIONAL",
           "EXIT_LABEL"]

#: Instructions opening a construct that ends with ``end`` (legacy ``try`` included, as a plain block).
OPENERS = frozenset({"block", "loop", "if", "try_table", "try"})

#: Instructions after which the rest of the construct is unreachable (stack-polymorphic, §5).
UNCONDITIONAL = frozenset({"unreachable", "br", "br_table", "return", "throw", "throw_ref", "rethrow",
                           "return_call", "return_call_indirect", "return_call_ref"})

#: The pseudo opener index of the function's outermost label (the implicit function block).
EXIT_LABEL = -1

#: Instructions between an opener and its ``end`` that start another arm of the construct.
MIDDLES = frozenset({"else", "catch", "catch_all"})
#: Instructions with label immediates (branches, ``try_table`` catch clauses, ``delegate``).
BRANCHES = frozenset({"br", "br_if", "br_table", "br_on_null", "br_on_non_null", "br_on_cast",
                       "br_on_cast_fail", "try_table", "rethrow", "delegate"})

_STRUCTURAL_OPS = frozenset(BY_NAME[n] for n in OPENERS | MIDDLES | BRANCHES | {"end"} if n in BY_NAME)


@dataclass(frozen=True, slots=True)
class TargetPoint:
    """Where control continues when a branch targets a label (REWRITING.md §6.5).

    ``kind`` is ``"after_end"`` (a ``block``/``if``/``try_table`` label: right after the instruction at
    ``index``, the construct's matching ``end``), ``"loop_start"`` (a ``loop`` label: right after the
    ``loop`` instruction at ``index``) or ``"exit"`` (the function's outermost label: the function exit,
    ``index`` is the final ``end``).
    """

    kind: str
    index: int


@dataclass(frozen=True, slots=True, eq=False)
class Control:
    """The block structure of one function body (instruction indices throughout).

    ``end[i]`` is the matching ``end`` of opener ``i`` and of ``else`` ``i``, else -1.  ``middle[i]`` is
    the ``else`` of ``if`` ``i`` (for a legacy ``try``: its first ``catch``; for a ``catch``: the next
    one), else -1.  ``opener[j]`` is the opener of ``end``/``else`` ``j`` (-1 for the final ``end`` and
    everything else).  ``labels[i]`` gives, for a branching instruction, the opener index targeted by
    each label immediate in encoding order (``br_table``: the targets then the default; ``try_table``:
    one per catch clause, resolved outside the construct as in validation), :data:`EXIT_LABEL` for the
    function's outermost label.  ``kinds[i]`` is the opener's name for openers, else ``""``.
    """

    end: list[int]
    middle: list[int]
    opener: list[int]
    labels: dict[int, tuple[int, ...]]
    kinds: list[str]
    final_end: int

    def target_point(self, opener: int) -> TargetPoint:
        """Where a branch to the label of ``opener`` (an index, or :data:`EXIT_LABEL`) continues."""
        if opener == EXIT_LABEL:
            return TargetPoint("exit", self.final_end)
        if self.kinds[opener] == "loop":
            return TargetPoint("loop_start", opener)
        return TargetPoint("after_end", self.end[opener])

    def targets(self, index: int) -> tuple[TargetPoint, ...]:
        """The distinct target points of the branch at ``index``, first-occurrence order (``br_table``
        lists each distinct label once, the default included, REWRITING.md §6.5)."""
        seen: dict[int, None] = dict.fromkeys(self.labels.get(index, ()))
        return tuple(self.target_point(o) for o in seen)


def control(instrs: Sequence[Instr]) -> Control:
    """The block structure of a body whose last instruction is the final ``end`` (one pass, no types)."""
    with collector_paused():   # the walk allocates per instruction of a large body
        return _control(instrs)


def _control(instrs: Sequence[Instr]) -> Control:
    n = len(instrs)
    end = [-1] * n
    middle = [-1] * n
    opener = [-1] * n
    kinds = [""] * n
    labels: dict[int, tuple[int, ...]] = {}
    stack: list[int] = [EXIT_LABEL]
    last_middle: dict[int, int] = {}
    structural = _STRUCTURAL_OPS
    i = -1
    for ins in instrs:
        i += 1
        op = ins[0]
        if op not in structural:
            continue
        name = op.name
        if name in OPENERS:
            if name == "try_table":
                labels[i] = tuple(stack[-1 - c.label] for c in ins.imms[1])
            stack.append(i)
            kinds[i] = name
        elif name == "end" or name == "delegate":
            if len(stack) == 1:
                continue                      # the final end
            top = stack.pop()
            end[top] = i
            opener[i] = top
            m = middle[top]
            while m != -1:
                end[m] = i
                m = middle[m]
            if name == "delegate":
                labels[i] = (stack[-1 - ins.imms[0]],)
        elif name in MIDDLES:
            top = stack[-1]
            opener[i] = top
            middle[last_middle.get(top, top)] = i
            last_middle[top] = i
        elif name in BRANCHES:
            imm = ins.imms
            if name == "br_table":
                labels[i] = tuple(stack[-1 - d] for d in imm[0])
            elif name == "br_on_cast" or name == "br_on_cast_fail":
                labels[i] = (stack[-1 - imm[1]],)
            else:
                labels[i] = (stack[-1 - imm[0]],)
    return Control(end, middle, opener, labels, kinds, n - 1)
