"""The output's ``.debug_rnglists`` and ``.debug_loclists``, re-encoded over the moved code
(docs/DWARF_OUTPUT.md).

DWARF 5's range and location lists hold ULEB offsets and lengths that grow when code moves apart, so,
unlike DWARF 4's fixed-size ``.debug_ranges``/``.debug_loc`` (patched in place by
:mod:`compiler.rewrite.debug_sections`), they are re-encoded entry by entry: each contribution's header
is kept, its offset table rewritten, and every list's addresses remapped through the rewrite that owns
the address map (:class:`ListRemapper`).  The new offset of every old list and table is returned, for
the section offsets and ``DW_AT_*_base`` values ``.debug_info`` holds.  An entry kind this module does
not know, an offset into the middle of a list or a list running past its contribution is a
:class:`~compiler.rewrite.debug_format.DebugFormatError`, never a guess.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Mapping, Protocol

from compiler.rewrite.debug_format import (
    CompileUnit, DebugFormatError, contribution_header, is_tombstone, read_fixed,
)
from compiler.wasm.binary import uleb

__all__ = ["ListRemapper", "ListTable", "rewrite_lists"]


# .debug_rnglists entry kinds
_RLE_END, _RLE_BASEX, _RLE_STARTX_ENDX, _RLE_STARTX_LENGTH, _RLE_OFFSET_PAIR = 0, 1, 2, 3, 4
_RLE_BASE, _RLE_START_END, _RLE_START_LENGTH = 5, 6, 7
# .debug_loclists entry kinds
_LLE_END, _LLE_BASEX, _LLE_STARTX_ENDX, _LLE_STARTX_LENGTH, _LLE_OFFSET_PAIR = 0, 1, 2, 3, 4
_LLE_DEFAULT, _LLE_BASE, _LLE_START_END, _LLE_START_LENGTH = 5, 6, 7, 8


@dataclass(slots=True)
class ListTable:
    """References into a DWARF 5 list section: ``.debug_info`` offsets holding a section offset
    (size, old value), and the unit of each contribution (by offset-table start) or list."""

    offsets: dict[int, tuple[int, int]] = field(default_factory=dict)
    bases: dict[int, CompileUnit] = field(default_factory=dict)
    lists: dict[int, CompileUnit] = field(default_factory=dict)


class ListRemapper(Protocol):
    """What the list encoder asks of the rewrite that owns the address map
    (:mod:`compiler.rewrite.debug_sections`): the input sections, the ``.debug_addr`` entries used as code
    addresses (the lists add theirs), and the remapping of addresses and range lengths."""

    sections: Mapping[str, bytes]
    code_entries: set[int]

    def addr(self, value: int, size: int) -> int:
        """``value``'s output address (a tombstone unchanged)."""
        ...

    def length(self, start: int, length: int, size: int) -> int:
        """A range's new length (an end is an address like any other)."""
        ...


