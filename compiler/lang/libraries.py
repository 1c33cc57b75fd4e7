"""User libraries: the ``--user-libs`` specs and the whamm signatures of a library's exports (§12).

A library is a Wasm module given as ``NAME=PATH`` or ``NAME(IMPORT_MODULE)=PATH`` (CLI.md §1).  The
checker needs, per library, its exported functions with whamm types: Wasm ``i32 i64 f32 f64`` map to the
whamm types of the same name; a function with more than one result or with any other value type cannot be
called (``library function <f> has an unsupported signature``), but it is still listed so that message
can be given instead of "no exported function".

The module is validated with wasmtime (all proposals on).  The signatures are then read from the type,
import, function and export sections by the small decoder below rather than through wasmtime's
``FuncType``: wasmtime-py 50 aborts the whole process when asked for the kind of a ``v128`` value type,
and a library with a SIMD export must give a diagnostic, not a crash.

``whamm_core`` (§12.3) is built into the instrumented module; :data:`WHAMM_CORE` describes its
signatures so scripts are checked against them like any other library.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from compiler.errors import WhammError
from compiler.files import read_regular_file
from compiler.lang.types import Prim

__all__ = [
    "LibFunc", "Library", "LibSpec", "LibraryError", "LibSpecError",
    "WHAMM_CORE", "CORE_NAME", "RESERVED_IMPORT_MODULES", "parse_lib_specs", "read_library", "library_from_bytes",
]

CORE_NAME = "whamm_core"


class LibraryError(WhammError):
    """An unreadable or invalid library module (§14.2: ``invalid library <name> (<path>): <reason>``)."""


class LibSpecError(ValueError):
    """A malformed ``--user-libs`` entry; the CLI reports it as a usage error (exit 2)."""


@dataclass(frozen=True, slots=True)
class LibFunc:
    """One exported function.  ``params``/``result`` are whamm types when ``supported``; ``result`` is
    None for a function without results."""

    name: str
    params: tuple[Prim, ...]
    result: Prim | None
    supported: bool


@dataclass(frozen=True, slots=True)
class Library:
    """A library's name, where it came from, and what a script may call."""

    name: str
    path: str | None
    import_module: str
    functions: tuple[LibFunc, ...]
    has_memory: bool

    def function(self, name: str) -> LibFunc | None:
        """The export ``name`` a script calls as ``lib.name(...)``; None if the library has no such export."""
        for f in self.functions:
            if f.name == name:
                return f
        return None


@dataclass(frozen=True, slots=True)
class LibSpec:
    """One ``--user-libs`` entry: ``NAME[(IMPORT_MODULE)]=PATH``."""

    name: str
    import_module: str
    path: str


_SPEC = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\(([^()=]+)\))?=(.+)")


#: Import modules the runner provides itself (WASI preview 1): a library registered under one of these
#: names would clash with WASI when the output is run.
RESERVED_IMPORT_MODULES = ("wasi_snapshot_preview1", "wasi_unstable")


def parse_lib_specs(entries: Iterable[str]) -> list[LibSpec]:
    """Split repeated, comma-separated ``--user-libs`` values into specs (CLI.md §1).

    Everything that would otherwise only fail when the output runs is refused here: two entries with
    the same name or the same import module (one would silently shadow the other), and an import module
    reserved for WASI."""
    out: list[LibSpec] = []
    names: dict[str, str] = {}
    modules: dict[str, str] = {}
    for entry in entries:
        for item in entry.split(","):
            m = _SPEC.fullmatch(item.strip())
            if not m:
                raise LibSpecError(
                    f"invalid --user-libs entry '{item}': expected NAME=PATH or NAME(MODULE)=PATH")
            spec = LibSpec(m.group(1), m.group(2) or m.group(1), m.group(3))
            if spec.import_module in RESERVED_IMPORT_MODULES:
                raise LibSpecError(f"invalid --user-libs entry '{item}': import module '{spec.import_module}' "
                                   "is reserved for WASI")
            if spec.name in names:
                raise LibSpecError(f"invalid --user-libs entry '{item}': library {spec.name} is already "
                                   f"given ('{names[spec.name]}')")
            if spec.import_module in modules:
                raise LibSpecError(f"invalid --user-libs entry '{item}': import module '{spec.import_module}' "
                                   f"is already used by '{modules[spec.import_module]}'")
            names[spec.name] = modules[spec.import_module] = item.strip()
            out.append(spec)
    return out


def read_library(spec: LibSpec) -> Library:
    """Read and validate the library file of ``spec``."""
    try:
        data = read_regular_file(spec.path)
    except OSError as exc:
        raise LibraryError(f"invalid library {spec.name} ({spec.path}): {exc.strerror or exc}") from None
    return library_from_bytes(spec.name, data, spec.path, spec.import_module)


def library_from_bytes(name: str, data: bytes, path: str | None = None,
                       import_module: str | None = None) -> Library:
    """A :class:`Library` from the bytes of a Wasm module (validated first)."""
    import wasmtime  # lazily: start-up stays fast when no library is used

    config = wasmtime.Config()
    for feature in ("wasm_gc", "wasm_function_references", "wasm_exceptions", "wasm_tail_call",
                    "wasm_multi_memory", "wasm_threads", "wasm_custom_page_sizes", "wasm_simd",
                    "wasm_relaxed_simd", "wasm_reference_types", "wasm_bulk_memory", "wasm_memory64"):
        setattr(config, feature, True)
    if not data.startswith(b"\0asm"):
        raise LibraryError(f"invalid library {name} ({path}): not a Wasm binary module (bad magic number)")
    try:
        wasmtime.Module.validate(wasmtime.Engine(config), data)
    except wasmtime.WasmtimeError as exc:
        raise LibraryError(f"invalid library {name} ({path}): {_reason(exc)}") from None
    functions, has_memory = _exports(data)
    return Library(name, path, import_module or name, functions, has_memory)


