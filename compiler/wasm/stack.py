"""The typed operand stack: the Wasm types every instruction consumes and produces.

Site matching (REWRITING.md §5) needs, per instruction, the types of its operands (``argN``) and results
(``resN``); the emitter needs them to save operands into locals (§6).  The block structure this builds on
is :mod:`compiler.wasm.control`; the per-instruction rules of the opcode table's computed signatures are
:mod:`compiler.wasm.type_rules`.  Two levels of cost are offered:

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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from compiler.gc_pause import collector_paused
from compiler.wasm.control import BRANCHES, EXIT_LABEL, MIDDLES, OPENERS, UNCONDITIONAL, Control, control
from compiler.wasm.model import ArrayType, ExternKind, FuncType, Instr, RefType, StructType, ValType
from compiler.wasm.opcodes import ADDR, BY_NAME, OPCODES, OpInfo
from compiler.wasm.type_rules import RULES, Types, unpack

if TYPE_CHECKING:
    from compiler.wasm.model import Module

__all__ = ["StackTypes", "ModuleTypes", "FunctionTypes", "Types", "STACK_DEPENDENT", "BY_IMMEDIATES"]

#: Instructions whose operand (and so result) types depend on the stack, not only on immediates.
STACK_DEPENDENT = frozenset({"drop", "select", "ref.is_null", "ref.as_non_null", "br_on_null",
                             "any.convert_extern", "extern.convert_any"})


# ------------------------------------------------------------------------------------------------
# Types

@dataclass(frozen=True, slots=True, eq=False)
class StackTypes:
    """The result of the full walk: per instruction index, operand and result types (top first) and
    whether the instruction is reachable (not after an unconditional transfer in its construct)."""

    operands: list[Types]
    results: list[Types]
    reachable: list[bool]


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
        """The function type at ``typeidx`` (validation guarantees it is one)."""
        comp = self.types[typeidx].composite
        assert isinstance(comp, FuncType)
        return comp

    def callee(self, funcidx: int) -> FuncType:
        """The type of function ``funcidx`` (imports included)."""
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
        """The value type a ``struct.get`` of field ``fieldidx`` of struct type ``typeidx`` pushes."""
        comp = self.types[typeidx].composite
        assert isinstance(comp, StructType)
        return unpack(comp.fields[fieldidx].storage)

    def element(self, typeidx: int) -> ValType:
        """The value type an ``array.get`` of array type ``typeidx`` pushes."""
        comp = self.types[typeidx].composite
        assert isinstance(comp, ArrayType)
        return unpack(comp.element.storage)

    def top(self, heap: str | int) -> RefType:
        """The nullable top reference type of ``heap``'s hierarchy (what any value of it fits in)."""
        if isinstance(heap, int):
            return RefType(True, "func" if isinstance(self.types[heap].composite, FuncType) else "any")
        return RefType(True, _TOP_OF.get(heap, "any"))

    def table_addr(self, tableidx: int) -> str:
        """The address type (``i32``/``i64``) of table ``tableidx``."""
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
                sig = mt.memo[key] = RULES[op.rule](self, index, ins)   # type: ignore[index]
            return sig
        if op in _FUNCTION_MEMO_OPS:
            key = (op, ins[1])
            sig = self._memo.get(key)
            if sig is None:
                sig = self._memo[key] = RULES[op.rule](self, index, ins)   # type: ignore[index]
            return sig
        if op.rule is None:                      # fixed row with addr in a memory64 module
            is64 = self.mt.mem64[_memidx(ins)]
            a = "i64" if is64 else "i32"
            return (tuple(reversed([a if t == ADDR else t for t in op.params])),   # type: ignore[union-attr]
                    tuple(reversed([a if t == ADDR else t for t in op.results])))  # type: ignore[union-attr]
        return RULES[op.rule](self, index, ins)

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
            with collector_paused():
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
            elif name in MIDDLES:
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


def _ops(names: frozenset[str] | set[str]) -> frozenset[OpInfo]:
    return frozenset(BY_NAME[n] for n in names if n in BY_NAME)


_CONTROL_OPS = _ops(OPENERS | MIDDLES | UNCONDITIONAL | {"end", "delegate"})
_FUNCTION_MEMO_OPS = _ops({"local.get", "local.set", "local.tee", "return"})
_MODULE_MEMO_OPS = frozenset(op for op in OPCODES if op.rule is not None and op not in _FUNCTION_MEMO_OPS) - _ops(
    MIDDLES | BRANCHES | {"end", "delegate", "return"} | STACK_DEPENDENT)
_DEPENDENT_OPS = _ops(STACK_DEPENDENT)
#: The instructions whose signature within one function depends on their immediates alone (the memoised
#: ones): a caller visiting many sites may key its own cache on ``(op, imms)``.
BY_IMMEDIATES = _FUNCTION_MEMO_OPS | _MODULE_MEMO_OPS
