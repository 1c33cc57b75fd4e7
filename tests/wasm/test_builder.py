"""The builder / editing API (issue 2, must-show 2): inserting code, adding imports (which shift an
index space and force remapping) and memories; every result is validated and run."""
from __future__ import annotations

import pytest
import wasmtime

from compiler.wasm import (
    FUNCREF, ArrayType, ExternKind, FieldType, FuncType, GlobalType, Limits, RefType, StructType, SubType,
    TableType, read_module, validate,
)
from compiler.wasm.builder import BuildError, Label, ModuleBuilder, instr, resolve_labels
from compiler.wasm.wat import print_module
from tests.corpus.catalog import (
    C_PROGRAMS, WAT_PROGRAMS, Program, call_export, check_runs, program, run_command,
)

_I32 = wasmtime.ValType.i32()


def _func_index(module, name: str) -> int:
    return next(i for i, n in module.names.functions.items() if n == name)


def _counter(builder: ModuleBuilder) -> int:
    glob = builder.add_global(GlobalType("i32", True), [instr("i32.const", 0)], name="counter")
    builder.add_export("whamm_counter", ExternKind.GLOBAL, glob)
    return glob


def _increment(glob: int) -> list:
    return [instr("global.get", glob), instr("i32.const", 1), instr("i32.add"), instr("global.set", glob)]


def _build(builder: ModuleBuilder) -> bytes:
    wasm = builder.write()
    try:
        validate(wasm)
    except Exception:
        print(print_module(read_module(wasm)))
        raise
    return wasm


# --- inserting code --------------------------------------------------------------------------------------

def test_counter_at_function_entry_counts_calls() -> None:
    module = read_module(program("mvp").wasm)
    builder = ModuleBuilder(module)
    fib = _func_index(module, "fib")
    glob = _counter(builder)
    builder.insert_before(fib, module.code[fib].instrs[0].offset, _increment(glob))
    wasm = _build(builder)
    seen = []
    assert call_export(wasm, "fib", (20,), inspect=lambda inst, store: seen.append(
        inst.exports(store)["whamm_counter"].value(store))) == [6765]
    assert seen == [21891]  # fib(20) makes 21891 calls
    check_runs(program("mvp"), wasm)


def test_counter_in_a_c_program_keeps_its_output() -> None:
    prog = program("sort_hash")
    module = read_module(prog.wasm)
    builder = ModuleBuilder(module)
    glob = _counter(builder)
    calls = 0
    for func, body in enumerate(module.code, module.num_imported_funcs):
        for ins in body.instrs:
            if ins.op.name in ("call", "call_indirect"):
                builder.insert_before(func, ins.offset, _increment(glob))
                calls += 1
    wasm = _build(builder)
    counted = []
    result = run_command(wasm, (), inspect=lambda inst, store: counted.append(
        inst.exports(store)["whamm_counter"].value(store)))
    assert result == prog.runs[0].expected
    assert counted[0] > 2000  # at least one comparator call per value sorted
    assert calls > 10


def test_insert_after_and_replace() -> None:
    module = read_module(program("multivalue").wasm)
    builder = ModuleBuilder(module)
    divmod_ = next(e.index for e in module.exports if e.name == "divmod")
    body = module.code[divmod_ - module.num_imported_funcs]
    div, rem = [i for i in body.instrs if i.op.name in ("i32.div_u", "i32.rem_u")]
    builder.replace(divmod_, div.offset, [instr("i32.mul")])
    builder.insert_after(divmod_, rem.offset, [instr("i32.const", 2), instr("i32.mul")])
    builder.insert_after(divmod_, rem.offset, [instr("i32.const", 1000), instr("i32.add")])
    builder.insert_before(divmod_, rem.offset, [instr("drop"), instr("i32.const", 3)])
    wasm = _build(builder)
    # 17 * 5; then (17 rem 3) * 2 + 1000: insertions at one pc run in the order they were made
    assert call_export(wasm, "divmod", (17, 5)) == [85, 1004]


def test_edits_need_an_instruction_at_the_pc() -> None:
    module = read_module(program("mvp").wasm)
    builder = ModuleBuilder(module)
    builder.insert_before(3, 10_000, [instr("nop")])
    with pytest.raises(BuildError, match="no instruction at pc 10000"):
        builder.finish()
    with pytest.raises(BuildError):
        ModuleBuilder(module).insert_before(999, 1, [instr("nop")])


def test_injected_instructions_have_no_pc() -> None:
    module = read_module(program("mvp").wasm)
    builder = ModuleBuilder(module)
    first = module.code[1].instrs[0]
    builder.insert_before(1, first.offset, [instr("nop")])
    builder.finish()
    assert module.code[1].instrs[0].offset == -1 and module.code[1].instrs[1] == first


