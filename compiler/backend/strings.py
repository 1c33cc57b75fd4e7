"""Generated helper functions for strings (LANGUAGE.md §9.2): bytes in the instrumentation memory.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from compiler.backend.instrs import op
from compiler.wasm.model import FuncType, Instr, MemArg, ValType

__all__ = ["Helper", "string_helpers", "STRING_HELPERS"]


@dataclass(frozen=True, slots=True)
class Helper:
    """A generated function: its name in the name section, type, added locals and code."""

    name: str
    type: FuncType
    locals: tuple[tuple[int, ValType], ...]
    instrs: tuple[Instr, ...]


def _seq(*items: tuple) -> tuple[Instr, ...]:
    return tuple(op(name, *imms) for name, *imms in items)


def string_helpers(memory: int, func: Mapping[str, int]) -> list[Helper]:
    """``whamm:bytes_eq`` and the string predicates built on it, in the order of :data:`STRING_HELPERS`.

    ``func`` gives the output index of each helper (they call ``whamm:bytes_eq``).
    """
    i32 = "i32"
    ld = MemArg(0, 0, memory)
    eq = func["whamm:bytes_eq"]
    # bytes_eq(a, b, n): the n bytes at a and b are equal
    bytes_eq = Helper("whamm:bytes_eq", FuncType((i32, i32, i32), (i32,)), ((1, i32),), _seq(
        ("block", None), ("loop", None),
        ("local.get", 3), ("local.get", 2), ("i32.ge_u",), ("br_if", 1),
        ("local.get", 0), ("local.get", 3), ("i32.add",), ("i32.load8_u", ld),
        ("local.get", 1), ("local.get", 3), ("i32.add",), ("i32.load8_u", ld),
        ("i32.ne",), ("if", None), ("i32.const", 0), ("return",), ("end",),
        ("local.get", 3), ("i32.const", 1), ("i32.add",), ("local.set", 3),
        ("br", 0), ("end",), ("end",), ("i32.const", 1), ("end",)))
    sig = FuncType((i32, i32, i32, i32), (i32,))
    # str_eq(a, alen, b, blen)
    str_eq = Helper("whamm:str_eq", sig, (), _seq(
        ("local.get", 1), ("local.get", 3), ("i32.ne",), ("if", None), ("i32.const", 0), ("return",),
        ("end",), ("local.get", 0), ("local.get", 2), ("local.get", 1), ("call", eq), ("end",)))
    # starts_with(s, slen, p, plen)
    starts = Helper("whamm:str_starts_with", sig, (), _seq(
        ("local.get", 3), ("local.get", 1), ("i32.gt_u",), ("if", None), ("i32.const", 0), ("return",),
        ("end",), ("local.get", 0), ("local.get", 2), ("local.get", 3), ("call", eq), ("end",)))
    ends = Helper("whamm:str_ends_with", sig, (), _seq(
        ("local.get", 3), ("local.get", 1), ("i32.gt_u",), ("if", None), ("i32.const", 0), ("return",),
        ("end",), ("local.get", 0), ("local.get", 1), ("i32.add",), ("local.get", 3), ("i32.sub",),
        ("local.get", 2), ("local.get", 3), ("call", eq), ("end",)))
    # contains(s, slen, p, plen): try every start 0 … slen - plen (local 4 = i)
    contains = Helper("whamm:str_contains", sig, ((1, i32),), _seq(
        ("local.get", 3), ("local.get", 1), ("i32.gt_u",), ("if", None), ("i32.const", 0), ("return",),
        ("end",),
        ("loop", None),
        ("local.get", 0), ("local.get", 4), ("i32.add",), ("local.get", 2), ("local.get", 3), ("call", eq),
        ("if", None), ("i32.const", 1), ("return",), ("end",),
        ("local.get", 4), ("i32.const", 1), ("i32.add",), ("local.tee", 4),
        ("local.get", 1), ("local.get", 3), ("i32.sub",), ("i32.le_u",), ("br_if", 0),
        ("end",), ("i32.const", 0), ("end",)))
    return [bytes_eq, str_eq, starts, ends, contains]


#: Names of the string helpers, in the order :func:`string_helpers` returns them.
STRING_HELPERS = ("whamm:bytes_eq", "whamm:str_eq", "whamm:str_starts_with", "whamm:str_ends_with",
                  "whamm:str_contains")
