"""Instruction decoding and encoding, driven by the opcode table, plus the value-type codecs they share.

Decoding speed matters (the whole of a ~1 MB module is decoded for a full rewrite), so
:func:`decode_instrs` is one loop with local aliases, dispatching on a precomputed *shape* per opcode byte
(no immediates, one u32 index, a memarg, an integer constant, a block type), each with a fast path for its
one-byte form that reuses shared immediate tuples; everything else takes the generic path, which walks
the row's immediate kinds.  ``Instr`` is a tuple built with one ``tuple.__new__`` call.  Reading past the
end of the buffer surfaces as ``IndexError`` and is converted once, outside the loop, into a
``DecodeError``.  :func:`decode_instr` is the obvious one-at-a-time path the fast loop must agree with.

Encoding is the reverse walk over ``op.imms``; it always writes minimal LEB128s (unchanged bodies never
get here: the writer copies their bytes).
"""
from __future__ import annotations

from typing import Iterable, Sequence

from compiler.gc_pause import collector_paused
from compiler.wasm.binary import read_s32, read_s33, read_s64, read_u32, read_u64, sleb, uleb
from compiler.wasm.errors import DecodeError
from compiler.wasm.model import Catch, Instr, MemArg, RefType, ValType
from compiler.wasm.opcodes import OPCODES, OpInfo

__all__ = [
    "decode_body", "decode_all", "decode_instrs", "decode_instr", "decode_expr", "encode_instrs", "encode_instr",
    "encode_body", "encode_expr", "read_locals", "encode_locals", "read_valtype", "read_heaptype",
    "read_blocktype", "read_storagetype", "encode_valtype", "encode_heaptype", "encode_blocktype",
    "encode_storagetype", "HEAP_TYPE_CODES", "NUM_TYPE_CODES",
]

NUM_TYPE_CODES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128"}
HEAP_TYPE_CODES = {0x74: "noexn", 0x73: "nofunc", 0x72: "noextern", 0x71: "none", 0x70: "func", 0x6F: "extern",
                   0x6E: "any", 0x6D: "eq", 0x6C: "i31", 0x6B: "struct", 0x6A: "array", 0x69: "exn"}
_PACKED_CODES = {0x78: "i8", 0x77: "i16"}
_NUM_BYTES = {name: bytes([code]) for code, name in NUM_TYPE_CODES.items()}
_HEAP_BYTES = {name: bytes([code]) for code, name in HEAP_TYPE_CODES.items()}
_PACKED_BYTES = {name: bytes([code]) for code, name in _PACKED_CODES.items()}
_SHORTHAND = {code: RefType(True, name) for code, name in HEAP_TYPE_CODES.items()}


# --- types ----------------------------------------------------------------------------------------------

def read_heaptype(data: bytes, pos: int) -> tuple[str | int, int]:
    """An abstract heap type (by name) or a type index (s33, non-negative)."""
    name = HEAP_TYPE_CODES.get(data[pos])
    if name is not None:
        return name, pos + 1
    value, new = read_s33(data, pos)
    if value < 0:
        raise DecodeError(f"invalid heap type 0x{data[pos]:02x}", pos)
    return value, new


def read_valtype(data: bytes, pos: int) -> tuple[ValType, int]:
    """A value type at ``pos`` and the position after it."""
    byte = data[pos]
    num = NUM_TYPE_CODES.get(byte)
    if num is not None:
        return num, pos + 1
    ref = _SHORTHAND.get(byte)
    if ref is not None:
        return ref, pos + 1
    if byte == 0x63 or byte == 0x64:
        heap, new = read_heaptype(data, pos + 1)
        return RefType(byte == 0x63, heap), new
    raise DecodeError(f"invalid value type 0x{byte:02x}", pos)


def read_storagetype(data: bytes, pos: int) -> tuple[ValType, int]:
    """A storage type (a value type or packed ``i8``/``i16``) at ``pos`` and the position after it."""
    packed = _PACKED_CODES.get(data[pos])
    if packed is not None:
        return packed, pos + 1
    return read_valtype(data, pos)


