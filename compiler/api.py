"""The one door into the compiler: what ``whamm instr``, ``whamm run`` and the shell call.

Everything here takes inputs as values (bytes, text, library specs, options) and returns result objects;
nothing prints.  Problems with the inputs raise :class:`~compiler.errors.WhammError` subclasses whose
``str()`` is the complete message of LANGUAGE.md §14 / CLI.md §5, so every caller renders them alike:

* :func:`load_app` — an application from bytes or a ``.wasm``/``.wat`` path, assembled, decoded and
  validated *before* anything else (``invalid Wasm module app.wasm: <reason>`` plus
  `` --> app.wasm: <section> section[, function N], byte offset 0x…`` or the WAT line:col);
* :func:`load_libraries` — ``--user-libs`` specs to signatures (for the checker) and modules (for the
  runner);
* :func:`check` — the front end;
* :func:`instrument` — app + script → :class:`InstrumentResult` (validated output bytes, warnings, the
  emitter's report layout, phase timings, and what running it needs);
* :func:`prepare_run` / :func:`run` — the instrumented module on wasmtime (:mod:`compiler.runner`),
  backtraces in input function indices.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, MutableMapping, Union

from compiler.errors import WhammError
from compiler.files import read_regular_file, write_file
from compiler.lang.libraries import (
    CORE_NAME, LibraryError, LibSpec, Library, library_from_bytes, parse_lib_specs,
)
from compiler.runner import Execution, FunctionMap, LinkedLibrary, RunOptions, RunResult, TraceFrame

if TYPE_CHECKING:
    from compiler.lang.diagnostics import Diagnostic
    from compiler.lang.scopes import Program
    from compiler.rewrite.emit import Emitted
    from compiler.rewrite.layout import Layout
    from compiler.scripts import ScriptSources
    from compiler.wasm.model import Module

__all__ = [
    "Options", "App", "Libraries", "InstrumentResult", "InputError", "OptionsError",
    "load_app", "read_script", "load_libraries", "check", "instrument", "prepare_run", "run",
    "function_map", "RunOptions", "RunResult", "write_file",
]

PathLike = Union[str, "os.PathLike[str]"]


class InputError(WhammError):
    """An unreadable file or an invalid application module (LANGUAGE.md §14.2)."""


class OptionsError(WhammError):
    """A combination of knobs that makes no sense (``--no-bundle`` without ``--no-body --no-pred``)."""


@dataclass(frozen=True, slots=True)
class Options:
    """The measurement knobs of REWRITING.md §16."""

    no_body: bool = False
    no_pred: bool = False
    no_report: bool = False
    no_bundle: bool = False

    def __post_init__(self) -> None:
        if self.no_bundle and not (self.no_body and self.no_pred):
            raise OptionsError("--no-bundle requires --no-body and --no-pred")


# -------------------------------------------------------------------------------------------- inputs

@dataclass(frozen=True, slots=True, eq=False)
class App:
    """An application ready to instrument: ``wasm`` (assembled from WAT if needed), the name used in
    messages and as ``argv[0]``, and the decoded module (bodies decode lazily)."""

    name: str
    wasm: bytes
    module: Module


def load_app(app: bytes | PathLike, name: str | None = None) -> App:
    """Read, assemble (``.wat``), decode and validate an application.

    ``app`` is the module's bytes (binary or WAT text) or a path; ``name`` is how messages call it
    (default: the path, or ``app.wasm``).  Raises :class:`InputError` with the location of the problem.
    """
    if isinstance(app, (bytes, bytearray, memoryview)):
        data, name = bytes(app), name or "app.wasm"
    else:
        name = name or os.fspath(app)
        try:
            data = read_regular_file(app)
        except OSError as exc:
            raise InputError(f"cannot read application '{name}': {exc.strerror or exc}") from None
    if not data.startswith(b"\0asm"):
        data = _assemble(data, name)
    return App(name, data, _decode(data, name))


def _assemble(text: bytes, name: str) -> bytes:
    """WAT → binary, with the assembler's ``line:col`` and excerpt pointing into ``name``."""
    import wasmtime
    try:
        source = text.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"invalid Wasm module {name}: neither a Wasm binary (bad magic number) "
                         f"nor WAT text (not UTF-8)\n --> {name}: header section, byte offset 0x0") from None
    try:
        return wasmtime.wat2wasm(source)
    except wasmtime.WasmtimeError as exc:
        lines = str(exc).replace("<anon>", name).splitlines()
        reason, rest = lines[0].strip(), lines[1:]
        # wasmtime indents the rustc-style excerpt as a block; dedent it to the layout of §14.1.
        indent = min((len(x) - len(x.lstrip()) for x in rest if x.strip()), default=0)
        body = "\n".join(x[indent:] for x in rest)
        raise InputError(f"invalid Wasm module {name}: {reason}" + (f"\n{body}" if body else "")) from None


