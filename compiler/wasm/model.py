"""The in-memory WebAssembly module: every section as plain values, bodies decoded on demand.

Values (types, imports, segments…) are frozen dataclasses, so a section changes only when an item is
*replaced*, appended or removed.  That is what lets the writer (``writer.py``) decide cheaply which
sections changed: it compares each section's list with the snapshot the reader took (list comparison
short-cuts on identity) and copies the raw bytes of every section that is still equal.  Function bodies
are the exception — they are objects with lazily decoded instructions; assigning ``body.instrs`` (or
``body.locals``) is the edit the writer sees (STYLE.md §1: keep the original bytes, re-encode only what
changed).

Value types are ``"i32" "i64" "f32" "f64" "v128"`` (plain strings, like ``compiler.lang.types.wasm_types``)
or a :class:`RefType`; field storage types may also be ``"i8"``/``"i16"``.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, Sequence, Union

if TYPE_CHECKING:
    from compiler.wasm.opcodes import OpInfo

__all__ = [
    "RefType", "ValType", "FieldType", "FuncType", "StructType", "ArrayType", "SubType", "RecGroup",
    "Limits", "TableType", "Table", "GlobalType", "Global", "Tag", "ExternKind", "Import", "Export",
    "ElemSegment", "DataSegment", "CustomSection", "Names", "MemArg", "Catch", "Instr", "FuncBody", "Module",
    "Origin", "ABSTRACT_HEAP_TYPES", "FUNCREF", "EXTERNREF", "SECTION_ORDER", "SECTION_NAMES",
]

#: Abstract heap types, as spelled in the text format.
ABSTRACT_HEAP_TYPES = ("func", "extern", "any", "eq", "i31", "struct", "array", "exn", "none", "nofunc",
                       "noextern", "noexn")


@dataclass(frozen=True, slots=True)
class RefType:
    """A reference type ``(ref null? heap)``; ``heap`` is an abstract heap type name or a type index."""

    nullable: bool
    heap: str | int

    def __str__(self) -> str:
        if self.nullable and isinstance(self.heap, str):
            return f"{self.heap}ref"
        return f"(ref {'null ' if self.nullable else ''}{self.heap})"


ValType = Union[str, RefType]

FUNCREF = RefType(True, "func")
EXTERNREF = RefType(True, "extern")


@dataclass(frozen=True, slots=True)
class FieldType:
    """A struct field or array element: a value type or packed ``"i8"``/``"i16"``, and mutability."""

    storage: ValType
    mutable: bool = False


@dataclass(frozen=True, slots=True)
class FuncType:
    """A function type: parameter and result types, bottom of the stack first."""

    params: tuple[ValType, ...] = ()
    results: tuple[ValType, ...] = ()


@dataclass(frozen=True, slots=True)
class StructType:
    """A GC struct type: its fields in order."""

    fields: tuple[FieldType, ...] = ()


@dataclass(frozen=True, slots=True)
class ArrayType:
    """A GC array type: its element field."""

    element: FieldType


CompositeType = Union[FuncType, StructType, ArrayType]


@dataclass(frozen=True, slots=True)
class SubType:
    """A defined type.  ``explicit`` records whether the binary spelled ``sub``/``sub final`` (0x50/0x4F)
    rather than the bare composite type, so re-encoding an unchanged type reproduces it."""

    composite: CompositeType
    final: bool = True
    supertypes: tuple[int, ...] = ()
    explicit: bool = False


@dataclass(frozen=True, slots=True)
class RecGroup:
    """One entry of the type section: a ``rec`` group (``explicit``) or a single type (not explicit)."""

    types: tuple[SubType, ...]
    explicit: bool = False

    @classmethod
    def single(cls, composite: CompositeType) -> RecGroup:
        """The usual case: one final type without supertypes, outside any ``rec``."""
        return cls((SubType(composite),))


@dataclass(frozen=True, slots=True)
class Limits:
    """Memory or table limits (flags byte: bit 0 max, bit 1 shared, bit 2 64-bit, bit 3 page size)."""

    min: int
    max: int | None = None
    shared: bool = False
    is64: bool = False
    page_size_log2: int | None = None
    """Custom page sizes proposal: log2 of the page size when given explicitly (0 for 1-byte pages)."""

    @property
    def address_type(self) -> str:
        """``"i64"`` for memory64/table64, else ``"i32"`` — what the ``addr`` placeholder resolves to."""
        return "i64" if self.is64 else "i32"


@dataclass(frozen=True, slots=True)
class TableType:
    """A table type: element reference type and limits."""

    element: RefType
    limits: Limits


@dataclass(frozen=True, slots=True)
class Table:
    """A defined table; ``init`` is the constant expression of the 0x40 0x00 encoding, if any."""

    type: TableType
    init: tuple[Instr, ...] | None = None


@dataclass(frozen=True, slots=True)
class GlobalType:
    """A global type: value type and mutability."""

    valtype: ValType
    mutable: bool = False


@dataclass(frozen=True, slots=True)
class Global:
    """A defined global: its type and constant initialiser expression."""

    type: GlobalType
    init: tuple[Instr, ...]


@dataclass(frozen=True, slots=True)
class Tag:
    """An exception tag: the index of a function type whose params are the payload."""

    type: int
    attribute: int = 0


class ExternKind(enum.IntEnum):
    """Import/export kinds, valued as in the binary format."""

    FUNC = 0
    TABLE = 1
    MEMORY = 2
    GLOBAL = 3
    TAG = 4


@dataclass(frozen=True, slots=True)
class Import:
    """``desc`` is a type index (FUNC), :class:`TableType`, :class:`Limits` (MEMORY), :class:`GlobalType`
    or :class:`Tag`."""

    module: str
    name: str
    kind: ExternKind
    desc: int | TableType | Limits | GlobalType | Tag


@dataclass(frozen=True, slots=True)
class Export:
    """An export: name, kind and index in that kind's index space."""

    name: str
    kind: ExternKind
    index: int


