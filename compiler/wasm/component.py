"""Components at the level instrumentation needs (ANALYSIS.md §6): find the core modules, replace one.

A component (binary version ``0d 00 01 00``) is a sequence of sections like a module, but some hold
other binaries: a *core module* section holds a whole core module, a *component* section a whole nested
component.  :func:`read_component` walks the sections (recursing into nested components), checks every
size against its enclosing range, and lists the core modules in depth-first order — the ``N`` of
``--module N`` and the shell's ``modules``.  :meth:`Component.replace` swaps one module's bytes and
re-encodes only the sizes of the sections that enclose it: every other byte is copied, so an untouched
component comes back byte for byte.

Each module is decoded once (bodies stay lazy) to give it a *role*: the WASI preview 1 adapter
(it exports preview 1 functions and imports ``wasi:*`` interfaces), a wit-component *shim* (a table of
``call_indirect`` trampolines, or the ``fixup`` module that only fills that table), or an *app* — the
module worth instrumenting, chosen by default when it is the only one.  Its name is the one the
component's ``component-name`` section gives it, else its own name section's.

Malformed input raises :class:`ComponentDecodeError` (a :class:`~compiler.wasm.errors.DecodeError`)
with the absolute offset and the section, ``core module N: code`` for an error inside a module.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from compiler.wasm.binary import Cursor, uleb
from compiler.wasm.errors import DecodeError
from compiler.wasm.model import ExternKind, Module
from compiler.wasm.reader import COMPONENT_VERSION, MAGIC, read_module

__all__ = ["COMPONENT_VERSION", "is_component", "read_component", "Component", "CoreModule", "Role",
           "ComponentDecodeError", "PREVIEW1"]

#: The import module name of WASI preview 1 in core modules.
PREVIEW1 = "wasi_snapshot_preview1"

#: How deep components may nest (the walk recurses; real components nest a few levels).
MAX_NESTING = 100
_SECTIONS = {0: "custom", 1: "core module", 2: "core instance", 3: "core type", 4: "component",
             5: "instance", 6: "alias", 7: "type", 8: "canon", 9: "start", 10: "import", 11: "export",
             12: "value"}
#: The instructions a wit-component shim's trampolines are made of (``local.get``, ``i32.const``,
#: ``call_indirect``, ``end``).
_TRAMPOLINE_OPS = frozenset(("local.get", "i32.const", "call_indirect", "end"))


class ComponentDecodeError(DecodeError):
    """The bytes are not a well-formed component (or a module inside it is not a well-formed module)."""

    what = "component"


class Role(enum.Enum):
    """What a core module is for, as ``modules`` shows it."""

    APP = "app"
    ADAPTER = "WASI adapter"
    SHIM = "shim"


@dataclass(frozen=True, slots=True, eq=False)
class _Enclosing:
    """One section on the way from the top-level component to a module: the section's start (its id
    byte), where its size field starts and ends, and where its contents end (absolute offsets)."""

    start: int
    size_at: int
    body: int
    end: int


@dataclass(frozen=True, slots=True, eq=False)
class CoreModule:
    """A core module inside a component: its depth-first ``index``, ``depth`` (0: in the top-level
    component), absolute byte range, decoded ``module``, ``role`` and ``name`` ("" when unnamed)."""

    index: int
    depth: int
    start: int
    end: int
    module: Module
    role: Role
    name: str
    chain: tuple[_Enclosing, ...] = field(repr=False)

    @property
    def size(self) -> int:
        """The module's size in bytes."""
        return self.end - self.start


@dataclass(frozen=True, slots=True, eq=False)
class Component:
    """A read component: its bytes and its core modules in depth-first order."""

    data: bytes
    modules: tuple[CoreModule, ...]

    def module_bytes(self, index: int) -> bytes:
        """The bytes of core module ``index``."""
        module = self.modules[index]
        return self.data[module.start:module.end]

    @property
    def candidates(self) -> tuple[CoreModule, ...]:
        """The modules worth instrumenting by default: neither adapter nor shim."""
        return tuple(m for m in self.modules if m.role is Role.APP)

    def replace(self, index: int, wasm: bytes) -> bytes:
        """The component with core module ``index`` replaced by ``wasm``; only the sizes of the sections
        enclosing it are re-encoded (kept as they were when the size did not change)."""
        target = self.modules[index]
        data = self.data
        inner, lo, hi = bytes(wasm), target.start, target.end
        for section in reversed(target.chain):
            contents = data[section.body:lo] + inner + data[hi:section.end]
            old_size = section.end - section.body
            size = data[section.size_at:section.body] if len(contents) == old_size else uleb(len(contents))
            inner = data[section.start:section.size_at] + size + contents
            lo, hi = section.start, section.end
        return data[:lo] + inner + data[hi:]


