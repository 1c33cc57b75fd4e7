"""The output's ``.debug_line``, re-encoded over the moved code (docs/DWARF_OUTPUT.md).

A line program cannot be patched in place like ``.debug_info``: its address advances are ULEBs and
special opcodes whose sizes change with the distances, and instrumentation puts new code between rows.
So every sequence is re-emitted over the output code, unit by unit in output order (an instruction's
unit starts with the code injected for it, :mod:`compiler.rewrite.addrmap`): an instruction's own rows
at its unit, and the row in force where that differs from the last one written (after an instruction
an ``alt`` removed).  The header bytes are kept; the program is re-encoded (``set_address``,
``advance_pc``, ``advance_line``…, ``copy``) and :mod:`compiler.rewrite.debug_sections` patches the units'
new offsets into ``DW_AT_stmt_list``.  Sequences of functions the linker discarded (a tombstone address)
are left out.  What this module does not encode (VLIW programs, ``DW_LNE_define_file``, 64-bit DWARF)
is a :class:`~compiler.rewrite.debug_format.DebugFormatError`, never a guess.
"""
from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass
from typing import Iterable, Mapping

from compiler.rewrite.addrmap import AddressMap, Unmappable
from compiler.rewrite.debug_format import DebugFormatError, is_tombstone, read_fixed
from compiler.wasm.binary import sleb, uleb

__all__ = ["LineUnit", "read_line_unit", "rewrite_lines"]


# standard opcodes
_COPY, _ADVANCE_PC, _ADVANCE_LINE, _SET_FILE, _SET_COLUMN, _NEGATE_STMT, _SET_BASIC_BLOCK = 1, 2, 3, 4, 5, 6, 7
_SET_PROLOGUE_END, _SET_EPILOGUE_BEGIN, _SET_ISA = 10, 11, 12
# extended opcodes
_END_SEQUENCE, _SET_ADDRESS, _DEFINE_FILE, _SET_DISCRIMINATOR = 1, 2, 3, 4


@dataclass(slots=True)
class LineUnit:
    """One unit of .debug_line as read: where it is, its header bytes (after the unit length) and what
    the encoder needs of it, and its sequences of rows."""

    offset: int
    end: int
    head: bytes
    opcode_base: int
    min_length: int
    default_is_stmt: bool
    address_size: int
    sequences: list[list[_Row]]


@dataclass(slots=True)
class _Row:
    address: int
    file: int
    line: int
    column: int
    is_stmt: bool
    basic_block: bool
    prologue_end: bool
    epilogue_begin: bool
    isa: int
    discriminator: int

    @classmethod
    def of(cls, state) -> _Row:
        return cls(state.address, state.file, state.line, state.column, bool(state.is_stmt),
                   bool(state.basic_block), bool(state.prologue_end), bool(state.epilogue_begin),
                   state.isa, state.discriminator)

    def where(self) -> tuple:
        """What a row says about the code after it (the flags that mark one address excluded)."""
        return (self.file, self.line, self.column, self.is_stmt, self.isa, self.discriminator)

    def moved(self, address: int, injected: bool) -> _Row:
        return _Row(address, self.file, self.line, self.column, self.is_stmt,
                    self.basic_block and not injected, self.prologue_end and not injected,
                    self.epilogue_begin and not injected, self.isa, self.discriminator)


def read_line_unit(lp, data: bytes, offset: int, address_size: int) -> LineUnit:
    """A .debug_line unit read with pyelftools (``lp``, starting at ``offset`` in ``data``)."""
    header = lp.header
    if header.get("maximum_operations_per_instruction", 1) != 1:
        raise DebugFormatError(".debug_line: VLIW line programs")
    if read_fixed(data, offset, 4) >= 0xFFFFFFF0:
        raise DebugFormatError(".debug_line: 64-bit DWARF")
    return LineUnit(offset, lp.program_end_offset, data[offset + 4:lp.program_start_offset],
                     header["opcode_base"], header["minimum_instruction_length"],
                     bool(header["default_is_stmt"]), address_size, list(_sequences(lp)))


def rewrite_lines(data: bytes, units: Mapping[int, LineUnit], amap: AddressMap) -> tuple[bytes, dict[int, int]]:
    """The new .debug_line and each unit's new offset; the units must tile the section."""
    out = bytearray()
    moved: dict[int, int] = {}
    expected = 0
    for offset in sorted(units):
        unit = units[offset]
        if offset != expected:
            raise DebugFormatError(f".debug_line: bytes at 0x{expected:x} belong to no unit's line program")
        program = bytearray()
        for rows in unit.sequences:
            if not is_tombstone(rows[0].address, unit.address_size):   # else discarded by the linker
                program += _encode_sequence(_remap_sequence(rows, amap), unit)
        moved[offset] = len(out)
        out += struct.pack("<I", len(unit.head) + len(program)) + unit.head + program
        expected = unit.end
    if expected != len(data):
        raise DebugFormatError(f".debug_line: bytes at 0x{expected:x} belong to no unit's line program")
    return bytes(out), moved