def read_blocktype(data: bytes, pos: int) -> tuple[None | ValType | int, int]:
    """``None`` (0x40, no results), a value type, or a type index."""
    byte = data[pos]
    if byte == 0x40:
        return None, pos + 1
    if byte in NUM_TYPE_CODES or byte in HEAP_TYPE_CODES or byte == 0x63 or byte == 0x64:
        return read_valtype(data, pos)
    value, new = read_s33(data, pos)
    if value < 0:
        raise DecodeError(f"invalid block type 0x{byte:02x}", pos)
    return value, new


def encode_heaptype(heap: str | int) -> bytes:
    """A heap type: a type index as s33, or an abstract heap type's byte."""
    if isinstance(heap, int):
        return sleb(heap)
    return _HEAP_BYTES[heap]


def encode_valtype(valtype: ValType) -> bytes:
    """A value type, using the short form for nullable abstract reference types."""
    if isinstance(valtype, str):
        return _NUM_BYTES[valtype]
    if valtype.nullable and isinstance(valtype.heap, str):
        return _HEAP_BYTES[valtype.heap]
    return (b"\x63" if valtype.nullable else b"\x64") + encode_heaptype(valtype.heap)


def encode_storagetype(storage: ValType) -> bytes:
    """A storage type: packed ``i8``/``i16`` or a value type."""
    packed = _PACKED_BYTES.get(storage) if isinstance(storage, str) else None
    return packed if packed is not None else encode_valtype(storage)


def encode_blocktype(blocktype: None | ValType | int) -> bytes:
    """A block type: empty, one value type, or a type index as s33."""
    if blocktype is None:
        return b"\x40"
    if isinstance(blocktype, int):
        return sleb(blocktype)
    return encode_valtype(blocktype)


# --- immediates: one reader and one writer per kind --------------------------------------------------------

def _byte(data: bytes, pos: int) -> tuple[int, int]:
    return data[pos], pos + 1


def _f32(data: bytes, pos: int) -> tuple[int, int]:
    return int.from_bytes(data[pos:pos + 4], "little"), pos + 4


def _f64(data: bytes, pos: int) -> tuple[int, int]:
    return int.from_bytes(data[pos:pos + 8], "little"), pos + 8


def _bytes16(data: bytes, pos: int) -> tuple[bytes, int]:
    return bytes(data[pos:pos + 16]), pos + 16


def _memarg(data: bytes, pos: int) -> tuple[MemArg, int]:
    at = pos
    flags, pos = read_u32(data, pos)
    memory = 0
    if flags & 0x40:
        memory, pos = read_u32(data, pos)
        flags &= ~0x40
    if flags >= 0x40:
        raise DecodeError(f"invalid memarg flags 0x{flags:x}", at)
    offset, pos = read_u64(data, pos)
    return MemArg(flags, offset, memory), pos


def _count(data: bytes, pos: int) -> tuple[int, int]:
    at = pos
    n, pos = read_u32(data, pos)
    if n > len(data) - pos:
        raise DecodeError(f"vector length {n} exceeds the remaining bytes", at)
    return n, pos


def _br_table(data: bytes, pos: int) -> tuple[tuple[int, ...], int]:
    n, pos = _count(data, pos)
    labels = []
    for _ in range(n + 1):
        label, pos = read_u32(data, pos)
        labels.append(label)
    return tuple(labels), pos


def _valtypes(data: bytes, pos: int) -> tuple[tuple[ValType, ...], int]:
    n, pos = _count(data, pos)
    out = []
    for _ in range(n):
        valtype, pos = read_valtype(data, pos)
        out.append(valtype)
    return tuple(out), pos


def _reftype(data: bytes, pos: int) -> tuple[RefType, int]:
    valtype, new = read_valtype(data, pos)
    if not isinstance(valtype, RefType):
        raise DecodeError(f"expected a reference type, found {valtype}", pos)
    return valtype, new


def _catches(data: bytes, pos: int) -> tuple[tuple[Catch, ...], int]:
    n, pos = _count(data, pos)
    out = []
    for _ in range(n):
        at = pos
        kind = data[pos]
        pos += 1
        if kind > 3:
            raise DecodeError(f"invalid catch clause kind 0x{kind:02x}", at)
        tag = None
        if kind < 2:
            tag, pos = read_u32(data, pos)
        label, pos = read_u32(data, pos)
        out.append(Catch(kind, tag, label))
    return tuple(out), pos


_INDEX_KINDS = ("labelidx", "funcidx", "typeidx", "tableidx", "memidx", "localidx", "globalidx", "dataidx",
                "elemidx", "tagidx", "fieldidx", "u32")

