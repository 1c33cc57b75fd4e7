"""The editing API: append to a module, import into it, and insert code into function bodies.

:class:`ModuleBuilder` edits one :class:`~compiler.wasm.model.Module` in place.  Appending (types,
functions, globals, memories, tables, data, tags, exports) never moves an existing index.  Importing
does: imports precede definitions in every index space, so ``import_function`` and friends insert the
import and then renumber every reference with :func:`~compiler.wasm.remap.shift_indices`.

Code edits address instructions by ``pc`` (``Instr.offset``, EVENTS.md §2.1), which injected code does
not disturb: inserted instructions carry offset -1, so several edits at different pcs of one body can
be made in any order.  Edits are collected per body and applied in one pass when :meth:`finish` (or
:meth:`write`) runs, so a body with a thousand probe sites is rebuilt once.

Generated code may use :class:`Label` objects (STYLE.md §1): put a label right before the
``block``/``loop``/``if``/``try_table`` it names and use it as the target of ``br``, ``br_if``,
``br_table``, ``br_on_*`` or a catch clause (build such instructions with :func:`instr`).  Depths are
computed when the code is placed, so wrapping code in another block needs no renumbering.
"""
from __future__ import annotations

from typing import Iterable, Sequence, Union

from compiler.wasm.errors import WasmError
from compiler.wasm.model import (
    Catch, DataSegment, Export, ExternKind, FuncBody, FuncType, Global, GlobalType, Import, Instr, Limits,
    Module, Names, RecGroup, SubType, Table, TableType, Tag, ValType,
)
from compiler.wasm.opcodes import BY_NAME
from compiler.wasm.remap import Shift, shift_indices
from compiler.wasm.writer import write_module

__all__ = ["Label", "instr", "resolve_labels", "ModuleBuilder", "BuildError", "Code"]


class BuildError(WasmError):
    """An edit that cannot be made: unknown pc, label out of scope, malformed generated code."""


class Label:
    """A branch target in generated code; compares by identity (``bytecode.Label`` style)."""

    __slots__ = ("name",)

    def __init__(self, name: str = "") -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<Label {self.name or hex(id(self))}>"


Code = Sequence[Union[Instr, Label]]


def instr(name: str, *imms: object) -> Instr:
    """Like ``Instr.of``, but a branch target may be a :class:`Label` (also inside a ``br_table`` tuple or
    a ``try_table`` catch clause); the label becomes a depth when the code is placed."""
    op = BY_NAME.get(name)
    if op is None:
        raise BuildError(f"unknown instruction {name!r}")
    imms = tuple(tuple(Catch(*c) for c in v) if kind == "try_table_catches" else v
                 for kind, v in zip(op.imms, imms)) + imms[len(op.imms):]
    if not any(_has_label(kind, v) for kind, v in zip(op.imms, imms)):
        return Instr.of(name, *imms)
    # check everything else through the public door, with the labels replaced by depth 0
    checked = Instr.of(name, *(_without_labels(kind, v) for kind, v in zip(op.imms, imms)))
    return checked._replace(imms=tuple(v if _has_label(kind, v) else normal
                                       for kind, v, normal in zip(op.imms, imms, checked.imms)))


def _without_labels(kind: str, value):
    if kind == "labelidx":
        return 0 if isinstance(value, Label) else value
    if kind == "br_table":
        return tuple(0 if isinstance(v, Label) else v for v in value)
    if kind == "try_table_catches":
        return tuple(c._replace(label=0) if isinstance(c.label, Label) else c for c in value)
    return value


def _has_label(kind: str, value: object) -> bool:
    if kind == "labelidx":
        return isinstance(value, Label)
    if kind == "br_table":
        return any(isinstance(v, Label) for v in value)
    if kind == "try_table_catches":
        return any(isinstance(c.label, Label) for c in value)
    return False


_OPENERS = frozenset({"block", "loop", "if", "try", "try_table"})
_CLOSERS = frozenset({"end", "delegate"})


def resolve_labels(code: Code) -> list[Instr]:
    """``code`` with :class:`Label` markers removed and label targets turned into depths.

    A label names the block that the next instruction opens.  Integer targets are left alone: they are
    depths relative to where the code ends up.  Raises :class:`BuildError` for a label used outside
    the block it names or a marker not followed by a block instruction.
    """
    out: list[Instr] = []
    stack: list[Label | None] = []
    pending: Label | None = None

    def depth(target):
        if not isinstance(target, Label):
            return target
        for d, label in enumerate(reversed(stack)):
            if label is target:
                return d
        raise BuildError(f"branch to {target!r} outside the block it names")

    for item in code:
        if isinstance(item, Label):
            if pending is not None:
                raise BuildError(f"{pending!r} is not followed by a block instruction")
            pending = item
            continue
        name = item.op.name
        if pending is not None and name not in _OPENERS:
            raise BuildError(f"{pending!r} is followed by {name}, not a block instruction")
        # a delegate's target (like a try_table's catch clauses) is counted from outside its own block
        if name == "delegate" and stack:
            stack.pop()
        if any(_has_label(k, v) for k, v in zip(item.op.imms, item.imms)):
            imms = []
            for kind, value in zip(item.op.imms, item.imms):
                if kind == "labelidx":
                    value = depth(value)
                elif kind == "br_table":
                    value = tuple(map(depth, value))
                elif kind == "try_table_catches":
                    value = tuple(c._replace(label=depth(c.label)) for c in value)
                imms.append(value)
            item = item._replace(imms=tuple(imms))
        if name in _OPENERS:
            stack.append(pending)
            pending = None
        elif name == "end" and stack:
            stack.pop()
        out.append(item)
    if pending is not None:
        raise BuildError(f"{pending!r} ends the code without naming a block")
    return out


