"""The computed signatures of the opcode table: the per-instruction type rules, top of stack first.

Most instructions have a fixed signature in the opcode table; the others name a *rule* there
(``OpInfo.rule``), and :data:`RULES` maps each rule name to the function computing the instruction's
``(operands, results)`` from its immediates and context (callee and block types, locals, globals, tables,
GC field types, label types).  They are kept apart from the walk (:mod:`compiler.wasm.stack`) because
they are a table to read against the spec, one entry per instruction family, while the walk is one
hot loop.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from compiler.wasm.model import Instr, RefType, StructType, ValType

if TYPE_CHECKING:
    from compiler.wasm.stack import FunctionTypes

__all__ = ["Types", "RULES", "unpack"]

#: Types of an instruction's operands or results, top of stack first; ``None`` = unknown.
Types = tuple["ValType | None", ...]


def unpack(storage: ValType) -> ValType:
    """The value type a packed GC field or array element (``i8``/``i16``) is read as."""
    return "i32" if storage == "i8" or storage == "i16" else storage


def _rev(types: Sequence[ValType]) -> tuple[ValType, ...]:
    return tuple(reversed(types))


#: A computed signature: ``(function types, instruction index, instruction) -> (operands, results)``.
_Rule = Callable[["FunctionTypes", int, Instr], "tuple[Types, Types]"]
#: The computed signature of every rule name of the opcode table.
RULES: dict[str, _Rule] = {}


def _rule(*names: str) -> Callable[[_Rule], _Rule]:
    def register(fn: _Rule) -> _Rule:
        for name in names:
            RULES[name] = fn
        return fn
    return register


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
    return _rev([unpack(f.storage) for f in comp.fields]), (RefType(False, t),)


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
