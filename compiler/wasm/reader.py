"""``read_module``: bytes to :class:`~compiler.wasm.model.Module`, doing only section-level work.

Function bodies are not decoded here: each becomes a :class:`~compiler.wasm.model.FuncBody` pointing
into the input, decoded when someone asks for its ``instrs``.  Everything else (types, imports, segments,
constant expressions, the name section) is parsed eagerly because it is small.

The reader records an :class:`~compiler.wasm.model.Origin` (byte ranges plus a snapshot of every section)
so ``write_module`` can copy unchanged sections verbatim.  Malformed input raises only
:class:`~compiler.wasm.errors.DecodeError`: every read is bounded by its section, every vector length is
checked against the bytes left, and sections must appear once and in order (otherwise a byte-identical
round trip would be impossible, and wasmtime rejects such modules anyway).
"""
from __future__ import annotations

from compiler.wasm.binary import Cursor
from compiler.wasm.code import decode_expr, read_storagetype, read_valtype
from compiler.wasm.errors import DecodeError
from compiler.wasm.model import (
    FUNCREF, SECTION_NAMES, SECTION_ORDER, ArrayType, CustomSection, DataSegment, ElemSegment, Export,
    ExternKind, FieldType, FuncBody, FuncType, Global, GlobalType, Import, Limits, Module, Names, Origin,
    RecGroup, RefType, StructType, SubType, Table, TableType, Tag,
)

__all__ = ["read_module", "MAGIC", "VERSION", "COMPONENT_VERSION"]

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"
#: Version and layer of a component binary (read by ``compiler.wasm.component``).
COMPONENT_VERSION = b"\x0d\x00\x01\x00"
_RANK = {sid: rank for rank, sid in enumerate(SECTION_ORDER)}


def read_module(data: bytes) -> Module:
    """Parse a binary module.  Bodies stay undecoded until ``FuncBody.instrs`` is read."""
    data = bytes(data)
    if len(data) < 8:
        raise DecodeError("unexpected end of file in the module header", len(data), "header")
    if data[:4] != MAGIC:
        raise DecodeError("not a WebAssembly module (bad magic number)", 0, "header")
    if data[4:8] == COMPONENT_VERSION:
        raise DecodeError("this is a component (binary version 0d000100), not a core module (components are "
                          "taken as applications only: docs/COMPONENTS.md)", 4, "header")
    if data[4:8] != VERSION:
        raise DecodeError(f"unsupported binary version {data[4:8].hex()} (only core modules, version 1)",
                          4, "header")
    module = Module()
    origin = Origin(data, data[:8])
    module.origin = origin
    parser = _SectionParser(data, module)
    pos = 8
    end = len(data)
    last_rank = -1
    last_id = 0
    while pos < end:
        start = pos
        cur = Cursor(data, pos, end)
        sid = cur.byte()
        name = SECTION_NAMES.get(sid)
        try:
            if name is None:
                raise DecodeError(f"invalid section id {sid}", start)
            size = cur.u32()
            if size > end - cur.pos:
                raise DecodeError(f"section size {size} exceeds the {end - cur.pos} bytes left", start + 1)
        except DecodeError as err:
            err.section = err.section or name or "header"
            raise
        body = Cursor(data, cur.pos, cur.pos + size)
        pos = body.end
        try:
            if sid == 0:
                parser.custom(body, start, last_id)
                continue
            rank = _RANK[sid]
            if rank <= last_rank:
                raise DecodeError(f"{name} section out of order or duplicated", start)
            last_rank = rank
            last_id = sid
            snapshot = parser.parse(sid, body)
            origin.sections[sid] = (start, pos, snapshot)
        except DecodeError as err:
            if err.section is None:
                err.section = name
            raise
    if len(module.code) != len(module.functions):
        raise DecodeError(f"{len(module.functions)} functions declared but {len(module.code)} bodies",
                          len(data), "code")
    return module


