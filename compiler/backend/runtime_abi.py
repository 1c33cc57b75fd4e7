"""The Python side of the instrumentation runtime's ABI (``runtime/``, REWRITING.md §9–§12).

The rewriter links the committed ``runtime.wasm`` into every instrumented application: its memory
becomes the instrumentation memory and its functions are called by generated code.  This module is the
single place that knows the runtime's contract:

* :data:`IMPORT`, :data:`EXPORTS`, :data:`EXPORTED_GLOBALS`: what the module imports and exports, with
  Wasm signatures (a test checks them against the binary);
* :func:`encode_type` / :func:`map_descriptor`: the byte encoding of whamm types that maps and
  ``whamm_print_value`` are given, mirroring ``runtime.h``;
* :func:`pack_value` / :func:`unpack_value`: the value layout in memory (LANGUAGE.md §6.1 "bytes in
  memory", packed), so the rewriter can place constants and the shell can read live values;
* :func:`runtime_wasm` and :func:`runtime_layout`: the binary and the addresses the rewriter needs.
"""
from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import wasmtime

from compiler.errors import WhammError
from compiler.lang.types import (
    INTEGER_TYPES, AggType, MapType, Prim, TupleType, WhammType, bit_width, is_signed,
)

__all__ = [
    "TYPE_CODES", "TUPLE_CODE", "AGG_CODES", "OUTPUT_BUFFER_SIZE",
    "RuntimeFunc", "IMPORT", "EXPORTS", "EXPORT_BY_NAME", "CORE_FUNCTIONS", "EXPORTED_GLOBALS",
    "RuntimeTypeError", "encode_type", "decode_type", "map_descriptor", "check_map_type", "value_size",
    "pack_value", "unpack_value", "read_map", "runtime_wasm", "RuntimeLayout", "runtime_layout",
]

OUTPUT_BUFFER_SIZE = 4096
"""Bytes of the line buffer (``OUT_CAPACITY`` in output.c): the largest single ``whamm.write``."""

TYPE_CODES: dict[Prim, int] = {
    Prim.U8: 1, Prim.I8: 2, Prim.U16: 3, Prim.I16: 4, Prim.U32: 5, Prim.I32: 6, Prim.U64: 7,
    Prim.I64: 8, Prim.F32: 9, Prim.F64: 10, Prim.BOOL: 11, Prim.STR: 12,
}
"""Descriptor byte of each primitive type (the enum in runtime.h)."""

TUPLE_CODE = 16
"""Descriptor byte of a tuple; an element count byte and the element descriptors follow."""

AGG_CODES = {"stats": 13, "hist": 14, "lhist": 15}
"""Descriptor byte of each aggregate kind (ANALYSIS.md §1); an ``lhist`` is followed by its MIN, MAX and
STEP as little-endian ``i64`` (runtime/agg.c)."""

_PRIM_BY_CODE = {code: prim for prim, code in TYPE_CODES.items()}
_AGG_BY_CODE = {code: kind for kind, code in AGG_CODES.items()}
_SIZES = {Prim.U8: 1, Prim.I8: 1, Prim.U16: 2, Prim.I16: 2, Prim.U32: 4, Prim.I32: 4, Prim.U64: 8,
          Prim.I64: 8, Prim.F32: 4, Prim.F64: 8, Prim.BOOL: 4, Prim.STR: 8}
_INT_FORMATS = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}


@dataclass(frozen=True, slots=True)
class RuntimeFunc:
    """One exported function: its export name, Wasm signature and meaning."""

    name: str
    params: tuple[str, ...]
    results: tuple[str, ...]
    doc: str
    core: bool = False
    """Part of the ``whamm_core`` library (LANGUAGE.md §12.3), exported under its library name."""


def _f(name: str, params: str, results: str, doc: str, core: bool = False) -> RuntimeFunc:
    return RuntimeFunc(name, tuple(params.split()), tuple(results.split()), doc, core)


