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

The interactive shell goes through this module only (``tests/test_import_contract.py`` holds it to
that).  For it, the API also offers:

* :class:`Instrumenter` (:mod:`compiler.build`) — incremental instrumentation of one application:
  ``check``, ``match`` (a :class:`Matched`, with ``site_rows`` per probe), ``dry_match`` (the sites of a
  rule with the folded predicate per site, as :class:`SiteRow`\\ s), ``build`` (a :class:`Build`), and
  the ``compiled`` cache for :func:`prepare_run`; the script is a :class:`Composition` of
  :class:`ProbeSlice`\\ s; per site of a probe, the operand stack's types and what each bound variable
  it uses folds to there (:func:`site_details`, :class:`SiteDetail`\\ s, for ``sites N --verbose``);
* reading the report of a run from the live instance (:func:`read_report_values`,
  :func:`global_values`) or, for a component, from the CSV its module printed
  (:func:`read_printed_report`), formatting values (:func:`format_value`, :func:`format_map_value`) and the
  report's CSV (:func:`report_csv`); aggregates' counts, JSON and bpftrace form (:func:`agg_count`,
  :func:`agg_json`, :func:`format_agg_human`); profiles as folded stacks and flame trees
  (:func:`profile_counts`, :func:`folded_text`, :func:`flame_lines`);
* catalog and syntax queries (:mod:`compiler.queries`): :func:`rule_completions`, :func:`rule_scope`,
  :data:`KEYWORDS`, :func:`bound_variable_names`, :func:`bound_function_names`,
  :func:`instruction_names`, :func:`info_text`, :func:`script_items`, :func:`probe_parts`,
  :func:`probe_is_complete`, :func:`decode_module` and :func:`function_wat` (:class:`WatLine`\\ s),
  and an instrumented function's lines marked from the plan that rewrote it (:func:`instrumented_wat`,
  :func:`instrumented_diff`);
* source level (ANALYSIS.md §5): the line table over an application's instructions (:func:`source_map`)
  and line coverage (:data:`COVERAGE_PROBE`, :func:`coverage`, :func:`lcov_text`);
* the ready-made tools (ANALYSIS.md §7, :mod:`compiler.tools`): :func:`tool_names`, :func:`find_tool`,
  :func:`tool_script` (a tool's script with its arguments validated and substituted, built from the
  application's module when given for a tool that depends on it, such as ``coverage``'s line counters;
  or a :class:`ToolError`) and :func:`tool_table` (what a tool shows after a run of an application);
* the public error and diagnostic types: :class:`WhammError`, :class:`ScriptError`,
  :class:`Diagnostic`, :class:`Span`, :class:`LibSpecError`, and the run's :class:`Outcome`.
