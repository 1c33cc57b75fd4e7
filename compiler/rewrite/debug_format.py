"""What the output DWARF rewriter's modules share (docs/DWARF_OUTPUT.md).

:mod:`compiler.rewrite.debug_sections` reads the input's DWARF and patches it in place;
:mod:`compiler.rewrite.debug_line` and :mod:`compiler.rewrite.debug_lists` re-encode the sections whose
sizes change.  All three raise the same error (which makes the whole interdependent set dropped), read
fixed-size little-endian values and DWARF 5 contribution headers the same way, recognise the linker's mark for discarded code the same
way and need the same facts of a compilation unit; these live here so that none of the three imports
another for them.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CompileUnit", "DebugFormatError", "contribution_header", "is_tombstone", "read_fixed"]


class DebugFormatError(Exception):
    """DWARF the rewriter cannot rewrite truthfully (a form, opcode or layout it does not encode)."""


@dataclass(slots=True)
class CompileUnit:
    """What the list sections need to know of a compilation unit."""

    version: int
    address_size: int
    base: int                    # DW_AT_low_pc: the base address of its lists
    addr_base: int | None        # DW_AT_addr_base (DWARF 5)


def read_fixed(data: bytes, pos: int, size: int) -> int:
    """The little-endian ``size``-byte value at ``pos``; past the end is malformed DWARF, not a zero."""
    if pos + size > len(data):
        raise DebugFormatError(f"unexpected end of section at 0x{pos:x}")
    return int.from_bytes(data[pos:pos + size], "little")


def is_tombstone(value: int, size: int) -> bool:
    """A linker's mark for discarded code (wasm-ld writes -1, or -2 in range and location lists)."""
    return value >= (1 << (8 * size)) - 16


def contribution_header(data: bytes, pos: int, section: str) -> tuple[int, int]:
    """The end and the address size of the DWARF 5 contribution (``.debug_addr``, ``.debug_rnglists``,
    ``.debug_loclists``) at ``pos``: unit length, version, address size, segment selector size.  The
    64-bit format and segment selectors are not rewritten."""
    length = read_fixed(data, pos, 4)
    if length >= 0xFFFFFFF0:
        raise DebugFormatError(f"{section}: 64-bit DWARF")
    size = read_fixed(data, pos + 6, 1)
    if read_fixed(data, pos + 7, 1):
        raise DebugFormatError(f"{section}: segment selectors")
    return pos + 4 + length, size
