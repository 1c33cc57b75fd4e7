"""LEB128 integers and a bounds-checked byte cursor: the two primitives every decoder is built from.

The free functions take ``(data, pos)`` and return ``(value, new_pos)`` so hot loops can call them without
an object; :class:`Cursor` adds the end-of-section bound for the (cooler) section parsers.  Every failure
is a :class:`~compiler.wasm.errors.DecodeError` at the offending absolute offset; ``IndexError`` never
escapes.  LEB lengths are capped (5 bytes for 32 bits, 10 for 64), so no input makes a loop run long.
"""
from __future__ import annotations

import codecs

from compiler.wasm.errors import DecodeError

__all__ = [
    "read_u32", "read_u64", "read_s32", "read_s33", "read_s64", "uleb", "sleb", "Cursor",
]

_UTF8 = codecs.getdecoder("utf-8")


def _read_uleb(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    start = pos
    limit = 7 * ((bits + 6) // 7)
    result = shift = 0
    try:
        while True:
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
            if shift >= limit:
                raise DecodeError("integer representation too long", start)
    except IndexError:
        raise DecodeError("unexpected end of data", pos) from None
    if result >> bits:
        raise DecodeError("integer too large", start)
    return result, pos


def _read_sleb(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    start = pos
    limit = 7 * ((bits + 6) // 7)
    result = shift = 0
    try:
        while True:
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
            if shift >= limit:
                raise DecodeError("integer representation too long", start)
    except IndexError:
        raise DecodeError("unexpected end of data", pos) from None
    if byte & 0x40:
        result -= 1 << shift
    if not -(1 << (bits - 1)) <= result < 1 << (bits - 1):
        raise DecodeError("integer too large", start)
    return result, pos


def read_u32(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned 32-bit LEB128 at ``pos``; returns the value and the position after it."""
    byte = data[pos] if pos < len(data) else 0x80
    if byte < 0x80:
        return byte, pos + 1
    return _read_uleb(data, pos, 32)


def read_u64(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned 64-bit LEB128 (memory64 limits, memarg offsets)."""
    return _read_uleb(data, pos, 64)


def read_s32(data: bytes, pos: int) -> tuple[int, int]:
    """A signed 32-bit LEB128 (``i32.const``)."""
    return _read_sleb(data, pos, 32)


def read_s33(data: bytes, pos: int) -> tuple[int, int]:
    """A signed 33-bit LEB128: the type-index form of block types and heap types."""
    return _read_sleb(data, pos, 33)


def read_s64(data: bytes, pos: int) -> tuple[int, int]:
    """A signed 64-bit LEB128 (``i64.const``)."""
    return _read_sleb(data, pos, 64)


_SMALL = [bytes([i]) for i in range(128)]


def uleb(value: int) -> bytes:
    """Minimal unsigned LEB128 of ``value`` (any width)."""
    if value < 0x80:
        return _SMALL[value]
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(value: int) -> bytes:
    """Minimal signed LEB128 of ``value`` (any width)."""
    if -64 <= value < 64:
        return _SMALL[value & 0x7F]
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


class Cursor:
    """A read position in ``data`` bounded by ``end`` (the end of the current section or item).

    Reads past ``end`` raise ``DecodeError("unexpected end of section")`` at the read's offset, even when
    the underlying buffer continues, so one section can never consume another.
    """

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int, end: int) -> None:
        self.data = data
        self.pos = pos
        self.end = end

    def _check(self, new: int) -> int:
        if new > self.end:
            raise DecodeError("unexpected end of section", self.pos)
        return new

    @property
    def remaining(self) -> int:
        """Bytes left before the end of the current range."""
        return self.end - self.pos

    def byte(self) -> int:
        """The next byte, consumed."""
        pos = self.pos
        if pos >= self.end:
            raise DecodeError("unexpected end of section", pos)
        self.pos = pos + 1
        return self.data[pos]

    def peek(self) -> int:
        """The next byte, not consumed (to choose an encoding)."""
        if self.pos >= self.end:
            raise DecodeError("unexpected end of section", self.pos)
        return self.data[self.pos]

    def bytes(self, n: int) -> bytes:
        """The next ``n`` bytes, consumed."""
        pos = self.pos
        self.pos = self._check(pos + n)
        return self.data[pos:pos + n]

    def u32(self) -> int:
        """An unsigned LEB128 of at most 32 bits."""
        value, new = read_u32(self.data, self.pos)
        self.pos = self._check(new)
        return value

    def u64(self) -> int:
        """An unsigned LEB128 of at most 64 bits (memory64 offsets and limits)."""
        value, new = read_u64(self.data, self.pos)
        self.pos = self._check(new)
        return value

    def count(self, min_size: int = 1) -> int:
        """A vector length, rejected when the remaining bytes cannot hold that many elements."""
        at = self.pos
        n = self.u32()
        if n * min_size > self.end - self.pos:
            raise DecodeError(f"vector length {n} exceeds the remaining {self.end - self.pos} bytes", at)
        return n

    def name(self) -> str:
        """A length-prefixed UTF-8 name (malformed UTF-8 is a decode error, spec §5.2.4)."""
        at = self.pos
        raw = self.bytes(self.count())
        try:
            return _UTF8(raw)[0]
        except UnicodeDecodeError:
            raise DecodeError("malformed UTF-8 encoding", at) from None

    def expect_end(self, what: str) -> None:
        """Fail unless the range was consumed exactly (``what`` names it in the error)."""
        if self.pos != self.end:
            raise DecodeError(f"{what}: {self.end - self.pos} unexpected bytes at the end", self.pos)