def _sequences(lp) -> Iterable[list[_Row]]:
    rows: list[_Row] = []
    for entry in lp.get_entries():
        if entry.is_extended and entry.command == _DEFINE_FILE:
            raise DebugFormatError(".debug_line: DW_LNE_define_file")
        if entry.state is None:
            continue
        rows.append(_Row.of(entry.state))
        if entry.state.end_sequence:
            yield rows
            rows = []
    if rows:
        raise DebugFormatError(".debug_line: a sequence without an end")


def _remap_sequence(rows: list[_Row], amap: AddressMap) -> list[_Row]:
    """The rows of one input sequence over the output code (module doc); the last is the end."""
    end = rows[-1]
    body = rows[:-1]
    addresses = [r.address for r in body]
    out: list[_Row] = []
    done = 0                                             # rows before this one are placed
    start = body[0].address if body else end.address
    for f in amap.overlapping(start, end.address):
        lo = bisect.bisect_left(addresses, f.in_start)
        if lo > done:
            raise Unmappable(body[done].address)         # a row between two bodies
        stop = min(end.address, f.in_end)
        hi = bisect.bisect_left(addresses, stop)
        if f.exact is None:                              # copied whole: every row shifts
            out += [r.moved(f.out_start + r.address - f.in_start, False) for r in body[lo:hi]]
            done = hi
            continue
        for r in body[lo:hi]:
            if r.address - f.in_start not in f.boundaries and r.address != f.in_start:
                raise Unmappable(r.address)              # a row inside an instruction
        current = None
        for unit_out, unit_source in f.units:            # output order
            source = f.in_start + unit_source
            if not start <= source < stop:
                continue
            here = f.out_start + unit_out
            k = bisect.bisect_left(addresses, source)
            if k < len(body) and body[k].address == source:     # the instruction's own rows
                while k < len(body) and body[k].address == source:
                    out.append(body[k].moved(here, False))
                    k += 1
                current = body[k - 1].where()
            elif k > 0 and body[k - 1].where() != current:     # the row in force there
                out.append(body[k - 1].moved(here, True))
                current = body[k - 1].where()
        done = hi
    if done != len(body):
        raise Unmappable(body[done].address)
    out.append(end.moved(amap.address(end.address), False))
    return out


def _encode_sequence(rows: list[_Row], unit: LineUnit) -> bytes:
    """One sequence as line-program opcodes; the last row ends it."""
    opcode_base, min_length, address_size = unit.opcode_base, unit.min_length, unit.address_size
    out = bytearray()

    def extended(opcode: int, operand: bytes) -> None:
        out.extend(b"\x00" + uleb(1 + len(operand)) + bytes((opcode,)) + operand)

    def standard(opcode: int) -> None:
        if opcode >= opcode_base:
            raise DebugFormatError(f".debug_line: standard opcode {opcode} missing from the header")
        out.append(opcode)

    file, line, column, is_stmt, isa = 1, 1, 0, unit.default_is_stmt, 0
    address = rows[0].address
    extended(_SET_ADDRESS, address.to_bytes(address_size, "little"))
    for r in rows:
        if r.address != address:
            delta = r.address - address
            if delta < 0:
                raise DebugFormatError(".debug_line: a sequence going backwards")
            if delta % min_length:
                extended(_SET_ADDRESS, r.address.to_bytes(address_size, "little"))
            else:
                out.append(_ADVANCE_PC)
                out += uleb(delta // min_length)
            address = r.address
        if r is rows[-1]:
            extended(_END_SEQUENCE, b"")
            break
        if r.file != file:
            out.append(_SET_FILE)
            out += uleb(r.file)
            file = r.file
        if r.line != line:
            out.append(_ADVANCE_LINE)
            out += sleb(r.line - line)
            line = r.line
        if r.column != column:
            out.append(_SET_COLUMN)
            out += uleb(r.column)
            column = r.column
        if r.is_stmt != is_stmt:
            out.append(_NEGATE_STMT)
            is_stmt = r.is_stmt
        if r.isa != isa:
            standard(_SET_ISA)
            out += uleb(r.isa)
            isa = r.isa
        if r.discriminator:
            extended(_SET_DISCRIMINATOR, uleb(r.discriminator))
        if r.basic_block:
            out.append(_SET_BASIC_BLOCK)
        if r.prologue_end:
            standard(_SET_PROLOGUE_END)
        if r.epilogue_begin:
            standard(_SET_EPILOGUE_BEGIN)
        out.append(_COPY)
    return bytes(out)