def _reason(exc: Exception) -> str:
    """wasmtime's validation error on one line: the cause (after ``Caused by:``, when present), its
    multi-line parts (numbered causes, bracketed byte lists) joined with single spaces."""
    text = str(exc).strip()
    if "Caused by:" in text:
        text = text.split("Caused by:", 1)[1]
    return re.sub(r"\s+", " ", text).strip() or type(exc).__name__


# ---------------------------------------------------------------------------------- signature decoder

_VALTYPES = {0x7F: Prim.I32, 0x7E: Prim.I64, 0x7D: Prim.F32, 0x7C: Prim.F64}


class _Reader:
    """Just enough of the binary format to find function signatures in an already validated module."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def name(self) -> str:
        n = self.uleb()
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s

    def valtype(self) -> Prim | None:
        """A value type: its whamm type for i32/i64/f32/f64, None for anything else (refs, v128)."""
        b = self.byte()
        if b in (0x63, 0x64):  # (ref null? heaptype): heaptype is an s33
            self.uleb()
            return None
        return _VALTYPES.get(b)

    def storagetype(self) -> None:
        if self.data[self.pos] in (0x78, 0x77):  # packed i8 / i16
            self.pos += 1
        else:
            self.valtype()

    def limits(self) -> None:
        flags = self.byte()
        self.uleb()
        if flags & 1:
            self.uleb()
        if flags & 8:  # custom page size
            self.uleb()


def _comptype(r: _Reader) -> tuple[tuple[Prim | None, ...], tuple[Prim | None, ...]] | None:
    form = r.byte()
    if form == 0x60:
        params = tuple(r.valtype() for _ in range(r.uleb()))
        results = tuple(r.valtype() for _ in range(r.uleb()))
        return params, results
    if form == 0x5F:  # struct
        for _ in range(r.uleb()):
            r.storagetype()
            r.byte()
    elif form == 0x5E:  # array
        r.storagetype()
        r.byte()
    return None


def _subtype(r: _Reader) -> object:
    b = r.data[r.pos]
    if b in (0x50, 0x4F):  # sub / sub final
        r.pos += 1
        for _ in range(r.uleb()):
            r.uleb()
    return _comptype(r)


def _exports(data: bytes) -> tuple[tuple[LibFunc, ...], bool]:
    r = _Reader(data, 8)
    types: list[object] = []
    funcs: list[int] = []  # type index per function (imports first)
    exports: list[tuple[str, int]] = []
    has_memory = False
    while r.pos < len(data):
        sid = r.byte()
        size = r.uleb()
        end = r.pos + size
        if sid == 1:
            for _ in range(r.uleb()):
                if r.data[r.pos] == 0x4E:  # rec group
                    r.pos += 1
                    types.extend(_subtype(r) for _ in range(r.uleb()))
                else:
                    types.append(_subtype(r))
        elif sid == 2:
            for _ in range(r.uleb()):
                r.name()
                r.name()
                kind = r.byte()
                if kind == 0:
                    funcs.append(r.uleb())
                elif kind == 1:
                    r.valtype()
                    r.limits()
                elif kind == 2:
                    r.limits()
                elif kind == 3:
                    r.valtype()
                    r.byte()
                else:
                    r.byte()
                    r.uleb()
        elif sid == 3:
            funcs.extend(r.uleb() for _ in range(r.uleb()))
        elif sid == 7:
            for _ in range(r.uleb()):
                name = r.name()
                kind = r.byte()
                index = r.uleb()
                if kind == 0:
                    exports.append((name, index))
                elif kind == 2:
                    has_memory = True
        r.pos = end
    out = []
    for name, index in exports:
        sig = types[funcs[index]]
        params, results = sig  # type: ignore[misc]
        ok = None not in params and None not in results and len(results) <= 1
        out.append(LibFunc(name, tuple(p for p in params if p is not None),
                           results[0] if results and ok else None, ok))
    return tuple(out), has_memory


def _core() -> Library:
    i32, i64, f32, f64 = Prim.I32, Prim.I64, Prim.F32, Prim.F64
    sigs: list[tuple[str, tuple[Prim, ...], Prim | None]] = [
        ("putc", (i32,), None), ("puts", (i32, i32), None),
        *((n, (i32,), None) for n in ("putu8", "puti8", "putu16", "puti16", "putu32", "puti32")),
        ("putu64", (i64,), None), ("puti64", (i64,), None),
        ("putf32", (f32,), None), ("putf64", (f64,), None), ("putbool", (i32,), None),
        ("mem_alloc", (i32,), i32), ("mem_free", (i32,), None),
        ("print_map", (i32,), None), ("print_map_as_csv", (i32,), None),
    ]
    return Library(CORE_NAME, None, CORE_NAME, tuple(LibFunc(n, p, r, True) for n, p, r in sigs), True)


#: The built-in library of §12.3 (its memory is the instrumentation memory).
WHAMM_CORE = _core()