_READERS = {kind: read_u32 for kind in _INDEX_KINDS}
_READERS.update({
    "blocktype": read_blocktype, "br_table": _br_table, "memarg": _memarg, "i32": read_s32, "i64": read_s64,
    "f32": _f32, "f64": _f64, "v128": _bytes16, "shuffle16": _bytes16, "lane": _byte, "castflags": _byte,
    "reserved": _byte, "heaptype": read_heaptype, "reftype": _reftype, "valtypes": _valtypes,
    "try_table_catches": _catches,
})


def _enc_memarg(m: MemArg) -> bytes:
    if m.memory:
        return uleb(m.align | 0x40) + uleb(m.memory) + uleb(m.offset)
    return uleb(m.align) + uleb(m.offset)


def _enc_catches(catches: Sequence[Catch]) -> bytes:
    out = bytearray(uleb(len(catches)))
    for c in catches:
        out.append(c.kind)
        if c.kind < 2:
            out += uleb(c.tag)
        out += uleb(c.label)
    return bytes(out)


def _enc_valtypes(types: Sequence[ValType]) -> bytes:
    return uleb(len(types)) + b"".join(map(encode_valtype, types))


def _enc_br_table(labels: Sequence[int]) -> bytes:
    return uleb(len(labels) - 1) + b"".join(map(uleb, labels))


_WRITERS = {kind: uleb for kind in _INDEX_KINDS}
_WRITERS.update({
    "blocktype": encode_blocktype, "br_table": _enc_br_table, "memarg": _enc_memarg, "i32": sleb, "i64": sleb,
    "f32": lambda bits: bits.to_bytes(4, "little"), "f64": lambda bits: bits.to_bytes(8, "little"),
    "v128": bytes, "shuffle16": bytes, "lane": lambda b: bytes((b,)), "castflags": lambda b: bytes((b,)),
    "reserved": lambda b: bytes((b,)), "heaptype": encode_heaptype, "reftype": encode_valtype,
    "valtypes": _enc_valtypes, "try_table_catches": _enc_catches,
})

# --- per-opcode dispatch tables ---------------------------------------------------------------------------

# Shapes of single-byte opcodes, each with a fast path in decode_instrs for its common one-byte form.
_NONE, _INDEX, _MEMARG, _SCONST, _BLOCK, _OTHER = range(6)
_PREFIX_BYTES = (0xFB, 0xFC, 0xFD, 0xFE)

_OP1: list[OpInfo | None] = [None] * 256
_PREFIXED: dict[int, dict[int, tuple[OpInfo, tuple]]] = {p: {} for p in _PREFIX_BYTES}
_GENERIC_READERS: dict[int, tuple] = {}
_DISPATCH: list[tuple[OpInfo | None, int]] = [(None, _OTHER)] * 256
for _row in OPCODES:
    _readers = tuple(_READERS[kind] for kind in _row.imms)
    if _row.prefix is not None:
        _PREFIXED[_row.prefix][_row.code] = (_row, _readers)
        continue
    _OP1[_row.code] = _row
    _GENERIC_READERS[_row.code] = _readers
    if not _row.imms:
        _shape = _NONE
    elif len(_row.imms) == 1 and _row.imms[0] in _INDEX_KINDS:
        _shape = _INDEX
    elif _row.imms == ("memarg",):
        _shape = _MEMARG
    elif _row.imms in (("i32",), ("i64",)):
        _shape = _SCONST
    elif _row.imms == ("blocktype",):
        _shape = _BLOCK
    else:
        _shape = _OTHER
    _DISPATCH[_row.code] = (_row, _shape)
del _row, _readers, _shape

# Shared immediate tuples for the one-byte forms, so the fast paths allocate only the Instr itself.
_SMALL_U = [(i,) for i in range(128)]
_SMALL_S = [(i - 0x80 if i & 0x40 else i,) for i in range(128)]
_SMALL_MEMARG = [(MemArg(align, offset, 0),) for align in range(64) for offset in range(128)]
_SMALL_BLOCKTYPE = {0x40: (None,), **{code: (name,) for code, name in NUM_TYPE_CODES.items()}}

_new = tuple.__new__


