"""``write_module``: :class:`~compiler.wasm.model.Module` back to bytes, re-encoding only what changed.

For each section the writer compares the module's current value with the snapshot the reader took
(``Module.origin``); equal sections are copied byte for byte from the input, so an unchanged module
round-trips identically — custom sections, non-minimal LEB128s and all.  In the code section every
unmodified body is copied too and only edited bodies are encoded.  Custom sections return to their
recorded position (after the section they followed in the input); the ``name`` section is re-encoded only
when ``Module.names`` differs from what was read.

Changing a section is therefore just editing the model: replace, append or remove items, assign a
``FuncBody``'s ``instrs``.  Once the data segments change, a data count section present states
``len(module.data)``.
"""
from __future__ import annotations

from typing import Callable

from compiler.wasm.binary import uleb
from compiler.wasm.code import encode_body, encode_expr, encode_storagetype, encode_valtype
from compiler.wasm.model import (
    SECTION_ORDER, ArrayType, CustomSection, DataSegment, ElemSegment, FuncType, Import, Limits, Module,
    Names, RecGroup, StructType, SubType, Table, TableType, Tag,
)
from compiler.wasm.reader import MAGIC, VERSION

__all__ = ["write_module", "encode_section", "encode_names"]


def write_module(module: Module) -> bytes:
    """The binary encoding of ``module``; byte-identical to the input when nothing was changed."""
    origin = module.origin
    out = [origin.header if origin is not None else MAGIC + VERSION]
    raw_customs = {id(c): (c, s, e) for c, s, e in origin.customs} if origin is not None else {}
    customs_after: dict[int, list[CustomSection]] = {}
    for custom in module.customs:
        customs_after.setdefault(custom.after if custom.after in _KNOWN_POSITIONS else -1, []).append(custom)

    def emit_customs(position: int) -> None:
        for custom in customs_after.get(position, ()):
            out.append(_custom_bytes(module, custom, raw_customs))

    emit_customs(0)
    for sid in SECTION_ORDER:
        section = _section_bytes(module, sid)
        if section is not None:
            out.append(section)
        emit_customs(sid)
    emit_customs(-1)
    if module.names is not None and not any(c.name == "name" for c in module.customs):
        out.append(encode_section(0, _name(b"name") + encode_names(module.names)))
    return b"".join(out)


_KNOWN_POSITIONS = frozenset(SECTION_ORDER) | {0}


def encode_section(sid: int, payload: bytes) -> bytes:
    """A section: id, size, payload."""
    return bytes((sid,)) + uleb(len(payload)) + payload


def _custom_bytes(module: Module, custom: CustomSection, raw: dict) -> bytes:
    origin = module.origin
    if origin is not None:
        names_changed = custom is origin.names_custom and module.names != origin.names
    else:  # nothing to compare with: the parsed names are the truth
        names_changed = custom.name == "name" and module.names is not None
    if names_changed:
        if module.names is None:
            return b""
        return encode_section(0, _name(b"name") + encode_names(module.names))
    entry = raw.get(id(custom))
    if entry is not None and entry[0] is custom:
        return origin.data[entry[1]:entry[2]]
    return encode_section(0, _name(custom.name.encode()) + custom.data)


def _section_bytes(module: Module, sid: int) -> bytes | None:
    """Section ``sid`` copied from the input when unchanged, else encoded (``None`` when absent)."""
    if sid == 12:
        value: object = _data_count(module)
    else:
        value = getattr(module, _FIELDS[sid])
    origin = module.origin
    recorded = origin.sections.get(sid) if origin is not None else None
    if recorded is not None:
        start, end, snapshot = recorded
        unchanged = value == snapshot
        if unchanged and sid == 10:
            unchanged = not any(body.modified for body in module.code)
        if unchanged:
            return origin.data[start:end]
    if value is None or value == []:
        return None
    return encode_section(sid, _ENCODERS[sid](module))


def _data_count(module: Module) -> int | None:
    """The data count to write: as read while the data section is unchanged, else ``len(module.data)``."""
    if module.data_count is None:
        return None
    origin = module.origin
    recorded = origin.sections.get(11) if origin is not None else None
    if recorded is not None and module.data == recorded[2] or recorded is None and not module.data:
        return module.data_count
    return len(module.data)


_FIELDS = {1: "types", 2: "imports", 3: "functions", 4: "tables", 5: "memories", 13: "tags", 6: "globals",
           7: "exports", 8: "start", 9: "elements", 10: "code", 11: "data"}


# --- encoders ------------------------------------------------------------------------------------------------

def _name(raw: bytes) -> bytes:
    return uleb(len(raw)) + raw


def _vec(items, encode: Callable) -> bytes:
    return uleb(len(items)) + b"".join(encode(item) for item in items)


def _composite(comp) -> bytes:
    if isinstance(comp, FuncType):
        return b"\x60" + _vec(comp.params, encode_valtype) + _vec(comp.results, encode_valtype)
    if isinstance(comp, StructType):
        return b"\x5f" + _vec(comp.fields, _field)
    if isinstance(comp, ArrayType):
        return b"\x5e" + _field(comp.element)
    raise TypeError(f"not a composite type: {comp!r}")


def _field(field) -> bytes:
    return encode_storagetype(field.storage) + (b"\x01" if field.mutable else b"\x00")


