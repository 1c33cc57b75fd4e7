"""Building instruction sequences: one instruction, constants, flattened types, memory access parts,
the local pool of a body, and the error a construct that cannot be compiled raises.
"""
from __future__ import annotations

import struct
from typing import Sequence, TYPE_CHECKING

from compiler.errors import WhammError
from compiler.lang.types import MapType, Prim, TupleType, WhammType, wasm_types
from compiler.wasm.model import Instr, MemArg, ValType
from compiler.wasm.opcodes import BY_NAME

if TYPE_CHECKING:
    from compiler.lang.diagnostics import Span

__all__ = ["CodegenError", "op", "flat", "const", "Code", "LocalPool", "mem_parts", "memarg", "normalize",
           "wasm1"]

_new = tuple.__new__


class CodegenError(WhammError):
    """A construct that cannot be compiled at a site (e.g. an ``alt`` body without a value); carries the
    span of the offending node so the caller can render it as a script diagnostic."""

    def __init__(self, message: str, span: Span | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


_OPS = BY_NAME


def op(name: str, *imms: object) -> Instr:
    """An instruction by text-format name (immediates unchecked: this is internal, trusted code)."""
    return _new(Instr, (_OPS[name], imms, -1))


def flat(t: WhammType) -> tuple[str, ...]:
    """The flattened Wasm types of a whamm type (``()`` for the empty tuple)."""
    return wasm_types(t)


def const(valtype: str, value: object) -> Instr:
    """A constant of a Wasm number type from a Python value (floats as values, not bits)."""
    if valtype == "i32":
        v = int(value) & 0xFFFFFFFF  # type: ignore[call-overload]
        return op("i32.const", v - (1 << 32) if v >> 31 else v)
    if valtype == "i64":
        v = int(value) & 0xFFFFFFFFFFFFFFFF  # type: ignore[call-overload]
        return op("i64.const", v - (1 << 64) if v >> 63 else v)
    if valtype == "f32":
        return op("f32.const", struct.unpack("<I", struct.pack("<f", value))[0])
    if valtype == "f64":
        return op("f64.const", struct.unpack("<Q", struct.pack("<d", value))[0])
    raise ValueError(f"no constant of type {valtype}")


class Code:
    """An instruction list under construction, with the label stack of the code it builds.

    Branches name labels by object; :meth:`depth` turns one into the relative depth at the current
    position, so nesting generated code never needs renumbering (STYLE.md §1).
    """

    __slots__ = ("instrs", "labels")

    def __init__(self) -> None:
        self.instrs: list[Instr] = []
        self.labels: list[object] = []

    def emit(self, name: str, *imms: object) -> None:
        """Append instruction ``name`` with its immediates (no checking: the output is validated as a whole)."""
        self.instrs.append(_new(Instr, (_OPS[name], imms, -1)))

    def add(self, instr: Instr) -> None:
        """Append an instruction already built (a constant from :func:`const`, a copied input instruction)."""
        self.instrs.append(instr)

    def extend(self, instrs: Sequence[Instr]) -> None:
        """Append instructions built elsewhere; labels they open and close must balance."""
        self.instrs.extend(instrs)

    def open(self, name: str, blocktype: object, label: object = None) -> object:
        """Open ``block``/``loop``/``if`` and return its label."""
        self.emit(name, blocktype)
        lab = label if label is not None else object()
        self.labels.append(lab)
        return lab

    def else_(self) -> None:
        """``else`` of the innermost ``if``; its label stays open until :meth:`end`."""
        self.emit("else")

    def end(self) -> None:
        """Close the innermost block, ``loop`` or ``if`` and its label."""
        self.emit("end")
        self.labels.pop()

    def depth(self, label: object) -> int:
        """The relative depth a ``br`` at the current position needs to reach ``label`` (``KeyError`` if the
        label is not open: a bug of the code generator)."""
        for i in range(len(self.labels) - 1, -1, -1):
            if self.labels[i] is label:
                return len(self.labels) - 1 - i
        raise KeyError("branch to a label that is not open")

    def br(self, label: object) -> None:
        """Branch to ``label``, a label opened by :meth:`open` that is still open."""
        self.emit("br", self.depth(label))


class LocalPool:
    """The locals a body adds after its existing ones, with reuse of released temporaries.

    ``first`` is the index of the first added local (parameters plus the input's locals), so the
    input's local indices — and ``localN`` — never change (REWRITING.md §6.8).
    """

    __slots__ = ("first", "types", "free")

    def __init__(self, first: int) -> None:
        self.first = first
        self.types: list[ValType] = []
        self.free: dict[ValType, list[int]] = {}

    def new(self, valtype: ValType) -> int:
        """A dedicated local (never reused)."""
        self.types.append(valtype)
        return self.first + len(self.types) - 1

    def temp(self, valtype: ValType) -> int:
        """A temporary; give it back with :meth:`release` once its value is dead."""
        free = self.free.get(valtype)
        if free:
            return free.pop()
        return self.new(valtype)

    def release(self, *indices: int) -> None:
        """Give temporaries back for reuse by later code; their values must be dead."""
        for i in indices:
            self.free.setdefault(self.types[i - self.first], []).append(i)

    def groups(self) -> list[tuple[int, ValType]]:
        """The added locals as ``(count, type)`` runs, for a body's locals declaration."""
        out: list[tuple[int, ValType]] = []
        for t in self.types:
            if out and out[-1][1] == t:
                out[-1] = (out[-1][0] + 1, t)
            else:
                out.append((1, t))
        return out


_LOAD = {Prim.U8: "i32.load8_u", Prim.I8: "i32.load8_s", Prim.U16: "i32.load16_u", Prim.I16: "i32.load16_s",
         Prim.U32: "i32.load", Prim.I32: "i32.load", Prim.BOOL: "i32.load", Prim.U64: "i64.load",
         Prim.I64: "i64.load", Prim.F32: "f32.load", Prim.F64: "f64.load"}


_STORE = {Prim.U8: "i32.store8", Prim.I8: "i32.store8", Prim.U16: "i32.store16", Prim.I16: "i32.store16",
          Prim.U32: "i32.store", Prim.I32: "i32.store", Prim.BOOL: "i32.store", Prim.U64: "i64.store",
          Prim.I64: "i64.store", Prim.F32: "f32.store", Prim.F64: "f64.store"}


_WASM = {Prim.U64: "i64", Prim.I64: "i64", Prim.F32: "f32", Prim.F64: "f64"}


def wasm1(t: WhammType) -> str:
    """The single Wasm type of a scalar whamm type (``i32`` for the narrow integers, ``bool`` and map ids)."""
    return _WASM.get(t, "i32")  # type: ignore[arg-type]


def mem_parts(t: WhammType, base: int = 0) -> list[tuple[int, str, str, str]]:
    """Per flattened value of ``t``: ``(offset, load op, store op, wasm type)`` in the runtime's packed
    layout (runtime/README.md "Values in memory": ``u8`` 1 byte, ``u16`` 2, ``str`` an address/length
    pair, tuples concatenated without padding; a map is its ``i32`` id)."""
    out: list[tuple[int, str, str, str]] = []

    def walk(t: WhammType, off: int) -> int:
        if isinstance(t, TupleType):
            for e in t.elems:
                off = walk(e, off)
            return off
        if isinstance(t, MapType):
            out.append((off, "i32.load", "i32.store", "i32"))
            return off + 4
        if t is Prim.STR:
            out.append((off, "i32.load", "i32.store", "i32"))
            out.append((off + 4, "i32.load", "i32.store", "i32"))
            return off + 8
        load = _LOAD[t]  # type: ignore[index]
        out.append((off, load, _STORE[t], _WASM.get(t, "i32")))  # type: ignore[arg-type]
        size = 1 if load.startswith("i32.load8") else 2 if load.startswith("i32.load16") else \
            8 if load.startswith(("i64", "f64")) else 4
        return off + size

    walk(t, base)
    return out


_ALIGN = {"i32.load8_u": 0, "i32.load8_s": 0, "i32.store8": 0, "i32.load16_u": 1, "i32.load16_s": 1,
          "i32.store16": 1, "i32.load": 2, "i32.store": 2, "f32.load": 2, "f32.store": 2, "i64.load": 3,
          "i64.store": 3, "f64.load": 3, "f64.store": 3}


def memarg(name: str, offset: int, memory: int) -> MemArg:
    """The memarg of a load/store: natural alignment (a hint; slots are aligned, packed tuple elements
    may not be, which Wasm allows)."""
    return MemArg(_ALIGN[name], offset, memory)


def parts_range(t: WhammType, path: Sequence[int]) -> tuple[int, int, WhammType]:
    """Which flattened values a tuple element occupies: ``(first, count, element type)``."""
    first = 0
    for index in path:
        assert isinstance(t, TupleType)
        for e in t.elems[:index]:
            first += len(flat(e))
        t = t.elems[index]
    return first, len(flat(t)), t


def normalize(code: Code, t: WhammType) -> None:
    """Bring an ``i32`` holding a wrapped 8/16-bit result back into the type's range (§6.5)."""
    if t is Prim.U8:
        code.emit("i32.const", 0xFF)
        code.emit("i32.and")
    elif t is Prim.U16:
        code.emit("i32.const", 0xFFFF)
        code.emit("i32.and")
    elif t is Prim.I8:
        code.emit("i32.extend8_s")
    elif t is Prim.I16:
        code.emit("i32.extend16_s")