def is_component(data: bytes) -> bool:
    """Whether ``data`` starts like a component binary (magic number and component version)."""
    return data[:4] == MAGIC and data[4:8] == COMPONENT_VERSION


def read_component(data: bytes) -> Component:
    """Walk a component binary: every section bounded, nested components read recursively, each core
    module decoded (bodies lazily) and given a role.  Raises :class:`ComponentDecodeError`."""
    data = bytes(data)
    walker = _Walker(data)
    walker.component(0, len(data), (), 0)
    return Component(data, tuple(walker.modules))


class _Walker:
    """Depth-first walk collecting the core modules; one instance per :func:`read_component`."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.modules: list[CoreModule] = []

    def component(self, start: int, end: int, chain: tuple[_Enclosing, ...], depth: int) -> None:
        """The component binary at ``data[start:end]``."""
        data = self.data
        if end - start < 8:
            raise ComponentDecodeError("unexpected end of file in the component header", end, "header")
        if data[start:start + 4] != MAGIC:
            raise ComponentDecodeError("not a WebAssembly binary (bad magic number)", start, "header")
        if data[start + 4:start + 8] != COMPONENT_VERSION:
            what = "the binary" if depth == 0 else "a nested component"
            raise ComponentDecodeError(f"{what} has version {data[start + 4:start + 8].hex()} "
                                       f"(a component has {COMPONENT_VERSION.hex()})", start + 4, "header")
        if depth > MAX_NESTING:
            raise ComponentDecodeError(f"components nested more than {MAX_NESTING} deep", start, "component")
        first = len(self.modules)
        names = _ModuleNames()
        pos = start + 8
        while pos < end:
            section_start = pos
            cur = Cursor(data, pos, end)
            sid = cur.byte()
            name = _SECTIONS.get(sid)
            if name is None:
                raise ComponentDecodeError(f"invalid section id {sid}", section_start, "header")
            size_at = cur.pos
            try:
                size = cur.u32()
            except DecodeError as err:
                raise ComponentDecodeError(err.message, err.offset, name) from None
            if size > end - cur.pos:
                raise ComponentDecodeError(f"section size {size} exceeds the {end - cur.pos} bytes left",
                                           size_at, name)
            body, pos = cur.pos, cur.pos + size
            here = _Enclosing(section_start, size_at, body, pos)
            if sid == 1:
                self.module(body, pos, (*chain, here), depth)
                names.defined()
            elif sid == 4:
                self.component(body, pos, (*chain, here), depth + 1)
            else:
                names.scan(sid, data, body, pos)
        given = names.by_position()
        direct = [m for m in self.modules[first:] if m.depth == depth]
        for position, module in enumerate(direct):
            if given.get(position):
                self.modules[module.index] = _renamed(module, given[position])

    def module(self, start: int, end: int, chain: tuple[_Enclosing, ...], depth: int) -> None:
        """The core module at ``data[start:end]``: decoded, errors moved to absolute offsets."""
        index = len(self.modules)
        try:
            module = read_module(self.data[start:end])
        except DecodeError as err:
            raise ComponentDecodeError(err.message, start + err.offset,
                                       f"core module {index}: {err.section or 'header'}", err.func) from None
        own = module.names.module if module.names is not None and module.names.module else ""
        self.modules.append(CoreModule(index, depth, start, end, module, _role(module), own, chain))


def _renamed(module: CoreModule, name: str) -> CoreModule:
    return CoreModule(module.index, module.depth, module.start, module.end, module.module, module.role,
                      name, module.chain)


class _ModuleNames:
    """The ``component-name`` section's core module names of one component, by core module index.

    The core module index space counts core module sections, core modules imported and aliased
    (``alias outer``); the walk counts all three as it goes.  A section this scan cannot follow (an
    import form it does not know) leaves the names unknown rather than guessed: they are only labels."""

    def __init__(self) -> None:
        self.count = 0
        self.local: dict[int, int] = {}    # core module index -> order among this component's sections
        self.names: dict[int, str] = {}
        self.lost = False

    def defined(self) -> None:
        self.local[self.count] = len(self.local)
        self.count += 1

    def by_position(self) -> dict[int, str]:
        """The names of this component's own module sections, by their order (none when lost)."""
        if self.lost:
            return {}
        return {self.local[index]: name for index, name in self.names.items() if index in self.local}

    def scan(self, sid: int, data: bytes, start: int, end: int) -> None:
        """Count the core modules a non-module section adds to the index space, or read names."""
        try:
            if sid == 6:
                self._aliases(Cursor(data, start, end))
            elif sid == 10:
                self._imports(Cursor(data, start, end))
            elif sid == 0:
                self._custom(Cursor(data, start, end))
        except (DecodeError, _Unknown):
            self.lost = True

    def _aliases(self, cur: Cursor) -> None:
        for _ in range(cur.count()):
            sort = cur.byte()
            core_sort = cur.byte() if sort == 0x00 else None
            target = cur.byte()
            if target == 0x00 or target == 0x01:
                cur.u32()
                cur.name()
            elif target == 0x02:
                cur.u32()
                cur.u32()
            else:
                raise _Unknown
            if core_sort == 0x11:
                self.count += 1

    def _imports(self, cur: Cursor) -> None:
        for _ in range(cur.count()):
            form = cur.byte()
            if form not in (0x00, 0x01):
                raise _Unknown
            cur.name()
            kind = cur.byte()
            if kind == 0x00:
                if cur.byte() != 0x11:
                    raise _Unknown
                cur.u32()
                self.count += 1
            elif kind in (0x01, 0x04, 0x05):
                cur.u32()
            elif kind == 0x03:
                if cur.byte() == 0x00:
                    cur.u32()
            else:
                raise _Unknown

    def _custom(self, cur: Cursor) -> None:
        if cur.name() != "component-name":
            return
        while cur.remaining:
            sub = cur.byte()
            size = cur.u32()
            body = Cursor(cur.data, cur.pos, cur.pos + size)
            cur.bytes(size)
            if sub != 1:
                continue
            if body.byte() != 0x00 or body.byte() != 0x11:
                continue
            for _ in range(body.count()):
                index = body.u32()
                self.names[index] = body.name()


