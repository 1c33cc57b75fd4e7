"""The WAT printer: a module or one function as flat (non-folded) WebAssembly text.

Everything is produced by one generator of :class:`Line` values (STYLE.md §2, like ``dis``): each line
carries its text, the ``pc`` of the instruction it shows and whether that instruction was injected (an
``Instr`` whose ``offset`` is -1 did not come from the input).  The shell colours injected code, marks
the current or trapping instruction and cuts a window ``--around PC`` from the same lines;
:func:`print_module` and :func:`print_function` just join them.

Instruction immediates are printed by *kind*, looked up in the opcode table's ``imms`` (one formatter
per kind), with a few instructions whose text syntax reorders or merges immediates
(``call_indirect``, ``memory.init``, ``ref.test``, ``br_on_cast``…) handled by name.  Identifiers come
from the name section (``$name``; quoted ``$"…"`` when the name has characters an identifier cannot
hold; made unique per index space), falling back to indices.  The output assembles with
``wasmtime.wat2wasm`` back to the same instructions (``tests/wasm/test_wat.py`` checks the corpus).

Block instructions carry a ``;; label = @N`` comment and branches a ``;; @N`` comment naming the block
they leave (``@0`` is the function body), as ``wasm-tools print`` does, so a reader need not count
``end`` instructions.
"""
from __future__ import annotations

import math
import re
import struct
from typing import Iterator, NamedTuple

from compiler.wasm.model import (
    ArrayType, ExternKind, FieldType, FuncType, Instr, Limits, MemArg, Module, RefType, StructType,
    SubType, TableType, Tag,
)
from compiler.wasm.opcodes import OPCODES

__all__ = ["Line", "module_lines", "function_lines", "print_module", "print_function", "format_instr",
           "Namer"]

_INDENT = "  "


class Line(NamedTuple):
    """One line of WAT.

    ``offset`` is the ``pc`` (EVENTS.md §2.1) of the instruction the line shows, ``None`` for lines that
    are not instructions and for injected ones; ``injected`` marks instructions added by a rewrite;
    ``func`` is the function index for every line inside a function (header and locals included).
    A ``NamedTuple`` rather than a frozen dataclass (like ``Instr``): printing sqlite builds half a
    million lines, and a frozen dataclass's ``__init__`` cost a third of the printing time.
    """

    text: str
    offset: int | None = None
    injected: bool = False
    func: int | None = None


# --- identifiers ---------------------------------------------------------------------------------------

_IDCHARS = re.compile(r"[0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~]+\Z")


def _quote(data: bytes) -> str:
    """A WAT string literal: printable ASCII as is, everything else as ``\\hh`` escapes."""
    out = []
    for byte in data:
        if 0x20 <= byte < 0x7F and byte not in (0x22, 0x5C):
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:02x}")
    return '"' + "".join(out) + '"'


def _ident(name: str) -> str:
    return "$" + name if _IDCHARS.match(name) else "$" + _quote(name.encode())


def _unique(names: dict[int, str]) -> dict[int, str]:
    """``index -> $identifier`` with duplicates disambiguated (the text format requires unique ids)."""
    out: dict[int, str] = {}
    taken: set[str] = set()
    for index in sorted(names):
        name = names[index]
        candidate = name
        while candidate in taken:
            candidate = f"{name}.{index}" if candidate == name else candidate + "_"
        taken.add(candidate)
        out[index] = _ident(candidate)
    return out