IMPORT = ("whamm", "write", ("i32", "i32", "i32"), ())
"""The only import: ``write(fd, ptr, len)`` writes ``len`` bytes at ``ptr`` of the runtime's memory to
file descriptor ``fd`` (1, or 2 for the unknown-map message); the rewriter implements it with
``fd_write`` (REWRITING.md §12.5)."""

EXPORTS: tuple[RuntimeFunc, ...] = (
    _f("putc", "i32", "", "write the byte c & 0xFF", core=True),
    _f("puts", "i32 i32", "", "write len bytes at ptr", core=True),
    _f("putu8", "i32", "", "low 8 bits, unsigned decimal", core=True),
    _f("puti8", "i32", "", "low 8 bits, signed decimal", core=True),
    _f("putu16", "i32", "", "low 16 bits, unsigned decimal", core=True),
    _f("puti16", "i32", "", "low 16 bits, signed decimal", core=True),
    _f("putu32", "i32", "", "unsigned decimal", core=True),
    _f("puti32", "i32", "", "signed decimal", core=True),
    _f("putu64", "i64", "", "unsigned decimal", core=True),
    _f("puti64", "i64", "", "signed decimal", core=True),
    _f("putf32", "f32", "", "REWRITING.md §12.2 float format", core=True),
    _f("putf64", "f64", "", "REWRITING.md §12.2 float format", core=True),
    _f("putbool", "i32", "", "true if v != 0 else false", core=True),
    _f("mem_alloc", "i32", "i32", "allocate size bytes, 8-byte aligned, never 0", core=True),
    _f("mem_free", "i32", "", "release a mem_alloc block (0 is ignored)", core=True),
    _f("print_map", "i32", "", "map id in the map format, no newline", core=True),
    _f("print_map_as_csv", "i32", "", "map id as the CSV block", core=True),
    _f("whamm_flush", "", "", "write the pending output (exit sequence, before proc_exit)"),
    _f("whamm_print_value", "i32 i32", "",
       "print the value at ptr whose type descriptor is at desc, report form (REWRITING.md §11.2)"),
    _f("whamm_report_rows", "i32 i32", "",
       "print the default report's memaddr rows from the compact table at [table, end) (report.c)"),
    _f("whamm_map_create", "i32 i32", "",
       "create map id, or reset it to empty; desc = key descriptor then value descriptor (copied)"),
    _f("whamm_map_get", "i32 i32", "i32",
       "pointer to m[key]'s value bytes, or to zero bytes if absent (no insertion); read-only"),
    _f("whamm_map_put", "i32 i32 i32", "", "m[key] = value, both copied (strings too)"),
    _f("whamm_map_slot", "i32 i32", "i32",
       "pointer to m[key]'s value bytes in the map, inserting zero if absent (numeric in-place updates)"),
    _f("whamm_map_add", "i32 i32 i64", "", "m[key] += delta for a numeric value type (m[k]++)"),
    _f("whamm_map_len", "i32", "i32", "number of entries of map id"),
    _f("whamm_map_delete", "i32 i32", "", "delete(m[key]): remove the entry if present (ANALYSIS.md §2)"),
    _f("whamm_map_clear", "i32", "", "clear(m): remove every entry"),
    _f("whamm_print_var", "i32 i32 i32 i32", "",
       "print(v) of a non-map variable: name (ptr, len), type descriptor, value's address (human.c)"),
    _f("whamm_print_map_human", "i32 i32 i32", "", "print(m): name (ptr, len), map id; one line per entry"),
    _f("whamm_agg_add", "i32 i32 i64 i32", "",
       "aggregate at ptr (descriptor desc) .add(x); last: x's type was signed (agg.c)"),
    _f("whamm_agg_read", "i32 i32 i32", "i64",
       "aggregate at ptr (descriptor desc): 0 count, 1 sum, 2 min, 3 max, 4 avg (ANALYSIS.md §1)"),
    _f("whamm_printf_int", "i64 i32 i32 i32", "",
       "printf conversion %d %i %u %x %X %o %c of bits with spec = conv | flags << 8, width, precision (printf.c)"),
    _f("whamm_printf_str", "i32 i32 i32 i32 i32", "", "printf %s of the string (ptr, len) with spec, width, precision"),
    _f("whamm_printf_float", "f64 i32 i32 i32", "", "printf %f %e %g of an f64 with spec, width, precision"),
    _f("whamm_map_entries", "i32", "i32",
       "new array of whamm_map_len(id) pointers to key bytes in key order (value after key); mem_free it"),
    _f("whamm_callstack", "i32 i32 i32", "i64",
       "callstack string (len << 32 | ptr, interned) of the shadow stack (depth, ring, name table) (callstack.c)"),
    _f("whamm_frame_enter", "i32", "i32",
       "a new zeroed region of size bytes for an activation's frame aggregates, on top of the frame stack (frame.c)"),
    _f("whamm_frame_leave", "i32", "", "release the region and every region above it (an activation's exit)"),
    _f("whamm_frame_reset", "i32", "", "release the regions above the region (a catch landing)"),
    _f("whamm_frame_mark", "", "i32", "the frame stack's height, for whamm_frame_unwind (frame.c)"),
    _f("whamm_frame_unwind", "i32", "",
       "release the regions above a mark (a catch landing or exit of a function without frame aggregates)"),
    _f("whamm_fd_path", "i32", "i64", "wasi:p1 fd_path of a descriptor (len << 32 | ptr; \"\" unknown) (fdpath.c)"),
    _f("whamm_fd_path_preopen", "i32 i32 i32", "", "record a preopened directory's name (fd, ptr, len) (fdpath.c)"),
    _f("whamm_fd_path_open", "i32 i32 i32 i32", "",
       "record path_open's new fd as its directory fd's path joined with (ptr, len) (fdpath.c)"),
    _f("whamm_fd_path_renumber", "i32 i32", "", "fd_renumber(from, to): to takes from's path, from is forgotten"),
    _f("whamm_fd_path_close", "i32", "", "fd_close: the descriptor's path is forgotten (fdpath.c)"),
)
EXPORT_BY_NAME: dict[str, RuntimeFunc] = {f.name: f for f in EXPORTS}
CORE_FUNCTIONS: dict[str, RuntimeFunc] = {f.name: f for f in EXPORTS if f.core}
"""``whamm_core`` function name → runtime export (same name)."""

