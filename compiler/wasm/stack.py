"""The typed operand-stack walk: control structure and the Wasm types every instruction consumes and produces.

Site matching (REWRITING.md §5) needs, per instruction, the types of its operands (``argN``) and results
(``resN``); the emitter needs them to save operands into locals (§6) and needs the control structure to
place ``entry``/``exit``/``after``/``at_target`` code (§6.4–§6.5).  Two levels of cost are offered:

* :func:`control` — one cheap pass over the block structure: the matching ``else``/``end`` of every
  opener, the opener of every ``end``, and the label each branch targets.
* :class:`FunctionTypes` — :meth:`~FunctionTypes.signature` gives an instruction's types from the opcode
  table, its immediates and the module (callee types, local/global/table types, block types, GC field
  types, label types) without walking; :meth:`~FunctionTypes.walk` is the validator-style walk over the
  whole operand stack, needed only for the few instructions whose types depend on what is on the stack
  (:data:`STACK_DEPENDENT`: ``drop``, untyped ``select``, ``ref.is_null``, ``ref.as_non_null``, …).
  The walk only *fills in* what the static signature leaves unknown, so a site's types are the same
  whether or not the walk ran — matching can skip the walk for functions that do not need it and still
  be a pure function of its inputs.

Types are the model's value types (``"i32"`` … or :class:`~compiler.wasm.model.RefType`); ``None`` is an
unknown type: an operand popped from the polymorphic stack of unreachable code (after ``br``,
``return``, ``unreachable``, …, REWRITING.md §5), where probes needing it skip the site.  Operand and
result tuples are **top of stack first**, the numbering of ``argN``/``resN`` (EVENTS.md §7.3).

What an instruction "consumes and produces" is its Wasm-level signature, with these conventions for
structured instructions: an opener (``block``/``loop``/``if``/``try_table``) consumes its parameters (and
``if`` its condition) and produces the parameters as seen inside the construct; ``else`` consumes the
then-arm's results and produces the parameters again; ``end`` consumes and produces the construct's
results (the function's results for the final ``end``); ``br_if``/``br_on_*`` consume the label's values
and produce the fall-through values; ``br``/``br_table``/``return``/``throw*``/``return_call*`` produce
nothing (the stack is polymorphic afterwards).
"""
from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from compiler.wasm.model import ArrayType, ExternKind, FuncType, Instr, RefType, StructType, ValType
from compiler.wasm.opcodes import ADDR, BY_NAME, OPCODES, OpInfo

if TYPE_CHECKING:
    from compiler.wasm.model import Module

__all__ = [
    "Control", "TargetPoint", "StackTypes", "ModuleTypes", "FunctionTypes", "Types",
    "control", "STACK_DEPENDENT", "OPENERS", "UNCONDITIONAL", "EXIT_LABEL",
]

#: Types of an instruction's operands or results, top of stack first; ``None`` = unknown.
Types = tuple["ValType | None", ...]

#: Instructions opening a construct that ends with ``end`` (legacy ``try`` included, as a plain block).
OPENERS = frozenset({"block", "loop", "if", "try_table", "try"})

#: Instructions after which the rest of the construct is unreachable (stack-polymorphic, §5).
UNCONDITIONAL = frozenset({"unreachable", "br", "br_table", "return", "throw", "throw_ref", "rethrow",
                           "return_call", "return_call_indirect", "return_call_ref"})

#: Instructions whose operand (and so result) types depend on the stack, not only on immediates.
STACK_DEPENDENT = frozenset({"drop", "select", "ref.is_null", "ref.as_non_null", "br_on_null",
                             "any.convert_extern", "extern.convert_any"})

#: The pseudo opener index of the function's outermost label (the implicit function block).
EXIT_LABEL = -1

_MIDDLES = frozenset({"else", "catch", "catch_all"})
_BRANCHES = frozenset({"br", "br_if", "br_table", "br_on_null", "br_on_non_null", "br_on_cast",
                       "br_on_cast_fail", "try_table", "rethrow", "delegate"})


