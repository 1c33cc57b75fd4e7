"""``printf`` format strings (ANALYSIS.md §2): parsed once, shared by the checker and the lowering.

A format is literal text and conversions ``%[flags][width][.precision]conv`` with the flags ``-``
``0`` ``+`` and space, a decimal width and precision, and one of ``d i u x X o c s f e g`` (``%%`` is a
literal ``%``), as in C.  ``*`` widths, length modifiers (``l``, ``ll``…) and the ``#`` flag are not
part of the language: whamm values carry their width, and a format the checker cannot map to C's
meaning is refused rather than guessed.  Offsets are byte offsets in the format's value, so the
checker can point a caret at a conversion inside the literal.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Conversion", "FormatError", "parse_format", "INT_CONVERSIONS", "UNSIGNED_CONVERSIONS",
           "FLOAT_CONVERSIONS", "MAX_WIDTH", "MAX_PRECISION", "FLAG_BITS"]

INT_CONVERSIONS = frozenset("diuxXoc")
"""Conversions taking an integer (``%c`` prints its low byte)."""
UNSIGNED_CONVERSIONS = frozenset("uxXo")
"""Integer conversions that print the value's bits as unsigned in its own width (C's reinterpretation)."""
FLOAT_CONVERSIONS = frozenset("feg")

MAX_WIDTH = 1000
MAX_PRECISION = 400
"""Bounds the runtime's exact decimal expansion works within (printf.c); far beyond any real format."""

FLAG_BITS = {"-": 1, "0": 2, "+": 4, " ": 8}
"""The flag bits of the runtime's conversion descriptor (printf.c ``F_*``)."""


class FormatError(Exception):
    """A malformed format: ``message`` and the byte range ``[start, end)`` in the format."""

    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end


@dataclass(frozen=True, slots=True)
class Conversion:
    """One ``%…`` conversion: ``flags`` as written (deduplicated, in ``-0+ `` order), ``width`` and
    ``precision`` (-1: none), the conversion character, and its byte range in the format."""

    flags: str
    width: int
    precision: int
    conv: str
    start: int
    end: int

    @property
    def text(self) -> str:
        """The conversion as written (normalised), e.g. ``%-08.3f``."""
        return "%" + self.flags + (str(self.width) if self.width >= 0 else "") + \
            (f".{self.precision}" if self.precision >= 0 else "") + self.conv

    @property
    def flag_bits(self) -> int:
        """The flags as the runtime's descriptor bits (:data:`FLAG_BITS`)."""
        return sum(FLAG_BITS[f] for f in self.flags)


def parse_format(fmt: bytes) -> list[bytes | Conversion]:
    """The pieces of ``fmt`` in order: literal byte strings (``%%`` already turned into ``%``, adjacent
    literals merged) and :class:`Conversion` s; :class:`FormatError` for anything else."""
    pieces: list[bytes | Conversion] = []
    literal = bytearray()
    i, n = 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c != 0x25:  # '%'
            literal.append(c)
            i += 1
            continue
        start = i
        i += 1
        if i < n and fmt[i] == 0x25:
            literal.append(0x25)
            i += 1
            continue
        flags = set()
        while i < n and chr(fmt[i]) in FLAG_BITS:
            flags.add(chr(fmt[i]))
            i += 1
        width = _number(fmt, i)
        i += len(str(width)) if width >= 0 else 0
        precision = -1
        if i < n and fmt[i] == 0x2E:  # '.'
            i += 1
            precision = max(_number(fmt, i), 0)
            while i < n and 0x30 <= fmt[i] <= 0x39:
                i += 1
        if i >= n:
            raise FormatError("printf: incomplete conversion at the end of the format", start, n)
        conv = chr(fmt[i])
        i += 1
        if conv not in INT_CONVERSIONS and conv not in FLOAT_CONVERSIONS and conv != "s":
            what = "`*` widths are" if conv == "*" else \
                "length modifiers are" if conv in "hlLjzt" else "the `#` flag is" if conv == "#" else None
            message = f"printf: {what} not supported (whamm values carry their type)" if what else \
                f"printf: unknown conversion `%{conv}`"
            raise FormatError(message, start, i)
        if width > MAX_WIDTH:
            raise FormatError(f"printf: width larger than {MAX_WIDTH}", start, i)
        if precision > MAX_PRECISION:
            raise FormatError(f"printf: precision larger than {MAX_PRECISION}", start, i)
        if literal:
            pieces.append(bytes(literal))
            literal.clear()
        ordered = "".join(f for f in FLAG_BITS if f in flags)
        pieces.append(Conversion(ordered, width, precision, conv, start, i))
    if literal:
        pieces.append(bytes(literal))
    return pieces


def _number(fmt: bytes, i: int) -> int:
    """The decimal number starting at ``fmt[i]``, or -1 if there is none (leading zeros are flags, so
    a width never starts with ``0``)."""
    j = i
    while j < len(fmt) and 0x30 <= fmt[j] <= 0x39 and j - i < 9:
        j += 1
    return int(fmt[i:j]) if j > i else -1