"""
from __future__ import annotations

import importlib
import os
import re
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Iterable, MutableMapping, Union

from compiler.component_runner import ComponentExecution
from compiler.components import choose_module, validate_component
from compiler.errors import WhammError
from compiler.files import read_regular_file, write_file
from compiler.gc_pause import collector_paused
from compiler.lang.diagnostics import Diagnostic, ScriptError, Span
from compiler.lang.libraries import (
    CORE_NAME, LibraryError, LibSpec, LibSpecError, Library, library_from_bytes, parse_lib_specs,
)
from compiler.lang.parser import parse_script
from compiler.lang.types import AggType, MapType
from compiler.queries import (
    KEYWORDS, ProbeParts, ScriptItem, bound_function_names, bound_variable_names, decode_module, function_wat,
    info_text, instruction_names, probe_is_complete, probe_parts, rule_completions, rule_scope, script_items,
)
from compiler.results import App, InstrumentResult, Libraries, Options, OptionsError, function_map
from compiler.runner import COMPILERS, UNKNOWN_IMPORTS, Execution, LinkedLibrary, Outcome, RunOptions, RunResult
from compiler.wasm import DecodeError, ValidationError, read_module, validate
from compiler.wasm.binary import Cursor
from compiler.wasm.component import is_component, read_component
from compiler.wasm.model import SECTION_NAMES
from compiler.wasm.wat import Line as WatLine

if TYPE_CHECKING:
    from compiler.build import SCRIPT_NAME, Build, Composition, Instrumenter, Matched, ProbeSlice, SiteRow
    from compiler.lang.scopes import Program
    from compiler.report.aggregates import agg_count, agg_json, format_agg_human
    from compiler.report.folded import ProfileError, flame_lines, folded_text, profile_counts, profile_type_error
    from compiler.report.live import ReportValue, read_report_values
    from compiler.report.printed import read_printed_report
    from compiler.report.text import global_values, report_csv
    from compiler.report.rows import ReportVar
    from compiler.report.values import format_map_value, format_value
    from compiler.rewrite.marks import instrumented_diff, instrumented_wat
    from compiler.site_details import BoundValue, SiteDetail, Stack, site_details
    from compiler.report.coverage import (
        COVERAGE_PROBE, COVERAGE_VAR, Coverage, NoLinesError, coverage, coverage_script, lcov_text, resolve_source,
    )
    from compiler.wasm.source_lines import SourceLoc, SourceMap, source_comments, source_map
    from compiler.tools import ToolError, find_tool, tool_names, tool_script, tool_table
    from compiler.wasm.model import Module

__all__ = [
    # batch instrumentation (whamm instr / run / check)
    "Options", "App", "Libraries", "InstrumentResult", "InputError", "OptionsError",
    "load_app", "read_script", "load_libraries", "check", "instrument", "prepare_run", "run",
    "function_map", "RunOptions", "COMPILERS", "UNKNOWN_IMPORTS", "RunResult", "Execution", "Outcome", "write_file",
    # incremental instrumentation and dry runs (the shell)
    "Instrumenter", "Composition", "ProbeSlice", "Matched", "Build", "SiteRow", "SCRIPT_NAME",
    "site_details", "SiteDetail", "Stack", "BoundValue",
    # the report of a run
    "ReportVar", "ReportValue", "read_report_values", "read_printed_report", "global_values", "report_csv", "format_value", "format_map_value",
    "MapType", "AggType", "agg_count", "agg_json", "format_agg_human",
    "ProfileError", "profile_type_error", "profile_counts", "folded_text", "flame_lines",
    # catalog and syntax queries
    "rule_completions", "rule_scope", "KEYWORDS", "bound_variable_names", "bound_function_names",
    "instruction_names", "info_text", "ScriptItem", "script_items", "ProbeParts", "probe_parts",
    "probe_is_complete", "decode_module", "function_wat", "WatLine", "instrumented_wat", "instrumented_diff",
    # source level (ANALYSIS.md §5): DWARF lines over instructions, line coverage
    "source_map", "SourceMap", "SourceLoc", "source_comments", "coverage", "Coverage", "lcov_text", "COVERAGE_PROBE", "coverage_script", "NoLinesError",
    "resolve_source", "COVERAGE_VAR",
    # ready-made tools
    "tool_names", "find_tool", "tool_script", "tool_table", "ToolError",
    # errors and diagnostics
    "WhammError", "ScriptError", "Diagnostic", "Span", "LibSpecError",
]

#: Names this module offers from the code generators' side of the compiler, imported on first use (PEP
#: 562): a prompt, ``whamm info`` or ``whamm wat`` starts without loading the rewriter (~0.3 s).
_ON_FIRST_USE = {
    **dict.fromkeys(("SCRIPT_NAME", "Build", "Composition", "Instrumenter", "Matched", "ProbeSlice", "SiteRow"),
                    "compiler.build"),
    "read_report_values": "compiler.report.live",
    "read_printed_report": "compiler.report.printed",
    "ReportValue": "compiler.report.live",
    "global_values": "compiler.report.text",
    "report_csv": "compiler.report.text",
    "ReportVar": "compiler.report.rows",
    "format_value": "compiler.report.values",
    "format_map_value": "compiler.report.values",
    **dict.fromkeys(("agg_count", "agg_json", "format_agg_human"), "compiler.report.aggregates"),
    **dict.fromkeys(("ProfileError", "profile_type_error", "profile_counts", "folded_text", "flame_lines"),
                    "compiler.report.folded"),
    **dict.fromkeys(("tool_names", "find_tool", "tool_script", "tool_table", "ToolError"), "compiler.tools"),
    "instrumented_wat": "compiler.rewrite.marks",
    "instrumented_diff": "compiler.rewrite.marks",
    **dict.fromkeys(("site_details", "SiteDetail", "Stack", "BoundValue"), "compiler.site_details"),
    **dict.fromkeys(("source_map", "SourceMap", "SourceLoc", "source_comments"), "compiler.wasm.source_lines"),
    **dict.fromkeys(("coverage", "Coverage", "lcov_text", "COVERAGE_PROBE", "coverage_script", "NoLinesError", "resolve_source",
                     "COVERAGE_VAR"),
                    "compiler.report.coverage"),
}


def __getattr__(name: str) -> object:
    """The names of :data:`_ON_FIRST_USE`, imported when first asked for (then kept as globals)."""
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


PathLike = Union[str, "os.PathLike[str]"]


class InputError(WhammError):
    """An unreadable file or an invalid application module (LANGUAGE.md §14.2)."""


# -------------------------------------------------------------------------------------------- inputs

def load_app(app: bytes | PathLike, name: str | None = None, module: int | None = None) -> App:
    """Read, assemble (``.wat``), decode and validate an application.

    ``app`` is the module's bytes (binary or WAT text) or a path; ``name`` is how messages call it
    (default: the path, or ``app.wasm``).  A component (ANALYSIS.md §6) is validated whole and one of
    its core modules chosen: ``module`` (``--module N``), or the only one that is neither adapter nor
    shim.  Raises :class:`InputError` with the location of the problem.
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
    if is_component(data):
        return _load_component(data, name, module)
    if module is not None:
        raise InputError(f"--module {module}: {name} is a core module, not a component (--module chooses "
                         "one core module of a component)")
    return App(name, data, _decode(data, name))


