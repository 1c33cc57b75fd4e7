"""The emulated engine's instrumentation: calls to monitor functions woven into the application.

An engine with an instrumentation interface attaches probes without changing the application's code;
on wasmtime the emulator gets the same effect by adding, at every attached site, a call to an imported
function (the monitor's body export, or an engine trampoline) with the requested arguments.  Placement
follows the rewriting target so the two are comparable (REWRITING.md §6.1, §6.6, §6.7, §8):

* ``BEFORE`` (opcode probes, ``wasm:block`` sites before their anchor): ``SAVE k; <args>; call; PUSH k``
  before the instruction, where ``k`` is 1 + the highest operand the call passes (0: nothing saved);
* ``AFTER`` (``wasm:block`` sites after an inner ``end``): the call right after the instruction;
* ``FUNC_ENTRY``: at the start of the body, after the ``before`` code of the first instruction;
* ``FUNC_EXIT``: the body wrapped in ``block (result …)``, the call after it and copies before every
  ``return``, ``return_call*``, ``unreachable``, ``throw*`` and ``rethrow``; ``PROC_EXIT``: before the call.

String arguments (``fname`` …) are copied into the monitor's engine buffer by the application itself:
the buffer's memory is imported, the bytes sit in a passive data segment, and ``memory.init`` writes
them before the call.  Added function (and memory) imports come after the application's, so its
defined functions (and memories) move up and every reference is renumbered with the rewriter's
:mod:`~compiler.backend.link` machinery; untouched bodies are copied.  The application's memories,
globals and tables are unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from compiler.backend.instrs import LocalPool, const, op
from compiler.backend.link import TypeTable
from compiler.sites.finding import EXIT_INSTRUCTIONS, Placement
from compiler.wasm.stack import FunctionTypes, ModuleTypes
from compiler.wasm.code import encode_body
from compiler.wasm.model import (
    DataSegment, Export, ExternKind, FuncBody, FuncType, Import, Instr, Limits, Module, ValType,
)
from compiler.wasm.remap import Remap, Shift, remap_body, remap_instrs, remap_module
from compiler.wasm.writer import write_module

__all__ = ["Arg", "WovenCall", "weave", "FUNC_EXPORT", "TABLE_EXPORT"]

#: Export names the woven module adds when the engine must identify function references.
FUNC_EXPORT = "whamm:func:{}"
TABLE_EXPORT = "whamm:table:{}"


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of a woven call.

    ``kind``: ``const`` (``value`` of ``valtype``), ``operand`` (operand ``index``, saved before the
    instruction), ``local`` (local ``index`` of the function), ``funcref`` (``table.get`` of table
    ``value`` at the index in operand ``index``), ``string`` (the bytes ``value`` copied to address
    ``index`` of the engine buffer, then passed as the two values ``index, len(value)``).
    """

    kind: str
    valtype: ValType
    index: int = 0
    value: object = None

    def code(self, saved: Sequence[int], strings: _Strings | None = None) -> list[Instr]:
        """The instructions pushing this argument at the site; ``saved`` are the locals holding the saved operands,
        ``strings`` writes string arguments into the engine buffer."""
        if self.kind == "string":
            assert strings is not None and isinstance(self.value, bytes)
            return strings.write(self.index, self.value)
        if self.kind == "const":
            return [const(self.valtype, self.value)]  # type: ignore[arg-type]
        if self.kind == "operand":
            return [op("local.get", saved[self.index])]
        if self.kind == "local":
            return [op("local.get", self.index)]
        return [op("local.get", saved[self.index]), op("table.get", self.value)]


class _Strings:
    """String arguments: their bytes in one passive data segment of the application, copied into the
    imported engine buffer with ``memory.init`` before each call (no host round trip)."""

    def __init__(self, segment: int, memory: int) -> None:
        self.segment = segment
        self.memory = memory
        self.data = bytearray()
        self.offsets: dict[bytes, int] = {}

    def write(self, dest: int, data: bytes) -> list[Instr]:
        off = self.offsets.get(data)
        if off is None:
            off = self.offsets[data] = len(self.data)
            self.data += data
        return [const("i32", dest), const("i32", off), const("i32", len(data)),
                op("memory.init", self.segment, self.memory), const("i32", dest), const("i32", len(data))]


@dataclass(frozen=True, slots=True)
class WovenCall:
    """A call of added import ``target`` (an index into the ``imports`` given to :func:`weave`) at a site
    of input function ``fid``: anchor instruction ``index`` and ``placement``."""

    fid: int
    index: int
    placement: Placement
    target: int
    args: tuple[Arg, ...]

    @property
    def saves(self) -> int:
        """How many of the instruction's operands must be saved to locals to build the arguments."""
        return 1 + max((a.index for a in self.args if a.kind in ("operand", "funcref")), default=-1)