EXPORTED_GLOBALS: dict[str, str] = {
    "__heap_base": "first byte the runtime's data, stack and line buffer do not use",
    "__data_end": "end of the runtime's data segments",
    "whamm_heap_next": "address of the allocator's u32 bump pointer: store X there (an active data "
                       "segment) to reserve [__heap_base, X) for static data",
}
"""Immutable i32 globals exported besides ``memory`` (the one memory, exported as ``memory``)."""


class RuntimeTypeError(WhammError):
    """A type the runtime cannot hold (a float map key, a map inside a value, ``funcref``, ``()``)."""


def encode_type(t: WhammType) -> bytes:
    """The runtime's descriptor of ``t`` (scalars, ``str`` and tuples of those)."""
    if isinstance(t, Prim):
        if t not in TYPE_CODES:
            raise RuntimeTypeError(f"type {t} has no runtime representation")
        return bytes((TYPE_CODES[t],))
    if isinstance(t, TupleType) and t.elems:
        if len(t.elems) > 255:
            raise RuntimeTypeError(f"tuple type {t} has more than 255 elements")
        return bytes((TUPLE_CODE, len(t.elems))) + b"".join(encode_type(e) for e in t.elems)
    if isinstance(t, AggType):
        params = struct.pack("<3q", t.lo, t.hi, t.step) if t.kind == "lhist" else b""
        return bytes((AGG_CODES[t.kind],)) + params
    raise RuntimeTypeError(f"type {t} has no runtime representation")


