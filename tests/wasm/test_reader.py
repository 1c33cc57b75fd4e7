"""read_module: every section into the model, lazily decoded bodies, and precise decode errors."""
from __future__ import annotations

import pytest

from compiler.wasm import (
    FUNCREF, ArrayType, Catch, DecodeError, ExternKind, FieldType, FuncType, Limits, RefType, StructType,
    read_module,
)
from wasm_fixtures import assemble


def test_index_spaces_and_imports():
    m = read_module(assemble("imports_and_names"))
    assert [(i.module, i.name, i.kind) for i in m.imports] == [
        ("env", "f", ExternKind.FUNC), ("env", "mem", ExternKind.MEMORY), ("env", "tab", ExternKind.TABLE),
        ("env", "g", ExternKind.GLOBAL), ("env", "tag", ExternKind.TAG)]
    assert m.num_imported_funcs == 1
    assert m.func_type(0) == FuncType(("i32",), ("i32",))
    assert m.start == 2 and [b.index for b in m.code] == [1, 2]
    assert m.memory_limits() == [Limits(1)]
    assert m.global_types()[0].valtype == "i64" and m.global_types()[0].mutable
    assert m.tag_types() == [1]
    names = m.names
    assert (names.module, names.functions, names.locals) == ("named", {0: "ext", 1: "f", 2: "start"},
                                                             {1: {0: "x", 1: "tmp"}})
    assert (names.memories, names.tables, names.globals, names.tags) == ({0: "mem"}, {0: "tab"}, {0: "g"},
                                                                          {0: "t"})


def test_gc_types_rec_groups_and_subtypes():
    m = read_module(assemble("gc"))
    rec = m.types[0]
    assert rec.explicit and len(rec.types) == 2
    node, leaf = rec.types
    assert (node.final, node.supertypes, node.explicit) == (False, (), True)
    assert (leaf.final, leaf.supertypes) == (True, (0,))
    assert node.composite == StructType((FieldType("i32", True), FieldType(RefType(True, 0))))
    assert leaf.composite.fields[2] == FieldType("i8")
    assert m.types[1].types[0].composite == ArrayType(FieldType("i8", True))
    assert m.types[2].types[0].composite == ArrayType(FieldType(RefType(True, "any"), True))
    sub_f = m.types[3].types[0]
    assert (sub_f.final, sub_f.explicit, sub_f.composite) == (False, True, FuncType((), ("i32",)))
    assert len(m.defined_types()) == 5


def test_limits_and_tables():
    assert read_module(assemble("threads")).memories == [Limits(1, 1, shared=True)]
    m64 = read_module(assemble("memory64"))
    assert m64.memories == [Limits(1, 10, is64=True)] and m64.memories[0].address_type == "i64"
    assert m64.tables[0].type.limits.is64
    assert read_module(assemble("custom_page_sizes")).memories == [Limits(17, page_size_log2=0)]
    typed = read_module(assemble("typed_func_refs"))
    assert typed.tables[0].type.element == RefType(False, 0)
    assert [i.name for i in typed.tables[0].init] == ["ref.func", "end"]


def test_all_eight_element_encodings():
    m = read_module(assemble("reference_types"))
    assert [e.flags for e in m.elements] == list(range(8))
    assert [e.mode for e in m.elements] == ["active", "passive", "active", "declarative"] * 2
    assert m.elements[0].items == (0,) and m.elements[1].items == (1, 0)
    assert m.elements[6].table == 2 and m.elements[6].uses_exprs
    assert [[i.name for i in expr] for expr in m.elements[5].items] == [["ref.func", "end"],
                                                                        ["ref.null", "end"]]
    assert all(e.type == FUNCREF for e in m.elements)


def test_data_segments_and_constant_expressions():
    m = read_module(assemble("extended_const"))
    assert [(i.name, i.imms) for i in m.globals[1].init] == [
        ("i64.const", (6,)), ("i64.const", (10,)), ("i64.const", (3,)), ("i64.sub", ()), ("i64.mul", ()),
        ("end", ())]
    assert [i.name for i in m.data[0].offset] == ["global.get", "i32.const", "i32.add", "end"]
    multi = read_module(assemble("multi_memory"))
    assert (multi.data[0].memory, multi.data[0].flags, multi.data[0].data) == (1, 2, b"\x2a")
    bulk = read_module(assemble("bulk_memory"))
    assert [d.mode for d in bulk.data] == ["passive", "active"] and bulk.data_count == 2


def test_bodies_are_decoded_lazily():
    m = read_module(assemble("mvp"))
    body = m.code[0]
    assert body._instrs is None and body._locals is None
    assert body.locals == () and body.code_offset == 1
    assert [i.name for i in body.instrs] == ["local.get", "local.get", "i32.add", "end"]
    assert [i.offset for i in body.instrs] == [1, 3, 5, 6]
    assert not body.modified
    run = m.code[-1]
    assert run.locals == ((2, "i32"), (1, "f64")) and run.code_offset == 5
    assert run.local_types() == ["i32", "i32", "f64"]
    assert run.instrs[0].offset == 5