_AT_OFFSET = re.compile(r"\s*\(at offset 0x([0-9a-fA-F]+)\)\s*$")


def _decode(data: bytes, name: str) -> Module:
    from compiler.wasm import DecodeError, ValidationError, read_module, validate
    try:
        module = read_module(data)
    except DecodeError as exc:
        raise InputError(_located(name, exc.message, exc.section, exc.func, exc.offset)) from None
    try:
        validate(data)
    except ValidationError as exc:
        reason = str(exc).removeprefix("invalid module: ").strip().splitlines()[-1]
        m = _AT_OFFSET.search(reason)
        if m is None:
            raise InputError(f"invalid Wasm module {name}: {reason}") from None
        offset = int(m.group(1), 16)
        section, func = _where(module, offset)
        raise InputError(_located(name, reason[:m.start()], section, func, offset)) from None
    return module


def _located(name: str, reason: str, section: str | None, func: int | None, offset: int) -> str:
    where = f"{section or 'header'} section" + (f", function {func}" if func is not None else "")
    return f"invalid Wasm module {name}: {reason}\n --> {name}: {where}, byte offset 0x{offset:x}"


def _where(module: Module, offset: int) -> tuple[str | None, int | None]:
    """The section (and, in the code section, the function index) containing byte ``offset``."""
    from compiler.wasm.binary import Cursor
    from compiler.wasm.model import SECTION_NAMES
    origin = module.origin
    if origin is None:
        return None, None
    for sid, (start, end, _) in origin.sections.items():
        if start <= offset < end:
            if sid != 10:
                return SECTION_NAMES[sid], None
            cur = Cursor(origin.data, start + 1, end)
            cur.u32()  # section size
            count = cur.u32()
            for i in range(count):
                size = cur.u32()
                if offset < cur.pos + size:
                    return "code", module.num_imported_funcs + i
                cur.pos += size
            return "code", None
    return None, None


def read_script(path: PathLike) -> str:
    """A script's text (``cannot read script 'x.mm': No such file or directory``)."""
    try:
        return read_regular_file(path).decode("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read script '{os.fspath(path)}': {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read script '{os.fspath(path)}': not valid UTF-8 ({exc.reason})") from None


@dataclass(frozen=True, slots=True)
class Libraries:
    """User libraries by name: signatures for the checker, modules for the runner, and the warnings
    loading produced (an entry for the built-in ``whamm_core``)."""

    signatures: dict[str, Library] = field(default_factory=dict)
    linked: tuple[LinkedLibrary, ...] = ()
    warnings: tuple[str, ...] = ()


def load_libraries(entries: Iterable[str | LibSpec] = ()) -> Libraries:
    """Read every ``--user-libs`` entry (``NAME=PATH``/``NAME(MODULE)=PATH`` strings, comma-separated, or
    parsed :class:`LibSpec`s).  A malformed string raises ``LibSpecError`` (a usage error for the CLI);
    an unreadable or invalid module raises ``LibraryError`` (``invalid library cache (path): …``)."""
    specs = [e for e in entries if isinstance(e, LibSpec)]
    specs += parse_lib_specs(e for e in entries if isinstance(e, str))
    signatures: dict[str, Library] = {}
    linked: list[LinkedLibrary] = []
    warnings: list[str] = []
    for spec in specs:
        if spec.name == CORE_NAME:
            warnings.append(f"--user-libs entry for {CORE_NAME} ignored (it is built in)")
            continue
        try:
            data = read_regular_file(spec.path)
        except OSError as exc:
            raise LibraryError(f"invalid library {spec.name} ({spec.path}): {exc.strerror or exc}") from None
        signatures[spec.name] = library_from_bytes(spec.name, data, spec.path, spec.import_module)
        linked.append(LinkedLibrary(spec.name, spec.import_module, data, spec.path))
    return Libraries(signatures, tuple(linked), tuple(warnings))


def check(script: str, script_name: str = "script.mm", libs: Libraries | None = None) -> Program:
    """Parse and check a script (``ScriptError`` on errors; warnings in ``Program.warnings``)."""
    from compiler.lang.frontend import check_source
    return check_source(script, script_name, (libs or Libraries()).signatures)


# ------------------------------------------------------------------------------------------ instrument

