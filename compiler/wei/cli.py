"""The ``--wei`` paths of the CLI (CLI.md §1, §4): ``whamm instr --wei -s S -o mon.wasm`` and
``whamm run --wei-monitor mon.wasm -a app.wasm [-u LIBS] [-- ARGS]``.

``instr.py`` and ``run.py`` delegate here once they have seen the flag, so the engine target's flow — the
front end with the engine's rules (``probe_id`` allowed), :func:`~compiler.wei.monitor.build_monitor`,
the emulator — stays in this package.  Output files are written like ``whamm instr``'s (atomically,
only once validated); exit statuses are ``whamm run``'s (CLI.md §4.4).
"""
from __future__ import annotations

import argparse
import os
import sys

from compiler.cli import UsageError, print_warnings
from compiler.errors import WhammError
from compiler.files import read_regular_file, write_output
from compiler.lang.diagnostics import ScriptError
from compiler.lang.libraries import LibSpecError, parse_lib_specs
from compiler.options import Options
from compiler.scripts import read_sources

__all__ = ["instr_wei", "run_monitor", "compile_monitor"]


def compile_monitor(script: str, script_name: str, user_libs: list[str], options: Options | None = None):
    """Read the libraries, check the script with the engine's rules and build the monitor: the
    :class:`~compiler.wei.monitor.Monitor`.  Malformed ``--user-libs`` values are usage errors."""
    from compiler import api
    from compiler.lang.frontend import check_source
    from compiler.wei.monitor import build_monitor

    try:
        specs = parse_lib_specs(user_libs)
    except LibSpecError as exc:
        raise UsageError(str(exc)) from None
    libs = api.load_libraries(specs)
    program = check_source(script, script_name, libs.signatures, wei=True)
    return build_monitor(program, options=options, libraries={lib.name: lib.wasm for lib in libs.linked})


def instr_wei(args: argparse.Namespace) -> int:
    """``whamm instr --wei``: compile the script alone into a monitor module and write it."""
    from compiler import api

    if not args.scripts:
        raise UsageError("missing required option --script")
    if args.no_bundle and not (args.no_body and args.no_pred):
        raise UsageError("--no-bundle requires --no-body and --no-pred")
    sources = read_sources(args.scripts)
    options = api.Options(args.no_body, args.no_pred, args.no_report, args.no_bundle)
    try:
        monitor = compile_monitor(sources.text, sources.name, args.user_libs, options)
    except ScriptError as exc:
        refused = _refused_tool(exc, sources)
        raise (refused or sources.localize(exc)) from None
    if monitor.warnings:
        color = sys.stderr.isatty() and "NO_COLOR" not in os.environ
        print_warnings(sources.render(monitor.warnings, color))
    if args.metrics:
        for phase, seconds in monitor.timings.items():
            print(f"{phase:>10}: {seconds * 1000:9.2f} ms", file=sys.stderr)
    write_output(args.output_path, monitor.wasm)
    return 0


def _refused_tool(exc: ScriptError, sources) -> WhammError | None:
    """When the engine target rejects a ``--tool``'s own script (not the user's parts), one line naming the
    tool and the first reason (docs/TOOLS.md: ``tool flame is not accepted by the wei target: `callstack`
    is not supported by the wei target``) instead of diagnostics pointing into a file the user never
    wrote; None when some diagnostic is about the user's parts."""
    errors = [sources.locate(d) for d in exc.diagnostics if d.severity == "error"]
    if not errors or not all(part.name.startswith("<tool ") for _, part in errors):
        return None
    diag, part = errors[0]
    name = part.name.removeprefix("<tool ").removesuffix(">")
    return WhammError(f"tool {name} is not accepted by the wei target: {diag.message} "
                      "(use the rewriting target: whamm instr or whamm run)")


def run_monitor(args: argparse.Namespace, env: tuple[tuple[str, str], ...],
                dirs: tuple[tuple[str, str], ...]) -> int:
    """``whamm run --wei-monitor MON -a APP``: run the application under the monitor on the emulated
    engine (:mod:`compiler.wei.emulator`)."""
    from compiler import api
    from compiler.runner import RunOptions
    from compiler.wei.emulator import emulate

    if args.scripts:
        raise UsageError("--script/--expr/--tool cannot be used with --wei-monitor (the monitor is already compiled)")
    if args.app is None:
        raise UsageError("--app is required with --wei-monitor")
    for flag in ("no_body", "no_pred", "no_report", "no_bundle", "no_coalesce"):
        if getattr(args, flag):
            raise UsageError(f"--{flag.replace('_', '-')} cannot be used with --wei-monitor")
    if args.output_path is not None:
        raise UsageError("--output-path cannot be used with --wei-monitor")
    try:
        monitor = read_regular_file(args.wei_monitor)
    except OSError as exc:
        raise WhammError(f"cannot read monitor '{args.wei_monitor}': {exc.strerror or exc}") from None
    try:
        specs = parse_lib_specs(args.user_libs)
    except LibSpecError as exc:
        raise UsageError(str(exc)) from None
    libs = api.load_libraries(specs)
    app = api.load_app(args.app, module=args.module)
    if app.component is not None:   # the emulator runs core modules on WASI preview 1 (docs/COMPONENTS.md)
        raise WhammError(f"--wei-monitor runs core modules only: {args.app} is a component (instrument it "
                         "with -s instead)")
    argv = (os.path.basename(args.app), *args.app_args)
    options = RunOptions(argv, env, dirs, invoke=args.invoke, timeout=args.timeout, fuel=args.fuel)
    result = emulate(monitor, app.wasm, libs.linked, options, app_name=app.name, app_module=app.module).result
    if result.results:
        print("\n".join(result.results), flush=True)
    if result.error_text:
        print(result.error_text, file=sys.stderr, flush=True)
    return result.status