def test_exception_and_gc_immediates():
    m = read_module(assemble("exceptions"))
    try_table = next(i for b in m.code for i in b.instrs if i.name == "try_table")
    assert try_table.imms == (None, (Catch(0, 0, 0),))
    kinds = {c.kind for b in m.code for i in b.instrs if i.name == "try_table" for c in i.imms[1]}
    assert kinds == {0, 1, 2, 3}
    gc = read_module(assemble("gc"))
    casts = [i for i in gc.code[0].instrs if i.name.startswith("br_on_cast")]
    assert [(i.name, i.imms) for i in casts] == [("br_on_cast", (1, 0, "any", 1)),
                                                 ("br_on_cast_fail", (3, 0, "any", 0))]


# --- errors ---------------------------------------------------------------------------------------------------

def _error(data: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        m = read_module(data)
        for body in m.code:
            body.instrs
    return info.value


def test_bad_header():
    assert _error(b"\x00asx\x01\x00\x00\x00").message.startswith("not a WebAssembly module")
    err = _error(b"\x00asm\x0d\x00\x01\x00")
    assert "version" in err.message and err.offset == 4
    assert _error(b"\x00as").section == "header"


def test_truncated_section_reports_section_and_offset():
    data = assemble("mvp")
    err = _error(data[:20])
    assert err.section == "type" and "exceeds" in err.message and err.offset == 9


def test_invalid_opcode_names_the_function():
    # (func) with body `fd b4 24 0b`: prefix 0xfd, sub-opcode 0x1234 does not exist
    data = bytes.fromhex("0061736d01000000010401600000030201000a07010500fdb4240b")
    err = _error(data)
    assert err.message == "invalid opcode 0xfd 0x1234"
    assert (err.section, err.func, err.offset) == ("code", 0, 23)
    assert str(err) == "malformed module: invalid opcode 0xfd 0x1234 at offset 0x17 in code section (function 0)"


def test_huge_vector_count_is_rejected_without_allocating():
    # type section claiming 2**32-1 entries in a 6-byte payload
    data = b"\x00asm\x01\x00\x00\x00" + b"\x01\x06\xff\xff\xff\xff\x0f\x60"
    err = _error(data)
    assert err.section == "type" and "vector length 4294967295" in err.message


def test_sections_out_of_order_and_function_code_mismatch():
    data = bytes.fromhex("0061736d01000000") + bytes.fromhex("03010001040160000000")
    assert "out of order" in _error(data).message
    only_funcs = bytes.fromhex("0061736d01000000010401600000030201000a0100")
    assert "1 functions declared but 0 bodies" in _error(only_funcs).message


def test_a_function_type_index_must_name_a_function_type():
    # Found by flipping the type section's id of a module inside a component to 0 (custom): `whamm wat`,
    # which does not validate, crashed in the printer looking the signatures up.
    data = bytearray(assemble("mvp"))
    assert data[8] == 1
    data[8] = 0
    err = _error(bytes(data))
    assert err.section in ("import", "function") and err.message.startswith("unknown type")
    struct_type = bytes.fromhex("0061736d01000000" "010301" "5f00" "030201000a040102000b")
    err = _error(struct_type)
    assert (err.section, err.offset) == ("function", 16)
    assert err.message == "type 0 of a function is not a function type"
    imported = bytes.fromhex("0061736d01000000" "020701016101620003")
    assert _error(imported).message == "unknown type 3 for a function (the module defines 0 types)"


def test_overlong_leb_and_body_overrun():
    data = bytes.fromhex("0061736d01000000") + b"\x01\x08\x01\x60\x80\x80\x80\x80\x80\x00"
    assert "too long" in _error(data).message
    # body `00 41 80 80`: the i32.const LEB runs past the body end into the custom section after it
    data = bytes.fromhex("0061736d01000000010401600000030201000a06010400418080" "00020178")
    err = _error(data)
    assert (err.section, err.func, err.offset) == ("code", 0, 23)
    assert err.message == "instruction runs past the end of the function body"
    err = _error(data[:-4])  # the same body at the very end of the file
    assert (err.section, err.func) == ("code", 0) and err.message.startswith("unexpected end")


def _with_name_section(payload: bytes) -> bytes:
    from compiler.wasm.binary import uleb
    base = assemble("sign_ext_sat")
    body = b"\x04name" + payload
    return base + b"\x00" + uleb(len(body)) + body


def test_unknown_name_subsections_are_kept_raw():
    from compiler.wasm import write_module
    functions = b"\x01\x06\x01\x00\x03run"
    unknown = b"\x20\x03abc"
    data = _with_name_section(functions + unknown)
    m = read_module(data)
    assert m.names.functions == {0: "run"} and m.names.other == [(0x20, b"abc")]
    assert write_module(m) == data
    m.names.functions[0] = "go"
    again = read_module(write_module(m))
    assert again.names.functions == {0: "go"} and again.names.other == [(0x20, b"abc")]


def test_malformed_name_section_is_an_opaque_custom_section():
    from compiler.wasm import write_module
    data = _with_name_section(b"\x01\x09\x05\x00\x03run")  # claims 5 names, holds one
    m = read_module(data)
    assert m.names is None and m.customs[-1].name == "name"
    assert write_module(m) == data
