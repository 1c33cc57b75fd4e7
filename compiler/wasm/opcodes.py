"""The WebAssembly 3.0 instruction set as one table of data.

Every instruction is one :class:`OpInfo` row: its text-format name, its encoding (prefix byte and code),
the *kinds* of its immediates, its stack signature and a category.  The reader, the writer, the WAT
printer and the opcode events look facts up here instead of branching on names (STYLE.md §2), so adding
an opcode is a one-row change.

Immediate kinds (the values :class:`~compiler.wasm.model.Instr` carries for each, see ``code.py``):

=====================  ==================================================================================
kind                   value carried by ``Instr.imms``
=====================  ==================================================================================
``blocktype``          ``None`` (empty), a value type, or a type index (``int``)
index kinds            ``int``: ``labelidx funcidx typeidx tableidx memidx localidx globalidx dataidx
                       elemidx tagidx fieldidx``, and ``u32`` (a plain count)
``br_table``           ``tuple[int, ...]``: the targets followed by the default label
``memarg``             :class:`~compiler.wasm.model.MemArg` (align, offset, memory)
``i32``, ``i64``       signed ``int``
``f32``, ``f64``       the IEEE bit pattern as an unsigned ``int`` (keeps NaN payloads exact)
``v128``               ``bytes`` of length 16
``shuffle16``          ``bytes`` of length 16 (lane indices)
``lane``               ``int`` (one byte)
``heaptype``           an abstract heap type name (``"func"``, ``"any"``…) or a type index
``reftype``            :class:`~compiler.wasm.model.RefType`
``valtypes``           ``tuple`` of value types (typed ``select``)
``try_table_catches``  ``tuple`` of :class:`~compiler.wasm.model.Catch`
``castflags``          ``int`` (bit 0: source nullable, bit 1: target nullable)
``reserved``           ``int``, the reserved byte of ``atomic.fence`` (always 0 in valid code)
=====================  ==================================================================================

Stack signatures are either *fixed* (``params``/``results`` are tuples of value types, top of stack last)
or *computed* by a named rule from :data:`RULES` (callee type, local type, block type, …).  In fixed
signatures the placeholder ``"addr"`` stands for the index type of the instruction's memory: ``i32``, or
``i64`` for a memory64 memory, so no row assumes 32-bit addresses.

Names follow the text format.  Two binary opcodes share a text mnemonic in WAT and get the names the
whamm opcode catalog uses instead (EVENTS.md §10): ``typed_select`` (0x1C, ``select (result t)``) and
``ref.test_null`` / ``ref.cast_null`` (``ref.test (ref null ht)`` / ``ref.cast (ref null ht)``).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from compiler.wasm.model import ABSTRACT_HEAP_TYPES, Catch, MemArg, RefType

__all__ = [
    "OpInfo", "OPCODES", "BY_NAME", "RULES", "IMMEDIATE_KINDS", "CATEGORIES", "ADDR",
    "lookup", "lookup_prefixed", "normalize_immediate",
]

#: The placeholder for "the address type of this instruction's memory" in fixed signatures.
ADDR = "addr"

#: The category names of the opcode catalog (EVENTS.md §7.1), in id order.
CATEGORIES = ("arith", "atomic", "compare", "const", "control", "convert", "exn", "gc", "global", "load",
              "local", "memory", "misc", "ref", "simd", "store", "table")

IMMEDIATE_KINDS = frozenset({
    "blocktype", "labelidx", "br_table", "funcidx", "typeidx", "tableidx", "memidx", "memarg",
    "localidx", "globalidx", "dataidx", "elemidx", "tagidx", "fieldidx", "u32", "i32", "i64", "f32",
    "f64", "v128", "lane", "shuffle16", "heaptype", "reftype", "valtypes", "try_table_catches",
    "castflags", "reserved",
})

#: Computed stack-signature rules: how operand and result types follow from immediates and context.
RULES: dict[str, str] = {
    "block": "operands: the block type's params; results (after the matching end): its results",
    "if": "operands: the block type's params then i32 (top); results: the block type's results",
    "else": "ends the then-arm: operands are the block's results; restarts with the block's params",
    "end": "operands: the enclosing block's results (function results for the final end); pushes them",
    "try": "legacy try: like block",
    "catch": "legacy catch: pushes the tag's params",
    "catch_all": "legacy catch_all: pushes nothing",
    "delegate": "legacy delegate: ends a try like end",
    "rethrow": "legacy rethrow: no operands; stack-polymorphic afterwards",
    "br": "operands: the target label's types; stack-polymorphic afterwards",
    "br_if": "operands: the target label's types then i32 (top); results: the label's types",
    "br_table": "operands: the default label's types then i32 (top); stack-polymorphic afterwards",
    "br_on_null": "operand: (ref null ht); results: the label's types on branch, (ref ht) otherwise",
    "br_on_non_null": "operand: the label's types minus the last, then (ref null ht); drops it on fall-through",
    "br_on_cast": "operand: the source ref type (castflags bit 0); on fall-through the difference type",
    "br_on_cast_fail": "operand: the source ref type (castflags bit 0); on fall-through the target type",
    "return": "operands: the function's results; stack-polymorphic afterwards",
    "call": "operands: the callee's params; results: the callee's results",
    "call_indirect": "operands: the type's params then the table's address type (top); results: its results",
    "call_ref": "operands: the type's params then (ref null $t) (top); results: its results",
    "return_call": "operands: the callee's params; stack-polymorphic afterwards",
    "return_call_indirect": "operands as call_indirect; stack-polymorphic afterwards",
    "return_call_ref": "operands as call_ref; stack-polymorphic afterwards",
    "throw": "operands: the tag's params; stack-polymorphic afterwards",
    "throw_ref": "operand: exnref; stack-polymorphic afterwards",
    "try_table": "like block (catch clauses branch to labels)",
    "drop": "operand: any one value",
    "select": "operands: t t i32 (top) where t is a numeric or vector type; result t",
    "typed_select": "operands: t t i32 (top) with t the immediate's type; result t",
    "local.get": "result: the local's type",
    "local.set": "operand: the local's type",
    "local.tee": "operand and result: the local's type",
    "global.get": "result: the global's type",
    "global.set": "operand: the global's type",
    "table.get": "operand: the table's address type; result: its element type",
    "table.set": "operands: the table's address type, its element type (top)",
    "table.size": "result: the table's address type",
    "table.grow": "operands: element type, address type (top); result: address type",
    "table.fill": "operands: address type, element type, address type (top)",
    "table.copy": "operands: dst address, src address, length (the smaller address type)",
    "table.init": "operands: the table's address type, i32, i32",
    "memory.copy": "operands: dst address, src address, length (the smaller address type)",
    "ref.null": "result: (ref null ht)",
    "ref.is_null": "operand: any reference; result: i32",
    "ref.func": "result: (ref $t) for the function's type",
    "ref.as_non_null": "operand: (ref null ht); result: (ref ht)",
    "ref.test": "operand: a reference of ht's hierarchy; result: i32",
    "ref.cast": "operand: a reference of ht's hierarchy; result: (ref ht) / (ref null ht)",
    "struct.new": "operands: the struct's field types (unpacked); result: (ref $t)",
    "struct.new_default": "result: (ref $t)",
    "struct.get": "operand: (ref null $t); result: the field's type (unpacked to i32)",
    "struct.set": "operands: (ref null $t), the field's type (unpacked)",
    "array.new": "operands: the element type (unpacked), i32; result: (ref $t)",
    "array.new_default": "operand: i32; result: (ref $t)",
    "array.new_fixed": "operands: n times the element type (unpacked); result: (ref $t)",
    "array.new_segment": "operands: i32 offset, i32 length; result: (ref $t)",
    "array.get": "operands: (ref null $t), i32; result: the element type (unpacked)",
    "array.set": "operands: (ref null $t), i32, the element type (unpacked)",
    "array.fill": "operands: (ref null $t), i32, the element type (unpacked), i32",
    "array.copy": "operands: (ref null $t1), i32, (ref null $t2), i32, i32",
    "array.init_segment": "operands: (ref null $t), i32, i32, i32",
    "any.convert_extern": "operand: externref; result: anyref with the operand's nullability",
    "extern.convert_any": "operand: anyref; result: externref with the operand's nullability",
}

_PREFIXES = (None, 0xFB, 0xFC, 0xFD, 0xFE)


@dataclass(frozen=True, slots=True, eq=False)
class OpInfo:
    """One instruction of the binary format.

    Rows are singletons and compare by identity, which keeps ``Instr`` comparisons cheap.
    """

    name: str
    """The text-format mnemonic, e.g. ``i32.trunc_sat_f32_s`` (see the module docstring for exceptions)."""
    prefix: int | None
    """``None`` for single-byte opcodes, else the prefix byte (0xFB GC, 0xFC misc, 0xFD SIMD, 0xFE threads)."""
    code: int
    """The opcode byte, or the LEB128 sub-opcode after the prefix."""
    imms: tuple[str, ...]
    """The immediate kinds, in encoding order."""
    params: tuple | None
    """Fixed operand types, bottom to top; ``None`` when a rule computes them."""
    results: tuple | None
    """Fixed result types; ``None`` when a rule computes them."""
    rule: str | None
    """The :data:`RULES` key computing the signature, for instructions whose types are not fixed."""
    category: str
    """One of :data:`CATEGORIES`."""
    opbytes: bytes
    """The encoded opcode (prefix plus LEB128 sub-opcode), prepended verbatim by the encoder."""

    @property
    def bytecode(self) -> int:
        """The opcode as one number, ``0xFB14`` style (EVENTS.md §7.1 ``bytecode``)."""
        return self.code if self.prefix is None else self.prefix << 8 | self.code

    def __repr__(self) -> str:
        return f"<op {self.name}>"


# --- table construction helpers -------------------------------------------------------------------

_REF_SHORTHANDS = {
    "funcref": ("ref", True, "func"), "externref": ("ref", True, "extern"), "anyref": ("ref", True, "any"),
    "eqref": ("ref", True, "eq"), "i31ref": ("ref", True, "i31"), "arrayref": ("ref", True, "array"),
    "exnref": ("ref", True, "exn"), "ref.i31": ("ref", False, "i31"),
}

_rows: list[OpInfo] = []


def _uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _types(text: str) -> tuple:

    out = []
    for word in text.split():
        if word in _REF_SHORTHANDS:
            _, nullable, heap = _REF_SHORTHANDS[word]
            out.append(RefType(nullable, heap))
        else:
            out.append(word)
    return tuple(out)


def _op(prefix: int | None, code: int, name: str, imms: str, sig: str, category: str) -> None:
    """Add one row; ``sig`` is ``"params -> results"`` (fixed) or a :data:`RULES` key (computed)."""
    if "->" in sig:
        params, results = sig.split("->")
        p, r, rule = _types(params), _types(results), None
    else:
        p = r = None
        rule = sig
    opbytes = bytes([code]) if prefix is None else bytes([prefix]) + _uleb(code)
    _rows.append(OpInfo(name, prefix, code, tuple(imms.split()), p, r, rule, category, opbytes))


def _same(prefix: int | None, start: int, names: str, imms: str, sig: str, category: str) -> None:
    """Add consecutive opcodes sharing immediates, signature and category."""
    for offset, name in enumerate(names.split()):
        _op(prefix, start + offset, name, imms, sig, category)


# --- control, parametric, variable, table and memory (single byte) ----------------------------------

_op(None, 0x00, "unreachable", "", "->", "misc")
_op(None, 0x01, "nop", "", "->", "misc")
_op(None, 0x02, "block", "blocktype", "block", "control")
_op(None, 0x03, "loop", "blocktype", "block", "control")
_op(None, 0x04, "if", "blocktype", "if", "control")
_op(None, 0x05, "else", "", "else", "control")
_op(None, 0x06, "try", "blocktype", "try", "exn")
_op(None, 0x07, "catch", "tagidx", "catch", "exn")
_op(None, 0x08, "throw", "tagidx", "throw", "exn")
_op(None, 0x09, "rethrow", "labelidx", "rethrow", "exn")
_op(None, 0x0A, "throw_ref", "", "throw_ref", "exn")
_op(None, 0x0B, "end", "", "end", "control")
_op(None, 0x0C, "br", "labelidx", "br", "control")
_op(None, 0x0D, "br_if", "labelidx", "br_if", "control")
_op(None, 0x0E, "br_table", "br_table", "br_table", "control")
_op(None, 0x0F, "return", "", "return", "control")
_op(None, 0x10, "call", "funcidx", "call", "control")
_op(None, 0x11, "call_indirect", "typeidx tableidx", "call_indirect", "control")
_op(None, 0x12, "return_call", "funcidx", "return_call", "control")
_op(None, 0x13, "return_call_indirect", "typeidx tableidx", "return_call_indirect", "control")
_op(None, 0x14, "call_ref", "typeidx", "call_ref", "control")
_op(None, 0x15, "return_call_ref", "typeidx", "return_call_ref", "control")
_op(None, 0x18, "delegate", "labelidx", "delegate", "exn")
_op(None, 0x19, "catch_all", "", "catch_all", "exn")
_op(None, 0x1A, "drop", "", "drop", "misc")
_op(None, 0x1B, "select", "", "select", "control")
_op(None, 0x1C, "typed_select", "valtypes", "typed_select", "control")
_op(None, 0x1F, "try_table", "blocktype try_table_catches", "try_table", "table")
_op(None, 0x20, "local.get", "localidx", "local.get", "local")
_op(None, 0x21, "local.set", "localidx", "local.set", "local")
_op(None, 0x22, "local.tee", "localidx", "local.tee", "local")
_op(None, 0x23, "global.get", "globalidx", "global.get", "global")
_op(None, 0x24, "global.set", "globalidx", "global.set", "global")
_op(None, 0x25, "table.get", "tableidx", "table.get", "table")
_op(None, 0x26, "table.set", "tableidx", "table.set", "table")

for _code, _name, _t in ((0x28, "i32.load", "i32"), (0x29, "i64.load", "i64"), (0x2A, "f32.load", "f32"),
                         (0x2B, "f64.load", "f64"), (0x2C, "i32.load8_s", "i32"), (0x2D, "i32.load8_u", "i32"),
                         (0x2E, "i32.load16_s", "i32"), (0x2F, "i32.load16_u", "i32"),
                         (0x30, "i64.load8_s", "i64"), (0x31, "i64.load8_u", "i64"),
                         (0x32, "i64.load16_s", "i64"), (0x33, "i64.load16_u", "i64"),
                         (0x34, "i64.load32_s", "i64"), (0x35, "i64.load32_u", "i64")):
    _op(None, _code, _name, "memarg", f"addr -> {_t}", "load")
for _code, _name, _t in ((0x36, "i32.store", "i32"), (0x37, "i64.store", "i64"), (0x38, "f32.store", "f32"),
                         (0x39, "f64.store", "f64"), (0x3A, "i32.store8", "i32"), (0x3B, "i32.store16", "i32"),
                         (0x3C, "i64.store8", "i64"), (0x3D, "i64.store16", "i64"), (0x3E, "i64.store32", "i64")):
    _op(None, _code, _name, "memarg", f"addr {_t} ->", "store")
_op(None, 0x3F, "memory.size", "memidx", "-> addr", "memory")
_op(None, 0x40, "memory.grow", "memidx", "addr -> addr", "memory")

_op(None, 0x41, "i32.const", "i32", "-> i32", "const")
_op(None, 0x42, "i64.const", "i64", "-> i64", "const")
_op(None, 0x43, "f32.const", "f32", "-> f32", "const")
_op(None, 0x44, "f64.const", "f64", "-> f64", "const")

# --- numeric ------------------------------------------------------------------------------------------

_op(None, 0x45, "i32.eqz", "", "i32 -> i32", "compare")
_same(None, 0x46, "i32.eq i32.ne i32.lt_s i32.lt_u i32.gt_s i32.gt_u i32.le_s i32.le_u i32.ge_s i32.ge_u",
      "", "i32 i32 -> i32", "compare")
_op(None, 0x50, "i64.eqz", "", "i64 -> i32", "compare")
_same(None, 0x51, "i64.eq i64.ne i64.lt_s i64.lt_u i64.gt_s i64.gt_u i64.le_s i64.le_u i64.ge_s i64.ge_u",
      "", "i64 i64 -> i32", "compare")
_same(None, 0x5B, "f32.eq f32.ne f32.lt f32.gt f32.le f32.ge", "", "f32 f32 -> i32", "compare")
_same(None, 0x61, "f64.eq f64.ne f64.lt f64.gt f64.le f64.ge", "", "f64 f64 -> i32", "compare")
_same(None, 0x67, "i32.clz i32.ctz i32.popcnt", "", "i32 -> i32", "arith")
_same(None, 0x6A, "i32.add i32.sub i32.mul i32.div_s i32.div_u i32.rem_s i32.rem_u i32.and i32.or i32.xor "
      "i32.shl i32.shr_s i32.shr_u i32.rotl i32.rotr", "", "i32 i32 -> i32", "arith")
_same(None, 0x79, "i64.clz i64.ctz i64.popcnt", "", "i64 -> i64", "arith")
_same(None, 0x7C, "i64.add i64.sub i64.mul i64.div_s i64.div_u i64.rem_s i64.rem_u i64.and i64.or i64.xor "
      "i64.shl i64.shr_s i64.shr_u i64.rotl i64.rotr", "", "i64 i64 -> i64", "arith")
_same(None, 0x8B, "f32.abs f32.neg f32.ceil f32.floor f32.trunc f32.nearest f32.sqrt", "", "f32 -> f32", "arith")
_same(None, 0x92, "f32.add f32.sub f32.mul f32.div f32.min f32.max f32.copysign", "", "f32 f32 -> f32", "arith")
_same(None, 0x99, "f64.abs f64.neg f64.ceil f64.floor f64.trunc f64.nearest f64.sqrt", "", "f64 -> f64", "arith")
_same(None, 0xA0, "f64.add f64.sub f64.mul f64.div f64.min f64.max f64.copysign", "", "f64 f64 -> f64", "arith")

for _code, (_name, _src) in enumerate((
        ("i32.wrap_i64", "i64"), ("i32.trunc_f32_s", "f32"), ("i32.trunc_f32_u", "f32"),
        ("i32.trunc_f64_s", "f64"), ("i32.trunc_f64_u", "f64"), ("i64.extend_i32_s", "i32"),
        ("i64.extend_i32_u", "i32"), ("i64.trunc_f32_s", "f32"), ("i64.trunc_f32_u", "f32"),
        ("i64.trunc_f64_s", "f64"), ("i64.trunc_f64_u", "f64"), ("f32.convert_i32_s", "i32"),
        ("f32.convert_i32_u", "i32"), ("f32.convert_i64_s", "i64"), ("f32.convert_i64_u", "i64"),
        ("f32.demote_f64", "f64"), ("f64.convert_i32_s", "i32"), ("f64.convert_i32_u", "i32"),
        ("f64.convert_i64_s", "i64"), ("f64.convert_i64_u", "i64"), ("f64.promote_f32", "f32"),
        ("i32.reinterpret_f32", "f32"), ("i64.reinterpret_f64", "f64"), ("f32.reinterpret_i32", "i32"),
        ("f64.reinterpret_i64", "i64")), 0xA7):
    _op(None, _code, _name, "", f"{_src} -> {_name[:3]}", "convert")
_op(None, 0xC0, "i32.extend8_s", "", "i32 -> i32", "convert")
_op(None, 0xC1, "i32.extend16_s", "", "i32 -> i32", "convert")
_op(None, 0xC2, "i64.extend8_s", "", "i64 -> i64", "convert")
_op(None, 0xC3, "i64.extend16_s", "", "i64 -> i64", "convert")
_op(None, 0xC4, "i64.extend32_s", "", "i64 -> i64", "convert")

# --- references ----------------------------------------------------------------------------------------

_op(None, 0xD0, "ref.null", "heaptype", "ref.null", "gc")
_op(None, 0xD1, "ref.is_null", "", "ref.is_null", "gc")
_op(None, 0xD2, "ref.func", "funcidx", "ref.func", "gc")
_op(None, 0xD3, "ref.eq", "", "eqref eqref -> i32", "gc")
_op(None, 0xD4, "ref.as_non_null", "", "ref.as_non_null", "convert")
_op(None, 0xD5, "br_on_null", "labelidx", "br_on_null", "control")
_op(None, 0xD6, "br_on_non_null", "labelidx", "br_on_non_null", "control")

# --- GC (0xFB) -------------------------------------------------------------------------------------------

_GC = 0xFB
_op(_GC, 0, "struct.new", "typeidx", "struct.new", "gc")
_op(_GC, 1, "struct.new_default", "typeidx", "struct.new_default", "gc")
_same(_GC, 2, "struct.get struct.get_s struct.get_u", "typeidx fieldidx", "struct.get", "gc")
_op(_GC, 5, "struct.set", "typeidx fieldidx", "struct.set", "gc")
_op(_GC, 6, "array.new", "typeidx", "array.new", "gc")
_op(_GC, 7, "array.new_default", "typeidx", "array.new_default", "gc")
_op(_GC, 8, "array.new_fixed", "typeidx u32", "array.new_fixed", "gc")
_op(_GC, 9, "array.new_data", "typeidx dataidx", "array.new_segment", "gc")
_op(_GC, 10, "array.new_elem", "typeidx elemidx", "array.new_segment", "gc")
_same(_GC, 11, "array.get array.get_s array.get_u", "typeidx", "array.get", "gc")
_op(_GC, 14, "array.set", "typeidx", "array.set", "gc")
_op(_GC, 15, "array.len", "", "arrayref -> i32", "gc")
_op(_GC, 16, "array.fill", "typeidx", "array.fill", "gc")
_op(_GC, 17, "array.copy", "typeidx typeidx", "array.copy", "gc")
_op(_GC, 18, "array.init_data", "typeidx dataidx", "array.init_segment", "gc")
_op(_GC, 19, "array.init_elem", "typeidx elemidx", "array.init_segment", "gc")
_op(_GC, 20, "ref.test", "heaptype", "ref.test", "gc")
_op(_GC, 21, "ref.test_null", "heaptype", "ref.test", "gc")
_op(_GC, 22, "ref.cast", "heaptype", "ref.cast", "gc")
_op(_GC, 23, "ref.cast_null", "heaptype", "ref.cast", "gc")
_op(_GC, 24, "br_on_cast", "castflags labelidx heaptype heaptype", "br_on_cast", "control")
_op(_GC, 25, "br_on_cast_fail", "castflags labelidx heaptype heaptype", "br_on_cast_fail", "control")
_op(_GC, 26, "any.convert_extern", "", "any.convert_extern", "gc")
_op(_GC, 27, "extern.convert_any", "", "extern.convert_any", "gc")
_op(_GC, 28, "ref.i31", "", "i32 -> ref.i31", "gc")
_op(_GC, 29, "i31.get_s", "", "i31ref -> i32", "gc")
_op(_GC, 30, "i31.get_u", "", "i31ref -> i32", "gc")

# --- saturating truncation, bulk memory, tables (0xFC) ------------------------------------------------------

_FC = 0xFC
for _code, (_name, _src) in enumerate((
        ("i32.trunc_sat_f32_s", "f32"), ("i32.trunc_sat_f32_u", "f32"), ("i32.trunc_sat_f64_s", "f64"),
        ("i32.trunc_sat_f64_u", "f64"), ("i64.trunc_sat_f32_s", "f32"), ("i64.trunc_sat_f32_u", "f32"),
        ("i64.trunc_sat_f64_s", "f64"), ("i64.trunc_sat_f64_u", "f64"))):
    _op(_FC, _code, _name, "", f"{_src} -> {_name[:3]}", "convert")
_op(_FC, 8, "memory.init", "dataidx memidx", "addr i32 i32 ->", "memory")
_op(_FC, 9, "data.drop", "dataidx", "->", "memory")
_op(_FC, 10, "memory.copy", "memidx memidx", "memory.copy", "memory")
_op(_FC, 11, "memory.fill", "memidx", "addr i32 addr ->", "memory")
_op(_FC, 12, "table.init", "elemidx tableidx", "table.init", "table")
_op(_FC, 13, "elem.drop", "elemidx", "->", "table")
_op(_FC, 14, "table.copy", "tableidx tableidx", "table.copy", "table")
_op(_FC, 15, "table.grow", "tableidx", "table.grow", "table")
_op(_FC, 16, "table.size", "tableidx", "table.size", "table")
_op(_FC, 17, "table.fill", "tableidx", "table.fill", "table")

# --- SIMD and relaxed SIMD (0xFD) -----------------------------------------------------------------------------

_FD = 0xFD
_op(_FD, 0, "v128.load", "memarg", "addr -> v128", "load")
_same(_FD, 1, "v128.load8x8_s v128.load8x8_u v128.load16x4_s v128.load16x4_u v128.load32x2_s v128.load32x2_u "
      "v128.load8_splat v128.load16_splat v128.load32_splat v128.load64_splat", "memarg", "addr -> v128", "load")
_op(_FD, 11, "v128.store", "memarg", "addr v128 ->", "store")
_op(_FD, 12, "v128.const", "v128", "-> v128", "const")
_op(_FD, 13, "i8x16.shuffle", "shuffle16", "v128 v128 -> v128", "simd")
_op(_FD, 14, "i8x16.swizzle", "", "v128 v128 -> v128", "simd")
for _code, (_shape, _lane) in enumerate((("i8x16", "i32"), ("i16x8", "i32"), ("i32x4", "i32"),
                                         ("i64x2", "i64"), ("f32x4", "f32"), ("f64x2", "f64")), 15):
    _op(_FD, _code, f"{_shape}.splat", "", f"{_lane} -> v128", "simd")
_op(_FD, 21, "i8x16.extract_lane_s", "lane", "v128 -> i32", "simd")
_op(_FD, 22, "i8x16.extract_lane_u", "lane", "v128 -> i32", "simd")
_op(_FD, 23, "i8x16.replace_lane", "lane", "v128 i32 -> v128", "simd")
_op(_FD, 24, "i16x8.extract_lane_s", "lane", "v128 -> i32", "simd")
_op(_FD, 25, "i16x8.extract_lane_u", "lane", "v128 -> i32", "simd")
_op(_FD, 26, "i16x8.replace_lane", "lane", "v128 i32 -> v128", "simd")
for _code, (_shape, _lane) in enumerate((("i32x4", "i32"), ("i64x2", "i64"), ("f32x4", "f32"),
                                         ("f64x2", "f64"))):
    _op(_FD, 27 + 2 * _code, f"{_shape}.extract_lane", "lane", f"v128 -> {_lane}", "simd")
    _op(_FD, 28 + 2 * _code, f"{_shape}.replace_lane", "lane", f"v128 {_lane} -> v128", "simd")
_ICMP = "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u"
_FCMP = "eq ne lt gt le ge"
for _start, _shape, _ops in ((35, "i8x16", _ICMP), (45, "i16x8", _ICMP), (55, "i32x4", _ICMP),
                             (65, "f32x4", _FCMP), (71, "f64x2", _FCMP)):
    _same(_FD, _start, " ".join(f"{_shape}.{o}" for o in _ops.split()), "", "v128 v128 -> v128", "simd")
_op(_FD, 77, "v128.not", "", "v128 -> v128", "simd")
_same(_FD, 78, "v128.and v128.andnot v128.or v128.xor", "", "v128 v128 -> v128", "simd")
_op(_FD, 82, "v128.bitselect", "", "v128 v128 v128 -> v128", "simd")
_op(_FD, 83, "v128.any_true", "", "v128 -> i32", "simd")
_same(_FD, 84, "v128.load8_lane v128.load16_lane v128.load32_lane v128.load64_lane", "memarg lane",
      "addr v128 -> v128", "load")
_same(_FD, 88, "v128.store8_lane v128.store16_lane v128.store32_lane v128.store64_lane", "memarg lane",
      "addr v128 ->", "store")
_same(_FD, 92, "v128.load32_zero v128.load64_zero", "memarg", "addr -> v128", "load")

_V1 = "v128 -> v128"
_V2 = "v128 v128 -> v128"
_VSHIFT = "v128 i32 -> v128"
_VBOOL = "v128 -> i32"
_SIMD_ROWS = {
    94: ("f32x4.demote_f64x2_zero", _V1), 95: ("f64x2.promote_low_f32x4", _V1),
    96: ("i8x16.abs", _V1), 97: ("i8x16.neg", _V1), 98: ("i8x16.popcnt", _V1), 99: ("i8x16.all_true", _VBOOL),
    100: ("i8x16.bitmask", _VBOOL), 101: ("i8x16.narrow_i16x8_s", _V2), 102: ("i8x16.narrow_i16x8_u", _V2),
    103: ("f32x4.ceil", _V1), 104: ("f32x4.floor", _V1), 105: ("f32x4.trunc", _V1), 106: ("f32x4.nearest", _V1),
    107: ("i8x16.shl", _VSHIFT), 108: ("i8x16.shr_s", _VSHIFT), 109: ("i8x16.shr_u", _VSHIFT),
    110: ("i8x16.add", _V2), 111: ("i8x16.add_sat_s", _V2), 112: ("i8x16.add_sat_u", _V2),
    113: ("i8x16.sub", _V2), 114: ("i8x16.sub_sat_s", _V2), 115: ("i8x16.sub_sat_u", _V2),
    116: ("f64x2.ceil", _V1), 117: ("f64x2.floor", _V1),
    118: ("i8x16.min_s", _V2), 119: ("i8x16.min_u", _V2), 120: ("i8x16.max_s", _V2), 121: ("i8x16.max_u", _V2),
    122: ("f64x2.trunc", _V1), 123: ("i8x16.avgr_u", _V2),
    124: ("i16x8.extadd_pairwise_i8x16_s", _V1), 125: ("i16x8.extadd_pairwise_i8x16_u", _V1),
    126: ("i32x4.extadd_pairwise_i16x8_s", _V1), 127: ("i32x4.extadd_pairwise_i16x8_u", _V1),
    128: ("i16x8.abs", _V1), 129: ("i16x8.neg", _V1), 130: ("i16x8.q15mulr_sat_s", _V2),
    131: ("i16x8.all_true", _VBOOL), 132: ("i16x8.bitmask", _VBOOL),
    133: ("i16x8.narrow_i32x4_s", _V2), 134: ("i16x8.narrow_i32x4_u", _V2),
    135: ("i16x8.extend_low_i8x16_s", _V1), 136: ("i16x8.extend_high_i8x16_s", _V1),
    137: ("i16x8.extend_low_i8x16_u", _V1), 138: ("i16x8.extend_high_i8x16_u", _V1),
    139: ("i16x8.shl", _VSHIFT), 140: ("i16x8.shr_s", _VSHIFT), 141: ("i16x8.shr_u", _VSHIFT),
    142: ("i16x8.add", _V2), 143: ("i16x8.add_sat_s", _V2), 144: ("i16x8.add_sat_u", _V2),
    145: ("i16x8.sub", _V2), 146: ("i16x8.sub_sat_s", _V2), 147: ("i16x8.sub_sat_u", _V2),
    148: ("f64x2.nearest", _V1), 149: ("i16x8.mul", _V2),
    150: ("i16x8.min_s", _V2), 151: ("i16x8.min_u", _V2), 152: ("i16x8.max_s", _V2), 153: ("i16x8.max_u", _V2),
    155: ("i16x8.avgr_u", _V2),
    156: ("i16x8.extmul_low_i8x16_s", _V2), 157: ("i16x8.extmul_high_i8x16_s", _V2),
    158: ("i16x8.extmul_low_i8x16_u", _V2), 159: ("i16x8.extmul_high_i8x16_u", _V2),
    160: ("i32x4.abs", _V1), 161: ("i32x4.neg", _V1), 163: ("i32x4.all_true", _VBOOL),
    164: ("i32x4.bitmask", _VBOOL),
    167: ("i32x4.extend_low_i16x8_s", _V1), 168: ("i32x4.extend_high_i16x8_s", _V1),
    169: ("i32x4.extend_low_i16x8_u", _V1), 170: ("i32x4.extend_high_i16x8_u", _V1),
    171: ("i32x4.shl", _VSHIFT), 172: ("i32x4.shr_s", _VSHIFT), 173: ("i32x4.shr_u", _VSHIFT),
    174: ("i32x4.add", _V2), 177: ("i32x4.sub", _V2), 181: ("i32x4.mul", _V2),
    182: ("i32x4.min_s", _V2), 183: ("i32x4.min_u", _V2), 184: ("i32x4.max_s", _V2), 185: ("i32x4.max_u", _V2),
    186: ("i32x4.dot_i16x8_s", _V2),
    188: ("i32x4.extmul_low_i16x8_s", _V2), 189: ("i32x4.extmul_high_i16x8_s", _V2),
    190: ("i32x4.extmul_low_i16x8_u", _V2), 191: ("i32x4.extmul_high_i16x8_u", _V2),
    192: ("i64x2.abs", _V1), 193: ("i64x2.neg", _V1), 195: ("i64x2.all_true", _VBOOL),
    196: ("i64x2.bitmask", _VBOOL),
    199: ("i64x2.extend_low_i32x4_s", _V1), 200: ("i64x2.extend_high_i32x4_s", _V1),
    201: ("i64x2.extend_low_i32x4_u", _V1), 202: ("i64x2.extend_high_i32x4_u", _V1),
    203: ("i64x2.shl", _VSHIFT), 204: ("i64x2.shr_s", _VSHIFT), 205: ("i64x2.shr_u", _VSHIFT),
    206: ("i64x2.add", _V2), 209: ("i64x2.sub", _V2), 213: ("i64x2.mul", _V2),
    214: ("i64x2.eq", _V2), 215: ("i64x2.ne", _V2), 216: ("i64x2.lt_s", _V2), 217: ("i64x2.gt_s", _V2),
    218: ("i64x2.le_s", _V2), 219: ("i64x2.ge_s", _V2),
    220: ("i64x2.extmul_low_i32x4_s", _V2), 221: ("i64x2.extmul_high_i32x4_s", _V2),
    222: ("i64x2.extmul_low_i32x4_u", _V2), 223: ("i64x2.extmul_high_i32x4_u", _V2),
    224: ("f32x4.abs", _V1), 225: ("f32x4.neg", _V1), 227: ("f32x4.sqrt", _V1),
    228: ("f32x4.add", _V2), 229: ("f32x4.sub", _V2), 230: ("f32x4.mul", _V2), 231: ("f32x4.div", _V2),
    232: ("f32x4.min", _V2), 233: ("f32x4.max", _V2), 234: ("f32x4.pmin", _V2), 235: ("f32x4.pmax", _V2),
    236: ("f64x2.abs", _V1), 237: ("f64x2.neg", _V1), 239: ("f64x2.sqrt", _V1),
    240: ("f64x2.add", _V2), 241: ("f64x2.sub", _V2), 242: ("f64x2.mul", _V2), 243: ("f64x2.div", _V2),
    244: ("f64x2.min", _V2), 245: ("f64x2.max", _V2), 246: ("f64x2.pmin", _V2), 247: ("f64x2.pmax", _V2),
    248: ("i32x4.trunc_sat_f32x4_s", _V1), 249: ("i32x4.trunc_sat_f32x4_u", _V1),
    250: ("f32x4.convert_i32x4_s", _V1), 251: ("f32x4.convert_i32x4_u", _V1),
    252: ("i32x4.trunc_sat_f64x2_s_zero", _V1), 253: ("i32x4.trunc_sat_f64x2_u_zero", _V1),
    254: ("f64x2.convert_low_i32x4_s", _V1), 255: ("f64x2.convert_low_i32x4_u", _V1),
    # relaxed SIMD
    0x100: ("i8x16.relaxed_swizzle", _V2),
    0x101: ("i32x4.relaxed_trunc_f32x4_s", _V1), 0x102: ("i32x4.relaxed_trunc_f32x4_u", _V1),
    0x103: ("i32x4.relaxed_trunc_f64x2_s_zero", _V1), 0x104: ("i32x4.relaxed_trunc_f64x2_u_zero", _V1),
    0x105: ("f32x4.relaxed_madd", "v128 v128 v128 -> v128"), 0x106: ("f32x4.relaxed_nmadd", "v128 v128 v128 -> v128"),
    0x107: ("f64x2.relaxed_madd", "v128 v128 v128 -> v128"), 0x108: ("f64x2.relaxed_nmadd", "v128 v128 v128 -> v128"),
    0x109: ("i8x16.relaxed_laneselect", "v128 v128 v128 -> v128"),
    0x10A: ("i16x8.relaxed_laneselect", "v128 v128 v128 -> v128"),
    0x10B: ("i32x4.relaxed_laneselect", "v128 v128 v128 -> v128"),
    0x10C: ("i64x2.relaxed_laneselect", "v128 v128 v128 -> v128"),
    0x10D: ("f32x4.relaxed_min", _V2), 0x10E: ("f32x4.relaxed_max", _V2),
    0x10F: ("f64x2.relaxed_min", _V2), 0x110: ("f64x2.relaxed_max", _V2),
    0x111: ("i16x8.relaxed_q15mulr_s", _V2), 0x112: ("i16x8.relaxed_dot_i8x16_i7x16_s", _V2),
    0x113: ("i32x4.relaxed_dot_i8x16_i7x16_add_s", "v128 v128 v128 -> v128"),
}
for _code, (_name, _sig) in _SIMD_ROWS.items():
    _op(_FD, _code, _name, "", _sig, "simd")

# --- threads: atomics (0xFE) ------------------------------------------------------------------------------

_FE = 0xFE
_op(_FE, 0x00, "memory.atomic.notify", "memarg", "addr i32 -> i32", "atomic")
_op(_FE, 0x01, "memory.atomic.wait32", "memarg", "addr i32 i64 -> i32", "atomic")
_op(_FE, 0x02, "memory.atomic.wait64", "memarg", "addr i64 i64 -> i32", "atomic")
_op(_FE, 0x03, "atomic.fence", "reserved", "->", "atomic")
_ATOMIC_WIDTHS = (("i32", ""), ("i64", ""), ("i32", "8"), ("i32", "16"), ("i64", "8"), ("i64", "16"), ("i64", "32"))
for _code, (_t, _w) in enumerate(_ATOMIC_WIDTHS, 0x10):
    _op(_FE, _code, f"{_t}.atomic.load{_w}{'_u' if _w else ''}", "memarg", f"addr -> {_t}", "atomic")
for _code, (_t, _w) in enumerate((("i32", ""), ("i64", ""), ("i32", "8"), ("i32", "16"), ("i64", "8"),
                                  ("i64", "16"), ("i64", "32")), 0x17):
    _op(_FE, _code, f"{_t}.atomic.store{_w}", "memarg", f"addr {_t} ->", "atomic")
for _group, _rmw in enumerate(("add", "sub", "and", "or", "xor", "xchg")):
    for _code, (_t, _w) in enumerate(_ATOMIC_WIDTHS, 0x1E + 7 * _group):
        _name = f"{_t}.atomic.rmw{_w}.{_rmw}{'_u' if _w else ''}"
        _op(_FE, _code, _name, "memarg", f"addr {_t} -> {_t}", "atomic")
for _code, (_t, _w) in enumerate(_ATOMIC_WIDTHS, 0x48):
    _op(_FE, _code, f"{_t}.atomic.rmw{_w}.cmpxchg{'_u' if _w else ''}", "memarg", f"addr {_t} {_t} -> {_t}",
        "atomic")

# --- indexes ------------------------------------------------------------------------------------------------

OPCODES: tuple[OpInfo, ...] = tuple(_rows)
"""Every instruction, in table order."""

BY_NAME: dict[str, OpInfo] = {op.name: op for op in OPCODES}
"""Rows by text-format name (see the module docstring for the three catalog names)."""

_SINGLE: list[OpInfo | None] = [None] * 256
_PREFIXED: dict[int, dict[int, OpInfo]] = {p: {} for p in _PREFIXES if p is not None}
for _row in OPCODES:
    if _row.prefix is None:
        _SINGLE[_row.code] = _row
    else:
        _PREFIXED[_row.prefix][_row.code] = _row
del _row, _rows


def lookup(byte: int) -> OpInfo | None:
    """The single-byte instruction with opcode ``byte`` (``None`` for prefixes and unassigned bytes)."""
    return _SINGLE[byte]


def lookup_prefixed(prefix: int, code: int) -> OpInfo | None:
    """The instruction ``prefix code`` (``None`` if unassigned)."""
    table = _PREFIXED.get(prefix)
    return None if table is None else table.get(code)


# --- checking immediates at the public door (Instr.of) ---------------------------------------------------

_NUMERIC = frozenset({"i32", "i64", "f32", "f64", "v128"})
_INDEX_LIKE = frozenset({"labelidx", "funcidx", "typeidx", "tableidx", "memidx", "localidx", "globalidx",
                         "dataidx", "elemidx", "tagidx", "fieldidx", "u32"})


def _is_u32(value: object) -> bool:
    return type(value) is int and 0 <= value < 1 << 32


def _is_valtype(value: object) -> bool:
    return value in _NUMERIC or isinstance(value, RefType) and _is_heaptype(value.heap)


def _is_heaptype(value: object) -> bool:
    return value in ABSTRACT_HEAP_TYPES or _is_u32(value)


def _signed(value: object, bits: int) -> int:
    if type(value) is not int or not -(1 << (bits - 1)) <= value < 1 << bits:
        raise ValueError
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def _float_bits(value: object, fmt: str, bits: int) -> int:
    if isinstance(value, float):
        return int.from_bytes(struct.pack(fmt, value), "little")
    if type(value) is int and 0 <= value < 1 << bits:
        return value
    raise ValueError


def _require(ok: bool, value: object) -> object:
    if not ok:
        raise ValueError
    return value


_NORMALIZERS = {kind: (lambda v: _require(_is_u32(v), v)) for kind in _INDEX_LIKE}
_NORMALIZERS.update({
    "i32": lambda v: _signed(v, 32),
    "i64": lambda v: _signed(v, 64),
    "f32": lambda v: _float_bits(v, "<f", 32),
    "f64": lambda v: _float_bits(v, "<d", 64),
    "v128": lambda v: _require(isinstance(v, (bytes, bytearray)) and len(v) == 16, bytes(v)),
    "shuffle16": lambda v: _require(isinstance(v, (bytes, bytearray)) and len(v) == 16 and max(v) < 32,
                                    bytes(v)),
    "lane": lambda v: _require(type(v) is int and 0 <= v < 64, v),
    "castflags": lambda v: _require(type(v) is int and 0 <= v <= 3, v),
    "reserved": lambda v: _require(v == 0, 0),
    "memarg": lambda v: _require(isinstance(v, tuple) and len(v) in (2, 3)
                                 and all(type(x) is int and x >= 0 for x in v) and v[0] < 64, MemArg(*v)),
    "blocktype": lambda v: _require(v is None or _is_valtype(v) or _is_u32(v), v),
    "heaptype": lambda v: _require(_is_heaptype(v), v),
    "reftype": lambda v: _require(isinstance(v, RefType) and _is_heaptype(v.heap), v),
    "valtypes": lambda v: _require(all(_is_valtype(t) for t in v), tuple(v)),
    "br_table": lambda v: _require(len(v) >= 1 and all(_is_u32(x) for x in v), tuple(v)),
    "try_table_catches": lambda v: _require(
        all(isinstance(c, tuple) and len(c) == 3 and 0 <= c[0] <= 3 and (c[1] is None) == (c[0] >= 2)
            for c in v), tuple(Catch(*c) for c in v)),
})


def normalize_immediate(kind: str, value: object) -> object:
    """``value`` checked against immediate ``kind`` and put in the form the codec expects.

    Conveniences: ``i32``/``i64`` accept the unsigned spelling (``0xFFFFFFFF`` becomes -1), ``f32``/``f64``
    accept a Python float (stored as its bit pattern), ``memarg`` and catch clauses accept plain tuples.
    Raises ``ValueError`` naming the kind when the value does not fit.
    """
    try:
        return _NORMALIZERS[kind](value)
    except (ValueError, TypeError):
        raise ValueError(f"invalid {kind} immediate: {value!r}") from None
