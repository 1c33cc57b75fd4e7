"""The one index remapper (``compiler/wasm/remap.py``): what moves when imports are inserted or code is
linked, that segments keep a valid encoding, and that only bodies which need it are re-encoded.

Every module built here is run by wasmtime, and the suite's conftest hook also runs ``wasm-tools
validate`` on it."""
from __future__ import annotations

import pytest
import wasmtime
from wasm_fixtures import add_import

from compiler.wasm import (
    FUNCREF, Catch, Export, ExternKind, FuncBody, FuncType, GlobalType, Import, Instr, Limits, MemArg, RecGroup,
    RefType, TableType, Tag, read_module, validate, write_module,
)
from compiler.wasm.remap import Remap, Shift, remap_body, remap_instrs, remap_module
from tests.corpus.catalog import C_PROGRAMS, WAT_PROGRAMS, Program, call_export, check_runs, program, run_command

_I32 = wasmtime.ValType.i32()


def _func_index(module, name: str) -> int:
    return next(i for i, n in module.names.functions.items() if n == name)


def test_shift_moves_indices_at_and_above() -> None:
    shift = Shift(3, 2)
    assert [shift(i) for i in range(6)] == [0, 1, 2, 5, 6, 7]


def test_moving_spaces_are_derived_from_the_maps() -> None:
    assert Remap().moving == frozenset()
    assert Remap(func=Shift(3, 0), memory=Shift(0)).moving == {"memory"}
    assert Remap(glob=lambda i: i + 7, type=lambda i: i).moving == {"global", "type"}


def test_remap_instrs_touches_only_the_moving_spaces() -> None:
    code = (Instr.of("call", 4), Instr.of("global.get", 4), Instr.of("i32.load", MemArg(2, 8, 1)),
            Instr.of("memory.copy", 0, 1), Instr.of("throw", 1),
            Instr.of("try_table", None, (Catch(0, 2, 0), Catch(2, None, 1))), Instr.of("end"))
    assert remap_instrs(code, Remap(func=Shift(5))) == list(code)
    memory = remap_instrs(code, Remap(memory=Shift(1)))
    assert memory[2].imms == (MemArg(2, 8, 2),) and memory[3].imms == (0, 2)
    assert memory[0] is code[0] and memory[1] is code[1]
    tags = remap_instrs(code, Remap(tag=Shift(0, 3)))
    assert tags[4].imms == (4,) and tags[5].imms[1] == (Catch(0, 5, 0), Catch(2, None, 1))
    both = remap_instrs(code, Remap(func=Shift(0), glob=Shift(4)))
    assert both[0].imms == (5,) and both[1].imms == (5,)
    linked = remap_instrs([Instr.of("call", 4), Instr.of("call", 0), Instr.of("i32.load", MemArg(2, 8, 1))],
                          Remap(func=Shift(1, 2), memory=Shift(1, 1)))
    assert [i.imms for i in linked] == [(6,), (0,), (MemArg(2, 8, 2),)]


def test_type_moves_reach_every_immediate_that_can_name_a_type() -> None:
    ref = RefType(True, 1)
    code = [Instr.of("call_indirect", 1, 0), Instr.of("block", 1), Instr.of("ref.null", 1),
            Instr.of("ref.test", 1), Instr.of("typed_select", (ref,)), Instr.of("block", ref),
            Instr.of("ref.null", "func"), Instr.of("block", "i32")]
    out = remap_instrs(code, Remap(type=lambda i: i + 10))
    assert [i.imms for i in out] == [(11, 0), (11,), (11,), (11,), ((RefType(True, 11),),),
                                     (RefType(True, 11),), ("func",), ("i32",)]


def test_module_remapping_refuses_type_moves() -> None:
    with pytest.raises(ValueError, match="type index space"):
        remap_module(read_module(program("mvp").wasm), Remap(type=Shift(0)))