# --- labels ------------------------------------------------------------------------------------------------

def test_labels_become_depths() -> None:
    outer, inner = Label("outer"), Label("inner")
    code = [outer, instr("block", None), inner, instr("loop", None), instr("i32.const", 0),
            instr("br_if", inner), instr("br_table", (inner, outer, 0)), instr("end"),
            instr("br", outer), instr("end")]
    resolved = resolve_labels(code)
    assert [i.imms for i in resolved if i.op.name.startswith("br")] == [(0,), ((0, 1, 0),), (0,)]
    with pytest.raises(BuildError, match="outside"):
        resolve_labels([instr("br", Label())])
    with pytest.raises(BuildError, match="not a block"):
        resolve_labels([Label(), instr("nop")])
    outside, tried = Label("outside"), Label("tried")
    legacy = resolve_labels([outside, instr("block", None), tried, instr("try", None),
                             instr("delegate", outside), instr("end")])
    assert legacy[2].imms == (0,)  # counted from outside the try it closes


def test_wrapping_code_in_a_block_needs_no_renumbering() -> None:
    module = read_module(program("mvp").wasm)
    builder = ModuleBuilder(module)
    done = Label("done")
    body = [done, instr("block", "i32"), instr("local.get", 0), instr("local.get", 0), instr("i32.eqz"),
            instr("br_if", done), instr("drop"), instr("i32.const", 10), instr("end")]
    wrapper, found = Label("wrapper"), Label("found")
    wrapped = [wrapper, instr("block", "i32"), found, instr("block", None), *body,
               instr("br", wrapper), instr("end"), instr("unreachable"), instr("end")]
    type_ = FuncType(("i32",), ("i32",))
    builder.add_function(type_, body, export="plain")
    builder.add_function(type_, wrapped, export="wrapped")
    wasm = _build(builder)
    for name in ("plain", "wrapped"):
        assert call_export(wasm, name, (0,)) == [0]
        assert call_export(wasm, name, (3,)) == [10]


def test_try_table_catch_labels() -> None:
    module = read_module(program("exceptions").wasm)
    builder = ModuleBuilder(module)
    handler = Label("handler")
    tag = 0
    code = [handler, instr("block", "i32"), instr("try_table", None, [(0, tag, handler)]),
            instr("i32.const", 41), instr("throw", tag), instr("end"), instr("i32.const", -1), instr("return"),
            instr("end"), instr("i32.const", 1), instr("i32.add")]
    builder.add_function(FuncType((), ("i32",)), code, export="caught")
    assert call_export(_build(builder), "caught") == [42]


# --- appending ---------------------------------------------------------------------------------------------

def test_add_memory_with_data_and_code() -> None:
    module = read_module(program("multi_memory").wasm)
    builder = ModuleBuilder(module)
    mem = builder.add_memory(Limits(1, 2), name="scratch")
    builder.add_data(b"\x05\x06", memory=mem, offset=8)
    passive = builder.add_data(b"\x07")
    code = [instr("i32.const", 0), instr("i32.const", 0), instr("i32.const", 1), instr("memory.init", passive, mem),
            instr("i32.const", 0), instr("i32.load8_u", (0, 0, mem)),
            instr("i32.const", 8), instr("i32.load16_u", (1, 0, mem)), instr("i32.add"),
            instr("memory.size", mem), instr("i32.add")]
    builder.add_function(FuncType((), ("i32",)), code, export="scratch")
    wasm = _build(builder)
    assert call_export(wasm, "scratch") == [7 + 0x0605 + 1]
    check_runs(program("multi_memory"), wasm)
    assert read_module(wasm).names.memories[mem] == "scratch"


def test_add_type_reuses_an_equal_type() -> None:
    module = read_module(program("mvp").wasm)
    builder = ModuleBuilder(module)
    count = len(module.defined_types())
    assert builder.add_type(FuncType(("i32",), ("i32",))) < count
    assert builder.add_type(FuncType(("f64", "f64"), ())) == count
    assert len(module.defined_types()) == count + 1


def test_duplicate_export_is_refused() -> None:
    builder = ModuleBuilder(read_module(program("mvp").wasm))
    with pytest.raises(BuildError, match="duplicate export"):
        builder.add_export("fac", ExternKind.FUNC, 0)


# --- imports shift index spaces -------------------------------------------------------------------------