def _read_uleb(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise DebugFormatError(f"unexpected end of section at 0x{pos:x}")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


def rewrite_lists(data: bytes, table: ListTable, rw: ListRemapper, locations: bool) -> tuple[bytes, dict[int, int]]:
    """A .debug_rnglists or .debug_loclists re-encoded: each contribution's header, its offset table
    (rewritten) and its lists (entry by entry, ULEBs re-encoded).  Returns the section and the new
    offset of every old offset-table start and list start."""
    out = bytearray()
    moved: dict[int, int] = {}
    by_list = sorted(table.lists.items())
    pos = 0
    while pos < len(data):
        end, size = contribution_header(data, pos, ".debug_loclists" if locations else ".debug_rnglists")
        count = read_fixed(data, pos + 8, 4)
        table_start = pos + 12
        first = table_start + 4 * count
        unit = table.bases.get(table_start)
        if unit is None:
            unit = next((u for off, u in by_list if table_start <= off < end), None)
        new_start = len(out)
        new_table = new_start + 12
        body = bytearray()
        lists: dict[int, int] = {}                      # old list offset → new offset in body
        at = first
        while at < end:
            lists[at] = len(body)
            at = _list(data, at, end, size, unit, rw, locations, body)
        olds = [read_fixed(data, table_start + 4 * k, 4) for k in range(count)]
        offsets = bytearray()
        for old in olds:
            target = table_start + old
            if target not in lists:
                raise DebugFormatError(f"an offset table entry points inside a list (0x{target:x})")
            offsets += struct.pack("<I", 4 * count + lists[target])
        unit_body = data[pos + 4:pos + 12] + bytes(offsets) + bytes(body)
        out += struct.pack("<I", len(unit_body)) + unit_body
        moved[table_start] = new_table
        for old, new in lists.items():
            moved[old] = new_table + 4 * count + new
        pos = end
    return bytes(out), moved


def _list(data: bytes, pos: int, end: int, size: int, unit: CompileUnit | None, rw: ListRemapper, locations: bool,
          out: bytearray) -> int:
    """Re-encode one list starting at ``pos`` into ``out``; the position after it."""
    base = unit.base if unit is not None else None

    def addrx(index: int) -> int:
        """The code address at ``index`` of the unit's address table (which remaps it)."""
        if unit is None or unit.addr_base is None:
            raise DebugFormatError("an indexed address in a list no unit with DW_AT_addr_base references")
        rw.code_entries.add(unit.addr_base + index * size)
        return read_fixed(rw.sections.get(".debug_addr", b""), unit.addr_base + index * size, size)

    def address(value: int) -> int:
        return rw.addr(value, size)

    def expression(p: int) -> int:
        if not locations:
            return p
        n, q = _read_uleb(data, p)
        out.extend(uleb(n) + data[q:q + n])
        return q + n

    while pos < end:
        kind = data[pos]
        pos += 1
        out.append(kind)
        if kind == _RLE_END:                                  # (== _LLE_END)
            return pos
        if kind == _RLE_BASEX:                                # (== _LLE_BASEX)
            index, pos = _read_uleb(data, pos)
            base = addrx(index)
            out += uleb(index)
        elif kind == _RLE_STARTX_ENDX:                        # (== _LLE_STARTX_ENDX)
            a, pos = _read_uleb(data, pos)
            b, pos = _read_uleb(data, pos)
            addrx(a), addrx(b)
            out += uleb(a) + uleb(b)
            pos = expression(pos)
        elif kind == _RLE_STARTX_LENGTH:                      # (== _LLE_STARTX_LENGTH)
            index, pos = _read_uleb(data, pos)
            n, pos = _read_uleb(data, pos)
            out += uleb(index) + uleb(rw.length(addrx(index), n, size))
            pos = expression(pos)
        elif kind == _RLE_OFFSET_PAIR:                        # (== _LLE_OFFSET_PAIR)
            a, pos = _read_uleb(data, pos)
            b, pos = _read_uleb(data, pos)
            if base is None:
                raise DebugFormatError("an offset pair in a list no unit references")
            if is_tombstone(base, size):
                out += uleb(a) + uleb(b)
            else:
                new_base = address(base)
                out += uleb(address(base + a) - new_base) + uleb(address(base + b) - new_base)
            pos = expression(pos)
        elif locations and kind == _LLE_DEFAULT:
            pos = expression(pos)
        elif kind == (_LLE_BASE if locations else _RLE_BASE):
            base = read_fixed(data, pos, size)
            out += address(base).to_bytes(size, "little")
            pos += size
        elif kind == (_LLE_START_END if locations else _RLE_START_END):
            a, b = read_fixed(data, pos, size), read_fixed(data, pos + size, size)
            pos += 2 * size
            if is_tombstone(a, size):
                out += data[pos - 2 * size:pos]
            else:
                out += address(a).to_bytes(size, "little") + address(b).to_bytes(size, "little")
            pos = expression(pos)
        elif kind == (_LLE_START_LENGTH if locations else _RLE_START_LENGTH):
            a = read_fixed(data, pos, size)
            n, pos = _read_uleb(data, pos + size)
            out += address(a).to_bytes(size, "little") + uleb(rw.length(a, n, size))
            pos = expression(pos)
        else:
            raise DebugFormatError(f"list entry kind {kind}")
    raise DebugFormatError("a list running past its contribution")
