"""Compile-time evaluation for the folder: static built-ins and ``@static`` library calls.

:class:`StaticCalls` is the ``StaticCall`` callback of :mod:`compiler.lang.folder` for one compilation:

* static built-ins (LANGUAGE.md §11.1–§11.2), answered from the input module: ``memid(lib)`` (memory ids
  of :class:`MemoryIds`), ``page_size``, ``active_data_start``, ``active_data_len`` (which need
  constant data-segment offsets);
* ``@static lib.f(args)`` (§12.4, REWRITING.md §13.3): executed in one wasmtime instance per library per
  compilation, created lazily at the library's first ``@static`` call, with WASI on the compiler's own
  standard streams and environment.  Calls happen in the order the folder makes them, which the
  matcher arranges to be LANGUAGE.md §13.4's; library state carries over from call to call.

Every call (and the library's start function) runs with a budget of :data:`STATIC_CALL_FUEL` units of
wasmtime fuel, so a library that loops forever ends the compilation with an error instead of hanging it.

Failures are :class:`StaticCallError`: a library that imports something other than WASI, a trap, an
exhausted budget, a missing library file.  The matcher adds the site to the message.
"""
from __future__ import annotations

import atexit
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import wasmtime

from compiler.errors import WhammError
from compiler.files import read_regular_file
from compiler.lang.libraries import CORE_NAME
from compiler.runner import error_reason
from compiler.wasm import ExternKind, read_module
from compiler.wasm.validate import config

if TYPE_CHECKING:
    from compiler.lang.scopes import Program
    from compiler.wasm.model import Instr, Module

__all__ = ["StaticCalls", "StaticCallError", "MemoryIds", "memory_ids", "WASI_MODULES", "const_offset",
           "app_page_size", "active_data", "app_memory_builtin"]

#: Import modules a library may use at instrumentation time.
WASI_MODULES = ("wasi_snapshot_preview1", "wasi_unstable")

_DEFAULT_PAGE = 65536

STATIC_CALL_FUEL = 1_000_000_000
"""Fuel for one ``@static`` call (about half a second of a tight loop): generous for a lookup or a
decision, finite for a library that never returns."""

_ENGINE = None


class StaticCallError(WhammError):
    """A static built-in or ``@static`` call that cannot be evaluated at instrumentation time."""


@dataclass(frozen=True, slots=True)
class MemoryIds:
    """The memory-id space of LANGUAGE.md §11.1 for one (module, program).

    ``app`` is the number ``A`` of application memories (ids ``0 … A−1``, input index order);
    ``instrumentation`` is ``A`` (``memid(whamm_core)``); ``libraries`` maps each used user library, in
    ``use`` order, to ``A+1, A+2, …``; ``app_memid`` is ``APP_MEMID`` (the first defined memory), or None
    when the application defines no memory.
    """

    app: int
    instrumentation: int
    libraries: Mapping[str, int]
    app_memid: int | None

    def of(self, name: str) -> int:
        """``memid(name)``: ``whamm_core`` or a used library."""
        if name == CORE_NAME:
            return self.instrumentation
        try:
            return self.libraries[name]
        except KeyError:
            raise StaticCallError(f"memid: {name} is not a used library") from None


def memory_ids(module: Module, program: Program) -> MemoryIds:
    """The memory ids of ``program`` instrumenting ``module`` (the emitter maps them to output indices)."""
    total = len(module.memory_limits())
    defined = len(module.memories)
    libs = [name for name in program.uses if name != CORE_NAME]
    return MemoryIds(total, total, {name: total + 1 + k for k, name in enumerate(libs)},
                     total - defined if defined else None)


def const_offset(expr: tuple[Instr, ...], module: Module) -> int | None:
    """The unsigned value of a constant offset expression (``i32.const``/``i64.const``, extended-const
    ``add``/``sub``/``mul``, ``global.get`` of a defined immutable global with such an initialiser), or
    None when it is not a compile-time constant (e.g. an imported global)."""
    stack: list[int] = []
    mask = (1 << 64) - 1
    imported_globals = len(module.global_types()) - len(module.globals)
    for ins in expr:
        name = ins.op.name
        if name.startswith("i32."):
            mask = 0xFFFFFFFF
        if name in ("i32.const", "i64.const"):
            stack.append(ins.imms[0])
        elif name in _ARITH:
            b, a = stack.pop(), stack.pop()
            stack.append(_ARITH[name](a, b))
        elif name == "global.get":
            index = ins.imms[0]
            if index < imported_globals:
                return None
            g = module.globals[index - imported_globals]
            value = None if g.type.mutable else const_offset(g.init, module)
            if value is None:
                return None
            stack.append(value)
        elif name != "end":
            return None
    return stack[0] & mask if len(stack) == 1 else None