# ------------------------------------------------------------------------------------------------
# Control structure

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


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic collector around a loop that allocates per instruction (as the decoder does):
    collections triggered by those allocations would scan every ``Instr`` of the module each time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def control(instrs: Sequence[Instr]) -> Control:
    """The block structure of a body whose last instruction is the final ``end`` (one pass, no types)."""
    with _gc_paused():
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
        elif name in _MIDDLES:
            top = stack[-1]
            opener[i] = top
            middle[last_middle.get(top, top)] = i
            last_middle[top] = i
        elif name in _BRANCHES:
            imm = ins.imms
            if name == "br_table":
                labels[i] = tuple(stack[-1 - d] for d in imm[0])
            elif name == "br_on_cast" or name == "br_on_cast_fail":
                labels[i] = (stack[-1 - imm[1]],)
            else:
                labels[i] = (stack[-1 - imm[0]],)
    return Control(end, middle, opener, labels, kinds, n - 1)


# ------------------------------------------------------------------------------------------------
# Types

@dataclass(frozen=True, slots=True, eq=False)
class StackTypes:
    """The result of the full walk: per instruction index, operand and result types (top first) and
    whether the instruction is reachable (not after an unconditional transfer in its construct)."""

    operands: list[Types]
    results: list[Types]
    reachable: list[bool]


def _unpack(storage: ValType) -> ValType:
    return "i32" if storage == "i8" or storage == "i16" else storage


_TOP_OF = {"func": "func", "nofunc": "func", "extern": "extern", "noextern": "extern", "exn": "exn",
           "noexn": "exn"}


class ModuleTypes:
    """Module-wide type facts the signatures need, computed once per module (index spaces with imports)."""

    __slots__ = ("module", "types", "funcs", "globals", "tables", "tags", "mem64", "any_mem64",
                 "_blocks", "_fixed", "memo")

    def __init__(self, module: Module) -> None:
        self.module = module
        self.types = module.defined_types()
        imported = [imp.desc for imp in module.imports if imp.kind == ExternKind.FUNC]
        self.funcs: list[int] = imported + list(module.functions)   # type: ignore[operator]
        self.globals = [g.valtype for g in module.global_types()]
        self.tables = module.table_types()
        self.tags = module.tag_types()
        self.mem64 = [lim.is64 for lim in module.memory_limits()]
        self.any_mem64 = any(self.mem64)
        self._blocks: dict[object, tuple[tuple[ValType, ...], tuple[ValType, ...]]] = {}
        self._fixed: dict[OpInfo, tuple[Types, Types] | None] = {}
        self.memo: dict[tuple, tuple[Types, Types]] = {}
        """Signatures that depend only on an instruction's opcode and immediates (see ``signature``)."""

    def func_type(self, typeidx: int) -> FuncType:
        comp = self.types[typeidx].composite
        assert isinstance(comp, FuncType)
        return comp

    def callee(self, funcidx: int) -> FuncType:
        return self.func_type(self.funcs[funcidx])

    def block(self, blocktype: object) -> tuple[tuple[ValType, ...], tuple[ValType, ...]]:
        """``(params, results)`` of a block type (bottom to top)."""
        sig = self._blocks.get(blocktype)
        if sig is None:
            if blocktype is None:
                sig = ((), ())
            elif isinstance(blocktype, int) and not isinstance(blocktype, bool):
                ft = self.func_type(blocktype)
                sig = (ft.params, ft.results)
            else:
                sig = ((), (blocktype,))   # type: ignore[assignment]
            self._blocks[blocktype] = sig  # type: ignore[assignment]
        return sig  # type: ignore[return-value]

    def field(self, typeidx: int, fieldidx: int) -> ValType:
        comp = self.types[typeidx].composite
        assert isinstance(comp, StructType)
        return _unpack(comp.fields[fieldidx].storage)

    def element(self, typeidx: int) -> ValType:
        comp = self.types[typeidx].composite
        assert isinstance(comp, ArrayType)
        return _unpack(comp.element.storage)

    def top(self, heap: str | int) -> RefType:
        """The nullable top reference type of ``heap``'s hierarchy (what any value of it fits in)."""
        if isinstance(heap, int):
            return RefType(True, "func" if isinstance(self.types[heap].composite, FuncType) else "any")
        return RefType(True, _TOP_OF.get(heap, "any"))

    def table_addr(self, tableidx: int) -> str:
        return self.tables[tableidx].limits.address_type

    def fixed(self, op: OpInfo) -> tuple[Types, Types] | None:
        """The signature of a fixed-signature instruction (``addr`` resolved to ``i32``), top first; None
        for computed signatures and, in a memory64 module, for rows mentioning ``addr``."""
        return self.fixed_table()[op]

    def fixed_table(self) -> dict[OpInfo, tuple[Types, Types] | None]:
        """:meth:`fixed` for every opcode, built on first use (the walk indexes it directly)."""
        if not self._fixed:
            for op in OPCODES:
                sig: tuple[Types, Types] | None = None
                if op.params is not None and (not self.any_mem64 or ADDR not in op.params + op.results):
                    sig = (tuple(reversed([_addr32(t) for t in op.params])),
                           tuple(reversed([_addr32(t) for t in op.results])))   # type: ignore[arg-type]
                self._fixed[op] = sig
        return self._fixed