def _host_imports(store_calls: list):
    def note(store):
        return wasmtime.Func(store, wasmtime.FuncType([_I32], []), lambda v: store_calls.append(v))
    return {
        ("host", "note"): note,
        ("host", "mem"): lambda store: wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None))),
        ("host", "g"): lambda store: wasmtime.Global(store, wasmtime.GlobalType(_I32, False), wasmtime.Val.i32(5)),
        ("host", "tag"): lambda store: wasmtime.Tag(store, wasmtime.TagType(wasmtime.FuncType([_I32], []))),
        ("host", "tab"): lambda store: wasmtime.Table(store, wasmtime.TableType(wasmtime.ValType.funcref(),
                                                                           wasmtime.Limits(1, None)), None),
    }


_RUNNABLE_WAT = [p for p in WAT_PROGRAMS if not p.legacy_exceptions]


@pytest.mark.parametrize("prog", _RUNNABLE_WAT, ids=[p.name for p in _RUNNABLE_WAT])
def test_imports_in_every_space_keep_fixtures_working(prog: Program) -> None:
    """A function, memory, global, table and tag import shift every defined item; the fixture still
    behaves as declared and the new imports work."""
    module = read_module(prog.wasm)
    builder = ModuleBuilder(module)
    note = builder.import_function("host", "note", FuncType(("i32",), ()), debug_name="note")
    mem = builder.import_memory("host", "mem", Limits(1))
    glob = builder.import_global("host", "g", GlobalType("i32"))
    builder.import_table("host", "tab", TableType(FUNCREF, Limits(1)))
    builder.import_tag("host", "tag", FuncType(("i32",), ()))
    assert (note, mem, glob) == (0, 0, 0)
    builder.add_function(FuncType((), ()), [instr("i32.const", 4), instr("global.get", glob),
                                            instr("i32.store", (2, 0, mem)), instr("i32.const", 4),
                                            instr("i32.load", (2, 0, mem)), instr("call", note)],
                         export="use_imports")
    wasm = _build(builder)
    calls: list = []
    check_runs(prog, wasm, _host_imports(calls))
    call_export(wasm, "use_imports", (), _host_imports(calls))
    assert calls[-1] == 5


@pytest.mark.parametrize("prog", C_PROGRAMS, ids=[p.name for p in C_PROGRAMS])
def test_imported_function_called_from_a_c_program(prog: Program) -> None:
    """Import ``host.note`` into a C program and call it at every function entry with the (shifted)
    function index: the program's own output is unchanged and the host sees main run once."""
    module = read_module(prog.wasm)
    builder = ModuleBuilder(module)
    note = builder.import_function("host", "note", FuncType(("i32",), ()))
    first = module.num_imported_funcs
    for func, body in enumerate(module.code, first):
        builder.insert_before(func, body.instrs[0].offset, [instr("i32.const", func), instr("call", note)])
    wasm = _build(builder)
    calls: list = []
    assert run_command(wasm, (), _host_imports(calls)) == prog.runs[0].expected
    out = read_module(wasm)
    entered = [out.names.functions.get(i) for i in calls]
    assert entered.count("main") == 1 or entered.count("__original_main") == 1
    start = next(e.index for e in out.exports if e.name == "_start")
    assert calls[0] == start and out.names.functions[start] == module.names.functions[start]


def test_unchanged_builder_writes_identical_bytes() -> None:
    prog = program("sort_hash")
    assert ModuleBuilder(read_module(prog.wasm)).write() == prog.wasm


def test_add_rec_group_table_and_tag() -> None:
    module = read_module(program("mvp").wasm)
    builder = ModuleBuilder(module)
    node = builder.add_rec_group([SubType(StructType((FieldType("i32", True), FieldType(RefType(True, len(
        module.defined_types())))))), SubType(ArrayType(FieldType("i8", True)), final=False)])
    table = builder.add_table(TableType(FUNCREF, Limits(2)), name="extra")
    tag = builder.add_tag(FuncType(("i32",), ()))
    handler = Label("handler")
    code = [instr("i32.const", 5), instr("ref.null", node), instr("struct.new", node),
            instr("struct.get", node, 0),
            instr("ref.null", "func"), instr("i32.const", 3), instr("table.grow", table), instr("i32.add"),
            handler, instr("block", "i32"), instr("try_table", None, [(0, tag, handler)]),
            instr("i32.const", 100), instr("throw", tag), instr("end"), instr("unreachable"), instr("end"),
            instr("i32.add")]
    builder.add_function(FuncType((), ("i32",)), code, export="appended")
    wasm = _build(builder)
    assert call_export(wasm, "appended") == [5 + 2 + 100]
    check_runs(program("mvp"), wasm)
