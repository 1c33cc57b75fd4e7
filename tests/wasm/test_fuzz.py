"""Robustness: mutated modules are either read (and then written back identically) or rejected with
DecodeError — never another exception, never a hang."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.wasm import DecodeError, read_module, write_module
from wasm_fixtures import FAMILIES, assemble

SEEDS = [assemble(name) for name in sorted(FAMILIES)]

HUGE_COUNT = b"\xff\xff\xff\xff\x0f"
BAD_LEBS = [b"\x80" * 6, b"\xff" * 11, b"\x80\x80\x80\x80\x7f", b"\xff\xff\xff\xff\x7f", HUGE_COUNT]


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["truncate", "flip", "set", "leb", "delete", "insert"]))
        if kind == "truncate":
            del data[pos:]
        elif kind == "flip" and pos < len(data):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and pos < len(data):
            data[pos] = draw(st.integers(0, 255))
        elif kind == "leb":
            width = draw(st.integers(0, 5))
            data[pos:pos + width] = draw(st.sampled_from(BAD_LEBS))
        elif kind == "delete":
            del data[pos:pos + draw(st.integers(1, 8))]
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_modules_are_read_or_rejected_cleanly(data):
    try:
        module = read_module(data)
        for body in module.code:
            body.instrs
    except DecodeError as err:
        assert isinstance(err.offset, int) and 0 <= err.offset <= len(data)
        assert err.section is not None
        str(err)
        return
    assert write_module(module) == data


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_random_code_decodes_or_raises_decode_error(code):
    from compiler.wasm.code import decode_instrs, encode_instrs
    try:
        instrs = decode_instrs(code)
    except DecodeError as err:
        assert 0 <= err.offset <= len(code)
        return
    reencoded = decode_instrs(encode_instrs(instrs))
    assert [(i.op, i.imms) for i in reencoded] == [(i.op, i.imms) for i in instrs]
