"""weave.py: calls woven into an application at every placement, with saved operands, locals,
constants and table references; indices renumbered; the result validates and computes the same."""
from __future__ import annotations

import wasmtime

from compiler.sites.finding import Placement
from compiler.wasm import FUNCREF, FuncType, read_module, validate
from compiler.wei.weave import FUNC_EXPORT, TABLE_EXPORT, Arg, WovenCall, weave

APP = """(module
  (import "env" "log" (func $log (param i32)))
  (table 2 funcref) (elem (i32.const 0) $sq $twice)
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $twice (param i32) (result i32) (i32.add (local.get 0) (local.get 0)))
  (func $f (export "f") (param $x i32) (result i32) (local $y i64)
    (local.set $y (i64.const 7))
    (if (i32.gt_s (local.get $x) (i32.const 10)) (then (return (i32.const -1))))
    (call $sq (i32.add (local.get $x) (i32.const 1))))
  (func (export "g") (param i32) (result i32)
    (call_indirect (param i32) (result i32) (i32.const 3) (local.get 0))))"""
#  f's instructions: 0 i64.const 1 local.set 2 local.get 3 i32.const 4 i32.gt_s 5 if 6 i32.const 7 return
#  8 end 9 local.get 10 i32.const 11 i32.add 12 call 13 end


def _run(calls, imports, export: str, arg: int, **kw):
    module = read_module(wasmtime.wat2wasm(APP))
    data = weave(module, imports, calls, **kw)
    validate(data)
    log: list = []
    store = wasmtime.Store()
    linker = wasmtime.Linker(store.engine)
    i32 = wasmtime.ValType.i32()
    linker.define_func("env", "log", wasmtime.FuncType([i32], []), lambda v: log.append(("app", v)))
    for mod, name, ft in imports:
        types = [wasmtime.ValType.i64() if t == "i64" else wasmtime.ValType.funcref() if t == FUNCREF else i32
                 for t in ft.params]
        linker.define_func(mod, name, wasmtime.FuncType(types, []),
                           lambda *a, name=name: log.append((name, *a)))
    inst = linker.instantiate(store, wasmtime.Module(store.engine, data))
    return inst.exports(store)[export](store, arg), log, inst, store


def test_before_saves_and_restores_operands():
    call = WovenCall(3, 11, Placement.BEFORE, 0, (Arg("operand", "i32", 0), Arg("operand", "i32", 1),
                                                  Arg("const", "i64", value=-5), Arg("local", "i64", 1)))
    result, log, *_ = _run([call], [("m", "add", FuncType(("i32", "i32", "i64", "i64"), ()))], "f", 4)
    assert result == 25 and log == [("add", 1, 4, -5, 7)]


def test_entry_exit_and_return_copies():
    calls = [WovenCall(3, 0, Placement.FUNC_ENTRY, 0, (Arg("local", "i32", 0),)),
             WovenCall(3, 0, Placement.FUNC_EXIT, 1, (Arg("const", "i32", value=99),))]
    imports = [("m", "entry", FuncType(("i32",), ())), ("m", "exit", FuncType(("i32",), ()))]
    assert _run(calls, imports, "f", 3)[:2] == (16, [("entry", 3), ("exit", 99)])
    assert _run(calls, imports, "f", 30)[:2] == (-1, [("entry", 30), ("exit", 99)])   # via the return copy


def test_after_and_order_at_one_instruction():
    calls = [WovenCall(3, 12, Placement.BEFORE, 0, (Arg("const", "i32", value=1),)),
             WovenCall(3, 12, Placement.AFTER, 0, (Arg("const", "i32", value=3),)),
             WovenCall(3, 12, Placement.BEFORE, 0, (Arg("const", "i32", value=2),))]
    _, log, *_ = _run(calls, [("m", "at", FuncType(("i32",), ()))], "f", 1)
    assert log == [("at", 1), ("at", 2), ("at", 3)]


def test_funcref_argument_and_exports():
    call = WovenCall(4, 2, Placement.BEFORE, 0, (Arg("funcref", FUNCREF, 0, 0), Arg("operand", "i32", 0)))
    imports = [("m", "ref", FuncType((FUNCREF, "i32"), ()))]
    result, log, inst, store = _run([call], imports, "g", 1, export_functions=True, export_tables=[0])
    assert result == 6
    (name, ref, index), = log
    assert index == 1 and isinstance(ref, wasmtime.Func) and ref(store, 5) == 10
    exports = inst.exports(store)
    assert isinstance(exports[TABLE_EXPORT.format(0)], wasmtime.Table)
    assert exports[FUNC_EXPORT.format(1)](store, 3) == 9       # input indices: 1 = $sq, 2 = $twice
    assert exports[FUNC_EXPORT.format(2)](store, 3) == 6


def test_untouched_functions_are_renumbered():
    """Added imports shift defined functions: calls, element segments and exports still reach them."""
    call = WovenCall(3, 0, Placement.FUNC_ENTRY, 0, ())
    result, log, *_ = _run([call], [("m", "x", FuncType((), ()))], "g", 1)
    assert result == 6 and log == []


def test_string_arguments_are_copied_into_the_imported_buffer():
    """The application writes string bytes into the engine buffer with memory.init before the call;
    its own memory (now index 1) is untouched."""
    app = """(module (memory (export "memory") 1) (data (i32.const 0) "app")
      (func (export "f") (i32.store8 (i32.const 5) (i32.const 7)) (nop)))"""
    module = read_module(wasmtime.wat2wasm(app))
    calls = [WovenCall(0, 3, Placement.BEFORE, 0, (Arg("string", "i32", 16, b"hello"), Arg("string", "i32", 21, b"ab"),
                                                   Arg("const", "i32", value=3)))]
    data = weave(module, [("m", "see", FuncType(("i32",) * 5, ()))], calls, buffer=("m", "buf"))
    validate(data)
    store = wasmtime.Store()
    buf = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None)))
    seen: list = []

    def see(p1, l1, p2, l2, k):
        seen.append((bytes(buf.read(store, p1, p1 + l1)), bytes(buf.read(store, p2, p2 + l2)), k))

    i32 = wasmtime.ValType.i32()
    linker = wasmtime.Linker(store.engine)
    linker.define(store, "m", "buf", buf)
    linker.define_func("m", "see", wasmtime.FuncType([i32] * 5, []), see)
    inst = linker.instantiate(store, wasmtime.Module(store.engine, data))
    inst.exports(store)["f"](store)
    assert seen == [(b"hello", b"ab", 3)]
    memory = inst.exports(store)["memory"]
    assert bytes(memory.read(store, 0, 6)) == b"app\0\0\x07"