@dataclass(frozen=True, slots=True, eq=False)
class InstrumentResult:
    """A validated instrumented module and what goes with it.

    ``diagnostics`` are the script's warnings (render with :meth:`render_warnings`, which needs the
    source), ``messages`` other warnings as text; ``emitted`` is the backend's result, whose ``layout``
    says where every report variable lives (REWRITING.md §17); ``timings`` maps each phase (``read``,
    ``parse``, ``check``, ``match``, ``layout``, ``emit``, ``encode``, ``validate``) to seconds.
    """

    wasm: bytes
    app: App
    program: Program
    libraries: Libraries
    diagnostics: tuple[Diagnostic, ...]
    messages: tuple[str, ...]
    emitted: Emitted
    timings: dict[str, float]

    def render_warnings(self, color: bool = False, sources: ScriptSources | None = None) -> str:
        """Every warning as the CLI prints it on stderr ("" when there are none); ``sources`` renders
        them against the ``-s``/``-e`` parts the script was joined from."""
        from compiler.lang.diagnostics import render
        parts = [f"warning: {m}" for m in self.messages]
        if self.diagnostics:
            parts.append(render(self.diagnostics, self.program.source, self.program.filename, color)
                         if sources is None else sources.render(self.diagnostics, color))
        return "\n".join(parts)

    @property
    def layout(self) -> Layout:
        """Where every report variable lives (the emitter's layout)."""
        return self.emitted.layout

    @property
    def functions(self) -> FunctionMap:
        """Output function index → input function, for backtraces."""
        return function_map(self.app, self.emitted)


def instrument(app: App | bytes | PathLike, script: str, *, script_name: str = "script.mm",
               libs: Libraries | Iterable[str | LibSpec] = (), options: Options = Options()) -> InstrumentResult:
    """Instrument ``app`` with the whamm ``script`` (REWRITING.md).  The result is validated; nothing is
    written anywhere.  Raises :class:`WhammError` for any problem with the inputs."""
    from compiler.lang.checker import check_script
    from compiler.lang.parser import parse_script

    timings: dict[str, float] = {}
    clock = time.perf_counter()
    libraries = libs if isinstance(libs, Libraries) else load_libraries(libs)
    if not isinstance(app, App):
        app = load_app(app)
    timings["read"] = time.perf_counter() - clock
    clock = time.perf_counter()
    script_ast = parse_script(script, script_name)
    timings["parse"] = time.perf_counter() - clock
    clock = time.perf_counter()
    program = check_script(script_ast, script, script_name, libraries.signatures)
    timings["check"] = time.perf_counter() - clock
    from compiler.rewrite.emit import instrument as rewrite
    emitted = rewrite(app.module, program, options=options,
                      libraries={lib.name: lib.wasm for lib in libraries.linked})
    timings.update(emitted.timings)
    return InstrumentResult(emitted.wasm, app, program, libraries,
                            (*program.warnings, *emitted.warnings), libraries.warnings, emitted, timings)


def function_map(app: App, emitted: Emitted) -> FunctionMap:
    """Which input function each output function is (REWRITING.md §3, guarantee 6): application
    functions by input index and name (``fname`` or ``#fid``), added ones as ``whamm:<name>``."""
    names = app.module.names.functions if app.module.names else {}

    def resolve(index: int) -> TraceFrame:
        fid = emitted.input_function(index)
        if fid is None:
            name = emitted.added_functions.get(index) or f"#{index}"
            return TraceFrame(name if name.startswith("whamm:") else f"whamm:{name}", None)
        return TraceFrame(names.get(fid) or f"#{fid}", fid)

    return FunctionMap(resolve)


# ------------------------------------------------------------------------------------------------- run

def prepare_run(result: InstrumentResult, options: RunOptions = RunOptions(), *,
                compiled: MutableMapping[bytes, bytes] | None = None) -> Execution:
    """An :class:`~compiler.runner.Execution` of the instrumented module with the user libraries it
    imports; ``argv[0]`` defaults to the application's file name.  Call ``.run()`` (and
    ``.interrupt()`` from another thread) — the shell keeps the returned store/instance.  ``compiled``
    is a cache of compiled modules shared between runs (see :class:`~compiler.runner.Execution`)."""
    if not options.argv:
        options = _with_argv0(options, result.app.name)
    return Execution(result.wasm, options, result.libraries.linked, app_name=result.app.name,
                     functions=result.functions, compiled=compiled)


def run(result: InstrumentResult, options: RunOptions = RunOptions(), *,
        interruptible: bool = False) -> RunResult:
    """Run the instrumented module once (CLI.md §4.2)."""
    return prepare_run(result, options).run(interruptible=interruptible)


def _with_argv0(options: RunOptions, name: str) -> RunOptions:
    from dataclasses import replace
    return replace(options, argv=(os.path.basename(name),))