def _addr32(t: ValType) -> ValType:
    return "i32" if t == ADDR else t


def _memidx(ins: Instr) -> int:
    """The memory an instruction with an ``addr`` placeholder addresses."""
    imms = ins.imms
    if ins.op.name == "memory.init":
        return imms[1]
    first = imms[0] if imms else 0
    return first.memory if hasattr(first, "memory") else first


def _rev(types: Sequence[ValType]) -> tuple[ValType, ...]:
    return tuple(reversed(types))


_Rule = Callable[["FunctionTypes", int, Instr], "tuple[Types, Types]"]
_RULES: dict[str, _Rule] = {}


def _rule(*names: str) -> Callable[[_Rule], _Rule]:
    def register(fn: _Rule) -> _Rule:
        for name in names:
            _RULES[name] = fn
        return fn
    return register


class FunctionTypes:
    """Operand/result types of one defined function's instructions.

    :meth:`signature` is static (no walk) and leaves ``None`` only where the type depends on the stack
    (:data:`STACK_DEPENDENT`); :meth:`walk` runs the full walk once and fills those in;
    :meth:`operands` / :meth:`results` give the complete answer, walking only if needed.
    """

    __slots__ = ("mt", "fid", "instrs", "locals", "func", "_control", "_walk", "_memo", "_labels", "_fixed")

    def __init__(self, mt: ModuleTypes, fid: int, instrs: Sequence[Instr] | None = None) -> None:
        module = mt.module
        self.mt = mt
        self.fid = fid
        body = module.code[fid - module.num_imported_funcs]
        self.instrs: Sequence[Instr] = body.instrs if instrs is None else instrs
        self.func = mt.callee(fid)
        self.locals: tuple[ValType, ...] = tuple(self.func.params) + tuple(body.local_types())
        self._control: Control | None = None
        self._walk: StackTypes | None = None
        self._memo: dict[tuple, tuple[Types, Types]] = {}
        self._labels: dict[int, tuple[ValType, ...]] = {}
        self._fixed = mt.fixed_table()

    @property
    def control(self) -> Control:
        """The block structure (computed on first use: many signatures do not need it)."""
        if self._control is None:
            self._control = control(self.instrs)
        return self._control

    # -- static signatures -----------------------------------------------------------------------

    def signature(self, index: int) -> tuple[Types, Types]:
        """``(operands, results)`` of instruction ``index`` from immediates and context, top first."""
        ins = self.instrs[index]
        op = ins[0]
        sig = self._fixed[op]
        if sig is not None:
            return sig
        mt = self.mt
        # Most computed signatures depend only on the immediates (calls, globals, blocks, GC) or on
        # them and the function (locals): memoised per module / per function, as the walk's hot path.
        if op in _MODULE_MEMO_OPS:
            key = (op, ins[1])
            sig = mt.memo.get(key)
            if sig is None:
                sig = mt.memo[key] = _RULES[op.rule](self, index, ins)   # type: ignore[index]
            return sig
        if op in _FUNCTION_MEMO_OPS:
            key = (op, ins[1])
            sig = self._memo.get(key)
            if sig is None:
                sig = self._memo[key] = _RULES[op.rule](self, index, ins)   # type: ignore[index]
            return sig
        if op.rule is None:                      # fixed row with addr in a memory64 module
            is64 = self.mt.mem64[_memidx(ins)]
            a = "i64" if is64 else "i32"
            return (tuple(reversed([a if t == ADDR else t for t in op.params])),   # type: ignore[union-attr]
                    tuple(reversed([a if t == ADDR else t for t in op.results])))  # type: ignore[union-attr]
        return _RULES[op.rule](self, index, ins)

    def label_types(self, opener: int) -> tuple[ValType, ...]:
        """The types a branch to the label of ``opener`` carries, bottom to top."""
        types = self._labels.get(opener)
        if types is None:
            if opener == EXIT_LABEL:
                types = tuple(self.func.results)
            else:
                params, results = self.mt.block(self.instrs[opener].imms[0])
                types = params if self.control.kinds[opener] == "loop" else results
            self._labels[opener] = types
        return types

    def construct(self, opener: int) -> tuple[tuple[ValType, ...], tuple[ValType, ...]]:
        """``(params, results)`` of the construct opened at ``opener`` (the function for -1)."""
        if opener == EXIT_LABEL:
            return (), tuple(self.func.results)
        return self.mt.block(self.instrs[opener].imms[0])

    # -- the walk --------------------------------------------------------------------------------

    def operands(self, index: int) -> Types:
        """The complete operand types of instruction ``index`` (walking the function if needed)."""
        ops = self.signature(index)[0]
        if None in ops and self.instrs[index].op.name in STACK_DEPENDENT:
            return self.walk().operands[index]
        return ops

    def results(self, index: int) -> Types:
        """The complete result types of instruction ``index`` (walking the function if needed)."""
        res = self.signature(index)[1]
        if None in res and self.instrs[index].op.name in STACK_DEPENDENT:
            return self.walk().results[index]
        return res

    @property
    def walked(self) -> bool:
        """Whether :meth:`walk` has run (matching walks only functions that need it)."""
        return self._walk is not None

    def walk(self) -> StackTypes:
        """The validator-style walk over the whole body (once; the result is cached)."""
        if self._walk is None:
            with _gc_paused():
                self._walk = self._run()
        return self._walk

    def _run(self) -> StackTypes:
        # The hot loop of the module: locals only, instructions indexed as tuples, fixed signatures
        # from a per-module table, operands popped with one slice deletion.
        instrs = self.instrs
        n = len(instrs)
        fixed = self.mt.fixed_table()
        signature = self.signature
        out_ops: list[Types] = [()] * n
        out_res: list[Types] = [()] * n
        reach = [True] * n
        stack: list[ValType | None] = []
        height = 0
        dead = False
        frames: list[tuple[int, bool]] = []     # the enclosing constructs' (height, dead)
        control_ops = _CONTROL_OPS
        dependent = _DEPENDENT_OPS
        fmemo, fmemo_ops = self._memo, _FUNCTION_MEMO_OPS
        mmemo, mmemo_ops = self.mt.memo, _MODULE_MEMO_OPS
        i = -1
        for ins in instrs:
            i += 1
            op = ins[0]
            sig = fixed[op]
            if sig is None:
                if op in fmemo_ops:
                    sig = fmemo.get((op, ins[1])) or signature(i)
                elif op in mmemo_ops:
                    sig = mmemo.get((op, ins[1])) or signature(i)
                else:
                    sig = signature(i)
            ops, res = sig
            if dead:
                reach[i] = False
            k = len(ops)
            if k:
                if len(stack) - height >= k:
                    if op in dependent:
                        ops, res = _dependent(op.name, ops, res, stack[:-k - 1:-1])
                    del stack[-k:]
                else:                             # polymorphic stack: missing operands are unknown
                    if op in dependent:
                        actual = stack[:height - 1:-1] if height else stack[::-1]
                        ops, res = _dependent(op.name, ops, res, actual + [None] * (k - len(actual)))
                    del stack[height:]
            out_ops[i] = ops
            out_res[i] = res
            if op not in control_ops:
                if res:
                    stack.extend(res[::-1])
                continue
            name = op.name
            if name in OPENERS:
                frames.append((height, dead))
                height = len(stack)
                dead = False
            elif name in _MIDDLES:
                del stack[height:]
                dead = False
            elif name == "end" or name == "delegate":
                del stack[height:]
                if frames:
                    height, dead = frames.pop()
            else:                                 # an unconditional transfer
                del stack[height:]
                dead = True
                continue
            stack.extend(res[::-1])
        return StackTypes(out_ops, out_res, reach)