class Namer:
    """Identifiers for every index space of one module, built once from its name section."""

    def __init__(self, module: Module) -> None:
        names = module.names
        self._spaces: dict[str, dict[int, str]] = {}
        self._locals: dict[int, dict[int, str]] = {}
        self._fields: dict[int, dict[int, str]] = {}
        self._raw_locals = names.locals if names is not None else {}
        self._raw_fields = names.fields if names is not None else {}
        if names is None:
            return
        for space, mapping in (("func", names.functions), ("type", names.types), ("table", names.tables),
                               ("memory", names.memories), ("global", names.globals),
                               ("elem", names.elems), ("data", names.data), ("tag", names.tags)):
            self._spaces[space] = _unique(mapping)

    def ref(self, space: str, index: int) -> str:
        """``$name`` for ``index`` in ``space`` (``func``, ``type``…), else the index itself."""
        return self._spaces.get(space, {}).get(index, str(index))

    def decl(self, space: str, index: int) -> str:
        """The identifier to declare item ``index`` with (empty when unnamed), plus a trailing space."""
        name = self._spaces.get(space, {}).get(index)
        return name + " " if name else ""

    def local(self, func: int, index: int) -> str | None:
        """The unique ``$name`` of local ``index`` of function ``func``, if the name section has one."""
        mapping = self._locals.get(func)
        if mapping is None:
            raw = self._raw_locals.get(func, {})
            mapping = self._locals[func] = _unique(raw)
        return mapping.get(index)

    def field(self, typeidx: int, index: int) -> str:
        """The unique name of field ``index`` of struct type ``typeidx`` (its index when unnamed)."""
        mapping = self._fields.get(typeidx)
        if mapping is None:
            raw = self._raw_fields.get(typeidx, {})
            mapping = self._fields[typeidx] = _unique(raw)
        return mapping.get(index, str(index))


# --- numbers and types ---------------------------------------------------------------------------------

def _float(bits: int, width: int) -> str:
    """An exact float literal for an IEEE bit pattern (NaN payloads and signed zeros included)."""
    mant_bits = 23 if width == 32 else 52
    exp_mask = (1 << (width - 1 - mant_bits)) - 1
    sign = "-" if bits >> (width - 1) else ""
    exponent = (bits >> mant_bits) & exp_mask
    mantissa = bits & ((1 << mant_bits) - 1)
    if exponent == exp_mask:
        if mantissa == 0:
            return sign + "inf"
        if mantissa == 1 << (mant_bits - 1):
            return sign + "nan"
        return f"{sign}nan:0x{mantissa:x}"
    if width == 64:
        return repr(struct.unpack("<d", bits.to_bytes(8, "little"))[0])
    raw = bits.to_bytes(4, "little")
    value = struct.unpack("<f", raw)[0]
    for digits in (6, 7, 8):  # the shortest decimal that reads back as the same f32
        text = f"{value:.{digits}g}"
        if struct.pack("<f", float(text)) == raw:
            break
    else:
        text = f"{value:.9g}"  # nine significant digits always identify an f32
    return text if any(c in text for c in ".en") else text + ".0"


def _heap(namer: Namer, heap: str | int) -> str:
    return namer.ref("type", heap) if isinstance(heap, int) else heap


_SHORTHANDS = {"none": "nullref", "nofunc": "nullfuncref", "noextern": "nullexternref", "noexn": "nullexnref"}


def _reftype(namer: Namer, ref: RefType) -> str:
    if ref.nullable and isinstance(ref.heap, str):
        return _SHORTHANDS.get(ref.heap) or f"{ref.heap}ref"
    return f"(ref {'null ' if ref.nullable else ''}{_heap(namer, ref.heap)})"


def _valtype(namer: Namer, valtype) -> str:
    return _reftype(namer, valtype) if isinstance(valtype, RefType) else valtype


def _results(namer: Namer, types) -> str:
    return " (result " + " ".join(_valtype(namer, t) for t in types) + ")" if types else ""


def _blocktype(namer: Namer, blocktype) -> str:
    if blocktype is None:
        return ""
    if isinstance(blocktype, int):
        return f" (type {namer.ref('type', blocktype)})"
    return _results(namer, (blocktype,))


# --- instructions ----------------------------------------------------------------------------------------

