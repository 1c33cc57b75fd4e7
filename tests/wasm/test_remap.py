"""Index remapping (``compiler/wasm/remap.py``): what moves when imports are inserted, and that only
bodies which need it are re-encoded.  End-to-end runs of shifted programs are in ``test_builder.py``."""
from __future__ import annotations

import pytest

from compiler.wasm import (
    Catch, DataSegment, FuncType, GlobalType, Instr, MemArg, read_module, validate, write_module,
)
from compiler.wasm.builder import ModuleBuilder
from compiler.wasm.remap import Shift, shift_indices, shift_instrs
from tests.corpus.catalog import program


def _func_index(module, name: str) -> int:
    return next(i for i, n in module.names.functions.items() if n == name)


def test_shift_moves_indices_at_and_above() -> None:
    shift = Shift(3, 2)
    assert [shift(i) for i in range(6)] == [0, 1, 2, 5, 6, 7]


def test_shift_instrs_touches_only_the_shifted_space() -> None:
    code = (Instr.of("call", 4), Instr.of("global.get", 4), Instr.of("i32.load", MemArg(2, 8, 1)),
            Instr.of("memory.copy", 0, 1), Instr.of("throw", 1),
            Instr.of("try_table", None, (Catch(0, 2, 0), Catch(2, None, 1))), Instr.of("end"))
    assert shift_instrs(code, {"func": Shift(5)}) is None
    memory = shift_instrs(code, {"memory": Shift(1)})
    assert memory[2].imms == (MemArg(2, 8, 2),) and memory[3].imms == (0, 2)
    assert memory[0] is code[0] and memory[1] is code[1]
    tags = shift_instrs(code, {"tag": Shift(0, 3)})
    assert tags[4].imms == (4,) and tags[5].imms[1] == (Catch(0, 5, 0), Catch(2, None, 1))
    both = shift_instrs(code, {"func": Shift(0), "global": Shift(4)})
    assert both[0].imms == (5,) and both[1].imms == (5,)


def test_unknown_space_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown index space"):
        shift_indices(read_module(program("mvp").wasm), {"label": Shift(0)})


def test_data_segments_and_memory_exports_follow_a_memory_import() -> None:
    module = read_module(program("multi_memory").wasm)
    before = [(seg.memory, seg.offset is None) for seg in module.data]
    ModuleBuilder(module).import_memory("host", "mem", module.memories[0])
    assert [(seg.memory, seg.offset is None) for seg in module.data] == \
        [(m + (not passive), passive) for m, passive in before]
    assert all(isinstance(seg, DataSegment) for seg in module.data)
    validate(write_module(module))


def test_remapping_reencodes_only_bodies_that_need_it() -> None:
    prog = program("strings")
    module = read_module(prog.wasm)
    fresh = read_module(prog.wasm)
    imported = fresh.num_imported_funcs
    calls = [any(i.op.name in ("call", "return_call", "ref.func") and i.imms[0] >= imported
                 for i in body.instrs) for body in fresh.code]
    ModuleBuilder(module).import_function("host", "note", FuncType(("i32",), ()))
    assert [body.modified for body in module.code] == calls
    assert 0 < sum(calls) < len(calls)
    untouched = read_module(prog.wasm)
    ModuleBuilder(untouched).import_global("host", "g", GlobalType("i32"))
    touches_globals = [any(i.op.name.startswith("global.") for i in b.instrs) for b in fresh.code]
    assert [body.modified for body in untouched.code] == touches_globals


def test_remapping_covers_names_start_exports_and_elements() -> None:
    module = read_module(program("mvp").wasm)
    before_names = dict(module.names.functions)
    before_start = module.start
    before_elems = [seg.items for seg in module.elements]
    ModuleBuilder(module).import_function("host", "note", FuncType(("i32",), ()))
    assert module.start == before_start + 1
    assert module.names.functions == {i + 1: n for i, n in before_names.items()}
    assert [seg.items for seg in module.elements] == [tuple(i + 1 for i in items) for items in before_elems]
    assert module.names.locals  # keyed by the shifted function index
    fac = _func_index(module, "fac")
    assert module.names.locals[fac] == {0: "n", 1: "acc"}
    assert next(e.index for e in module.exports if e.name == "fac") == fac