#: Where wasmtime's component validation points: ``… at offset 34: type mismatch …``.
_COMPONENT_OFFSET = re.compile(r" at offset (\d+)")


def _load_component(data: bytes, name: str, index: int | None) -> App:
    """A component application: read, validated by wasmtime, one core module chosen and decoded."""
    try:
        component = read_component(data)
    except DecodeError as exc:
        raise InputError(_located(name, exc.message, exc.section, exc.func, exc.offset, "component")) from None
    try:
        validate_component(data)
    except ValidationError as exc:
        reason = str(exc)
        where = _COMPONENT_OFFSET.search(reason)
        if where is None:
            raise InputError(f"invalid Wasm component {name}: {reason}") from None
        offset = int(where.group(1))
        inside = next((m for m in component.modules if m.start <= offset < m.end), None)
        section, func = "component", None
        if inside is not None:
            within, func = _where(inside.module, offset - inside.start)
            section = f"core module {inside.index}: {within or 'header'}"
        raise InputError(_located(name, reason[:where.start()].rstrip(" :") + reason[where.end():],
                                  section, func, offset, "component")) from None
    core = choose_module(component, index, name)
    return App(name, component.module_bytes(core.index), core.module, component, core)


#: How WAT text starts: ``(`` after whitespace, ``;;`` line comments and ``(; … ;)`` block comments.
_WAT_START = re.compile(r"(?:\s+|;;[^\n]*(?:\n|\Z)|\(;(?:[^;]|;(?!\)))*;\))*\(")


def _assemble(text: bytes, name: str) -> bytes:
    """WAT → binary, with the assembler's ``line:col`` and excerpt pointing into ``name``."""
    import wasmtime  # heavy (~20 ms): `whamm --help`, `whamm info` and the shell's prompt load it only on demand
    try:
        source = text.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"invalid Wasm module {name}: not a WebAssembly module or WAT text (no \\0asm "
                         f"magic number, and not UTF-8 text)\n --> {name}: header section, byte offset 0x0") from None
    if not _WAT_START.match(source):
        # text that is no WAT at all (a C file, notes, an ELF…): say what it is not, not a parse error
        first = source.lstrip().split("\n", 1)[0][:24]
        what = f"this starts with `{first}`" if first else "this is empty"
        raise InputError(f"invalid Wasm module {name}: not a WebAssembly module or WAT text (a module starts "
                         f"with \\0asm, WAT text with `(`; {what})\n --> {name}:1:1")
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


