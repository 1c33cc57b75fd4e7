"""What one function's rewriting inserts where: the plan, as plain hashable data (REWRITING.md §6, §8).

Rewriting a function is two steps with a data structure between them.  Placement
(:mod:`compiler.rewrite.inject`) reads the sites, the layout and the module context and decides, for
every input instruction position, the code that goes before and after it, the ``alt`` replacements,
the added locals and the wrapper block; :func:`compiler.rewrite.splice.splice` turns that
:class:`FunctionPlan` and the input body into the output body's bytes, reading nothing else.

Because the plan is a value (compared and hashed by content), it is the incremental cache's key
(:mod:`compiler.rewrite.bodycache`): two emits that plan a function the same way produce the same bytes,
whatever else changed, and an emit that plans it differently — a string literal moved, a slot
moved, a probe changed — cannot be served the old bytes.  Nothing is listed by hand.

Code is kept as :data:`Code`: a tuple of pieces, each either encoded bytes or a *patched template*
``(parts, base)``: the parts of a compiled-once body (:class:`~compiler.rewrite.templates.Template`)
with the site's locals already substituted — byte runs, and ints that are slot offsets relative to
``base``, the address of the site's block of unshared variables.  Keeping the site's base apart from
the shared parts makes a plan cheap to build and to hash for a probe at thousands of sites (the
parts tuple is one object shared by every site that uses it); :func:`code_bytes` does the patching.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from compiler.wasm.binary import uleb

__all__ = ["Piece", "Code", "Replacement", "FunctionPlan", "code_bytes", "patch_bytes"]

#: Encoded code, or a template's parts (bytes and base-relative slot offsets) with the site's base.
Piece = Union[bytes, tuple]
#: A sequence of pieces, concatenated.
Code = tuple


@dataclass(frozen=True, slots=True)
class Replacement:
    """An ``alt`` replacement of instructions ``[start, stop)`` (§6.3): ``prefix`` is the new code;
    ``keep`` when a residual predicate keeps the original inside ``else`` (then ``suffix`` closes the
    new ``if``)."""

    start: int
    stop: int
    prefix: Code
    keep: bool
    suffix: bytes


@dataclass(frozen=True, slots=True)
class FunctionPlan:
    """Everything the output body of input function ``fid`` depends on besides the input body itself.

    * ``renumbering``: the parameters of the index remapping of the input's own functions and
      memories (``(func_imports, func_shift, app_memory_imports, mem_shift)``); the splice renumbers the
      input body with them;
    * ``locals``: the added local declarations, ``(count, type)`` groups after the input's own;
    * ``wrap``: the encoded ``block`` opening the wrapper of the body (b"" without one; §8's
      function-exit code then follows the wrapper's ``end``, in ``exit``);
    * ``before``/``after``: per input instruction position (ascending), the code inserted before or
      after it, its buckets already in §8 order;
    * ``replace_before``/``replace_after``: ``alt`` replacements anchored before or after a position;
    * ``adjusted``: instructions re-encoded with increased branch depths (inside kept ``alt`` regions).
    """

    fid: int
    renumbering: tuple
    locals: tuple
    wrap: bytes
    before: tuple
    after: tuple
    replace_before: tuple
    replace_after: tuple
    adjusted: tuple
    exit: Code


def patch_bytes(parts: tuple, base: int) -> bytes:
    """A patched template's bytes: the slot offsets of ``parts`` become LEB128 addresses from ``base``."""
    return b"".join([p if p.__class__ is bytes else _uleb(p + base) for p in parts])


def code_bytes(code: Code) -> bytes:
    """The encoded bytes of ``code``."""
    return b"".join([p if p.__class__ is bytes else patch_bytes(*p) for p in code])


def _uleb(v: int) -> bytes:
    """LEB128 with the one- to three-byte cases (slot addresses) unrolled."""
    if v < 0x80:
        return bytes((v,))
    if v < 0x4000:
        return bytes((v & 0x7F | 0x80, v >> 7))
    if v < 0x200000:
        return bytes((v & 0x7F | 0x80, (v >> 7) & 0x7F | 0x80, v >> 14))
    return uleb(v)