@dataclass(frozen=True, slots=True)
class ElemSegment:
    """An element segment in any of the 8 encodings; ``flags`` (0–7) records which one was used.

    Flag bit 0: passive/declarative, bit 1: explicit table index (active) or declarative, bit 2: items
    are expressions (else function indices).  ``items`` holds ``int`` function indices or expressions.
    """

    flags: int
    type: RefType
    items: tuple
    table: int = 0
    offset: tuple[Instr, ...] | None = None

    @property
    def mode(self) -> str:
        """``"active"``, ``"passive"`` or ``"declarative"``."""
        if not self.flags & 1:
            return "active"
        return "declarative" if self.flags & 2 else "passive"

    @property
    def uses_exprs(self) -> bool:
        """Whether the items are expressions (flag bit 2) rather than function indices."""
        return bool(self.flags & 4)


@dataclass(frozen=True, slots=True)
class DataSegment:
    """A data segment; passive when ``offset`` is ``None``.  ``flags`` (0–2) is the encoding used."""

    data: bytes
    memory: int = 0
    offset: tuple[Instr, ...] | None = None
    flags: int = 0

    @property
    def mode(self) -> str:
        """``"active"`` or ``"passive"``."""
        return "passive" if self.offset is None else "active"


@dataclass(frozen=True, slots=True)
class CustomSection:
    """A custom section and its position: ``after`` is the id of the last non-custom section before it
    (0 when it precedes them all), so the writer puts it back in the same place."""

    name: str
    data: bytes
    after: int = 0


@dataclass(slots=True)
class Names:
    """The parsed ``name`` custom section (subsections 0–11 of the extended name section).

    Maps are ``index -> name``; indirect maps (locals, labels, fields) are ``outer -> {inner -> name}``.
    Subsections this reader does not know are kept raw in ``other`` as ``(id, payload)``.
    """

    module: str | None = None
    functions: dict[int, str] = field(default_factory=dict)
    locals: dict[int, dict[int, str]] = field(default_factory=dict)
    labels: dict[int, dict[int, str]] = field(default_factory=dict)
    types: dict[int, str] = field(default_factory=dict)
    tables: dict[int, str] = field(default_factory=dict)
    memories: dict[int, str] = field(default_factory=dict)
    globals: dict[int, str] = field(default_factory=dict)
    elems: dict[int, str] = field(default_factory=dict)
    data: dict[int, str] = field(default_factory=dict)
    fields: dict[int, dict[int, str]] = field(default_factory=dict)
    tags: dict[int, str] = field(default_factory=dict)
    other: list[tuple[int, bytes]] = field(default_factory=list)

    def copy(self) -> Names:
        """A deep copy (the reader keeps one to detect edits)."""
        return Names(self.module, dict(self.functions), {k: dict(v) for k, v in self.locals.items()},
                     {k: dict(v) for k, v in self.labels.items()}, dict(self.types), dict(self.tables),
                     dict(self.memories), dict(self.globals), dict(self.elems), dict(self.data),
                     {k: dict(v) for k, v in self.fields.items()}, dict(self.tags), list(self.other))


class MemArg(NamedTuple):
    """A ``memarg`` immediate: alignment exponent, static offset (u64 for memory64), memory index."""

    align: int
    offset: int
    memory: int = 0