# Data segments with every flag kind (0 active on memory 0, 1 passive, 2 active with a memory index) and
# element segments with every flag kind (bit 0 passive/declarative, bit 1 explicit table or declarative,
# bit 2 expressions), offsets reading an imported global, a tag and a funcref global: inserting an import
# at index 0 of every space moves all of them.
SEGMENTS = """
(module
  (type $r (func (result i32)))
  (import "host" "base" (global $base i32))
  (memory $m0 1)
  (memory $m1 1)
  (table $t0 4 funcref)
  (table $t1 4 funcref)
  (global $g funcref (ref.func $b))
  (tag $e (param i32))
  (func $a (type $r) (i32.const 1))
  (func $b (type $r) (i32.const 2))
  (func $c (type $r) (i32.const 3))
  (data (i32.const 0) "\\01")
  (data $p "\\02")
  (data (memory $m1) (offset (global.get $base)) "\\03")
  (elem (i32.const 0) $a)
  (elem $p1 func $b)
  (elem (table $t1) (offset (global.get $base)) func $c)
  (elem declare func $c)
  (elem (i32.const 1) funcref (item ref.func $b))
  (elem $p5 funcref (item ref.func $a) (item ref.null func))
  (elem (table $t1) (i32.const 2) funcref (item ref.func $a))
  (elem declare funcref (item ref.func $b))
  (func (export "run") (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (memory.init $m0 $p (i32.const 4) (i32.const 0) (i32.const 1))
    (table.init $t0 $p1 (i32.const 2) (i32.const 0) (i32.const 1))
    (table.init $t0 $p5 (i32.const 3) (i32.const 0) (i32.const 1))
    (table.set $t1 (i32.const 3) (global.get $g))
    (i32.load8_u $m0 (i32.const 0))
    (i32.load8_u $m0 (i32.const 4))
    (i32.load8_u $m1 (global.get $base))
    (call_indirect $t0 (type $r) (i32.const 0))
    (call_indirect $t0 (type $r) (i32.const 1))
    (call_indirect $t0 (type $r) (i32.const 2))
    (call_indirect $t0 (type $r) (i32.const 3))
    (call_indirect $t1 (type $r) (i32.const 1))
    (call_indirect $t1 (type $r) (i32.const 2))
    (block $caught (result i32) (try_table (catch $e $caught) (throw $e (i32.const 9))) (i32.const 0))))
"""

_SEGMENT_RESULTS = [1, 2, 3, 1, 2, 2, 1, 3, 1, 9]


def _segment_imports(store_calls: list | None = None) -> dict:
    def table(store):
        return wasmtime.Table(store, wasmtime.TableType(wasmtime.ValType.funcref(), wasmtime.Limits(1, None)), None)
    return {
        ("host", "base"): lambda store: wasmtime.Global(store, wasmtime.GlobalType(_I32, False), wasmtime.Val.i32(1)),
        ("host", "note"): lambda store: wasmtime.Func(store, wasmtime.FuncType([_I32], []), lambda v: None),
        ("host", "mem"): lambda store: wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None))),
        ("host", "g"): lambda store: wasmtime.Global(store, wasmtime.GlobalType(_I32, False), wasmtime.Val.i32(5)),
        ("host", "tab"): table,
        ("host", "tag"): lambda store: wasmtime.Tag(store, wasmtime.TagType(wasmtime.FuncType([_I32], []))),
    }


def test_segments_of_every_encoding_follow_imports_in_every_space() -> None:
    wasm = bytes(wasmtime.wat2wasm(SEGMENTS))
    module = read_module(wasm)
    assert [seg.flags for seg in module.data] == [0, 1, 2]
    assert sorted(seg.flags for seg in module.elements) == list(range(8))
    assert call_export(wasm, "run", (), _segment_imports()) == _SEGMENT_RESULTS
    note_type = len(module.defined_types())
    module.types.append(RecGroup.single(FuncType(("i32",), ())))
    module.imports[0:0] = [Import("host", "note", ExternKind.FUNC, note_type),
                           Import("host", "mem", ExternKind.MEMORY, Limits(1)),
                           Import("host", "g", ExternKind.GLOBAL, GlobalType("i32")),
                           Import("host", "tab", ExternKind.TABLE, TableType(FUNCREF, Limits(1))),
                           Import("host", "tag", ExternKind.TAG, Tag(note_type))]
    remap = Remap(func=Shift(0), table=Shift(0), memory=Shift(0), glob=Shift(0), tag=Shift(0))
    remap_module(module, remap)
    module.code = [remap_body(body, remap) for body in module.code]
    # what the binary format needs: an active segment off memory / table 0 names it explicitly
    assert [(seg.flags, seg.memory) for seg in module.data] == [(2, 1), (1, 0), (2, 2)]
    assert [(seg.flags, seg.table) for seg in module.elements if seg.mode == "active"] == \
        [(2, 1), (2, 2), (6, 1), (6, 2)]
    assert module.names.memories == {1: "m0", 2: "m1"} and module.names.tables == {1: "t0", 2: "t1"}
    assert module.names.globals == {1: "base", 2: "g"} and module.names.tags == {1: "e"}
    shifted = write_module(module)
    validate(shifted)
    assert call_export(shifted, "run", (), _segment_imports()) == _SEGMENT_RESULTS


def test_data_segments_and_memory_exports_follow_a_memory_import() -> None:
    module = read_module(program("multi_memory").wasm)
    before = [(seg.memory, seg.offset is None) for seg in module.data]
    add_import(module, Import("host", "mem", ExternKind.MEMORY, module.memories[0]))
    assert [(seg.memory, seg.offset is None) for seg in module.data] == \
        [(m + (not passive), passive) for m, passive in before]
    assert all(seg.flags == 2 for seg in module.data if seg.offset is not None)
    validate(write_module(module))


