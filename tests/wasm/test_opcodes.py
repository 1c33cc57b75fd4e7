"""The opcode table: complete, consistent, and agreeing with wasmtime's assembler row by row."""
from __future__ import annotations

import pytest
import wasmtime

from compiler.wasm.code import decode_instrs, encode_instrs
from compiler.wasm.model import FUNCREF, Catch, Instr, MemArg, RefType
from compiler.wasm.opcodes import (
    ADDR, BY_NAME, CATEGORIES, IMMEDIATE_KINDS, OPCODES, RULES, lookup, lookup_prefixed,
)

# Python values for each immediate kind, non-trivial so encoding mistakes show.
SAMPLE = {
    "blocktype": "i64", "labelidx": 2, "br_table": (0, 3, 1), "funcidx": 300, "typeidx": 5, "tableidx": 1,
    "memidx": 1, "memarg": MemArg(3, 1 << 33, 2), "localidx": 129, "globalidx": 7, "dataidx": 2, "elemidx": 3,
    "tagidx": 1, "fieldidx": 4, "u32": 9, "i32": -2 ** 31, "i64": 2 ** 63 - 1, "f32": 0x7FA00000,
    "f64": 0xFFF8000000000001, "v128": bytes(range(16)), "lane": 7, "shuffle16": bytes(range(31, 15, -1)),
    "heaptype": 12, "reftype": RefType(False, "any"), "valtypes": (FUNCREF,),
    "try_table_catches": (Catch(0, 1, 2), Catch(3, None, 0)), "castflags": 3, "reserved": 0,
}

VALTYPES = {"i32", "i64", "f32", "f64", "v128", ADDR}


def test_names_and_encodings_are_unique():
    assert len({op.name for op in OPCODES}) == len(OPCODES)
    assert len({(op.prefix, op.code) for op in OPCODES}) == len(OPCODES)


@pytest.mark.parametrize("op", OPCODES, ids=lambda op: op.name)
def test_row_is_complete(op):
    assert set(op.imms) <= IMMEDIATE_KINDS
    assert op.category in CATEGORIES
    if op.rule is None:
        assert op.params is not None and op.results is not None
        for t in op.params + op.results:
            assert t in VALTYPES or isinstance(t, RefType)
    else:
        assert op.rule in RULES and op.params is None and op.results is None
    found = lookup(op.code) if op.prefix is None else lookup_prefixed(op.prefix, op.code)
    assert found is op


@pytest.mark.parametrize("op", OPCODES, ids=lambda op: op.name)
def test_row_encodes_and_decodes(op):
    instr = Instr(op, tuple(SAMPLE[kind] for kind in op.imms))
    encoded = encode_instrs([instr, instr])
    decoded = decode_instrs(encoded)
    assert [(i.op, i.imms) for i in decoded] == [(op, instr.imms)] * 2
    assert decoded[1].offset == len(encoded) // 2
    assert encode_instrs(decoded) == encoded


@pytest.mark.parametrize("name, params, results", [
    ("i32.add", ("i32", "i32"), ("i32",)),
    ("i64.eqz", ("i64",), ("i32",)),
    ("f32.demote_f64", ("f64",), ("f32",)),
    ("i64.trunc_sat_f32_u", ("f32",), ("i64",)),
    ("i32.reinterpret_f32", ("f32",), ("i32",)),
    ("i64.store32", (ADDR, "i64"), ()),
    ("memory.grow", (ADDR,), (ADDR,)),
    ("memory.fill", (ADDR, "i32", ADDR), ()),
    ("i64.atomic.rmw32.cmpxchg_u", (ADDR, "i64", "i64"), ("i64",)),
    ("memory.atomic.wait64", (ADDR, "i64", "i64"), ("i32",)),
    ("v128.load16_lane", (ADDR, "v128"), ("v128",)),
    ("i8x16.shl", ("v128", "i32"), ("v128",)),
    ("f64x2.extract_lane", ("v128",), ("f64",)),
    ("i32x4.relaxed_dot_i8x16_i7x16_add_s", ("v128", "v128", "v128"), ("v128",)),
    ("ref.i31", ("i32",), (RefType(False, "i31"),)),
    ("ref.eq", (RefType(True, "eq"),) * 2, ("i32",)),
])
def test_fixed_signatures(name, params, results):
    op = BY_NAME[name]
    assert (op.params, op.results, op.rule) == (params, results, None)


@pytest.mark.parametrize("name, rule", [
    ("call", "call"), ("local.tee", "local.tee"), ("select", "select"), ("typed_select", "typed_select"),
    ("block", "block"), ("struct.get_s", "struct.get"), ("br_on_cast_fail", "br_on_cast_fail"),
    ("table.grow", "table.grow"), ("memory.copy", "memory.copy"), ("return_call_ref", "return_call_ref"),
])
def test_computed_signatures(name, rule):
    assert BY_NAME[name].rule == rule


