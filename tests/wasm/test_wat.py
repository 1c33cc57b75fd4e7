"""The WAT printer (issue 2, must-show 3): print -> wat2wasm -> read gives the same instructions and an
equivalent module, for every corpus program (sqlite included); plus the line model the shell uses."""
from __future__ import annotations

import math
import struct

import pytest
import wasmtime

from compiler.wasm import (
    FUNCREF, OPCODES, Catch, CustomSection, ExternKind, FuncBody, FuncType, GlobalType, Import, Instr, Limits, MemArg,
    Module, RecGroup, RefType, TableType, Tag, read_module, validate, write_module,
)
from wasm_fixtures import add_import
from compiler.wasm.wat import Line, format_instr, function_lines, module_lines, print_function, print_module
from tests.corpus.catalog import PROGRAMS, Program, check_runs, program


def _instrs(module) -> list[list[tuple]]:
    return [[(i.op, i.imms) for i in body.instrs] for body in module.code]


def _elements(module) -> list[tuple]:
    # the printer may choose another of the 8 encodings; what the segment means must not change
    return [(s.mode, s.type, s.items, s.table, s.offset and [(i.op, i.imms) for i in s.offset])
            for s in module.elements]


def _reassemble(module) -> bytes:
    return bytes(wasmtime.wat2wasm(print_module(module)))