def _decode_slow(data: bytes, at: int, base: int) -> tuple[Instr, int]:
    """Any instruction at ``at`` via the generic path: prefixed, multi-immediate or invalid."""
    byte = data[at]
    pos = at + 1
    if byte in _PREFIXED:
        code, pos = read_u32(data, pos)
        entry = _PREFIXED[byte].get(code)
        if entry is None:
            raise DecodeError(f"invalid opcode 0x{byte:02x} 0x{code:x}", at)
        op, readers = entry
    else:
        op = _OP1[byte]
        if op is None:
            raise DecodeError(f"invalid opcode 0x{byte:02x}", at)
        readers = _GENERIC_READERS[byte]
    if not readers:
        return _new(Instr, (op, (), at - base)), pos
    imms = []
    for read in readers:
        value, pos = read(data, pos)
        imms.append(value)
    return _new(Instr, (op, tuple(imms), at - base)), pos


def decode_instr(data: bytes, pos: int, base: int = 0) -> tuple[Instr, int]:
    """One instruction at ``pos`` (offset recorded relative to ``base``); returns it and the next position.

    This is the obvious path; :func:`decode_instrs` must agree with it (``tests/wasm/test_code.py``).
    """
    try:
        return _decode_slow(data, pos, base)
    except IndexError:
        raise DecodeError("unexpected end of code", min(pos, len(data))) from None


def decode_instrs(data: bytes, start: int = 0, end: int | None = None, base: int | None = None) -> list[Instr]:
    """Every instruction in ``data[start:end]``; offsets are relative to ``base`` (default ``start``).

    The range must hold whole instructions; there is no structural validation (wasmtime does that).
    The cyclic garbage collector is paused meanwhile: the loop allocates one tuple per instruction, and
    the collections those allocations trigger (over every ``Instr`` built so far) would otherwise
    triple the decoding time of a large module.
    """
    if end is None:
        end = len(data)
    if base is None:
        base = start
    with collector_paused():
        return _decode_loop(data, start, end, base)


def _decode_loop(data: bytes, start: int, end: int, base: int) -> list[Instr]:
    out: list[Instr] = []
    append = out.append
    dispatch = _DISPATCH
    new = _new
    instr_t = Instr
    empty = ()
    small_u = _SMALL_U
    small_s = _SMALL_S
    small_memarg = _SMALL_MEMARG
    memarg_t = MemArg
    small_blocktype = _SMALL_BLOCKTYPE
    slow = _decode_slow
    pos = start
    try:
        while pos < end:
            op, shape = dispatch[data[pos]]
            if shape == 1:  # _INDEX
                value = data[pos + 1]
                if value < 0x80:
                    append(new(instr_t, (op, small_u[value], pos - base)))
                    pos += 2
                    continue
                high = data[pos + 2]
                if high < 0x80:  # two-byte LEB: calls of functions >= 128 in clang output
                    append(new(instr_t, (op, ((value & 0x7F) | high << 7,), pos - base)))
                    pos += 3
                    continue
            elif shape == 0:  # _NONE
                append(new(instr_t, (op, empty, pos - base)))
                pos += 1
                continue
            elif shape == 3:  # _SCONST
                value = data[pos + 1]
                if value < 0x80:
                    append(new(instr_t, (op, small_s[value], pos - base)))
                    pos += 2
                    continue
                high = data[pos + 2]
                if high < 0x80:  # two-byte signed LEB
                    value = (value & 0x7F) | high << 7
                    append(new(instr_t, (op, (value - 0x4000 if high & 0x40 else value,), pos - base)))
                    pos += 3
                    continue
            elif shape == 2:  # _MEMARG
                align = data[pos + 1]
                offset = data[pos + 2]
                if align < 0x40:
                    if offset < 0x80:
                        append(new(instr_t, (op, small_memarg[align << 7 | offset], pos - base)))
                        pos += 3
                        continue
                    high = data[pos + 3]
                    if high < 0x80:  # two-byte offset: struct fields past 127 bytes
                        memarg = new(memarg_t, (align, (offset & 0x7F) | high << 7, 0))
                        append(new(instr_t, (op, (memarg,), pos - base)))
                        pos += 4
                        continue
            elif shape == 4:  # _BLOCK
                imms = small_blocktype.get(data[pos + 1])
                if imms is not None:
                    append(new(instr_t, (op, imms, pos - base)))
                    pos += 2
                    continue
            instr, new_pos = slow(data, pos, base)
            append(instr)
            pos = new_pos
    except IndexError:
        raise DecodeError("unexpected end of code", min(pos, len(data))) from None
    if pos != end:
        at = out[-1].offset + base if out else pos
        raise DecodeError("instruction runs past the end of the function body", at)
    return out