def test_catalog_details():
    assert BY_NAME["try_table"].bytecode == 0x1F and BY_NAME["try_table"].category == "table"
    assert BY_NAME["ref.cast_null"].bytecode == 0xFB17
    assert BY_NAME["table.fill"].opbytes == b"\xfc\x11"
    assert BY_NAME["i8x16.relaxed_swizzle"].opbytes == b"\xfd\x80\x02"
    assert sum(op.prefix == 0xFD for op in OPCODES) == 236 + 20


# --- agreement with the text format: wasmtime assembles each row's mnemonic to that row's encoding ----------

_CONTEXT = """
  (type $f (func))
  (type $s (struct (field i32)))
  (type $a (array (mut i32)))
  (memory 1) (memory 1)
  (table 1 funcref) (table 1 funcref)
  (global i32 (i32.const 0))
  (tag (param))
  (data "x")
  (elem func 0)
"""

_TEXT = {
    "block": "block\nend", "loop": "loop\nend", "if": "if\nend", "else": "if\nelse\nend",
    "try": "try\ncatch 0\nend", "catch": "try\ncatch 0\nend", "catch_all": "try\ncatch_all\nend",
    "delegate": "try\ndelegate 0", "rethrow": "try\ncatch 0\nrethrow 0\nend",
    "try_table": "try_table (catch 0 0) (catch_all_ref 0)\nend",
    "call_indirect": "call_indirect 1 (type 0)", "return_call_indirect": "return_call_indirect 1 (type 0)",
    "typed_select": "select (result funcref)", "br_table": "br_table 0 0 0",
    "ref.null": "ref.null extern", "ref.test": "ref.test (ref any)", "ref.test_null": "ref.test anyref",
    "ref.cast": "ref.cast (ref 1)", "ref.cast_null": "ref.cast (ref null 1)",
    "br_on_cast": "br_on_cast 0 anyref (ref eq)", "br_on_cast_fail": "br_on_cast_fail 0 anyref (ref eq)",
    "array.new_fixed": "array.new_fixed 2 3", "v128.const": "v128.const i32x4 1 2 3 4",
    "i8x16.shuffle": "i8x16.shuffle " + " ".join(map(str, range(16))),
    "memory.copy": "memory.copy 1 0", "table.copy": "table.copy 1 0", "table.init": "table.init 1 0",
    "memory.init": "memory.init 1 0",
}
_KIND_TEXT = {
    "labelidx": "0", "funcidx": "0", "typeidx": "1", "tableidx": "1", "memidx": "1", "localidx": "0",
    "globalidx": "0", "dataidx": "0", "elemidx": "0", "tagidx": "0", "fieldidx": "0", "u32": "0", "i32": "-1",
    "i64": "-1", "f32": "1.5", "f64": "-0.25", "lane": "1", "heaptype": "func", "memarg": "offset=8",
}


def _text(op) -> str:
    if op.name in _TEXT:
        return _TEXT[op.name]
    kinds = op.imms
    if kinds == ("memarg", "lane"):
        return f"{op.name} 1 offset=8 1"
    if kinds == ("memarg",):
        return f"{op.name} 1 offset=8"
    return " ".join([op.name] + [_KIND_TEXT[k] for k in kinds if k != "reserved"])


def test_every_row_matches_the_text_format():
    """Each row's mnemonic assembles (wasmtime's ``wat`` crate) to an instruction this table decodes as
    that row — checks names, prefixes and codes of all rows against an independent implementation."""
    rows = [op for op in OPCODES]
    body = "\n".join(f"(func (local i32)\n{_text(op)}\n)" for op in rows)
    data = wasmtime.wat2wasm(f"(module {_CONTEXT} {body})")
    from compiler.wasm.reader import read_module
    module = read_module(data)
    assert len(module.code) == len(rows)
    for op, func in zip(rows, module.code):
        names = [i.op.name for i in func.instrs]
        assert op.name in names, (op.name, names)


def test_agrees_with_the_opcode_event_catalog():
    """EVENTS.md §10 (``compiler/events/opcode_events.tsv``) names 310 instructions: each is a row here with
    the same bytecode and category, so events can look their instruction up by name."""
    from pathlib import Path
    import compiler.events
    tsv = Path(compiler.events.__file__).with_name("opcode_events.tsv")
    rows = [line.split("\t") for line in tsv.read_text().splitlines() if line and not line.startswith("#")]
    assert len(rows) == 310
    for row in rows:
        name, bytecode, category = row[1].rstrip(" ¹²"), int(row[2], 16), row[3]
        op = BY_NAME[name]
        assert (op.bytecode, op.category) == (bytecode, category), name
