"""Merging the instrumentation runtime into the output module, and the imports both targets add
(REWRITING.md §3, §9).

Renumbering indices is the one index remapper's job (:mod:`compiler.wasm.remap`): the targets shift the
application with it when they add imports, and this module uses it to move the runtime's code.

Linking ``runtime.wasm``: its types are appended (or reused), its functions appended after the
  application's with every call renumbered, its import ``whamm.write`` bound to a generated function, its
  globals appended, its memory *becomes* the instrumentation memory (memory 0 of the runtime → the
  output index of that memory) and its data segment is placed there (runtime/README.md "Linking
  contract").  The remapped runtime bodies depend only on a few bases, so they are cached per process.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

from compiler.lang.types import wasm_types
from compiler.backend.strings import Helper
from compiler.backend.instrs import op
from compiler.backend.runtime_abi import OUTPUT_BUFFER_SIZE, runtime_wasm
from compiler.backend.clock import CLOCK_TIME_GET
from compiler.wasm.model import (
    DataSegment, ExternKind, FuncBody, FuncType, Global, Import, MemArg, Module, RecGroup,
)
from compiler.wasm.reader import read_module
from compiler.wasm.remap import Remap, remap_body, remap_data, remap_expr

if TYPE_CHECKING:
    from compiler.lang.libraries import Library

__all__ = [
    "TypeTable", "RuntimeImage", "runtime_image", "link_runtime", "write_helper", "WRITE_SAVE_SIZE", "FD_WRITE",
    "declare_imports",
]

# ------------------------------------------------------------------------------------------------
# Types


class TypeTable:
    """Function types appended to the output's type section, reusing equal top-level types.

    The application's types stay where they are; a new :class:`FuncType` first looks for an identical
    single, final, supertype-less function type of the input (so the output stays small), otherwise it is
    appended as its own one-type group.  Indices are handed out in request order (deterministic).
    """

    def __init__(self, module: Module) -> None:
        self.base: list[RecGroup] = list(module.types)
        self.added: list[RecGroup] = []
        self.index: dict[FuncType, int] = {}
        i = 0
        for group in self.base:
            if len(group.types) == 1 and not group.explicit:
                sub = group.types[0]
                if isinstance(sub.composite, FuncType) and sub.final and not sub.supertypes:
                    self.index.setdefault(sub.composite, i)
            i += len(group.types)
        self.count = i

    def func(self, ft: FuncType) -> int:
        """The output type index of ``ft``: an equal input type, else one appended now."""
        idx = self.index.get(ft)
        if idx is None:
            idx = self.count
            self.count += 1
            self.added.append(RecGroup.single(ft))
            self.index[ft] = idx
        return idx

    def groups(self) -> list[RecGroup]:
        """The output's type section: the input's groups, then the appended ones."""
        return self.base + self.added


# ------------------------------------------------------------------------------------------------
# The runtime


@dataclass(frozen=True, slots=True)
class RuntimeImage:
    """``runtime.wasm`` decoded once: its function types, bodies, globals, data and export indices."""

    types: tuple[FuncType, ...]          # per runtime type index
    func_types: tuple[int, ...]          # runtime type index of each defined function
    bodies: tuple[FuncBody, ...]
    globals: tuple[Global, ...]
    data: tuple[DataSegment, ...]
    exports: dict[str, int]              # export name → runtime function index (1-based: 0 = the import)
    names: dict[int, str]
    memory_min: int
    heap_base: int                       # ``__heap_base``: the static region may start here
    heap_next_addr: int                  # ``whamm_heap_next``: where the allocator's bump pointer lives


@functools.cache
def runtime_image() -> RuntimeImage:
    """The runtime decoded once; the addresses of its linking contract are read from its exported
    (immutable, constant-initialised) globals, so no wasmtime instance is needed."""
    m = read_module(runtime_wasm())
    types = tuple(sub.composite for sub in m.defined_types())
    exports = {e.name: e.index for e in m.exports if e.kind == ExternKind.FUNC}
    consts = {e.name: m.globals[e.index].init[0].imms[0] for e in m.exports if e.kind == ExternKind.GLOBAL}
    return RuntimeImage(types, tuple(m.functions), tuple(m.code), tuple(m.globals), tuple(m.data),  # type: ignore
                        exports, dict(m.names.functions) if m.names else {}, m.memories[0].min,
                        consts["__heap_base"], consts["whamm_heap_next"])


@functools.lru_cache(maxsize=8)
def _runtime_bodies(func_base: int, write: int, global_base: int, memory: int, data_base: int,
                    type_map: tuple[int, ...]) -> tuple[bytes, ...]:
    img = runtime_image()

    def func(i: int) -> int:
        return write if i == 0 else func_base + i - 1

    r = Remap(func=func, memory=lambda i: memory, glob=lambda i: global_base + i,
              type=lambda i: type_map[i], data=lambda i: data_base + i)
    return tuple(remap_body(b, r).raw for b in img.bodies)  # type: ignore[misc]


def link_runtime(out: Module, types: TypeTable, *, func_base: int, write: int, memory: int) -> dict[str, int]:
    """Append the runtime's functions, globals and data to ``out`` (whose defined functions currently
    end at ``func_base``).  ``write`` is the output index of the function implementing ``whamm.write``;
    ``memory`` the output index of the instrumentation memory, which the caller defines.  Returns the
    output function index of every runtime export; the runtime's globals start at the returned
    ``"__globals__"`` entry."""
    img = runtime_image()
    assert len(out.functions) + out.num_imported_funcs == func_base
    type_map = tuple(types.func(t) for t in img.types)
    global_base = len(out.global_types())
    data_base = len(out.data)
    bodies = _runtime_bodies(func_base, write, global_base, memory, data_base, type_map)
    for ti, raw in zip(img.func_types, bodies):
        out.functions.append(type_map[ti])
        out.code.append(FuncBody.from_bytes(raw, 0, len(raw)))
    r = Remap(memory=lambda i: memory, glob=lambda i: global_base + i)
    for g in img.globals:
        out.globals.append(Global(g.type, remap_expr(g.init, r)))  # type: ignore[arg-type]
    out.data.extend(remap_data(d, r) for d in img.data)
    if out.names is not None:
        for i, name in img.names.items():
            if i > 0:
                out.names.functions[func_base + i - 1] = f"whamm:rt:{name}"
    index = {name: func_base + i - 1 for name, i in img.exports.items()}
    index["__globals__"] = global_base
    return index


# ------------------------------------------------------------------------------------------------
# whamm.write: the runtime's output import, implemented with WASI fd_write (REWRITING.md §12.5)

#: The WASI function used for all output and its type.
FD_WRITE = ("wasi_snapshot_preview1", "fd_write", FuncType(("i32",) * 4, ("i32",)))

def declare_imports(out: Module, types: TypeTable, added: Sequence[tuple[str, object]],
                    libraries: Mapping[str, Library]) -> None:
    """Append the function imports a layout asked for, in its order (REWRITING.md §3, §13.2):
    ``("fd_write", None)`` → WASI ``fd_write``; ``("clock", None)`` → WASI ``clock_time_get`` (``nsecs``); ``("library", (lib, fn))`` → the library function under its
    import module name, with the Wasm type of its whamm signature.  Shared by both targets."""
    for kind, what in added:
        if kind == "fd_write" or kind == "clock":
            mod, name, ftype = FD_WRITE if kind == "fd_write" else CLOCK_TIME_GET
            out.imports.append(Import(mod, name, ExternKind.FUNC, types.func(ftype)))
            continue
        lib, fname = what  # type: ignore[misc]
        library = libraries[lib]
        lf = library.function(fname)
        assert lf is not None, f"the checker let an unknown function {lib}.{fname} through"
        ftype = FuncType(tuple(wasm_types(p)[0] for p in lf.params),
                         tuple(wasm_types(lf.result)) if lf.result is not None else ())
        out.imports.append(Import(library.import_module, fname, ExternKind.FUNC, types.func(ftype)))


#: Bytes the borrowing writer needs in the instrumentation memory to save the borrowed region.
WRITE_SAVE_SIZE = 16 + OUTPUT_BUFFER_SIZE


def write_helper(fd_write: int | None, memory: int, scratch: int,
                 borrow: tuple[int, int, bool, bool] | None) -> Helper:
    """``whamm:write(fd, ptr, len)``: hand ``len`` bytes at ``ptr`` of the instrumentation memory to
    ``fd_write``.

    * ``fd_write`` None: the script cannot print (no WASI import is added), so writing does nothing.
    * ``borrow`` None: the instrumentation memory is exported as ``memory``; the ``iovec`` and the
      ``nwritten`` slot live at ``scratch`` and the bytes are written in place.
    * ``borrow = (E, page_size_log2, is64, low)``: the application exports memory ``E`` as ``memory``.  For
      each chunk, the last ``16 + n`` bytes below its current size — with ``low``, below
      ``min(size, 16 + 4096)``, the first bytes of the memory (a component's adapter keeps its state at
      the top, :attr:`~compiler.options.Options.lend_low`) — (start rounded down to 8) are saved at
      ``scratch``, the ``iovec`` (8 bytes), ``nwritten`` (4 + 4 padding) and the data are put there,
      ``fd_write`` is called and the saved bytes are copied back, so the application's memory is
      unchanged after every write (guarantee 2.4).  Memories under 24 bytes drop the output.
    """
    i32 = "i32"
    sig = FuncType((i32, i32, i32), ())
    if fd_write is None:
        return Helper("whamm:write", sig, (), (op("end"),))
    if borrow is None:
        body = [
            op("i32.const", 0), op("local.get", 1), op("i32.store", MemArg(2, scratch, memory)),
            op("i32.const", 0), op("local.get", 2), op("i32.store", MemArg(2, scratch + 4, memory)),
            op("local.get", 0), op("i32.const", scratch), op("i32.const", 1), op("i32.const", scratch + 8),
            op("call", fd_write), op("drop"), op("end"),
        ]
        return Helper("whamm:write", sig, (), tuple(body))
    mem, log2, _, low = borrow
    e = MemArg(2, 0, mem)
    top = WRITE_SAVE_SIZE if low else 0xFFFFFFF8     # the end of the lent bytes: at most this address
    # locals: 3 size, 4 n, 5 start, 6 cap (i32); 7 size (i64)
    body = [
        op("memory.size", mem), op("i64.extend_i32_u"), op("i64.const", log2), op("i64.shl"),
        op("local.tee", 7),
        op("i64.const", top), op("local.get", 7), op("i64.const", top), op("i64.lt_u"),
        op("select"), op("i32.wrap_i64"), op("local.tee", 3),
        op("i32.const", 24), op("i32.lt_u"), op("if", None), op("return"), op("end"),
        # cap = min(4096, (size - 16) & ~7)
        op("i32.const", OUTPUT_BUFFER_SIZE), op("local.get", 3), op("i32.const", 16), op("i32.sub"),
        op("i32.const", -8), op("i32.and"), op("local.tee", 6),
        op("i32.const", OUTPUT_BUFFER_SIZE), op("local.get", 6), op("i32.lt_u"), op("select"),
        op("local.set", 6),
        op("block", None), op("loop", None),
        op("local.get", 2), op("i32.eqz"), op("br_if", 1),
        # n = min(len, cap)
        op("local.get", 2), op("local.get", 6), op("local.get", 2), op("local.get", 6), op("i32.lt_u"),
        op("select"), op("local.set", 4),
        # start = (size - 16 - n) & ~7
        op("local.get", 3), op("i32.const", 16), op("i32.sub"), op("local.get", 4), op("i32.sub"),
        op("i32.const", -8), op("i32.and"), op("local.set", 5),
        # save the region
        op("i32.const", scratch), op("local.get", 5), op("local.get", 4), op("i32.const", 16), op("i32.add"),
        op("memory.copy", memory, mem),
        # iovec = (start + 16, n)
        op("local.get", 5), op("local.get", 5), op("i32.const", 16), op("i32.add"), op("i32.store", e),
        op("local.get", 5), op("local.get", 4), op("i32.store", MemArg(2, 4, mem)),
        # the data
        op("local.get", 5), op("i32.const", 16), op("i32.add"), op("local.get", 1), op("local.get", 4),
        op("memory.copy", mem, memory),
        op("local.get", 0), op("local.get", 5), op("i32.const", 1), op("local.get", 5), op("i32.const", 8),
        op("i32.add"), op("call", fd_write), op("drop"),
        # restore
        op("local.get", 5), op("i32.const", scratch), op("local.get", 4), op("i32.const", 16), op("i32.add"),
        op("memory.copy", mem, memory),
        op("local.get", 1), op("local.get", 4), op("i32.add"), op("local.set", 1),
        op("local.get", 2), op("local.get", 4), op("i32.sub"), op("local.set", 2),
        op("br", 0), op("end"), op("end"), op("end"),
    ]
    return Helper("whamm:write", sig, ((4, i32), (1, "i64")), tuple(body))
