"""LEB128 codecs and the bounded cursor."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.wasm.binary import Cursor, read_s32, read_s33, read_s64, read_u32, read_u64, sleb, uleb
from compiler.wasm.errors import DecodeError


@given(st.integers(0, 2 ** 32 - 1))
def test_u32_round_trip(value):
    encoded = uleb(value)
    assert read_u32(encoded + b"\xaa", 0) == (value, len(encoded))
    assert len(encoded) == max(1, (value.bit_length() + 6) // 7)


@given(st.integers(0, 2 ** 64 - 1))
def test_u64_round_trip(value):
    assert read_u64(uleb(value), 0) == (value, len(uleb(value)))


@given(st.integers(-2 ** 63, 2 ** 63 - 1))
def test_s64_round_trip(value):
    assert read_s64(sleb(value), 0) == (value, len(sleb(value)))


@given(st.integers(-2 ** 31, 2 ** 31 - 1))
def test_s32_round_trip(value):
    assert read_s32(sleb(value), 0) == (value, len(sleb(value)))


@pytest.mark.parametrize("data, value", [
    (b"\x00", 0), (b"\x7f", 127), (b"\x80\x01", 128), (b"\xe5\x8e\x26", 624485),
    (b"\x80\x80\x80\x80\x00", 0),  # padded to 5 bytes: still valid
    (b"\xff\xff\xff\xff\x0f", 2 ** 32 - 1),
])
def test_u32_known_encodings(data, value):
    assert read_u32(data, 0) == (value, len(data))


@pytest.mark.parametrize("data, value", [(b"\x7f", -1), (b"\x40", -64), (b"\xc0\xbb\x78", -123456),
                                         (b"\xff\xff\xff\xff\x7f", -1), (b"\x80\x80\x80\x80\x78", -2 ** 31)])
def test_s32_known_encodings(data, value):
    assert read_s32(data, 0) == (value, len(data))


@pytest.mark.parametrize("reader, data, message", [
    (read_u32, b"\x80\x80\x80\x80\x80\x00", "too long"),
    (read_u32, b"\xff\xff\xff\xff\x1f", "too large"),
    (read_s32, b"\xff\xff\xff\xff\x4f", "too large"),
    (read_s33, b"\x80\x80\x80\x80\x80\x00", "too long"),
    (read_u64, b"\x80" * 10 + b"\x00", "too long"),
    (read_u32, b"\x80\x80", "unexpected end"),
    (read_s64, b"", "unexpected end"),
])
def test_malformed_lebs(reader, data, message):
    with pytest.raises(DecodeError, match=message):
        reader(data, 0)


def test_cursor_is_bounded_by_its_end():
    data = b"\x03abc\x05"
    cur = Cursor(data, 0, 4)
    assert cur.name() == "abc" and cur.remaining == 0
    with pytest.raises(DecodeError, match="unexpected end of section") as info:
        cur.byte()
    assert info.value.offset == 4
    cur = Cursor(b"\x85\x01", 0, 1)
    with pytest.raises(DecodeError, match="unexpected end of section"):
        cur.u32()


def test_cursor_rejects_counts_the_bytes_cannot_hold():
    cur = Cursor(b"\x05\x01\x02", 0, 3)
    with pytest.raises(DecodeError, match="vector length 5 exceeds the remaining 2 bytes"):
        cur.count()
    assert Cursor(b"\x02\x01\x02", 0, 3).count() == 2


def test_cursor_rejects_bad_utf8():
    with pytest.raises(DecodeError, match="UTF-8"):
        Cursor(b"\x02\xff\xfe", 0, 3).name()
