"""write_module: byte identity for unchanged modules, re-encoding exactly what was edited."""
from __future__ import annotations

import pytest

from compiler.wasm import (
    CustomSection, Export, ExternKind, FuncBody, FuncType, Global, GlobalType, Instr, RecGroup, read_module,
    validate, write_module,
)
from wasm_fixtures import FAMILIES, LEGACY, assemble, run

NAMES = sorted(FAMILIES)


@pytest.fixture(scope="module")
def binaries():
    return {name: assemble(name) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_unchanged_module_is_byte_identical(binaries, name):
    data = binaries[name]
    assert write_module(read_module(data)) == data


@pytest.mark.parametrize("name", NAMES)
def test_reencoding_every_body_keeps_the_module_valid_and_behaving(binaries, name):
    data = binaries[name]
    module = read_module(data)
    for body in module.code:
        body.instrs = list(body.instrs)  # decode, then force the writer to encode
        assert body.modified
    out = write_module(module)
    assert out == data  # wasm-tools emits minimal encodings, so the codec reproduces them exactly
    if name in LEGACY:
        return
    validate(out)
    expected = FAMILIES[name][1]
    if expected is not None:
        assert run(out) == expected == run(data)


@pytest.mark.parametrize("name", NAMES)
def test_every_section_encoder_reproduces_the_input(binaries, name):
    """Without an origin nothing can be copied: every section is encoded from the model."""
    data = binaries[name]
    module = read_module(data)
    module.origin = None
    assert write_module(module) == data


def test_edited_body_is_the_only_change(binaries):
    data = binaries["mvp"]
    module = read_module(data)
    run_body = module.code[-1]
    before = [bytes(b.raw) for b in module.code]
    # Double the result of `run`: insert `i32.const 2 i32.mul` before the final `end`.
    instrs = list(run_body.instrs)
    instrs[-1:-1] = [Instr.of("i32.const", 2), Instr.of("i32.mul")]
    run_body.instrs = instrs
    out = write_module(module)
    validate(out)
    assert run(out) == 2 * FAMILIES["mvp"][1]
    again = read_module(out)
    assert [b.raw for b in again.code[:-1]] == before[:-1]
    assert again.code[-1].raw != before[-1]
    assert again.customs == module.customs
    assert again.names == module.names


def test_appended_function_global_and_export():
    data = assemble("multi_value")
    module = read_module(data)
    module.types.append(RecGroup.single(FuncType((), ("i32",))))
    typeidx = len(module.defined_types()) - 1
    module.globals.append(Global(GlobalType("i32"), (Instr.of("i32.const", 41), Instr.of("end"))))
    module.functions.append(typeidx)
    module.code.append(FuncBody([(1, "i32")], [
        Instr.of("global.get", 0), Instr.of("i32.const", 1), Instr.of("i32.add"), Instr.of("local.tee", 0),
        Instr.of("end"),
    ]))
    funcidx = len(module.functions) - 1
    module.exports[:] = [Export("run", ExternKind.FUNC, funcidx)]
    out = write_module(module)
    validate(out)
    assert run(out) == 42
    # The untouched bodies are copied verbatim.
    assert [b.raw for b in read_module(out).code[:-1]] == [b.raw for b in read_module(data).code]


def test_custom_sections_keep_their_positions():
    data = assemble("imports_and_names")
    module = read_module(data)
    assert [(c.name, c.after) for c in module.customs] == [("first", 0), ("middle", 3), ("last", 10),
                                                            ("name", 10)]
    module.customs.insert(1, CustomSection("added", b"\x01\x02", after=2))
    out = write_module(module)
    again = read_module(out)
    assert [(c.name, c.after, c.data) for c in again.customs] == [
        (c.name, c.after, c.data) for c in module.customs]
    assert out.replace(b"\x00\x08\x05added\x01\x02", b"") == data


def test_name_section_is_reencoded_only_when_names_change():
    data = assemble("imports_and_names")
    module = read_module(data)
    assert module.names.module == "named"
    assert module.names.functions[1] == "f"
    module.names.functions[1] = "renamed"
    module.names.locals[1][1] = "temp"
    out = write_module(module)
    again = read_module(out)
    assert again.names.functions == {0: "ext", 1: "renamed", 2: "start"}
    assert again.names.locals[1] == {0: "x", 1: "temp"}
    assert again.names.module == "named"
    assert again.names.globals == module.names.globals
    name_start = next(start for custom, start, _ in module.origin.customs if custom.name == "name")
    assert out[:name_start] == data[:name_start]  # the name section is last; everything before is copied


def test_data_count_follows_the_data_section():
    from compiler.wasm import DataSegment
    data = assemble("bulk_memory")
    module = read_module(data)
    assert module.data_count == 2
    module.data.append(DataSegment(b"tail"))
    out = write_module(module)
    validate(out)
    again = read_module(out)
    assert again.data_count == 3 and again.data[-1].data == b"tail" and again.data[-1].mode == "passive"


def test_validate_reports_wasmtime_message():
    from compiler.wasm import ValidationError
    module = read_module(assemble("multi_value"))
    body = module.code[0]
    body.instrs = body.instrs[:-2] + body.instrs[-1:]  # drop a `local.get`: results no longer match
    with pytest.raises(ValidationError, match="invalid module: .*type mismatch"):
        validate(write_module(module))


def test_module_built_from_scratch():
    from compiler.wasm import DataSegment, Limits, Module, Names
    module = Module()
    module.types.append(RecGroup.single(FuncType((), ("i32",))))
    module.memories.append(Limits(1))
    module.data.append(DataSegment(b"\x2a", offset=(Instr.of("i32.const", 8), Instr.of("end"))))
    module.functions.append(0)
    module.code.append(FuncBody([], [Instr.of("i32.const", 8), Instr.of("i32.load8_u", (0, 0)),
                                     Instr.of("end")]))
    module.exports.append(Export("run", ExternKind.FUNC, 0))
    module.names = Names(module="scratch", functions={0: "run"})
    out = write_module(module)
    validate(out)
    assert run(out) == 42
    again = read_module(out)
    assert again.names.module == "scratch" and again.names.functions == {0: "run"}
    assert [(i.name, i.imms) for i in again.code[0].instrs] == [(i.name, i.imms) for i in module.code[0].instrs]
    assert again.customs[-1].name == "name" and again.customs[-1].after == 11