def _dependent(name: str, ops: Types, res: Types, actual: list) -> tuple[Types, Types]:
    """Fill in the types of a :data:`STACK_DEPENDENT` instruction from the actual operands (top first)."""
    a0 = actual[0]
    if name == "drop":
        return (a0,), ()
    if name == "select":
        t = actual[1] if actual[1] is not None else actual[2]
        return ("i32", t, t), (t,)
    if name == "ref.is_null":
        return (a0,), ("i32",)
    if name == "ref.as_non_null":
        return (a0,), (None if a0 is None else RefType(False, a0.heap),)
    if name == "br_on_null":
        return (a0,) + ops[1:], (None if a0 is None else RefType(False, a0.heap),) + res[1:]
    # any.convert_extern / extern.convert_any: the result keeps the operand's nullability
    heap = "any" if name == "any.convert_extern" else "extern"
    return (a0,), (None if a0 is None else RefType(a0.nullable, heap),)


# ------------------------------------------------------------------------------------------------
# Computed signatures (the RULES of the opcode table), top of stack first

_I32 = "i32"
_EXNREF = RefType(True, "exn")


@_rule("block", "try", "try_table")
def _block(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    params = _rev(ft.mt.block(ins.imms[0])[0])
    return params, params


@_rule("if")
def _if(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    params = _rev(ft.mt.block(ins.imms[0])[0])
    return (_I32,) + params, params


@_rule("else")
def _else(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    params, results = ft.construct(ft.control.opener[i])
    return _rev(results), _rev(params)


@_rule("catch")
def _catch(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    results = ft.construct(ft.control.opener[i])[1]
    return _rev(results), _rev(ft.mt.func_type(ft.mt.tags[ins.imms[0]]).params)


@_rule("catch_all")
def _catch_all(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return _rev(ft.construct(ft.control.opener[i])[1]), ()


@_rule("end", "delegate")
def _end(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    results = _rev(ft.construct(ft.control.opener[i])[1])
    return results, results


@_rule("rethrow")
def _nothing(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (), ()


@_rule("br")
def _br(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return _rev(ft.label_types(ft.control.labels[i][0])), ()


@_rule("br_if")
def _br_if(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    label = _rev(ft.label_types(ft.control.labels[i][0]))
    return (_I32,) + label, label


@_rule("br_table")
def _br_table(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (_I32,) + _rev(ft.label_types(ft.control.labels[i][-1])), ()


@_rule("br_on_null")
def _br_on_null(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    label = _rev(ft.label_types(ft.control.labels[i][0]))
    return (None,) + label, (None,) + label


@_rule("br_on_non_null")
def _br_on_non_null(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    label = _rev(ft.label_types(ft.control.labels[i][0]))     # (ref ht) on top, then t*
    ref = label[0]
    return (RefType(True, ref.heap),) + label[1:], label[1:]   # type: ignore[union-attr]


def _cast_types(ins: Instr) -> tuple[RefType, RefType]:
    flags, _, ht1, ht2 = ins.imms
    return RefType(bool(flags & 1), ht1), RefType(bool(flags & 2), ht2)


@_rule("br_on_cast")
def _br_on_cast(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    rt1, rt2 = _cast_types(ins)
    rest = _rev(ft.label_types(ft.control.labels[i][0]))[1:]
    return (rt1,) + rest, (RefType(rt1.nullable and not rt2.nullable, rt1.heap),) + rest


@_rule("br_on_cast_fail")
def _br_on_cast_fail(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    rt1, rt2 = _cast_types(ins)
    rest = _rev(ft.label_types(ft.control.labels[i][0]))[1:]
    return (rt1,) + rest, (rt2,) + rest


@_rule("return")
def _return(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return _rev(ft.func.results), ()


@_rule("call", "return_call")
def _call(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    callee = ft.mt.callee(ins.imms[0])
    return _rev(callee.params), (() if ins.op.name == "return_call" else _rev(callee.results))


@_rule("call_indirect", "return_call_indirect")
def _call_indirect(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    typeidx, tableidx = ins.imms
    callee = ft.mt.func_type(typeidx)
    ops = (ft.mt.table_addr(tableidx),) + _rev(callee.params)
    return ops, (() if ins.op.name == "return_call_indirect" else _rev(callee.results))


@_rule("call_ref", "return_call_ref")
def _call_ref(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    typeidx = ins.imms[0]
    callee = ft.mt.func_type(typeidx)
    ops = (RefType(True, typeidx),) + _rev(callee.params)
    return ops, (() if ins.op.name == "return_call_ref" else _rev(callee.results))


@_rule("throw")
def _throw(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return _rev(ft.mt.func_type(ft.mt.tags[ins.imms[0]]).params), ()


@_rule("throw_ref")
def _throw_ref(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (_EXNREF,), ()


@_rule("drop")
def _drop(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (None,), ()


@_rule("select")
def _select(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (_I32, None, None), (None,)


@_rule("typed_select")
def _typed_select(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t = ins.imms[0][0]
    return (_I32, t, t), (t,)


@_rule("local.get")
def _local_get(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (), (ft.locals[ins.imms[0]],)


@_rule("local.set")
def _local_set(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (ft.locals[ins.imms[0]],), ()


@_rule("local.tee")
def _local_tee(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t = (ft.locals[ins.imms[0]],)
    return t, t


@_rule("global.get")
def _global_get(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (), (ft.mt.globals[ins.imms[0]],)


@_rule("global.set")
def _global_set(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (ft.mt.globals[ins.imms[0]],), ()


@_rule("table.get")
def _table_get(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t = ins.imms[0]
    return (ft.mt.table_addr(t),), (ft.mt.tables[t].element,)


@_rule("table.set")
def _table_set(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t = ins.imms[0]
    return (ft.mt.tables[t].element, ft.mt.table_addr(t)), ()


@_rule("table.size")
def _table_size(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (), (ft.mt.table_addr(ins.imms[0]),)


@_rule("table.grow")
def _table_grow(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t = ins.imms[0]
    a = ft.mt.table_addr(t)
    return (a, ft.mt.tables[t].element), (a,)


@_rule("table.fill")
def _table_fill(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t = ins.imms[0]
    a = ft.mt.table_addr(t)
    return (a, ft.mt.tables[t].element, a), ()


@_rule("table.copy")
def _table_copy(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    dst, src = (ft.mt.table_addr(t) for t in ins.imms)
    n = "i64" if dst == src == "i64" else "i32"
    return (n, src, dst), ()


@_rule("table.init")
def _table_init(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (_I32, _I32, ft.mt.table_addr(ins.imms[1])), ()


@_rule("memory.copy")
def _memory_copy(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    dst, src = ("i64" if ft.mt.mem64[m] else "i32" for m in ins.imms)
    n = "i64" if dst == src == "i64" else "i32"
    return (n, src, dst), ()


@_rule("ref.null")
def _ref_null(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (), (RefType(True, ins.imms[0]),)


@_rule("ref.is_null")
def _ref_is_null(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (None,), (_I32,)


@_rule("ref.func")
def _ref_func(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (), (RefType(False, ft.mt.funcs[ins.imms[0]]),)


@_rule("ref.as_non_null", "any.convert_extern", "extern.convert_any")
def _unknown_ref(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    name = ins.op.name
    if name == "ref.as_non_null":
        return (None,), (None,)
    return ((RefType(True, "extern" if name == "any.convert_extern" else "any"),), (None,))


@_rule("ref.test")
def _ref_test(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (ft.mt.top(ins.imms[0]),), (_I32,)


@_rule("ref.cast")
def _ref_cast(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    heap = ins.imms[0]
    return (ft.mt.top(heap),), (RefType(ins.op.name == "ref.cast_null", heap),)


@_rule("struct.new")
def _struct_new(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t = ins.imms[0]
    comp = ft.mt.types[t].composite
    assert isinstance(comp, StructType)
    return _rev([_unpack(f.storage) for f in comp.fields]), (RefType(False, t),)


@_rule("struct.new_default")
def _struct_new_default(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (), (RefType(False, ins.imms[0]),)


@_rule("struct.get")
def _struct_get(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t, f = ins.imms
    return (RefType(True, t),), (ft.mt.field(t, f),)


@_rule("struct.set")
def _struct_set(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t, f = ins.imms
    return (ft.mt.field(t, f), RefType(True, t)), ()


@_rule("array.new")
def _array_new(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t = ins.imms[0]
    return (_I32, ft.mt.element(t)), (RefType(False, t),)


@_rule("array.new_default")
def _array_new_default(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (_I32,), (RefType(False, ins.imms[0]),)


@_rule("array.new_fixed")
def _array_new_fixed(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t, count = ins.imms
    return (ft.mt.element(t),) * count, (RefType(False, t),)


@_rule("array.new_segment")
def _array_new_segment(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (_I32, _I32), (RefType(False, ins.imms[0]),)


@_rule("array.get")
def _array_get(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t = ins.imms[0]
    return (_I32, RefType(True, t)), (ft.mt.element(t),)


@_rule("array.set")
def _array_set(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t = ins.imms[0]
    return (ft.mt.element(t), _I32, RefType(True, t)), ()


@_rule("array.fill")
def _array_fill(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    t = ins.imms[0]
    return (_I32, ft.mt.element(t), _I32, RefType(True, t)), ()


@_rule("array.copy")
def _array_copy(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    dst, src = ins.imms
    return (_I32, _I32, RefType(True, src), _I32, RefType(True, dst)), ()


@_rule("array.init_segment")
def _array_init_segment(ft: FunctionTypes, i: int, ins: Instr) -> tuple[Types, Types]:
    return (_I32, _I32, _I32, RefType(True, ins.imms[0])), ()


def _ops(names: frozenset[str] | set[str]) -> frozenset[OpInfo]:
    return frozenset(BY_NAME[n] for n in names if n in BY_NAME)


_CONTROL_OPS = _ops(OPENERS | _MIDDLES | UNCONDITIONAL | {"end", "delegate"})
_STRUCTURAL_OPS = _ops(OPENERS | _MIDDLES | _BRANCHES | {"end"})
_FUNCTION_MEMO_OPS = _ops({"local.get", "local.set", "local.tee", "return"})
_MODULE_MEMO_OPS = frozenset(op for op in OPCODES if op.rule is not None and op not in _FUNCTION_MEMO_OPS) - _ops(
    _MIDDLES | _BRANCHES | {"end", "delegate", "return"} | STACK_DEPENDENT)
_DEPENDENT_OPS = _ops(STACK_DEPENDENT)