_ARITH = {f"{w}.{op}": fn for w in ("i32", "i64") for op, fn in (
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b))}


def app_page_size(module: Module, memid: int) -> int:
    """``page_size(memid)`` in bytes of application memory ``memid``: its custom page size or 65536."""
    limits = module.memory_limits()
    if not 0 <= memid < len(limits):
        raise StaticCallError(f"page_size: memory id {memid} is not an application memory")
    log2 = limits[memid].page_size_log2
    return _DEFAULT_PAGE if log2 is None else 1 << log2


def active_data(module: Module, memid: int, function: str) -> tuple[int, int]:
    """``(active_data_start, active_data_len)`` of application memory ``memid`` (LANGUAGE.md §11.2).

    The one implementation for both call paths (the folder's :class:`StaticCalls` and code generation
    when nothing folded the call): segment offsets are any constant expression :func:`const_offset`
    evaluates (extended-const arithmetic, immutable defined globals), kept at their full width."""
    if not 0 <= memid < len(module.memory_limits()):
        raise StaticCallError(f"{function}: memory id {memid} is not an application memory")
    lo: int | None = None
    hi = 0
    for k, seg in enumerate(module.data):
        if seg.offset is None or seg.memory != memid:
            continue
        start = const_offset(seg.offset, module)
        if start is None:
            raise StaticCallError(f"{function}: data segment {k} of memory {memid} has a non-constant offset")
        lo = start if lo is None else min(lo, start)
        hi = max(hi, start + len(seg.data))
    if lo is None:
        return 0, 0
    return lo, hi - lo


def app_memory_builtin(module: Module, name: str, memid: int) -> int:
    """``page_size``/``active_data_start``/``active_data_len`` of application memory ``memid``."""
    if name == "page_size":
        return app_page_size(module, memid)
    start, length = active_data(module, memid, name)
    return start if name == "active_data_start" else length