@pytest.mark.parametrize("prog", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_print_assemble_read_gives_same_module(prog: Program) -> None:
    module = read_module(prog.wasm)
    wasm = _reassemble(module)
    again = read_module(wasm)
    assert _instrs(again) == _instrs(module)
    assert [[(i.op, i.imms) for i in g.init] for g in again.globals] == \
        [[(i.op, i.imms) for i in g.init] for g in module.globals]
    assert [g.type for g in again.globals] == [g.type for g in module.globals]
    assert again.defined_types() == module.defined_types() or \
        [s.composite for s in again.defined_types()] == [s.composite for s in module.defined_types()]
    assert (again.imports, again.exports, again.functions, again.start) == \
        (module.imports, module.exports, module.functions, module.start)
    assert (again.memories, again.tables, again.tags) == (module.memories, module.tables, module.tags)
    assert _elements(again) == _elements(module)
    assert [(d.data, d.memory, d.offset and [(i.op, i.imms) for i in d.offset]) for d in again.data] == \
        [(d.data, d.memory, d.offset and [(i.op, i.imms) for i in d.offset]) for d in module.data]
    assert {c.name: c.data for c in again.customs if c.name != "name"} == \
        {c.name: c.data for c in module.customs if c.name != "name"}
    if module.names is not None:  # names survive, except duplicates, which get unique suffixes
        names = list(module.names.functions.values())
        for index, name in module.names.functions.items():
            assert again.names.functions[index] == name or names.count(name) > 1
        assert again.names.locals == module.names.locals
    if not prog.legacy_exceptions:
        check_runs(prog, wasm)


def test_lines_carry_pcs_and_function_indices() -> None:
    module = read_module(program("mvp").wasm)
    imported = module.num_imported_funcs
    for index in range(imported, imported + len(module.code)):
        body = module.code[index - imported]
        lines = list(function_lines(module, index))
        assert all(line.func == index for line in lines)
        pcs = [line.offset for line in lines if line.offset is not None]
        assert pcs == [i.offset for i in body.instrs[:-1]]  # the final end is the closing parenthesis
        assert pcs[0] == body.code_offset
        assert not any(line.injected for line in lines)
    assert "".join(l.text + "\n" for l in function_lines(module, imported)) == print_function(module, imported)


def test_injected_instructions_are_marked() -> None:
    module = read_module(program("mvp").wasm)
    body = module.code[1]
    body.instrs = (Instr.of("i32.const", 7), Instr.of("drop")) + body.instrs
    lines = [l for l in function_lines(module, 1) if l.offset is not None or l.injected]
    assert [l.injected for l in lines[:3]] == [True, True, False]
    assert lines[0].text.strip() == "i32.const 7" and lines[0].offset is None
    assert lines[2].offset == body.instrs[2].offset
    validate(_reassemble(module))


def test_module_lines_cover_every_function_line() -> None:
    module = read_module(program("names").wasm)
    lines = list(module_lines(module))
    assert isinstance(lines[0], Line) and lines[0].text == "(module $corpus_names" and lines[-1].text == ")"
    text = print_module(module)
    assert "(func $area (type $binop) (param $width i32) (param $height i32) (result i32)" in text
    assert "local.get $width" in text and "(local $result i32)" in text and "global.get $counter" in text
    assert "call_indirect $callbacks (type $binop)" not in text  # table 0 is the default
    assert '(@custom "whamm.note" (after data) "corpus fixture")' in text


def _const_module(body: str, result: str) -> bytes:
    return bytes(wasmtime.wat2wasm(f'(module (func (export "f") (result {result}) {body}))'))


@pytest.mark.parametrize("bits", [0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000, 0x80000000, 0x7F800000,
                                  0xFF800000, 0x00000001, 0x3DCCCCCD, 0x4B800001, 0x7F7FFFFF])
def test_f32_literals_are_exact(bits: int) -> None:
    module = read_module(_const_module(f"f32.const nan:0x1 drop f32.const 0", "f32"))
    const = module.code[0].instrs[-2]
    module.code[0].instrs = module.code[0].instrs[:-2] + (const._replace(imms=(bits,)),) + \
        module.code[0].instrs[-1:]
    wasm = _reassemble(module)
    validate(wasm)
    assert read_module(wasm).code[0].instrs[-2].imms == (bits,)


@pytest.mark.parametrize("value", [0.1, -0.0, 1e308, 5e-324, math.inf, -math.inf, 2.5, 123456789.125])
def test_f64_literals_are_exact(value: float) -> None:
    bits = int.from_bytes(struct.pack("<d", value), "little")
    module = read_module(_const_module("f64.const 0", "f64"))
    module.code[0].instrs = (Instr.of("f64.const", bits), Instr.of("end"))
    wasm = _reassemble(module)
    validate(wasm)
    assert read_module(wasm).code[0].instrs[0].imms == (bits,)


def test_awkward_and_duplicate_names_still_assemble() -> None:
    module = read_module(program("mvp").wasm)
    imported = module.num_imported_funcs
    module.names.functions[imported] = "has space"
    module.names.functions[imported + 1] = "dup"
    module.names.functions[imported + 2] = "dup"
    text = print_module(module)
    assert '$"has space"' in text and "$dup.%d" % (imported + 2) in text
    wasm = bytes(wasmtime.wat2wasm(text))
    validate(wasm)
    again = read_module(wasm)
    assert again.names.functions[imported] == "has space"
    assert _instrs(again) == _instrs(module)


def test_format_instr_resolves_names() -> None:
    module = read_module(program("names").wasm)
    get = module.code[1].instrs[-4]
    assert format_instr(module, get, func=1) == "local.get $result"
    assert format_instr(module, Instr.of("call", 0)) == "call $area"
    assert format_instr(module, Instr.of("memory.copy", 0, 0)) == "memory.copy"


_FIRST = {"blocktype": None, "labelidx": 0, "br_table": (0, 0), "u32": 2, "i32": -5, "i64": -5,
          "f32": 0x3FC00000, "f64": 0x3FF8000000000000, "v128": bytes(range(16)), "lane": 1,
          "shuffle16": bytes(range(16)), "heaptype": "any", "reftype": FUNCREF, "valtypes": ("i32",),
          "try_table_catches": (Catch(0, 0, 0), Catch(3, None, 0)), "castflags": 3, "reserved": 0}
_SECOND = {"blocktype": 1, "labelidx": 1, "br_table": (1, 0, 2), "u32": 0, "i32": 2**31 - 1, "i64": -2**63,
           "f32": 0xFF800000, "f64": 0x7FF0000000000001, "v128": bytes(16), "lane": 0,
           "shuffle16": bytes(range(31, 15, -1)), "heaptype": 0, "reftype": RefType(False, 0),
           "valtypes": (RefType(True, "extern"),), "try_table_catches": (Catch(1, 1, 1), Catch(2, None, 2)),
           "castflags": 0, "reserved": 0}


def _every_opcode(values: dict, index: int, memarg) -> list[Instr]:
    """One instance of every opcode (block instructions with the instructions they need around them).
    The module is deliberately not valid (it is never run): wat2wasm does not validate, so the
    immediates only have to be well-formed, and one function can hold the whole table."""
    code = []
    end = Instr.of("end")
    for op in OPCODES:
        imms = tuple(memarg(op) if kind == "memarg" else values.get(kind, index) for kind in op.imms)
        ins = Instr(op, imms)
        name = op.name
        if name in ("block", "loop", "try_table"):
            code += [ins, end]
        elif name == "if":
            code += [ins, Instr.of("else"), end]
        elif name == "try":
            code += [ins, Instr.of("catch", index), Instr.of("catch_all"), end, ins, Instr.of("delegate", index)]
        elif name not in ("end", "else", "catch", "catch_all", "delegate"):
            code.append(ins)
    return code + [end]


@pytest.mark.parametrize("variant", [0, 1])
def test_every_opcode_prints_and_reassembles(variant: int) -> None:
    """Drives the printer through the whole opcode table, with two sets of immediates (plain, and
    extreme: another memory, 64-bit offsets, NaN payloads, type-index heap types)."""
    if variant == 0:
        code = _every_opcode(_FIRST, 0, lambda op: MemArg(0, 8, 0))  # natural alignments: the corpus
    else:
        code = _every_opcode(_SECOND, 3, lambda op: MemArg(0, 2**40, 2))
    module = Module(types=[RecGroup.single(FuncType()), RecGroup.single(FuncType((), ("i32",)))],
                    functions=[0], code=[FuncBody((), code)])
    again = read_module(bytes(wasmtime.wat2wasm(print_module(module))))
    assert [(i.op, i.imms) for i in again.code[0].instrs] == [(i.op, i.imms) for i in code]
    assert len({i.op for i in code}) == len(OPCODES)


@pytest.mark.parametrize("name", ["exceptions", "gc", "multi_memory", "mvp"])
def test_modules_with_imports_of_every_kind_reassemble(name: str) -> None:
    module = read_module(program(name).wasm)
    module.types.append(RecGroup.single(FuncType(("i32",), ())))
    note_type = len(module.defined_types()) - 1
    note = add_import(module, Import("host", "note", ExternKind.FUNC, note_type))
    module.names.functions[note] = "note"
    add_import(module, Import("host", "mem", ExternKind.MEMORY, Limits(1, 2)))
    add_import(module, Import("host", "g", ExternKind.GLOBAL, GlobalType("i64", True)))
    add_import(module, Import("host", "tab", ExternKind.TABLE, TableType(FUNCREF, Limits(1))))
    add_import(module, Import("host", "tag", ExternKind.TAG, Tag(note_type)))
    wasm = write_module(module)
    validate(wasm)
    edited = read_module(wasm)
    text = print_module(edited)
    assert '(import "host" "note" (func $note (type' in text
    assert '(import "host" "mem" (memory 1 2))' in text and '(import "host" "g" (global (mut i64)))' in text
    again = read_module(bytes(wasmtime.wat2wasm(text)))
    assert again.imports == edited.imports and _instrs(again) == _instrs(edited)


def test_blocks_and_branches_carry_label_comments() -> None:
    module = read_module(program("mvp").wasm)
    lines = [l.text.strip() for l in function_lines(module, 3)]  # $classify
    assert lines[1:5] == ["block  ;; label = @1", "block  ;; label = @2", "block  ;; label = @3",
                          "block  ;; label = @4"]
    assert "br_table 0 1 2 3  ;; @4 @3 @2 @1" in lines
    fac = [l.text.strip() for l in function_lines(module, 1)]
    assert "br_if 1  ;; @1" in fac and "br 0  ;; @2" in fac


def test_custom_sections_keep_their_place() -> None:
    module = read_module(program("bulk_memory").wasm)  # has a data count section
    present = [0] + [sid for sid in (1, 3, 4, 5, 7, 9, 12, 10, 11) if module.origin.sections.get(sid)]
    module.customs = [CustomSection(f"c{after}", bytes([after, 0, 255]), after) for after in present]
    placed = read_module(write_module(module))
    again = read_module(bytes(wasmtime.wat2wasm(print_module(placed))))
    assert [(c.name, c.data, c.after) for c in again.customs if c.name != "name"] == \
        [(c.name, c.data, c.after) for c in placed.customs if c.name != "name"]
    assert 12 in present