class _Unknown(Exception):
    """A section form the name scan does not follow."""


def _role(module: Module) -> Role:
    """Adapter, shim or app, from what the module imports, exports and defines."""
    exports = {e.name for e in module.exports if e.kind == ExternKind.FUNC}
    imports_wasi = any(imp.module.startswith("wasi:") for imp in module.imports)
    if imports_wasi and exports & _PREVIEW1_FUNCTIONS:
        return Role.ADAPTER
    if _is_shim(module):
        return Role.SHIM
    return Role.APP


def _is_shim(module: Module) -> bool:
    """A wit-component shim: no memory; either trampolines (a table and functions that only
    ``call_indirect`` through it) or the ``fixup`` module (no functions, a table import filled by
    element segments)."""
    if module.memories or any(imp.kind == ExternKind.MEMORY for imp in module.imports):
        return False
    if not module.code:
        return bool(module.elements) and any(imp.kind == ExternKind.TABLE for imp in module.imports)
    if not module.tables:
        return False
    return all({instr.name for instr in body.instrs} <= _TRAMPOLINE_OPS for body in module.code)


#: The functions of WASI preview 1 (``wasi_snapshot_preview1``): an adapter exports some of them.
_PREVIEW1_FUNCTIONS = frozenset((
    "args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get", "clock_time_get",
    "fd_advise", "fd_allocate", "fd_close", "fd_datasync", "fd_fdstat_get", "fd_fdstat_set_flags",
    "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread",
    "fd_prestat_get", "fd_prestat_dir_name", "fd_pwrite", "fd_read", "fd_readdir", "fd_renumber", "fd_seek",
    "fd_sync", "fd_tell", "fd_write", "path_create_directory", "path_filestat_get", "path_filestat_set_times",
    "path_link", "path_open", "path_readlink", "path_remove_directory", "path_rename", "path_symlink",
    "path_unlink_file", "poll_oneoff", "proc_exit", "proc_raise", "sched_yield", "random_get", "sock_accept",
    "sock_recv", "sock_send", "sock_shutdown",
))