def decode_type(data: bytes, pos: int = 0) -> tuple[WhammType, int]:
    """Inverse of :func:`encode_type`: the type at ``data[pos:]`` and the position after it."""
    code = data[pos]
    if code == TUPLE_CODE:
        count, pos = data[pos + 1], pos + 2
        elems = []
        for _ in range(count):
            elem, pos = decode_type(data, pos)
            elems.append(elem)
        return TupleType(tuple(elems)), pos
    if code == AGG_CODES["lhist"]:
        return AggType("lhist", *struct.unpack_from("<3q", data, pos + 1)), pos + 25
    if code in _AGG_BY_CODE:
        return AggType(_AGG_BY_CODE[code]), pos + 1
    if code not in _PRIM_BY_CODE:
        raise ValueError(f"bad type descriptor byte {code} at {pos}")
    return _PRIM_BY_CODE[code], pos + 1


def _key_ok(t: WhammType) -> bool:
    if isinstance(t, TupleType):
        return bool(t.elems) and all(_key_ok(e) for e in t.elems)
    return t in INTEGER_TYPES or t is Prim.BOOL or t is Prim.STR


def _value_ok(t: WhammType) -> bool:
    if isinstance(t, TupleType):
        return bool(t.elems) and all(_value_ok(e) for e in t.elems)
    return (isinstance(t, Prim) and t in TYPE_CODES) or isinstance(t, AggType)


def check_map_type(t: MapType) -> None:
    """Raise :class:`RuntimeTypeError` unless ``t`` is a map type of decision D8 (LANGUAGE.md §8)."""
    if not _key_ok(t.key):
        raise RuntimeTypeError(f"unsupported map key type {t.key}")
    if not _value_ok(t.value):
        raise RuntimeTypeError(f"unsupported map value type {t.value}")


def map_descriptor(t: MapType) -> bytes:
    """The ``desc`` argument of ``whamm_map_create``: key descriptor, then value descriptor."""
    check_map_type(t)
    return encode_type(t.key) + encode_type(t.value)


def value_size(t: WhammType) -> int:
    """Bytes of a value of ``t`` in memory (LANGUAGE.md §6.1; tuples packed without padding)."""
    if isinstance(t, TupleType):
        return sum(value_size(e) for e in t.elems)
    if isinstance(t, AggType):
        return 8 * t.words
    if t not in _SIZES:
        raise RuntimeTypeError(f"type {t} has no runtime representation")
    return _SIZES[t]


def pack_value(t: WhammType, value: object, string_addr: Callable[[bytes], int]) -> bytes:
    """The bytes of ``value`` laid out as the runtime expects.  Values are in the form of
    :mod:`compiler.lang.values` (int, float, bool, ``bytes`` for ``str``, tuple); ``string_addr(data)``
    places a non-empty string's bytes and returns their address (the empty string is ``(0, 0)``)."""
    if isinstance(t, TupleType):
        assert isinstance(value, tuple) and len(value) == len(t.elems)
        return b"".join(pack_value(e, v, string_addr) for e, v in zip(t.elems, value))
    if t in INTEGER_TYPES:
        size = _SIZES[t]
        return struct.pack(_INT_FORMATS[size], int(value) & ((1 << 8 * size) - 1))  # type: ignore[call-overload]
    if t is Prim.BOOL:
        return struct.pack("<I", 1 if value else 0)
    if t is Prim.F32:
        return struct.pack("<f", value)
    if t is Prim.F64:
        return struct.pack("<d", value)
    if isinstance(t, AggType):
        assert isinstance(value, tuple) and len(value) == t.words
        return struct.pack(f"<{t.words}Q", *(int(w) & ((1 << 64) - 1) for w in value))
    if t is Prim.STR:
        data = value.encode() if isinstance(value, str) else bytes(value)  # type: ignore[arg-type]
        return struct.pack("<II", string_addr(data) if data else 0, len(data))
    raise RuntimeTypeError(f"type {t} has no runtime representation")