def test_remapping_reencodes_only_bodies_that_need_it() -> None:
    prog = program("strings")
    fresh = read_module(prog.wasm)
    imported = fresh.num_imported_funcs
    calls = [any(i.op.name in ("call", "return_call", "ref.func") and i.imms[0] >= imported
                 for i in body.instrs) for body in fresh.code]
    module = read_module(prog.wasm)
    bodies = list(module.code)
    add_import(module, Import("host", "note", ExternKind.FUNC, 0))
    assert [new is not old for new, old in zip(module.code, bodies)] == calls
    assert 0 < sum(calls) < len(calls)
    untouched = read_module(prog.wasm)
    bodies = list(untouched.code)
    add_import(untouched, Import("host", "g", ExternKind.GLOBAL, GlobalType("i32")))
    touches_globals = [any(i.op.name.startswith("global.") for i in b.instrs) for b in fresh.code]
    assert [new is not old for new, old in zip(untouched.code, bodies)] == touches_globals


def test_remapping_covers_names_start_exports_and_elements() -> None:
    module = read_module(program("mvp").wasm)
    before_names = dict(module.names.functions)
    before_start = module.start
    before_elems = [seg.items for seg in module.elements]
    add_import(module, Import("host", "note", ExternKind.FUNC, 0))
    assert module.start == before_start + 1
    assert module.names.functions == {i + 1: n for i, n in before_names.items()}
    assert [seg.items for seg in module.elements] == [tuple(i + 1 for i in items) for items in before_elems]
    assert module.names.locals  # keyed by the shifted function index
    fac = _func_index(module, "fac")
    assert module.names.locals[fac] == {0: "n", 1: "acc"}
    assert next(e.index for e in module.exports if e.name == "fac") == fac


# --- end to end: shifted fixtures still behave as declared ---------------------------------------------

def _host_imports(store_calls: list) -> dict:
    imports = _segment_imports()
    imports[("host", "note")] = lambda store: wasmtime.Func(store, wasmtime.FuncType([_I32], []),
                                                            lambda v: store_calls.append(v))
    return imports


def _add_function(module, functype: FuncType, instrs: list[Instr], export: str | None = None) -> int:
    module.types.append(RecGroup.single(functype))
    module.functions.append(len(module.defined_types()) - 1)
    module.code.append(FuncBody((), [*instrs, Instr.of("end")]))
    index = module.num_imported_funcs + len(module.functions) - 1
    if export is not None:
        module.exports.append(Export(export, ExternKind.FUNC, index))
    return index


_RUNNABLE_WAT = [p for p in WAT_PROGRAMS if not p.legacy_exceptions]


@pytest.mark.parametrize("prog", _RUNNABLE_WAT, ids=[p.name for p in _RUNNABLE_WAT])
def test_imports_in_every_space_keep_fixtures_working(prog: Program) -> None:
    """A function, memory, global, table and tag import shift every defined item; the fixture still
    behaves as declared and the new imports work."""
    module = read_module(prog.wasm)
    module.types.append(RecGroup.single(FuncType(("i32",), ())))
    note_type = len(module.defined_types()) - 1
    note = add_import(module, Import("host", "note", ExternKind.FUNC, note_type))
    mem = add_import(module, Import("host", "mem", ExternKind.MEMORY, Limits(1)))
    glob = add_import(module, Import("host", "g", ExternKind.GLOBAL, GlobalType("i32")))
    add_import(module, Import("host", "tab", ExternKind.TABLE, TableType(FUNCREF, Limits(1))))
    add_import(module, Import("host", "tag", ExternKind.TAG, Tag(note_type)))
    _add_function(module, FuncType(), [
        Instr.of("i32.const", 4), Instr.of("global.get", glob), Instr.of("i32.store", MemArg(2, 0, mem)),
        Instr.of("i32.const", 4), Instr.of("i32.load", MemArg(2, 0, mem)), Instr.of("call", note)],
        export="use_imports")
    wasm = write_module(module)
    validate(wasm)
    calls: list = []
    check_runs(prog, wasm, _host_imports(calls))
    call_export(wasm, "use_imports", (), _host_imports(calls))
    assert calls[-1] == 5


@pytest.mark.parametrize("prog", C_PROGRAMS, ids=[p.name for p in C_PROGRAMS])
def test_imported_function_called_from_a_c_program(prog: Program) -> None:
    """Import ``host.note`` into a C program and call it at every function entry with the (shifted)
    function index: the program's own output is unchanged and the host sees main run once."""
    module = read_module(prog.wasm)
    module.types.append(RecGroup.single(FuncType(("i32",), ())))
    note = add_import(module, Import("host", "note", ExternKind.FUNC, len(module.defined_types()) - 1))
    first = module.num_imported_funcs
    for func, body in enumerate(module.code, first):
        body.instrs = [Instr.of("i32.const", func), Instr.of("call", note), *body.instrs]
    wasm = write_module(module)
    validate(wasm)
    calls: list = []
    assert run_command(wasm, (), _host_imports(calls)) == prog.runs[0].expected
    out = read_module(wasm)
    entered = [out.names.functions.get(i) for i in calls]
    assert entered.count("main") == 1 or entered.count("__original_main") == 1
    start = next(e.index for e in out.exports if e.name == "_start")
    assert calls[0] == start and out.names.functions[start] == read_module(prog.wasm).names.functions[start - 1]