def _subtype(sub: SubType) -> bytes:
    if sub.explicit or not sub.final or sub.supertypes:
        return (b"\x4f" if sub.final else b"\x50") + _vec(sub.supertypes, uleb) + _composite(sub.composite)
    return _composite(sub.composite)


def _rec_group(group: RecGroup) -> bytes:
    if group.explicit or len(group.types) != 1:
        return b"\x4e" + _vec(group.types, _subtype)
    return _subtype(group.types[0])


def _limits(limits: Limits) -> bytes:
    flags = ((limits.max is not None) | limits.shared << 1 | limits.is64 << 2
             | (limits.page_size_log2 is not None) << 3)
    out = bytes((flags,)) + uleb(limits.min)
    if limits.max is not None:
        out += uleb(limits.max)
    if limits.page_size_log2 is not None:
        out += uleb(limits.page_size_log2)
    return out


def _table_type(tabletype: TableType) -> bytes:
    return encode_valtype(tabletype.element) + _limits(tabletype.limits)


def _table(table: Table) -> bytes:
    if table.init is not None:
        return b"\x40\x00" + _table_type(table.type) + encode_expr(table.init)
    return _table_type(table.type)


def _tag(tag: Tag) -> bytes:
    return bytes((tag.attribute,)) + uleb(tag.type)


def _import(imp: Import) -> bytes:
    desc = imp.desc
    if isinstance(desc, int):
        encoded = uleb(desc)
    elif isinstance(desc, TableType):
        encoded = _table_type(desc)
    elif isinstance(desc, Limits):
        encoded = _limits(desc)
    elif isinstance(desc, Tag):
        encoded = _tag(desc)
    else:
        encoded = encode_valtype(desc.valtype) + (b"\x01" if desc.mutable else b"\x00")
    return _name(imp.module.encode()) + _name(imp.name.encode()) + bytes((int(imp.kind),)) + encoded


def _elem(seg: ElemSegment) -> bytes:
    flags = seg.flags
    if not flags & 1 and seg.table != 0:
        flags |= 2  # an active segment on a non-zero table needs the explicit-table encoding
    out = bytearray(uleb(flags))
    if flags & 3 == 2:
        out += uleb(seg.table)
    if not flags & 1:
        out += encode_expr(seg.offset)
    if flags & 3:
        out += encode_valtype(seg.type) if flags & 4 else b"\x00"
    out += _vec(seg.items, encode_expr if flags & 4 else uleb)
    return bytes(out)


def _data(seg: DataSegment) -> bytes:
    if seg.offset is None:
        return b"\x01" + _name(seg.data)
    if seg.memory or seg.flags == 2:
        return b"\x02" + uleb(seg.memory) + encode_expr(seg.offset) + _name(seg.data)
    return b"\x00" + encode_expr(seg.offset) + _name(seg.data)


def _code_entry(body) -> bytes:
    raw = body.raw
    if raw is None:
        raw = encode_body(body.locals, body.instrs)
    return uleb(len(raw)) + raw


def _name_map(mapping: dict[int, str]) -> bytes:
    return _vec(sorted(mapping.items()), lambda item: uleb(item[0]) + _name(item[1].encode()))


def _indirect_map(mapping: dict[int, dict[int, str]]) -> bytes:
    return _vec(sorted(mapping.items()), lambda item: uleb(item[0]) + _name_map(item[1]))


def encode_names(names: Names) -> bytes:
    """The payload of a ``name`` section (after its name), subsections in id order."""
    subsections: list[tuple[int, bytes]] = list(names.other)
    if names.module is not None:
        subsections.append((0, _name(names.module.encode())))
    for sub_id, attr in ((1, "functions"), (4, "types"), (5, "tables"), (6, "memories"), (7, "globals"),
                         (8, "elems"), (9, "data"), (11, "tags")):
        mapping = getattr(names, attr)
        if mapping:
            subsections.append((sub_id, _name_map(mapping)))
    for sub_id, attr in ((2, "locals"), (3, "labels"), (10, "fields")):
        mapping = getattr(names, attr)
        if mapping:
            subsections.append((sub_id, _indirect_map(mapping)))
    subsections.sort(key=lambda item: item[0])
    return b"".join(bytes((sub_id,)) + _name(payload) for sub_id, payload in subsections)


_ENCODERS: dict[int, Callable[[Module], bytes]] = {
    1: lambda m: _vec(m.types, _rec_group),
    2: lambda m: _vec(m.imports, _import),
    3: lambda m: _vec(m.functions, uleb),
    4: lambda m: _vec(m.tables, _table),
    5: lambda m: _vec(m.memories, _limits),
    13: lambda m: _vec(m.tags, _tag),
    6: lambda m: _vec(m.globals, lambda g: encode_valtype(g.type.valtype)
                      + (b"\x01" if g.type.mutable else b"\x00") + encode_expr(g.init)),
    7: lambda m: _vec(m.exports, lambda e: _name(e.name.encode()) + bytes((int(e.kind),)) + uleb(e.index)),
    8: lambda m: uleb(m.start),
    9: lambda m: _vec(m.elements, _elem),
    12: lambda m: uleb(_data_count(m)),
    10: lambda m: _vec(m.code, _code_entry),
    11: lambda m: _vec(m.data, _data),
}