def weave(module: Module, imports: Sequence[tuple[str, str, FuncType]], calls: Sequence[WovenCall], *,
          export_functions: bool = False, export_tables: Sequence[int] = (),
          buffer: tuple[str, str] | None = None) -> bytes:
    """The application ``module`` with ``imports`` added and ``calls`` woven in (in the given order at
    each position), encoded.  ``export_functions``/``export_tables`` add the :data:`FUNC_EXPORT` /
    :data:`TABLE_EXPORT` exports that let the engine map function references to input indices.
    ``buffer`` is the ``(module, name)`` of the engine buffer's memory, imported when a call passes a
    string (it precedes the application's defined memories, which move up by one)."""
    nimp = module.num_imported_funcs
    added = len(imports)
    has_strings = any(a.kind == "string" for c in calls for a in c.args)
    if has_strings and buffer is None:
        raise ValueError("string arguments need the engine buffer's memory")
    types = TypeTable(module)
    out = Module(types=list(module.types), imports=list(module.imports), functions=list(module.functions),
                 tables=list(module.tables), memories=list(module.memories), tags=list(module.tags),
                 globals=list(module.globals), exports=list(module.exports), start=module.start,
                 elements=list(module.elements), data_count=module.data_count, code=list(module.code),
                 data=list(module.data), customs=list(module.customs),
                 names=module.names.copy() if module.names is not None else None, origin=module.origin)
    # the added imports go right after the application's function imports (index space order)
    last_func_import = max((k for k, imp in enumerate(module.imports) if imp.kind == ExternKind.FUNC), default=-1)
    new_imports = [Import(mod, name, ExternKind.FUNC, types.func(ft)) for mod, name, ft in imports]
    out.imports[last_func_import + 1:last_func_import + 1] = new_imports
    mem_imports = sum(1 for imp in module.imports if imp.kind == ExternKind.MEMORY)
    strings = None
    if has_strings:
        assert buffer is not None
        last_mem_import = max((k for k, imp in enumerate(out.imports) if imp.kind == ExternKind.MEMORY), default=-1)
        out.imports.insert(last_mem_import + 1, Import(buffer[0], buffer[1], ExternKind.MEMORY, Limits(0)))
        strings = _Strings(len(module.data), mem_imports)
    remap = Remap(func=Shift(nimp, added), memory=Shift(mem_imports, 1 if has_strings else 0))
    remap_module(out, remap)
    by_function: dict[int, list[WovenCall]] = {}
    for c in calls:
        by_function.setdefault(c.fid, []).append(c)
    mt = ModuleTypes(module)
    for k, body in enumerate(module.code):
        fid = nimp + k
        fcalls = by_function.get(fid)
        if fcalls is None:
            out.code[k] = remap_body(body, remap)
            continue
        raw = _Weaver(FunctionTypes(mt, fid), types, remap, nimp, strings).weave(fcalls, body)
        out.code[k] = FuncBody.from_bytes(raw, 0, len(raw), fid)
    if strings is not None:
        out.data.append(DataSegment(bytes(strings.data), 0, None, 1))
        out.data_count = len(out.data)
    if export_functions:
        total = nimp + len(module.code)
        out.exports += [Export(FUNC_EXPORT.format(f), ExternKind.FUNC, remap.func(f)) for f in range(total)]
    out.exports += [Export(TABLE_EXPORT.format(t), ExternKind.TABLE, t) for t in export_tables]
    out.types = types.groups()
    return write_module(out)


class _Weaver:
    """The new body of one function."""

    def __init__(self, ft: FunctionTypes, types: TypeTable, remap: Remap, nimp: int,
                 strings: _Strings | None) -> None:
        self.ft = ft
        self.strings = strings
        self.types = types
        self.remap = remap
        self.target_base = nimp
        self.pool = LocalPool(len(ft.locals))
        self.pre1: dict[int, list[Instr]] = {}
        self.pre2: dict[int, list[tuple[int, list[Instr]]]] = {}
        self.post: dict[int, list[Instr]] = {}
        self.exit: list[Instr] = []
        self.wrap = False

    def call(self, c: WovenCall, i: int) -> list[Instr]:
        k = c.saves
        saved: list[int] = []
        out: list[Instr] = []
        if k:
            operands = self.ft.operands(i)[:k]
            saved = [self.pool.temp(t) for t in operands]  # type: ignore[arg-type]
            out += [op("local.set", s) for s in saved]
        for a in c.args:
            out += a.code(saved, self.strings)
        out.append(op("call", self.target_base + c.target))
        out += [op("local.get", s) for s in reversed(saved)]
        self.pool.release(*saved)
        return out

    def weave(self, calls: Sequence[WovenCall], body: FuncBody) -> bytes:
        instrs = self.ft.instrs
        last = len(instrs) - 1
        exits = [j for j, ins in enumerate(instrs) if ins.op.name in EXIT_INSTRUCTIONS]
        for c in calls:
            p = c.placement
            if p is Placement.BEFORE:
                self.pre1.setdefault(c.index, []).extend(self.call(c, c.index))
            elif p is Placement.AFTER:
                self.post.setdefault(c.index, []).extend(self.call(c, c.index))
            elif p is Placement.FUNC_ENTRY:
                self.pre2.setdefault(0, []).append((0, self.call(c, 0)))
            elif p is Placement.PROC_EXIT:
                self.pre2.setdefault(c.index, []).append((1, self.call(c, c.index)))
            elif p is Placement.FUNC_EXIT:
                code = self.call(c, 0)
                for j in exits:
                    self.pre2.setdefault(j, []).append((1, code))
                self.exit += code
                self.wrap = True
            else:
                raise ValueError(f"placement {p} is not used by the engine interface")
        code = remap_instrs(instrs, self.remap)
        out: list[Instr] = []
        if self.wrap:
            results = tuple(self.ft.func.results)
            bt = None if not results else results[0] if len(results) == 1 else \
                self.types.func(FuncType((), results))
            out.append(op("block", bt))
        for i in range(last + 1):
            out += self.pre1.get(i, ())
            for _, part in sorted(self.pre2.get(i, ()), key=lambda x: x[0]):
                out += part
            if i == last and self.wrap:
                out.append(op("end"))
                out += self.exit
            out.append(code[i])
            out += self.post.get(i, ())
        return encode_body(tuple(body.locals) + tuple(self.pool.groups()), out)