class StaticCalls:
    """The folder's ``StaticCall`` for one compilation (call it: ``(library, function, args)``).

    ``library_bytes`` optionally supplies library binaries by name (else they are read from the
    ``Library.path`` the program knows).  Instances are created lazily and kept until :meth:`close`.
    """

    def __init__(self, module: Module, program: Program, *,
                 library_bytes: Mapping[str, bytes] | None = None) -> None:
        self.module = module
        self.program = program
        self.ids = memory_ids(module, program)
        self._library_bytes = dict(library_bytes or {})
        self._instances: dict[str, tuple[object, object]] = {}

    def __call__(self, library: str | None, function: str, args: tuple) -> object:
        if library is not None:
            return self.call(library, function, args)
        if function == "memid":
            return self.ids.of(args[0])
        if function == "page_size":
            return self.page_size(args[0])
        if function == "active_data_start":
            return self.active_data(args[0], function)[0]
        if function == "active_data_len":
            return self.active_data(args[0], function)[1]
        return None

    # -- static built-ins ---------------------------------------------------------------------------

    def page_size(self, memid: int) -> int:
        """``page_size(memid)`` in bytes: an application memory's (custom) page size, 65536 for the
        instrumentation memory, a library memory's declared page size."""
        ids = self.ids
        if memid < ids.app:
            return app_page_size(self.module, memid)
        if memid == ids.instrumentation:
            return _DEFAULT_PAGE
        for name, lib_id in ids.libraries.items():
            if lib_id == memid:
                return self._library_page_size(name)
        raise StaticCallError(f"page_size: no memory with id {memid}")

    def _library_page_size(self, name: str) -> int:
        lib = read_module(self._bytes(name))
        limits = lib.memory_limits()
        for exp in lib.exports:
            if exp.kind == ExternKind.MEMORY:
                log2 = limits[exp.index].page_size_log2
                return _DEFAULT_PAGE if log2 is None else 1 << log2
        raise StaticCallError(f"page_size: library {name} exports no memory")

    def active_data(self, memid: int, function: str) -> tuple[int, int]:
        """``(active_data_start, active_data_len)`` of application memory ``memid``."""
        return active_data(self.module, memid, function)

    # -- @static library calls ----------------------------------------------------------------------

    def call(self, library: str, function: str, args: tuple) -> object:
        """Run ``library.function(*args)`` in the compile-time instance of ``library``."""
        store, instance = self._instance(library)
        func = instance.exports(store).get(function)   # type: ignore[attr-defined]
        if not isinstance(func, wasmtime.Func):
            raise StaticCallError(f"library {library} has no exported function {function}")
        ftype = func.type(store)
        params = [_param(v, str(t)) for v, t in zip(args, ftype.params)]
        text = f"@static {library}.{function}({', '.join(map(_show, args))})"
        store.set_fuel(STATIC_CALL_FUEL)    # type: ignore[attr-defined]
        try:
            result = func(store, *params)
        except wasmtime.ExitTrap as exc:
            raise StaticCallError(f"{text} exited with status {exc.code}") from None
        except wasmtime.Trap as exc:
            raise StaticCallError(_failure(text, exc)) from None
        except wasmtime.WasmtimeError as exc:
            raise StaticCallError(f"{text} failed: {error_reason(exc)}") from None
        return () if result is None else result

    def _bytes(self, name: str) -> bytes:
        data = self._library_bytes.get(name)
        if data is None:
            lib = self.program.libraries.get(name)
            path = lib.path if lib is not None else None
            if path is None:
                raise StaticCallError(f"library {name} cannot be used with @static (no library file)")
            try:
                data = read_regular_file(path)
            except OSError as exc:
                raise StaticCallError(f"invalid library {name} ({path}): {exc.strerror or exc}") from None
            self._library_bytes[name] = data
        return data

    def _instance(self, name: str) -> tuple[object, object]:
        found = self._instances.get(name)
        if found is not None:
            return found
        engine = _fuel_engine()
        module = wasmtime.Module(engine, self._bytes(name))
        for imp in module.imports:
            if imp.module not in WASI_MODULES:
                raise StaticCallError(f"library {name} imports {imp.module}.{imp.name}, which is not available "
                                      f"at instrumentation time")
        store = wasmtime.Store(engine)
        store.set_fuel(STATIC_CALL_FUEL)
        wasi = wasmtime.WasiConfig()
        wasi.inherit_stdin()
        wasi.inherit_stdout()
        wasi.inherit_stderr()
        wasi.inherit_env()
        store.set_wasi(wasi)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        try:
            instance = linker.instantiate(store, module)
        except wasmtime.ExitTrap as exc:
            raise StaticCallError(f"library {name} exited with status {exc.code} while being instantiated "
                                  "for @static") from None
        except wasmtime.Trap as exc:
            raise StaticCallError(_failure(f"library {name}, instantiated for @static,", exc)) from None
        self._instances[name] = (store, instance)
        return store, instance

    def close(self) -> None:
        """Discard the compile-time instances (REWRITING.md §13.3: their state ends with compilation)."""
        self._instances.clear()


def _fuel_engine():
    """The engine of compile-time instances: every proposal on (as validation), plus fuel metering."""
    global _ENGINE
    if _ENGINE is None:
        cfg = config()
        cfg.consume_fuel = True
        _ENGINE = wasmtime.Engine(cfg)
        atexit.register(_release)
    return _ENGINE


def _release() -> None:
    """Free the engine while wasmtime's FFI is still loaded (see :func:`compiler.wasm.validate.engine`)."""
    global _ENGINE
    _ENGINE = None


def _failure(what: str, exc: Exception) -> str:
    """The message for a trap of ``what`` (a call, or a library's start function)."""
    if getattr(exc, "trap_code", None) == wasmtime.TrapCode.OUT_OF_FUEL:
        return f"{what} did not finish within {STATIC_CALL_FUEL} units of fuel (does it loop forever?)"
    return f"{what} trapped: {error_reason(exc).removeprefix('wasm trap: ')}"


def _param(value: object, wasm: str) -> object:
    """A folded whamm value as the wasmtime argument of a parameter of Wasm type ``wasm``."""
    if wasm == "i32":
        v = int(value) & 0xFFFFFFFF          # type: ignore[call-overload]
        return wasmtime.Val.i32(v - (1 << 32) if v >= 1 << 31 else v)
    if wasm == "i64":
        v = int(value) & 0xFFFFFFFFFFFFFFFF  # type: ignore[call-overload]
        return wasmtime.Val.i64(v - (1 << 64) if v >= 1 << 63 else v)
    if wasm == "f32":
        return wasmtime.Val.f32(struct.unpack("<f", struct.pack("<f", float(value)))[0])  # type: ignore[arg-type]
    return wasmtime.Val.f64(float(value))    # type: ignore[arg-type]


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return '"' + value.decode("utf-8", "replace") + '"'
    return str(value)