def _located(name: str, reason: str, section: str | None, func: int | None, offset: int,
             what: str = "module") -> str:
    where = f"{section or 'header'} section" + (f", function {func}" if func is not None else "")
    return f"invalid Wasm {what} {name}: {reason}\n --> {name}: {where}, byte offset 0x{offset:x}"


def _where(module: Module, offset: int) -> tuple[str | None, int | None]:
    """The section (and, in the code section, the function index) containing byte ``offset``."""
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
    from compiler.lang.frontend import check_source  # on first use: see tests/test_import_cycles.py
    return check_source(script, script_name, (libs or Libraries()).signatures)


# ------------------------------------------------------------------------------------------ instrument

@collector_paused()
def instrument(app: App | bytes | PathLike, script: str, *, script_name: str = "script.mm",
               libs: Libraries | Iterable[str | LibSpec] = (), options: Options = Options(),
               module: int | None = None) -> InstrumentResult:
    """Instrument ``app`` with the whamm ``script`` (REWRITING.md).  The result is validated; nothing is
    written anywhere.  ``module`` chooses a component's core module (:func:`load_app`).  Raises
    :class:`WhammError` for any problem with the inputs."""
    from compiler.lang.checker import check_script  # on first use: see tests/test_import_cycles.py

    timings: dict[str, float] = {}
    clock = time.perf_counter()
    libraries = libs if isinstance(libs, Libraries) else load_libraries(libs)
    if not isinstance(app, App):
        app = load_app(app, module=module)
    timings["read"] = time.perf_counter() - clock
    clock = time.perf_counter()
    script_ast = parse_script(script, script_name)
    timings["parse"] = time.perf_counter() - clock
    clock = time.perf_counter()
    program = check_script(script_ast, script, script_name, libraries.signatures)
    timings["check"] = time.perf_counter() - clock
    from compiler.rewrite.emit import instrument as rewrite  # on first use: see tests/test_import_cycles.py
    if app.component is not None:
        options = replace(options, lend_low=True)       # the adapter's state is at the top of memory
    from compiler.rewrite.bodycache import FunctionCache     # (the same)
    cache = FunctionCache()         # kept for its plans: a trap's frames name their file:line (ANALYSIS.md §5)
    emitted = rewrite(app.module, program, options=options, cache=cache,
                      libraries={lib.name: lib.wasm for lib in libraries.linked})
    timings.update(emitted.timings)
    return InstrumentResult(app.package(emitted.wasm), app, program, libraries,
                            (*program.warnings, *emitted.warnings), libraries.warnings, emitted, timings,
                            plans={plan.fid: plan for plan in cache.bodies})


# ------------------------------------------------------------------------------------------------- run

def prepare_run(result: InstrumentResult, options: RunOptions = RunOptions(), *,
                compiled: MutableMapping[bytes, bytes] | None = None) -> Execution:
    """An :class:`~compiler.runner.Execution` of the instrumented module with the user libraries it
    imports; ``argv[0]`` defaults to the application's file name.  Call ``.run()`` (and
    ``.interrupt()`` from another thread) — the shell keeps the returned store/instance.  ``compiled``
    is a cache of compiled modules shared between runs (see :class:`~compiler.runner.Execution`).  A
    component application runs as a :class:`~compiler.component_runner.ComponentExecution` (WASI
    preview 2, docs/COMPONENTS.md)."""
    if not options.argv:
        options = _with_argv0(options, result.app.name)
    if result.app.component is not None:
        return ComponentExecution(result.wasm, options, app_name=result.app.name, compiled=compiled)
    return Execution(result.wasm, options, result.libraries.linked, app_name=result.app.name,
                     functions=result.functions, compiled=compiled)


def run(result: InstrumentResult, options: RunOptions = RunOptions(), *,
        interruptible: bool = False) -> RunResult:
    """Run the instrumented module once (CLI.md §4.2)."""
    return prepare_run(result, options).run(interruptible=interruptible)


def _with_argv0(options: RunOptions, name: str) -> RunOptions:
    return replace(options, argv=(os.path.basename(name),))

