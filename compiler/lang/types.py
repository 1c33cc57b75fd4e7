"""whamm types (LANGUAGE.md §6.1): the one model shared by the catalog, checker, folder and backends.

Types are immutable values compared by equality.  ``str(t)`` is the *display form* used in messages and
report rows (``u32``, ``(i32,(i32,i32))``, ``map<u32,u32>``).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "Prim", "TupleType", "MapType", "AggType", "WhammType", "UNIT", "is_aggregate", "LHIST_MAX_BUCKETS",
    "parse_type", "wasm_types", "is_integer", "is_signed", "is_float", "is_numeric", "bit_width",
    "INTEGER_TYPES",
]


class Prim(enum.Enum):
    """Primitive types.  The value is the display name."""

    U8 = "u8"
    I8 = "i8"
    U16 = "u16"
    I16 = "i16"
    U32 = "u32"
    I32 = "i32"
    U64 = "u64"
    I64 = "i64"
    F32 = "f32"
    F64 = "f64"
    BOOL = "bool"
    STR = "str"
    FUNCREF = "funcref"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class TupleType:
    """``(T1, T2, ...)``; the empty tuple ``()`` is the "no value" type (:data:`UNIT`)."""

    elems: tuple["WhammType", ...]

    def __str__(self) -> str:
        return "(" + ",".join(str(e) for e in self.elems) + ")"


@dataclass(frozen=True, slots=True)
class MapType:
    """``map<K, V>``: a hash map held by an ``i32`` map id."""

    key: "WhammType"
    value: "WhammType"

    def __str__(self) -> str:
        return f"map<{self.key},{self.value}>"


#: The most inner buckets an ``lhist`` may have (bpftrace's limit): a map value holds them all.
LHIST_MAX_BUCKETS = 1000


@dataclass(frozen=True, slots=True)
class AggType:
    """An aggregate (ANALYSIS.md §1): ``stats``, ``hist`` or ``lhist(lo, hi, step)``.

    Its value lives in memory as ``words`` unsigned 64-bit counters (``stats``: count, sum, min, max;
    histograms: one per bucket, the open ends of ``lhist`` first and last), updated in place by
    ``.add()``; the variable itself is never loaded as a Wasm value, so it is one ``i32`` (its address)
    where a Wasm type is asked for, as a map is its id."""

    kind: str                 # "stats" | "hist" | "lhist"
    lo: int = 0
    hi: int = 0
    step: int = 0

    def __str__(self) -> str:
        return f"lhist({self.lo},{self.hi},{self.step})" if self.kind == "lhist" else self.kind

    @property
    def inner(self) -> int:
        """``lhist``: the buckets between ``lo`` and ``hi`` (the last one may be narrower than ``step``)."""
        return -(-(self.hi - self.lo) // self.step)

    @property
    def words(self) -> int:
        """The value's size in 64-bit words."""
        if self.kind == "stats":
            return 4
        if self.kind == "hist":
            return 65
        return self.inner + 2


WhammType = Prim | TupleType | MapType | AggType
UNIT = TupleType(())

INTEGER_TYPES = (Prim.U8, Prim.I8, Prim.U16, Prim.I16, Prim.U32, Prim.I32, Prim.U64, Prim.I64)
_SIGNED = {Prim.I8, Prim.I16, Prim.I32, Prim.I64}
_WIDTH = {Prim.U8: 8, Prim.I8: 8, Prim.U16: 16, Prim.I16: 16, Prim.U32: 32, Prim.I32: 32,
          Prim.U64: 64, Prim.I64: 64, Prim.F32: 32, Prim.F64: 64, Prim.BOOL: 32}


def is_integer(t: WhammType) -> bool:
    """Any of the eight integer types (not ``bool``, which has its own rules in §6)."""
    return t in INTEGER_TYPES


def is_signed(t: WhammType) -> bool:
    """A signed integer type: decides ``_s``/``_u`` opcodes, sign extension and comparisons."""
    return t in _SIGNED


def is_float(t: WhammType) -> bool:
    """``f32`` or ``f64``."""
    return t is Prim.F32 or t is Prim.F64


def is_aggregate(t: WhammType) -> bool:
    """``stats``, ``hist`` or an ``lhist``."""
    return isinstance(t, AggType)


def is_numeric(t: WhammType) -> bool:
    """An integer or float type: what arithmetic and numeric casts accept."""
    return is_integer(t) or is_float(t)


def bit_width(t: WhammType) -> int:
    """Width in bits of a numeric type (``bool`` counts as its ``i32`` representation)."""
    return _WIDTH[t]


def wasm_types(t: WhammType) -> tuple[str, ...]:
    """The flattened Wasm value types of ``t`` (REWRITING.md §11.2 ``wasm_type``)."""
    if isinstance(t, Prim):
        if t in (Prim.U64, Prim.I64):
            return ("i64",)
        if t is Prim.F32:
            return ("f32",)
        if t is Prim.F64:
            return ("f64",)
        if t is Prim.STR:
            return ("i32", "i32")
        if t is Prim.FUNCREF:
            return ("funcref",)
        return ("i32",)
    if isinstance(t, (MapType, AggType)):
        return ("i32",)
    out: list[str] = []
    for e in t.elems:
        out.extend(wasm_types(e))
    return tuple(out)


def parse_type(text: str) -> WhammType:
    """Parse a type in display or source form: ``u32``, ``(u32, bool)``, ``map<(u32,u32),u64>``.

    Used for catalog data and tests; scripts are parsed by the grammar.  Raises ``ValueError``.
    """
    pos, t = _parse(text.replace(" ", ""), 0)
    if pos != len(text.replace(" ", "")):
        raise ValueError(f"bad type {text!r}")
    return t


def _parse(s: str, i: int) -> tuple[int, WhammType]:
    if s.startswith("map<", i):
        i, k = _parse(s, i + 4)
        if s[i:i + 1] != ",":
            raise ValueError(f"bad type {s!r}")
        i, v = _parse(s, i + 1)
        if s[i:i + 1] != ">":
            raise ValueError(f"bad type {s!r}")
        return i + 1, MapType(k, v)
    if s.startswith("(", i):
        i += 1
        elems: list[WhammType] = []
        if s[i:i + 1] == ")":
            return i + 1, UNIT
        while True:
            i, e = _parse(s, i)
            elems.append(e)
            if s[i:i + 1] == ",":
                i += 1
                continue
            if s[i:i + 1] == ")":
                return i + 1, TupleType(tuple(elems))
            raise ValueError(f"bad type {s!r}")
    if s.startswith("lhist(", i):
        j = s.index(")", i)
        lo, hi, step = (int(x) for x in s[i + 6:j].split(","))
        return j + 1, AggType("lhist", lo, hi, step)
    j = i
    while j < len(s) and s[j].isalnum():
        j += 1
    if s[i:j] in ("stats", "hist"):
        return j, AggType(s[i:j])
    try:
        return j, Prim(s[i:j])
    except ValueError:
        raise ValueError(f"bad type {s!r}") from None