def _as_injected(instrs: Iterable[Instr]) -> list[Instr]:
    """Mark generated instructions (offset -1) so printers and later edits can tell them apart."""
    return [i if i.offset == -1 else i._replace(offset=-1) for i in instrs]


class ModuleBuilder:
    """Edits ``module`` in place; every ``add_*``/``import_*`` returns the new item's index."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self._edits: dict[int, dict[int, list]] = {}

    # --- types and names --------------------------------------------------------------------------------

    def add_type(self, functype: FuncType) -> int:
        """The index of a plain (final, non-recursive) function type equal to ``functype``, appending one
        if there is none."""
        index = 0
        for group in self.module.types:
            if len(group.types) == 1 and not group.explicit:
                sub = group.types[0]
                if sub.composite == functype and sub.final and not sub.supertypes:
                    return index
            index += len(group.types)
        self.module.types.append(RecGroup.single(functype))
        return index

    def add_rec_group(self, types: Sequence[SubType]) -> int:
        """Append an explicit ``rec`` group; returns the index of its first type."""
        first = len(self.module.defined_types())
        self.module.types.append(RecGroup(tuple(types), explicit=True))
        return first

    def _type_index(self, type_: FuncType | int) -> int:
        return type_ if isinstance(type_, int) else self.add_type(type_)

    def _name(self, attr: str, index: int, name: str | None) -> None:
        if name is None:
            return
        if self.module.names is None:
            self.module.names = Names()
        getattr(self.module.names, attr)[index] = name

    # --- imports (these shift an index space) -------------------------------------------------------------

    def _import(self, imp: Import, space: str) -> int:
        self.finish()  # pending code was written with the current indices
        module = self.module
        same = [n for n, existing in enumerate(module.imports) if existing.kind == imp.kind]
        index = len(same)
        # keep imports of one kind together, after the last one of that kind
        module.imports.insert(same[-1] + 1 if same else len(module.imports), imp)
        defined = {"func": module.functions, "table": module.tables, "memory": module.memories,
                   "global": module.globals, "tag": module.tags}[space]
        if defined:
            shift_indices(module, {space: Shift(index)})
        return index

    def import_function(self, module: str, name: str, type_: FuncType | int, *, debug_name: str | None = None) -> int:
        """Import a function; every defined function's index moves up by one."""
        index = self._import(Import(module, name, ExternKind.FUNC, self._type_index(type_)), "func")
        self._name("functions", index, debug_name)
        return index

    def import_memory(self, module: str, name: str, limits: Limits) -> int:
        """Import a memory; every defined memory's index moves up by one."""
        return self._import(Import(module, name, ExternKind.MEMORY, limits), "memory")

    def import_global(self, module: str, name: str, globaltype: GlobalType) -> int:
        """Import a global; every defined global's index moves up by one."""
        return self._import(Import(module, name, ExternKind.GLOBAL, globaltype), "global")

    def import_table(self, module: str, name: str, tabletype: TableType) -> int:
        return self._import(Import(module, name, ExternKind.TABLE, tabletype), "table")

    def import_tag(self, module: str, name: str, type_: FuncType | int) -> int:
        return self._import(Import(module, name, ExternKind.TAG, Tag(self._type_index(type_))), "tag")

    # --- definitions (appended: no index moves) -----------------------------------------------------------

    def add_function(self, type_: FuncType | int, body: Code, locals: Sequence[ValType] = (), *,
                     name: str | None = None, export: str | None = None) -> int:
        """Append a function.  ``body`` may omit the final ``end``; ``locals`` lists the declared locals
        (not the parameters) one per index."""
        instrs = _as_injected(resolve_labels(body))
        if not instrs or instrs[-1].op.name != "end" or _depth(instrs) != -1:
            instrs.append(Instr(BY_NAME["end"]))
        if _depth(instrs) != -1:
            raise BuildError("unbalanced blocks in function body")
        module = self.module
        module.functions.append(self._type_index(type_))
        module.code.append(FuncBody(_group_locals(locals), instrs))
        index = module.num_imported_funcs + len(module.functions) - 1
        self._name("functions", index, name)
        if export is not None:
            self.add_export(export, ExternKind.FUNC, index)
        return index

    def add_global(self, globaltype: GlobalType, init: Sequence[Instr], *, name: str | None = None) -> int:
        init = tuple(init)
        if not init or init[-1].op.name != "end":
            init += (Instr(BY_NAME["end"]),)
        self.module.globals.append(Global(globaltype, init))
        index = len(self.module.global_types()) - 1
        self._name("globals", index, name)
        return index

    def add_memory(self, limits: Limits, *, name: str | None = None) -> int:
        self.module.memories.append(limits)
        index = len(self.module.memory_limits()) - 1
        self._name("memories", index, name)
        return index

    def add_table(self, tabletype: TableType, *, name: str | None = None) -> int:
        self.module.tables.append(Table(tabletype))
        index = len(self.module.table_types()) - 1
        self._name("tables", index, name)
        return index

    def add_tag(self, type_: FuncType | int) -> int:
        self.module.tags.append(Tag(self._type_index(type_)))
        return len(self.module.tag_types()) - 1

    def add_data(self, data: bytes, *, memory: int = 0, offset: int | Sequence[Instr] | None = None) -> int:
        """Append a data segment: active at ``offset`` (an address or a constant expression) in
        ``memory``, or passive when ``offset`` is ``None`` (then a data count section is added, which
        ``memory.init``/``data.drop`` need)."""
        module = self.module
        expr = None
        if isinstance(offset, int):
            limits = module.memory_limits()[memory]
            const = "i64.const" if limits.is64 else "i32.const"
            expr = (Instr.of(const, offset), Instr(BY_NAME["end"]))
        elif offset is not None:
            expr = tuple(offset)
            if expr[-1].op.name != "end":
                expr += (Instr(BY_NAME["end"]),)
        module.data.append(DataSegment(bytes(data), memory, expr, 2 if memory else 0))
        if expr is None and module.data_count is None:
            module.data_count = len(module.data)
        return len(module.data) - 1

    def add_export(self, name: str, kind: ExternKind, index: int) -> None:
        if any(e.name == name for e in self.module.exports):
            raise BuildError(f"duplicate export name {name!r}")
        self.module.exports.append(Export(name, kind, index))

    def add_local(self, func: int, valtype: ValType) -> int:
        """Declare a new local in function ``func``; returns its local index."""
        body = self._body(func)
        index = len(self.module.func_type(func).params) + len(body.local_types())
        body.locals = body.locals + ((1, valtype),)
        return index

    # --- code edits ---------------------------------------------------------------------------------------

    def _body(self, func: int) -> FuncBody:
        defined = func - self.module.num_imported_funcs
        if not 0 <= defined < len(self.module.code):
            raise BuildError(f"function {func} has no body (imported or out of range)")
        return self.module.code[defined]

    def _edit(self, func: int, pc: int) -> list:
        self._body(func)
        return self._edits.setdefault(func, {}).setdefault(pc, [[], None, []])

    def insert_before(self, func: int, pc: int, code: Code) -> None:
        """Run ``code`` just before the instruction at ``pc`` (after earlier insertions there)."""
        self._edit(func, pc)[0].extend(code)

    def insert_after(self, func: int, pc: int, code: Code) -> None:
        """Run ``code`` just after the instruction at ``pc`` (after earlier insertions there)."""
        self._edit(func, pc)[2].extend(code)

    def replace(self, func: int, pc: int, code: Code) -> None:
        """Replace the instruction at ``pc`` with ``code`` (which must leave the stack as it would)."""
        edit = self._edit(func, pc)
        if edit[1] is not None:
            raise BuildError(f"the instruction at pc {pc} of function {func} is already replaced")
        edit[1] = list(code)

    def finish(self) -> Module:
        """Apply the collected code edits (one pass per edited body) and return the module."""
        for func, edits in self._edits.items():
            body = self._body(func)
            out: list[Instr] = []
            seen = set()
            for original in body.instrs:
                edit = edits.get(original.offset) if original.offset >= 0 else None
                if edit is None:
                    out.append(original)
                    continue
                seen.add(original.offset)
                before, instead, after = edit
                out.extend(_as_injected(resolve_labels(before)))
                if instead is None:
                    out.append(original)
                else:
                    out.extend(_as_injected(resolve_labels(instead)))
                out.extend(_as_injected(resolve_labels(after)))
            missing = sorted(set(edits) - seen)
            if missing:
                raise BuildError(f"function {func} has no instruction at pc {missing[0]}")
            body.instrs = out
        self._edits = {}
        return self.module

    def write(self) -> bytes:
        """:meth:`finish`, then the module's binary encoding."""
        return write_module(self.finish())


def _depth(instrs: Sequence[Instr]) -> int:
    depth = 0
    for i in instrs:
        name = i.op.name
        if name in _OPENERS:
            depth += 1
        elif name in _CLOSERS:
            depth -= 1
    return depth


def _group_locals(locals: Sequence[ValType]) -> tuple[tuple[int, ValType], ...]:
    groups: list[list] = []
    for valtype in locals:
        if groups and groups[-1][1] == valtype:
            groups[-1][0] += 1
        else:
            groups.append([1, valtype])
    return tuple((count, valtype) for count, valtype in groups)
