"""The instruction codec: pcs as EVENTS.md §2.1 defines them, fast path = generic path, expressions."""
from __future__ import annotations

import pytest

from compiler.wasm import DecodeError, FuncBody, Instr, MemArg, RefType, read_module
from compiler.wasm.code import (
    decode_body, decode_expr, decode_instr, decode_instrs, encode_body, encode_instrs, read_locals,
)
from wasm_fixtures import FAMILIES, assemble


def _body(hex_body: str) -> FuncBody:
    raw = bytes.fromhex(hex_body.replace(" ", ""))
    return FuncBody.from_bytes(raw, 0, len(raw), 0)


@pytest.mark.parametrize("hex_body, first_pc", [
    ("00 41 05 0b", 1),
    ("01 01 7f 20 00 1a 0b", 3),
    ("02 01 7f 03 7e 10 00 0b", 5),
])
def test_pc_of_first_instruction_counts_the_locals_header(hex_body, first_pc):
    body = _body(hex_body)
    assert body.instrs[0].offset == first_pc == body.code_offset


def test_pcs_follow_the_encoded_sizes_including_padding():
    assert [i.offset for i in _body("00 10 00 10 01 0b").instrs] == [1, 3, 5]
    padded = _body("00 10 80 80 00 10 01 0b")  # call 0 with a 3-byte LEB
    assert [(i.name, i.imms, i.offset) for i in padded.instrs] == [
        ("call", (0,), 1), ("call", (1,), 5), ("end", (), 7)]


def test_spec_worked_example_pcs():
    """EVENTS.md §6: basic_br has pcs 1 3 5 7 9 10 12 14 15 17 18 19 21 22."""
    data = assemble_wat("""(module (func $basic_br (param i64) (result i32)
      block block local.get 0 i64.const 1 i64.eq br_if 0 br 1 end i32.const 1 return end i32.const 2 return))""")
    instrs = read_module(data).code[0].instrs
    assert [i.offset for i in instrs] == [1, 3, 5, 7, 9, 10, 12, 14, 15, 17, 18, 19, 21, 22]


def assemble_wat(text: str) -> bytes:
    import wasmtime
    return wasmtime.wat2wasm(text)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_fast_path_agrees_with_the_generic_decoder(name):
    module = read_module(assemble(name))
    for body in module.code:
        data, start, end = body._data, body._start, body._end
        _, pos = read_locals(data, start, end)
        slow = []
        while pos < end:
            instr, pos = decode_instr(data, pos, start)
            slow.append(instr)
        assert list(body.instrs) == slow


def test_memarg_forms():
    instrs = [Instr.of("i32.load", MemArg(2, 0)), Instr.of("i64.load", MemArg(3, 1 << 40)),
              Instr.of("i32.store8", MemArg(0, 5, 3)), Instr.of("f32.load", MemArg(2, 200))]
    encoded = encode_instrs(instrs)
    assert encoded.startswith(bytes.fromhex("2802 00 2903 808080808020".replace(" ", "")))
    assert bytes.fromhex("3a 40 03 05".replace(" ", "")) in encoded
    assert [(i.op, i.imms) for i in decode_instrs(encoded)] == [(i.op, i.imms) for i in instrs]


def test_float_constants_keep_their_bits():
    nan_payload = Instr.of("f32.const", 0x7FA00001)
    neg_zero = Instr.of("f64.const", 0x8000000000000000)
    decoded = decode_instrs(encode_instrs([nan_payload, neg_zero]))
    assert [i.imms for i in decoded] == [(0x7FA00001,), (0x8000000000000000,)]


def test_block_types():
    instrs = [Instr.of("block", None), Instr.of("loop", "f64"), Instr.of("if", 7),
              Instr.of("block", RefType(False, 3)), Instr.of("try_table", RefType(True, "exn"), ())]
    assert encode_instrs(instrs) == bytes.fromhex("0240 037c 0407 02640 3 1f6900".replace(" ", ""))
    assert [i.imms for i in decode_instrs(encode_instrs(instrs))] == [i.imms for i in instrs]


def test_decode_expr_stops_at_its_end():
    data = bytes.fromhex("2300 4110 6a 0b ff")
    instrs, pos = decode_expr(data, 0, len(data))
    assert [i.name for i in instrs] == ["global.get", "i32.const", "i32.add", "end"] and pos == 6
    with pytest.raises(DecodeError, match="unexpected end of section"):
        decode_expr(data, 0, 5)


def test_locals_and_body_encoding():
    body = encode_body([(2, "i32"), (1, RefType(False, 0))], [Instr.of("nop"), Instr.of("end")])
    assert body == bytes.fromhex("02 02 7f 01 64 00 01 0b".replace(" ", ""))
    assert read_locals(body, 0, len(body)) == (((2, "i32"), (1, RefType(False, 0))), 6)
    with pytest.raises(DecodeError, match="local groups"):
        read_locals(b"\x09\x01\x7f", 0, 3)
    with pytest.raises(DecodeError, match="too many locals") as info:
        read_locals(b"\x02\xff\xff\xff\xff\x0f\x7f\x01\x7e\x0b", 0, 10)
    assert info.value.offset == 7


def test_decode_errors():
    with pytest.raises(DecodeError, match="invalid opcode 0x17") as info:
        decode_body(b"\x00\x01\x17\x0b", 1, 4, 0, func=5)
    assert (info.value.offset, info.value.func, info.value.section) == (2, 5, "code")
    with pytest.raises(DecodeError, match="invalid opcode 0xfc 0x40"):
        decode_instrs(b"\xfc\x40\x0b")
    with pytest.raises(DecodeError, match="invalid memarg flags"):
        decode_instrs(b"\x28\x80\x01\x00")
    with pytest.raises(DecodeError, match="invalid value type"):
        decode_instrs(b"\x1c\x01\x55")
    with pytest.raises(DecodeError, match="invalid catch clause kind"):
        decode_instrs(b"\x1f\x40\x01\x07\x00")


def test_instr_of_checks_names_and_arity():
    with pytest.raises(ValueError, match="unknown instruction"):
        Instr.of("i32.addd")
    with pytest.raises(ValueError, match="takes 2 immediate"):
        Instr.of("call_indirect", 1)
    assert Instr.of("call", 3).offset == -1


def test_instr_of_normalizes_and_rejects_immediates():
    assert Instr.of("i32.const", 0xFFFFFFFF).imms == (-1,)
    assert Instr.of("i64.const", 1 << 63).imms == (-(1 << 63),)
    assert Instr.of("f32.const", 1.5).imms == (0x3FC00000,)
    assert Instr.of("f64.const", -0.0).imms == (0x8000000000000000,)
    assert Instr.of("i32.load", (2, 8)).imms == (MemArg(2, 8, 0),)
    assert Instr.of("br_table", [1, 0]).imms == ((1, 0),)
    assert Instr.of("try_table", None, [(2, None, 0)]).imms[1][0].kind == 2
    for name, imms in [("i32.const", (1 << 32,)), ("local.get", (-1,)), ("call", ("f",)),
                       ("v128.const", (b"short",)), ("block", ("i33",)), ("ref.null", ("anything",)),
                       ("br_table", ([],)), ("atomic.fence", (1,)), ("i8x16.shuffle", (bytes([32] * 16),)),
                       ("try_table", (None, [(0, None, 0)])), ("i64.load", (MemArg(64, 0),))]:
        with pytest.raises(ValueError, match=f"invalid .* immediate"):
            Instr.of(name, *imms)