def decode_body(data: bytes, start: int, end: int, base: int, func: int | None = None) -> list[Instr]:
    """The instructions of a function body: ``data[start:end]`` after the locals, offsets from ``base``
    (the body's first byte, so offsets are EVENTS.md §2.1 pcs).  Errors name the code section and ``func``."""
    try:
        return decode_instrs(data, start, end, base)
    except DecodeError as err:
        err.section, err.func = "code", func
        raise


def decode_all(bodies: Iterable) -> None:
    """Decode every body (``FuncBody`` objects, e.g. ``module.code``) in one go — the fast path for whole-
    module work such as a full rewrite.  The garbage collector stays paused across all bodies: between
    bodies it would otherwise run full collections over every instruction decoded so far, which costs
    about as much as the decoding itself on a ~1 MB module."""
    with collector_paused():
        for body in bodies:
            body.instrs


_NESTING = {"block": 1, "loop": 1, "if": 1, "try": 1, "try_table": 1, "end": -1, "delegate": -1}


def decode_expr(data: bytes, pos: int, end: int) -> tuple[tuple[Instr, ...], int]:
    """A constant expression at ``pos``: instructions up to and including its final ``end``.

    Offsets are relative to the expression's start.  Returns the instructions and the position after.
    """
    base = pos
    out = []
    depth = 0
    while True:
        if pos >= end:
            raise DecodeError("unexpected end of section in constant expression", pos)
        instr, pos = decode_instr(data, pos, base)
        if pos > end:
            raise DecodeError("unexpected end of section in constant expression", instr.offset + base)
        out.append(instr)
        depth += _NESTING.get(instr.op.name, 0)
        if depth < 0:
            return tuple(out), pos


def read_locals(data: bytes, start: int, end: int, func: int | None = None) -> tuple[tuple, int]:
    """The locals declaration at the start of a body: ``((count, type), ...)`` and where code starts."""
    pos = start
    try:
        n, pos = read_u32(data, pos)
        if n > end - pos:
            raise DecodeError(f"{n} local groups cannot fit in the function body", start)
        groups = []
        total = 0
        for _ in range(n):
            at = pos
            count, pos = read_u32(data, pos)
            total += count
            if total > 0xFFFFFFFF:
                raise DecodeError("too many locals", at)
            valtype, pos = read_valtype(data, pos)
            groups.append((count, valtype))
    except IndexError:
        raise DecodeError("unexpected end of code", min(pos, len(data)), "code", func) from None
    except DecodeError as err:
        err.section, err.func = "code", func
        raise
    if pos > end:
        raise DecodeError("locals declaration runs past the end of the function body", start, "code", func)
    return tuple(groups), pos


# --- encoding ---------------------------------------------------------------------------------------------------

def encode_instr(instr: Instr) -> bytes:
    """One instruction: opcode (with prefix) and immediates."""
    op = instr.op
    if not op.imms:
        return op.opbytes
    return op.opbytes + b"".join([_WRITERS[kind](value) for kind, value in zip(op.imms, instr.imms)])


def encode_instrs(instrs: Iterable[Instr]) -> bytes:
    """The binary encoding of ``instrs`` (offsets are ignored)."""
    out = []
    append = out.append
    writers = _WRITERS
    for op, imms, _ in instrs:
        if not imms:
            append(op.opbytes)
        elif len(imms) == 1:
            append(op.opbytes)
            append(writers[op.imms[0]](imms[0]))
        else:
            append(op.opbytes)
            for kind, value in zip(op.imms, imms):
                append(writers[kind](value))
    return b"".join(out)


encode_expr = encode_instrs


def encode_locals(groups: Sequence[tuple[int, ValType]]) -> bytes:
    """A locals declaration from its ``(count, type)`` groups."""
    return uleb(len(groups)) + b"".join(uleb(count) + encode_valtype(t) for count, t in groups)


def encode_body(locals: Sequence[tuple[int, ValType]], instrs: Iterable[Instr]) -> bytes:
    """A function body without its size prefix: locals declaration then code."""
    return encode_locals(locals) + encode_instrs(instrs)