class _SectionParser:
    """One method per section id; each fills the module and returns the snapshot for the writer."""

    def __init__(self, data: bytes, module: Module) -> None:
        self.data = data
        self.module = module

    def parse(self, sid: int, cur: Cursor) -> object:
        snapshot = _PARSERS[sid](self, cur)
        cur.expect_end(f"{SECTION_NAMES[sid]} section")
        return snapshot

    # --- types --------------------------------------------------------------------------------------

    def valtype(self, cur: Cursor):
        return self._typed(read_valtype, cur)

    def _typed(self, fn, cur: Cursor):
        try:
            value, new = fn(cur.data, cur.pos)
        except IndexError:
            raise DecodeError("unexpected end of section", cur.pos) from None
        if new > cur.end:
            raise DecodeError("unexpected end of section", cur.pos)
        cur.pos = new
        return value

    def reftype(self, cur: Cursor) -> RefType:
        at = cur.pos
        valtype = self.valtype(cur)
        if not isinstance(valtype, RefType):
            raise DecodeError(f"expected a reference type, found {valtype}", at)
        return valtype

    def field(self, cur: Cursor) -> FieldType:
        storage = self._typed(read_storagetype, cur)
        return FieldType(storage, self.mutability(cur))

    def mutability(self, cur: Cursor) -> bool:
        at = cur.pos
        flag = cur.byte()
        if flag > 1:
            raise DecodeError(f"invalid mutability 0x{flag:02x}", at)
        return bool(flag)

    def composite(self, cur: Cursor):
        at = cur.pos
        form = cur.byte()
        if form == 0x60:
            params = tuple(self.valtype(cur) for _ in range(cur.count()))
            results = tuple(self.valtype(cur) for _ in range(cur.count()))
            return FuncType(params, results)
        if form == 0x5F:
            return StructType(tuple(self.field(cur) for _ in range(cur.count(2))))
        if form == 0x5E:
            return ArrayType(self.field(cur))
        raise DecodeError(f"invalid type form 0x{form:02x}", at)

    def subtype(self, cur: Cursor) -> SubType:
        form = cur.peek()
        if form in (0x50, 0x4F):
            cur.byte()
            supers = tuple(cur.u32() for _ in range(cur.count()))
            return SubType(self.composite(cur), form == 0x4F, supers, True)
        return SubType(self.composite(cur))

    def type_section(self, cur: Cursor) -> object:
        groups = self.module.types
        for _ in range(cur.count()):
            if cur.peek() == 0x4E:
                cur.byte()
                groups.append(RecGroup(tuple(self.subtype(cur) for _ in range(cur.count())), True))
            else:
                groups.append(RecGroup((self.subtype(cur),)))
        return list(groups)

    def limits(self, cur: Cursor) -> Limits:
        at = cur.pos
        flags = cur.byte()
        if flags & ~0x0F:
            raise DecodeError(f"invalid limits flags 0x{flags:02x}", at)
        is64 = bool(flags & 4)
        read = cur.u64 if is64 else cur.u32
        minimum = read()
        maximum = read() if flags & 1 else None
        page = cur.u32() if flags & 8 else None
        return Limits(minimum, maximum, bool(flags & 2), is64, page)

    def table_type(self, cur: Cursor) -> TableType:
        element = self.reftype(cur)
        return TableType(element, self.limits(cur))

    def global_type(self, cur: Cursor) -> GlobalType:
        valtype = self.valtype(cur)
        return GlobalType(valtype, self.mutability(cur))

    def tag(self, cur: Cursor) -> Tag:
        at = cur.pos
        attribute = cur.byte()
        if attribute != 0:
            raise DecodeError(f"invalid tag attribute 0x{attribute:02x}", at)
        return Tag(cur.u32(), attribute)

    def expr(self, cur: Cursor) -> tuple:
        instrs, cur.pos = decode_expr(cur.data, cur.pos, cur.end)
        return instrs

    # --- sections -------------------------------------------------------------------------------------

    def import_section(self, cur: Cursor) -> object:
        imports = self.module.imports
        func_types = self._func_types()
        for _ in range(cur.count(4)):
            module_name = cur.name()
            name = cur.name()
            at = cur.pos
            kind = cur.byte()
            if kind == 0:
                desc = self.func_typeidx(cur, func_types)
            elif kind == 1:
                desc = self.table_type(cur)
            elif kind == 2:
                desc = self.limits(cur)
            elif kind == 3:
                desc = self.global_type(cur)
            elif kind == 4:
                desc = self.tag(cur)
            else:
                raise DecodeError(f"invalid import kind 0x{kind:02x}", at)
            imports.append(Import(module_name, name, ExternKind(kind), desc))
        return list(imports)

    def function_section(self, cur: Cursor) -> object:
        functions = self.module.functions
        func_types = self._func_types()
        functions.extend(self.func_typeidx(cur, func_types) for _ in range(cur.count()))
        return list(functions)

    def _func_types(self) -> list[bool]:
        """For each type index defined so far, whether it is a function type."""
        return [isinstance(sub.composite, FuncType) for sub in self.module.defined_types()]

    def func_typeidx(self, cur: Cursor, func_types: list[bool]) -> int:
        """A function's type index, which must name a function type of the type section.  A validation
        rule, checked while reading because everything after the reader (the WAT printer of the
        unvalidating ``whamm wat``, the stack typer) looks a function's signature up by it."""
        at = cur.pos
        typeidx = cur.u32()
        if typeidx >= len(func_types):
            raise DecodeError(f"unknown type {typeidx} for a function (the module defines {len(func_types)} "
                              "types)", at)
        if not func_types[typeidx]:
            raise DecodeError(f"type {typeidx} of a function is not a function type", at)
        return typeidx

    def table_section(self, cur: Cursor) -> object:
        tables = self.module.tables
        for _ in range(cur.count(3)):
            if cur.peek() == 0x40:
                at = cur.pos
                cur.byte()
                if cur.byte() != 0:
                    raise DecodeError("invalid table encoding", at)
                tabletype = self.table_type(cur)
                tables.append(Table(tabletype, self.expr(cur)))
            else:
                tables.append(Table(self.table_type(cur)))
        return list(tables)

    def memory_section(self, cur: Cursor) -> object:
        memories = self.module.memories
        memories.extend(self.limits(cur) for _ in range(cur.count(2)))
        return list(memories)

    def tag_section(self, cur: Cursor) -> object:
        tags = self.module.tags
        tags.extend(self.tag(cur) for _ in range(cur.count(2)))
        return list(tags)

    def global_section(self, cur: Cursor) -> object:
        globals_ = self.module.globals
        for _ in range(cur.count(3)):
            globaltype = self.global_type(cur)
            globals_.append(Global(globaltype, self.expr(cur)))
        return list(globals_)

    def export_section(self, cur: Cursor) -> object:
        exports = self.module.exports
        for _ in range(cur.count(3)):
            name = cur.name()
            at = cur.pos
            kind = cur.byte()
            if kind > 4:
                raise DecodeError(f"invalid export kind 0x{kind:02x}", at)
            exports.append(Export(name, ExternKind(kind), cur.u32()))
        return list(exports)

    def start_section(self, cur: Cursor) -> object:
        self.module.start = cur.u32()
        return self.module.start

    def element_section(self, cur: Cursor) -> object:
        elements = self.module.elements
        for _ in range(cur.count()):
            at = cur.pos
            flags = cur.u32()
            if flags > 7:
                raise DecodeError(f"invalid element segment flags {flags}", at)
            table = cur.u32() if flags & 3 == 2 else 0
            offset = self.expr(cur) if not flags & 1 else None
            if flags & 3 == 0:
                elemtype = FUNCREF
            elif flags & 4:
                elemtype = self.reftype(cur)
            else:
                kind_at = cur.pos
                if cur.byte() != 0:
                    raise DecodeError("invalid element kind", kind_at)
                elemtype = FUNCREF
            if flags & 4:
                items: tuple = tuple(self.expr(cur) for _ in range(cur.count(2)))
            else:
                u32 = cur.u32
                items = tuple(u32() for _ in range(cur.count()))
            elements.append(ElemSegment(flags, elemtype, items, table, offset))
        return list(elements)

    def datacount_section(self, cur: Cursor) -> object:
        self.module.data_count = cur.u32()
        return self.module.data_count

    def code_section(self, cur: Cursor) -> object:
        code = self.module.code
        data = self.data
        first = self.module.num_imported_funcs
        from_bytes = FuncBody.from_bytes
        for index in range(first, first + cur.count(2)):
            size = cur.u32()
            start = cur.pos
            if size > cur.end - start:
                raise DecodeError(f"function body size {size} exceeds the section", start)
            cur.pos = start + size
            code.append(from_bytes(data, start, start + size, index))
        return list(code)

    def data_section(self, cur: Cursor) -> object:
        segments = self.module.data
        for _ in range(cur.count()):
            at = cur.pos
            flags = cur.u32()
            if flags > 2:
                raise DecodeError(f"invalid data segment flags {flags}", at)
            memory = cur.u32() if flags == 2 else 0
            offset = self.expr(cur) if flags != 1 else None
            payload = cur.bytes(cur.count(1))
            segments.append(DataSegment(payload, memory, offset, flags))
        return list(segments)

    # --- custom sections --------------------------------------------------------------------------------

    def custom(self, cur: Cursor, start: int, after: int) -> None:
        name = cur.name()
        section = CustomSection(name, cur.data[cur.pos:cur.end], after)
        self.module.customs.append(section)
        origin = self.module.origin
        origin.customs.append((section, start, cur.end))
        if name == "name" and self.module.names is None:
            names = _parse_names(cur)
            if names is not None:
                self.module.names = names
                origin.names = names.copy()
                origin.names_custom = section