class Catch(NamedTuple):
    """A ``try_table`` clause: ``kind`` 0 ``catch``, 1 ``catch_ref``, 2 ``catch_all``, 3 ``catch_all_ref``;
    ``tag`` is ``None`` for the ``catch_all`` forms."""

    kind: int
    tag: int | None
    label: int

    KINDS = ("catch", "catch_ref", "catch_all", "catch_all_ref")


class Instr(NamedTuple):
    """One decoded instruction.  A tuple, so the decoder builds it with one C call.

    ``imms`` holds one value per immediate kind of ``op.imms`` (see ``opcodes.py``).  ``offset`` is the
    instruction's ``pc``: its byte offset from the start of the function body *including* the locals
    declarations (EVENTS.md §2.1), or -1 for instructions that did not come from the input.
    """

    op: OpInfo
    imms: tuple = ()
    offset: int = -1

    @classmethod
    def of(cls, name: str, *imms: object) -> Instr:
        """Build an instruction by text-format name, checking its immediates: ``Instr.of("call", 3)``.

        This is the public door (STYLE.md §1): names, counts and values are checked here (see
        ``opcodes.normalize_immediate`` for the accepted spellings); the decoder builds ``Instr`` directly.
        """
        from compiler.wasm.opcodes import BY_NAME, normalize_immediate
        op = BY_NAME.get(name)
        if op is None:
            raise ValueError(f"unknown instruction {name!r}")
        if len(imms) != len(op.imms):
            raise ValueError(f"{name} takes {len(op.imms)} immediate(s) {op.imms}, got {len(imms)}")
        return cls(op, tuple(normalize_immediate(kind, value) for kind, value in zip(op.imms, imms)))

    @property
    def name(self) -> str:
        """The instruction's text-format name."""
        return self.op.name

    def __repr__(self) -> str:
        imms = " ".join(map(repr, self.imms))
        return f"<{self.op.name}{' ' + imms if imms else ''} @{self.offset}>"


class FuncBody:
    """A function body: locals declaration plus instructions, decoded only when first asked for.

    A body read from a file keeps a reference to the file's bytes and its range; ``instrs`` and
    ``locals`` are decoded on first access (errors there are ``DecodeError`` with the function index).
    Assigning either marks the body *modified*: the writer then re-encodes it, otherwise it copies the
    original bytes.  ``instrs`` is a tuple, so an edit is always an assignment the writer can see.
    """

    __slots__ = ("_data", "_start", "_end", "_locals", "_instrs", "_code_start", "index")

    def __init__(self, locals: Sequence[tuple[int, ValType]] = (), instrs: Sequence[Instr] = (),
                 index: int | None = None) -> None:
        self._data: bytes | None = None
        self._start = self._end = self._code_start = 0
        self._locals = tuple(locals)
        self._instrs: tuple[Instr, ...] | None = tuple(instrs)
        self.index = index
        """The function index (imports included) when read; used in error messages only."""

    @classmethod
    def from_bytes(cls, data: bytes, start: int, end: int, index: int | None = None) -> FuncBody:
        """A lazily decoded body occupying ``data[start:end]`` (after its size LEB)."""
        body = cls.__new__(cls)
        body._data = data
        body._start = start
        body._end = end
        body._locals = None
        body._instrs = None
        body._code_start = 0
        body.index = index
        return body

    def _parse_locals(self) -> None:
        from compiler.wasm.code import read_locals
        self._locals, self._code_start = read_locals(self._data, self._start, self._end, self.index)

    @property
    def locals(self) -> tuple[tuple[int, ValType], ...]:
        """The locals declaration as ``(count, type)`` groups, exactly as encoded."""
        if self._locals is None:
            self._parse_locals()
        return self._locals

    @locals.setter
    def locals(self, value: Sequence[tuple[int, ValType]]) -> None:
        self.instrs  # decode before detaching from the original bytes
        self._locals = tuple(value)
        self._data = None

    @property
    def instrs(self) -> tuple[Instr, ...]:
        """The instructions, flat (``block``/``end`` are instructions), each with its ``offset`` (pc)."""
        if self._instrs is None:
            from compiler.wasm.code import decode_body
            if self._locals is None:
                self._parse_locals()
            self._instrs = tuple(decode_body(self._data, self._code_start, self._end, self._start, self.index))
        return self._instrs

    @instrs.setter
    def instrs(self, value: Sequence[Instr]) -> None:
        self.locals  # parse before detaching from the original bytes
        self._instrs = tuple(value)
        self._data = None

    @property
    def modified(self) -> bool:
        """True once ``instrs`` or ``locals`` was assigned (or for a body built in memory)."""
        return self._data is None

    @property
    def raw(self) -> bytes | None:
        """The original body bytes (locals declaration and code), or ``None`` when modified."""
        return None if self._data is None else self._data[self._start:self._end]

    @property
    def size(self) -> int | None:
        """The original body size in bytes, or ``None`` when modified."""
        return None if self._data is None else self._end - self._start

    @property
    def code_offset(self) -> int:
        """The ``pc`` of the first instruction: the size of the locals declaration (1 with no locals)."""
        if self._data is None:
            from compiler.wasm.code import encode_locals
            return len(encode_locals(self._locals))
        if self._locals is None:
            self._parse_locals()
        return self._code_start - self._start

    def local_types(self) -> list[ValType]:
        """The declared locals expanded one per index (parameters not included)."""
        out: list[ValType] = []
        for count, valtype in self.locals:
            out.extend([valtype] * count)
        return out

    def __repr__(self) -> str:
        state = "modified" if self._data is None else f"{self._end - self._start} bytes"
        return f"<FuncBody {self.index if self.index is not None else '?'} {state}>"