def unpack_value(t: WhammType, data: bytes, read: Callable[[int, int], bytes], pos: int = 0) -> object:
    """Inverse of :func:`pack_value`: the value of type ``t`` at ``data[pos:]``; ``read(addr, n)``
    returns ``n`` bytes of the runtime's memory (for strings)."""
    if isinstance(t, TupleType):
        out = []
        for e in t.elems:
            out.append(unpack_value(e, data, read, pos))
            pos += value_size(e)
        return tuple(out)
    if isinstance(t, AggType):
        # stats: (count, sum, min, max) with sum/min/max signed; histograms: the bucket counts
        words = struct.unpack_from(f"<{t.words}Q", data, pos)
        if t.kind == "stats":
            return (words[0], *(w - (1 << 64) if w >> 63 else w for w in words[1:]))
        return words
    if t in INTEGER_TYPES:
        size = _SIZES[t]
        raw = int.from_bytes(data[pos:pos + size], "little")
        if is_signed(t) and raw >> (bit_width(t) - 1):
            raw -= 1 << bit_width(t)
        return raw
    if t is Prim.BOOL:
        return int.from_bytes(data[pos:pos + 4], "little") != 0
    if t is Prim.F32:
        return struct.unpack_from("<f", data, pos)[0]
    if t is Prim.F64:
        return struct.unpack_from("<d", data, pos)[0]
    if t is Prim.STR:
        addr, length = struct.unpack_from("<II", data, pos)
        return bytes(read(addr, length)) if length else b""
    raise RuntimeTypeError(f"type {t} has no runtime representation")


def read_map(t: MapType, map_id: int, call: Callable[..., int], read: Callable[[int, int], bytes]) -> dict:
    """The entries of a live map in key order: for tools (the shell) that hold an instance exporting the
    runtime's functions.  ``call(name, *args)`` calls an export, ``read(addr, n)`` reads memory."""
    count = call("whamm_map_len", map_id)
    table = call("whamm_map_entries", map_id)
    try:
        key_size = value_size(t.key)
        entry = key_size + value_size(t.value)
        out = {}
        for (addr,) in struct.iter_unpack("<I", read(table, 4 * count)):
            data = read(addr, entry)
            out[unpack_value(t.key, data, read)] = unpack_value(t.value, data, read, key_size)
        return out
    finally:
        call("mem_free", table)


@functools.cache
def runtime_wasm() -> bytes:
    """The committed ``runtime/runtime.wasm`` (rebuilt only by ``make runtime``)."""
    return resources.files("compiler.backend.runtime").joinpath("runtime.wasm").read_bytes()


@dataclass(frozen=True, slots=True)
class RuntimeLayout:
    """Addresses in the runtime's memory that the rewriter plans around."""

    heap_base: int
    """First free byte: the rewriter's static region may start here (8-byte aligned)."""
    data_end: int
    heap_next_addr: int
    """Where the allocator's bump pointer lives (see :data:`EXPORTED_GLOBALS`)."""
    memory_pages: int
    """Initial size of the runtime's memory in 64 KiB pages."""


@functools.cache
def runtime_layout() -> RuntimeLayout:
    """Read the exported globals by instantiating the runtime once (with a write that must not run)."""
    store = wasmtime.Store()
    module = wasmtime.Module(store.engine, runtime_wasm())
    i32 = wasmtime.ValType.i32()

    def write(fd: int, ptr: int, length: int) -> None:
        raise AssertionError("the runtime wrote output while being inspected")

    instance = wasmtime.Instance(store, module, [wasmtime.Func(store, wasmtime.FuncType([i32] * 3, []), write)])
    exports = instance.exports(store)

    def value(name: str) -> int:
        g = exports[name]
        assert isinstance(g, wasmtime.Global)
        return int(g.value(store))

    memory = exports["memory"]
    assert isinstance(memory, wasmtime.Memory)
    return RuntimeLayout(value("__heap_base"), value("__data_end"), value("whamm_heap_next"), memory.size(store))