def _natural_align(name: str) -> int:
    """log2 of the natural alignment of a memory instruction, from its name (``i64.load32_u`` -> 2)."""
    if name.startswith("memory.atomic."):
        return 3 if name.endswith("wait64") else 2
    match = re.search(r"(?:load|store|rmw)(\d+)(?:x(\d+))?", name)
    if match:
        bits = int(match.group(1)) * int(match.group(2) or 1)
    else:
        bits = {"i32": 32, "i64": 64, "f32": 32, "f64": 64, "v128": 128}[name.split(".")[0]]
    return int(math.log2(bits // 8))


_NATURAL_ALIGN = {op.name: _natural_align(op.name) for op in OPCODES if "memarg" in op.imms}

_MNEMONIC = {"typed_select": "select", "ref.test_null": "ref.test", "ref.cast_null": "ref.cast"}

# Immediate kinds that name an index space, and the space.
_SPACES = {"funcidx": "func", "typeidx": "type", "tableidx": "table", "globalidx": "global",
           "dataidx": "data", "elemidx": "elem", "tagidx": "tag"}

_NESTED = {"block", "loop", "if", "try", "try_table"}
# Instructions naming a branch target: the position of the label (or br_table's label list).
_BRANCH_LABEL = {op.name: op.imms.index(kind) for op in OPCODES for kind in ("labelidx", "br_table")
                 if kind in op.imms}
_MIDDLE = {"else", "catch", "catch_all"}
_CLOSING = {"end", "delegate"}


class _InstrFormatter:
    """Formats instructions of one function: immediates by kind, a few instructions by name."""

    def __init__(self, namer: Namer, func: int | None) -> None:
        self.namer = namer
        self.func = func

    def __call__(self, instr: Instr) -> str:
        op = instr.op
        special = _SPECIAL.get(op.name)
        if special is not None:
            return special(self, instr)
        mnemonic = _MNEMONIC.get(op.name, op.name)
        if not op.imms:
            return mnemonic
        parts = [mnemonic]
        for kind, value in zip(op.imms, instr.imms):
            text = self.imm(kind, value, op.name)
            if text:
                parts.append(text)
        return " ".join(parts)

    def imm(self, kind: str, value, name: str) -> str:
        """One immediate as text (empty when the text format leaves it implicit)."""
        space = _SPACES.get(kind)
        if space is not None:
            return self.namer.ref(space, value)
        return _IMM_FORMATS[kind](self, value, name)

    def local(self, index: int, _name: str) -> str:
        local = self.namer.local(self.func, index) if self.func is not None else None
        return local or str(index)

    def memarg(self, memarg: MemArg, name: str) -> str:
        """``$mem offset=N align=M``, each part only when it differs from the default."""
        parts = []
        if memarg.memory:
            parts.append(self.namer.ref("memory", memarg.memory))
        if memarg.offset:
            parts.append(f"offset={memarg.offset}")
        if memarg.align != _NATURAL_ALIGN[name]:
            parts.append(f"align={1 << memarg.align}")
        return " ".join(parts)

    # --- instructions whose text syntax is not "mnemonic imm imm…" -------------------------------------

    def _call_indirect(self, instr: Instr) -> str:
        typeidx, table = instr.imms
        table_text = f" {self.namer.ref('table', table)}" if table else ""
        return f"{instr.op.name}{table_text} (type {self.namer.ref('type', typeidx)})"

    def _block(self, instr: Instr) -> str:
        return instr.op.name + _blocktype(self.namer, instr.imms[0])

    def _try_table(self, instr: Instr) -> str:
        blocktype, catches = instr.imms
        parts = ["try_table" + _blocktype(self.namer, blocktype)]
        for clause in catches:
            tag = f" {self.namer.ref('tag', clause.tag)}" if clause.tag is not None else ""
            parts.append(f"({clause.KINDS[clause.kind]}{tag} {clause.label})")
        return " ".join(parts)

    def _memory_init(self, instr: Instr) -> str:
        data, memory = instr.imms
        mem = f"{self.namer.ref('memory', memory)} " if memory else ""
        return f"memory.init {mem}{self.namer.ref('data', data)}"

    def _memory_copy(self, instr: Instr) -> str:
        dst, src = instr.imms
        if not dst and not src:
            return "memory.copy"
        return f"memory.copy {self.namer.ref('memory', dst)} {self.namer.ref('memory', src)}"

    def _table_init(self, instr: Instr) -> str:
        elem, table = instr.imms
        return f"table.init {self.namer.ref('table', table)} {self.namer.ref('elem', elem)}"

    def _ref_test_cast(self, instr: Instr) -> str:
        nullable = instr.op.name.endswith("_null")
        mnemonic = _MNEMONIC.get(instr.op.name, instr.op.name)
        return f"{mnemonic} {_reftype(self.namer, RefType(nullable, instr.imms[0]))}"

    def _br_on_cast(self, instr: Instr) -> str:
        flags, label, source, target = instr.imms
        return (f"{instr.op.name} {label} {_reftype(self.namer, RefType(bool(flags & 1), source))} "
                f"{_reftype(self.namer, RefType(bool(flags & 2), target))}")

    def _struct_field(self, instr: Instr) -> str:
        typeidx, field = instr.imms
        return f"{instr.op.name} {self.namer.ref('type', typeidx)} {self.namer.field(typeidx, field)}"


_SPECIAL = {
    "call_indirect": _InstrFormatter._call_indirect, "return_call_indirect": _InstrFormatter._call_indirect,
    "block": _InstrFormatter._block, "loop": _InstrFormatter._block, "if": _InstrFormatter._block,
    "try": _InstrFormatter._block, "try_table": _InstrFormatter._try_table,
    "memory.init": _InstrFormatter._memory_init, "memory.copy": _InstrFormatter._memory_copy,
    "table.init": _InstrFormatter._table_init,
    "ref.test": _InstrFormatter._ref_test_cast, "ref.test_null": _InstrFormatter._ref_test_cast,
    "ref.cast": _InstrFormatter._ref_test_cast, "ref.cast_null": _InstrFormatter._ref_test_cast,
    "br_on_cast": _InstrFormatter._br_on_cast, "br_on_cast_fail": _InstrFormatter._br_on_cast,
    "struct.get": _InstrFormatter._struct_field, "struct.get_s": _InstrFormatter._struct_field,
    "struct.get_u": _InstrFormatter._struct_field, "struct.set": _InstrFormatter._struct_field,
}


def _v128(value: bytes) -> str:
    return "i32x4 " + " ".join(f"0x{int.from_bytes(value[i:i + 4], 'little'):08x}" for i in range(0, 16, 4))


# How each immediate kind prints.  Index kinds naming a space go through the Namer (see ``imm``); the
# kinds only some instructions have (catch clauses, cast flags, field indices) print in ``_SPECIAL``.
_IMM_FORMATS = {
    "localidx": _InstrFormatter.local,
    "memidx": lambda f, v, _: f.namer.ref("memory", v) if v else "",
    "labelidx": lambda f, v, _: str(v), "u32": lambda f, v, _: str(v), "lane": lambda f, v, _: str(v),
    "i32": lambda f, v, _: str(v), "i64": lambda f, v, _: str(v),
    "memarg": _InstrFormatter.memarg,
    "blocktype": lambda f, v, _: _blocktype(f.namer, v).lstrip(),
    "br_table": lambda f, v, _: " ".join(map(str, v)),
    "f32": lambda f, v, _: _float(v, 32), "f64": lambda f, v, _: _float(v, 64),
    "v128": lambda f, v, _: _v128(v), "shuffle16": lambda f, v, _: " ".join(map(str, v)),
    "heaptype": lambda f, v, _: _heap(f.namer, v), "reftype": lambda f, v, _: _reftype(f.namer, v),
    "valtypes": lambda f, v, _: _results(f.namer, v).lstrip(),
    "reserved": lambda f, v, _: "",
}


def format_instr(module: Module, instr: Instr, func: int | None = None, namer: Namer | None = None) -> str:
    """One instruction as WAT text (``func`` resolves local names)."""
    return _InstrFormatter(namer or Namer(module), func)(instr)


def _expr(fmt: _InstrFormatter, instrs) -> str:
    """A constant expression, flat, without its final ``end``."""
    return " ".join(fmt(i) for i in instrs if i.op.name != "end" or i is not instrs[-1])


# --- module fields ------------------------------------------------------------------------------------------

def _field_type(namer: Namer, field: FieldType) -> str:
    storage = _valtype(namer, field.storage)
    return f"(mut {storage})" if field.mutable else storage


def _composite(namer: Namer, typeidx: int, comp) -> str:
    if isinstance(comp, FuncType):
        params = " (param " + " ".join(_valtype(namer, t) for t in comp.params) + ")" if comp.params else ""
        return f"(func{params}{_results(namer, comp.results)})"
    if isinstance(comp, StructType):
        fields = []
        for index, field in enumerate(comp.fields):
            name = namer.field(typeidx, index)
            name = name + " " if name.startswith("$") else ""
            fields.append(f" (field {name}{_field_type(namer, field)})")
        return "(struct" + "".join(fields) + ")"
    if isinstance(comp, ArrayType):
        return f"(array {_field_type(namer, comp.element)})"
    raise TypeError(f"not a composite type: {comp!r}")


def _subtype(namer: Namer, typeidx: int, sub: SubType) -> str:
    body = _composite(namer, typeidx, sub.composite)
    if sub.final and not sub.supertypes and not sub.explicit:
        return f"(type {namer.decl('type', typeidx)}{body})"
    supers = "".join(" " + namer.ref("type", s) for s in sub.supertypes)
    return f"(type {namer.decl('type', typeidx)}(sub{' final' if sub.final else ''}{supers} {body}))"


def _limits(limits: Limits) -> str:
    text = ("i64 " if limits.is64 else "") + str(limits.min)
    if limits.max is not None:
        text += f" {limits.max}"
    if limits.shared:
        text += " shared"
    if limits.page_size_log2 is not None:
        text += f" (pagesize {1 << limits.page_size_log2})"
    return text


def _table_type(namer: Namer, tabletype: TableType) -> str:
    return f"{_limits(tabletype.limits)} {_reftype(namer, tabletype.element)}"


def _global_type(namer: Namer, globaltype) -> str:
    valtype = _valtype(namer, globaltype.valtype)
    return f"(mut {valtype})" if globaltype.mutable else valtype


def _tag_type(namer: Namer, tag: Tag) -> str:
    return f"(type {namer.ref('type', tag.type)})"


_EXPORT_SPACES = {ExternKind.FUNC: "func", ExternKind.TABLE: "table", ExternKind.MEMORY: "memory",
                  ExternKind.GLOBAL: "global", ExternKind.TAG: "tag"}

# Where a custom section recorded after section id N goes, in the text format's placement syntax (which
# has no keyword for the data count section: it always sits right before the code section).
_PLACEMENT = {0: "before first", 1: "after type", 2: "after import", 3: "after func", 4: "after table",
              5: "after memory", 13: "after tag", 6: "after global", 7: "after export", 8: "after start",
              9: "after elem", 12: "before code", 10: "after code", 11: "after data", -1: "after last"}


def _signature(namer: Namer, module: Module, func: int) -> str:
    """``(type N) (param $p t)… (result t…)`` for function ``func``."""
    typeidx = module.func_type_index(func)
    functype = module.func_type(func)
    parts = [f"(type {namer.ref('type', typeidx)})"]
    for index, param in enumerate(functype.params):
        name = namer.local(func, index)
        parts.append(f"(param {name + ' ' if name else ''}{_valtype(namer, param)})")
    if functype.results:
        parts.append(_results(namer, functype.results).lstrip())
    return " ".join(parts)


def function_lines(module: Module, index: int, *, namer: Namer | None = None, indent: str = "") -> Iterator[Line]:
    """The lines of function ``index`` (imported functions print as their import), each prefixed with
    ``indent``; pass a ``namer`` when printing many functions of one module."""
    namer = namer or Namer(module)
    imported = module.num_imported_funcs
    if index < imported:
        imp = [i for i in module.imports if i.kind == ExternKind.FUNC][index]
        yield Line(f"{indent}(import {_quote(imp.module.encode())} {_quote(imp.name.encode())} "
                   f"(func {namer.decl('func', index)}{_signature(namer, module, index)}))", func=index)
        return
    body = module.code[index - imported]
    nparams = len(module.func_type(index).params)
    yield Line(f"{indent}(func {namer.decl('func', index)}{_signature(namer, module, index)}", func=index)
    unnamed: list[str] = []  # consecutive unnamed locals share one (local t t …) line
    for local, valtype in enumerate(body.local_types(), nparams):
        name = namer.local(index, local)
        if name is None:
            unnamed.append(_valtype(namer, valtype))
            continue
        if unnamed:
            yield Line(f"{indent}{_INDENT}(local {' '.join(unnamed)})", func=index)
            unnamed = []
        yield Line(f"{indent}{_INDENT}(local {name} {_valtype(namer, valtype)})", func=index)
    if unnamed:
        yield Line(f"{indent}{_INDENT}(local {' '.join(unnamed)})", func=index)
    fmt = _InstrFormatter(namer, index)
    instrs = body.instrs
    depth = 1
    last = len(instrs) - 1
    for position, instr in enumerate(instrs):
        name = instr.op.name
        if position == last and name == "end":
            break  # the function's own end is the closing parenthesis
        if name in _CLOSING or name in _MIDDLE:
            depth -= 1
        injected = instr.offset < 0
        text = fmt(instr)
        if name in _NESTED:
            text += f"  ;; label = @{depth}"
        else:
            target = _BRANCH_LABEL.get(name)
            if target is not None:  # which enclosing block a branch leaves (@0: the function body)
                labels = instr.imms[target]
                if isinstance(labels, tuple):
                    text += "  ;; " + " ".join(f"@{depth - 1 - label}" for label in labels)
                else:
                    text += f"  ;; @{depth - 1 - labels}"
        yield Line(indent + _INDENT * depth + text, None if injected else instr.offset, injected, index)
        if name in _NESTED or name in _MIDDLE:
            depth += 1
    yield Line(indent + ")", func=index)


def module_lines(module: Module) -> Iterator[Line]:
    """The lines of the whole module, in binary section order (imports first, as the text format
    requires them before definitions)."""
    namer = Namer(module)
    fmt = _InstrFormatter(namer, None)
    header = "(module"
    if module.names is not None and module.names.module is not None:
        header += " " + _ident(module.names.module)
    yield Line(header)
    ind = _INDENT
    for text in _customs(module, 0):
        yield Line(ind + text)
    typeidx = 0
    for group in module.types:
        if group.explicit or len(group.types) != 1:
            yield Line(ind + "(rec")
            for sub in group.types:
                yield Line(ind * 2 + _subtype(namer, typeidx, sub))
                typeidx += 1
            yield Line(ind + ")")
        else:
            yield Line(ind + _subtype(namer, typeidx, group.types[0]))
            typeidx += 1
    yield from _lines(_customs(module, 1))
    counters = dict.fromkeys(ExternKind, 0)
    for imp in module.imports:
        index = counters[imp.kind]
        counters[imp.kind] += 1
        if imp.kind == ExternKind.FUNC:
            yield from function_lines(module, index, namer=namer, indent=ind)
            continue
        space = _EXPORT_SPACES[imp.kind]
        desc = {ExternKind.TABLE: lambda d: _table_type(namer, d), ExternKind.MEMORY: _limits,
                ExternKind.GLOBAL: lambda d: _global_type(namer, d),
                ExternKind.TAG: lambda d: _tag_type(namer, d)}[imp.kind](imp.desc)
        yield Line(f"{ind}(import {_quote(imp.module.encode())} {_quote(imp.name.encode())} "
                   f"({space} {namer.decl(space, index)}{desc}))")
    yield from _lines(_customs(module, 2))
    first_func = counters[ExternKind.FUNC]
    for offset, table in enumerate(module.tables, counters[ExternKind.TABLE]):
        init = f" {_expr(fmt, table.init)}" if table.init is not None else ""
        yield Line(f"{ind}(table {namer.decl('table', offset)}{_table_type(namer, table.type)}{init})")
    for offset, limits in enumerate(module.memories, counters[ExternKind.MEMORY]):
        yield Line(f"{ind}(memory {namer.decl('memory', offset)}{_limits(limits)})")
    for offset, tag in enumerate(module.tags, counters[ExternKind.TAG]):
        yield Line(f"{ind}(tag {namer.decl('tag', offset)}{_tag_type(namer, tag)})")
    for offset, glob in enumerate(module.globals, counters[ExternKind.GLOBAL]):
        yield Line(f"{ind}(global {namer.decl('global', offset)}{_global_type(namer, glob.type)} "
                   f"{_expr(fmt, glob.init)})")
    for export in module.exports:
        space = _EXPORT_SPACES[export.kind]
        yield Line(f"{ind}(export {_quote(export.name.encode())} ({space} {namer.ref(space, export.index)}))")
    if module.start is not None:
        yield Line(f"{ind}(start {namer.ref('func', module.start)})")
    for index, seg in enumerate(module.elements):
        yield Line(ind + _elem(fmt, namer, index, seg))
    for sid in (3, 4, 5, 13, 6, 7, 8, 9, 12):
        yield from _lines(_customs(module, sid))
    for offset in range(len(module.code)):
        yield from function_lines(module, first_func + offset, namer=namer, indent=ind)
    yield from _lines(_customs(module, 10))
    for index, seg in enumerate(module.data):
        yield from (Line(ind + text) for text in _data(fmt, namer, index, seg))
    yield from _lines(_customs(module, 11))
    yield from _lines(_customs(module, -1))
    yield Line(")")


def _lines(texts) -> Iterator[Line]:
    return (Line(_INDENT + text) for text in texts)


def _customs(module: Module, after: int) -> list[str]:
    """``@custom`` annotations for the custom sections recorded after section ``after`` (the name
    section is left out: the ``$identifiers`` regenerate it)."""
    out = []
    for custom in module.customs:
        position = custom.after if custom.after in _PLACEMENT else -1
        if position == after and custom.name != "name":
            out.append(f"(@custom {_quote(custom.name.encode())} ({_PLACEMENT[after]}) {_quote(custom.data)})")
    return out


def _elem(fmt: _InstrFormatter, namer: Namer, index: int, seg) -> str:
    parts = ["(elem", namer.decl("elem", index).rstrip()]
    if seg.mode == "declarative":
        parts.append("declare")
    elif seg.mode == "active":
        parts.append(f"(table {namer.ref('table', seg.table)}) (offset {_expr(fmt, seg.offset)})")
    if seg.uses_exprs:
        parts.append(_reftype(namer, seg.type))
        parts.extend(f"(item {_expr(fmt, item)})" for item in seg.items)
    else:
        parts.append("func")
        parts.extend(namer.ref("func", f) for f in seg.items)
    return " ".join(p for p in parts if p) + ")"


_DATA_CHUNK = 64


def _data(fmt: _InstrFormatter, namer: Namer, index: int, seg) -> Iterator[str]:
    head = f"(data {namer.decl('data', index)}"
    if seg.offset is not None:
        head += f"(memory {namer.ref('memory', seg.memory)}) (offset {_expr(fmt, seg.offset)})"
    chunks = [seg.data[i:i + _DATA_CHUNK] for i in range(0, len(seg.data), _DATA_CHUNK)]
    if len(chunks) <= 1:
        yield f"{head.rstrip()} {_quote(seg.data)})"
        return
    yield head.rstrip()
    for chunk in chunks:
        yield _INDENT + _quote(chunk)
    yield ")"


def print_module(module: Module) -> str:
    """The whole module as WAT text."""
    return "\n".join(line.text for line in module_lines(module)) + "\n"


def print_function(module: Module, index: int) -> str:
    """Function ``index`` (imports included in the numbering) as WAT text."""
    return "\n".join(line.text for line in function_lines(module, index)) + "\n"


if __name__ == "__main__":  # python -m compiler.wasm.wat APP [--func NAME|INDEX], same as `whamm wat`
    import sys

    from compiler.cli import main
    main(["wat", *sys.argv[1:]])