#: Non-custom section ids in the order the binary format requires (tag sits between memory and global,
#: data count between element and code).
SECTION_ORDER = (1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11)

SECTION_NAMES = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
                 7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "data count", 13: "tag"}


@dataclass(slots=True, eq=False)
class Origin:
    """What the reader saw, so the writer can copy unchanged parts verbatim.

    ``sections`` maps a section id to ``(start, end, snapshot)``: the byte range of the whole section
    (id and size included) and a copy of the model's value for it right after reading.  ``customs``
    lists each custom section object with its byte range.
    """

    data: bytes
    header: bytes
    sections: dict[int, tuple[int, int, object]] = field(default_factory=dict)
    customs: list[tuple[CustomSection, int, int]] = field(default_factory=list)
    names: Names | None = None
    names_custom: CustomSection | None = None


@dataclass(slots=True, eq=False)
class Module:
    """A WebAssembly module.  Index spaces include imports first: function ``i`` for ``i < n`` imported
    functions is ``imports``' ``i``-th FUNC import, then ``functions``/``code`` in order (the same holds
    for tables, memories, globals and tags)."""

    types: list[RecGroup] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    functions: list[int] = field(default_factory=list)
    """The type index of each defined function (the function section)."""
    tables: list[Table] = field(default_factory=list)
    memories: list[Limits] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    globals: list[Global] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    start: int | None = None
    elements: list[ElemSegment] = field(default_factory=list)
    data_count: int | None = None
    """The data count section's value when present; the writer updates it when ``data`` changes."""
    code: list[FuncBody] = field(default_factory=list)
    data: list[DataSegment] = field(default_factory=list)
    customs: list[CustomSection] = field(default_factory=list)
    names: Names | None = None
    """The parsed name section (its position is the ``"name"`` entry of ``customs``)."""
    origin: Origin | None = None

    # --- index spaces -----------------------------------------------------------------------------

    def defined_types(self) -> list[SubType]:
        """All types in type-index order (rec groups flattened)."""
        return [sub for group in self.types for sub in group.types]

    def _imported(self, kind: ExternKind) -> list[Import]:
        return [imp for imp in self.imports if imp.kind == kind]

    @property
    def num_imported_funcs(self) -> int:
        """How many functions are imported: the index of the first defined function."""
        return sum(1 for imp in self.imports if imp.kind == ExternKind.FUNC)

    def func_type_index(self, funcidx: int) -> int:
        """The type index of function ``funcidx`` (imported or defined)."""
        imported = self._imported(ExternKind.FUNC)
        if funcidx < len(imported):
            return imported[funcidx].desc  # type: ignore[return-value]
        return self.functions[funcidx - len(imported)]

    def func_type(self, funcidx: int) -> FuncType:
        """The function type of function ``funcidx`` (imported or defined)."""
        comp = self.defined_types()[self.func_type_index(funcidx)].composite
        if not isinstance(comp, FuncType):
            raise ValueError(f"function {funcidx} has a non-function type")
        return comp

    def memory_limits(self) -> list[Limits]:
        """Every memory's limits in memory-index order (imports first)."""
        return [imp.desc for imp in self._imported(ExternKind.MEMORY)] + list(self.memories)  # type: ignore

    def table_types(self) -> list[TableType]:
        """Every table's type by table index (imports first)."""
        return [imp.desc for imp in self._imported(ExternKind.TABLE)] + [t.type for t in self.tables]  # type: ignore

    def global_types(self) -> list[GlobalType]:
        """Every global's type by global index (imports first)."""
        return [imp.desc for imp in self._imported(ExternKind.GLOBAL)] + [g.type for g in self.globals]  # type: ignore

    def tag_types(self) -> list[int]:
        """Every tag's function type index by tag index (imports first)."""
        return [imp.desc.type for imp in self._imported(ExternKind.TAG)] + [t.type for t in self.tags]  # type: ignore