_PARSERS = {
    1: _SectionParser.type_section, 2: _SectionParser.import_section, 3: _SectionParser.function_section,
    4: _SectionParser.table_section, 5: _SectionParser.memory_section, 6: _SectionParser.global_section,
    7: _SectionParser.export_section, 8: _SectionParser.start_section, 9: _SectionParser.element_section,
    10: _SectionParser.code_section, 11: _SectionParser.data_section, 12: _SectionParser.datacount_section,
    13: _SectionParser.tag_section,
}

_NAME_MAPS = {1: "functions", 4: "types", 5: "tables", 6: "memories", 7: "globals", 8: "elems", 9: "data",
              11: "tags"}
_INDIRECT_MAPS = {2: "locals", 3: "labels", 10: "fields"}


def _name_map(cur: Cursor) -> dict[int, str]:
    out = {}
    for _ in range(cur.count(2)):
        index = cur.u32()
        out[index] = cur.name()
    return out


def _parse_names(cur: Cursor) -> Names | None:
    """The name section, or ``None`` when it is malformed: like engines, treat a bad name section as an
    opaque custom section rather than rejecting the module (its bytes are still kept)."""
    names = Names()
    try:
        while cur.pos < cur.end:
            sub_id = cur.byte()
            size = cur.u32()
            sub = Cursor(cur.data, cur.pos, cur.pos + size)
            if sub.end > cur.end:
                return None
            cur.pos = sub.end
            if sub_id == 0:
                names.module = sub.name()
            elif sub_id in _NAME_MAPS:
                setattr(names, _NAME_MAPS[sub_id], _name_map(sub))
            elif sub_id in _INDIRECT_MAPS:
                indirect = {}
                for _ in range(sub.count(2)):
                    index = sub.u32()
                    indirect[index] = _name_map(sub)
                setattr(names, _INDIRECT_MAPS[sub_id], indirect)
            else:
                names.other.append((sub_id, sub.data[sub.pos:sub.end]))
                sub.pos = sub.end
            sub.expect_end("name subsection")
    except DecodeError:
        return None
    return names
