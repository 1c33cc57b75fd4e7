"""``whamm instr -s SCRIPT -a APP [-o OUT] [-u LIBS]... [knobs]``: instrument and write (CLI.md §1).

Flags map to :func:`compiler.api.instrument`; the result is written only once it exists, which means
it validated, and atomically: to a temporary file beside the target, then renamed over it, so a failed
or interrupted run never leaves a half-written or stale-but-replaced output.  Upstream's compatibility
flags are accepted with a warning (``--core-lib``, ``--defs-path``) or refused as usage errors
(``--link-strategy merged``, ``--testing``).
"""
from __future__ import annotations

import argparse
import gc
import os
import sys

from compiler.cli import UsageError, print_warnings
from compiler.files import write_output
from compiler.lang.diagnostics import ScriptError
from compiler.lang.libraries import LibSpecError, parse_lib_specs
from compiler.scripts import add_script_arguments, read_sources
from compiler.wei.cli import instr_wei

__all__ = ["NAME", "HELP", "add_arguments", "run", "add_compile_arguments", "compile_inputs"]

NAME = "instr"
HELP = "instrument a Wasm application with a whamm script (bytecode rewriting)"


def add_compile_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags ``instr`` and ``run`` share: script, app, output, libraries, knobs."""
    add_script_arguments(parser)
    parser.add_argument("-a", "--app", metavar="PATH", help="the application, .wasm or .wat")
    parser.add_argument("--module", type=_module_index, metavar="N",
                        help="for a component: the core module to instrument (index in depth-first order; "
                             "default: the only one that is neither WASI adapter nor shim)")
    parser.add_argument("-u", "--user-libs", "--lib", action="append", default=[], metavar="LIBS",
                        help="user libraries: NAME=PATH or NAME(IMPORT_MODULE)=PATH, comma-separated; "
                             "may be repeated")
    parser.add_argument("--no-body", action="store_true", help="emit empty probe bodies")
    parser.add_argument("--no-pred", action="store_true", help="drop dynamic predicates")
    parser.add_argument("--no-report", action="store_true", help="do not emit report printing")
    parser.add_argument("--no-bundle", action="store_true",
                        help="emit nothing at sites (requires --no-body and --no-pred)")
    parser.add_argument("--no-coalesce", action="store_true",
                        help="one counter add per site instead of one per straight-line run "
                             "(docs/COALESCING.md)")
    parser.add_argument("-m", "--metrics", action="store_true",
                        help="print phase timings (parse, check, match, emit, encode, validate) to stderr")


def _module_index(text: str) -> int:
    """``--module N``: a core module index of a component."""
    if not text.isdecimal():
        raise argparse.ArgumentTypeError(f"invalid --module value '{text}': expected a core module index "
                                         "(0, 1, ...)")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``whamm instr``'s arguments (CLI.md §4.1): the compile arguments, the output path and the target."""
    add_compile_arguments(parser)
    parser.add_argument("-o", "--output-path", metavar="PATH", default="output.wasm",
                        help="where to write the result (default: output.wasm)")
    parser.add_argument("-w", "--wei", action="store_true",
                        help="build an engine monitor module instead of rewriting (--app is then ignored)")
    parser.add_argument("-c", "--core-lib", metavar="PATH",
                        help="accepted for compatibility and ignored (the core library is built in)")
    parser.add_argument("-l", "--link-strategy", choices=("imported", "merged"), default="imported",
                        help="how user libraries are linked: 'imported' (the only strategy)")
    parser.add_argument("-d", "--defs-path", metavar="DIR",
                        help="accepted for compatibility and ignored (the event catalog is built in)")
    parser.add_argument("-t", "--testing", action="store_true", help="not supported")


def compile_inputs(args: argparse.Namespace):
    """Check the shared flags and instrument: the :class:`~compiler.api.InstrumentResult`.  Usage
    problems raise ``UsageError``; input problems ``WhammError``.  Warnings are printed here (stderr)."""
    from compiler import api

    if not args.scripts:
        raise UsageError("missing required option --script")
    if args.app is None:
        raise UsageError("--app is required unless --wei is given")
    if args.no_bundle and not (args.no_body and args.no_pred):
        raise UsageError("--no-bundle requires --no-body and --no-pred")
    try:
        specs = parse_lib_specs(args.user_libs)
    except LibSpecError as exc:
        raise UsageError(str(exc)) from None
    options = api.Options(args.no_body, args.no_pred, args.no_report, args.no_bundle, args.no_coalesce)
    loaded: list = []

    def app_module():
        """The application, read once, for a ``--tool`` that builds its script from it."""
        if not loaded:
            loaded.append(api.load_app(args.app, module=args.module))
        return loaded[0].module

    sources = read_sources(args.scripts, app_module)
    libs = api.load_libraries(specs)
    try:
        result = api.instrument(loaded[0] if loaded else args.app, sources.text, script_name=sources.name, libs=libs, options=options,
                                module=args.module)
    except ScriptError as exc:
        raise sources.localize(exc) from None
    print_warnings(result.render_warnings(_color(), sources))
    if args.metrics:
        for phase, seconds in result.timings.items():
            print(f"{phase:>10}: {seconds * 1000:9.2f} ms", file=sys.stderr)
    return result


def check_outputs_spare_inputs(args: argparse.Namespace, outputs: list[tuple[str, str]]) -> None:
    """Before anything is written: no output file (``(as given, path)``: ``("--coverage app.wasm",
    "app.wasm")``) is one of the inputs (the
    application, a ``-s`` script, a ``-u`` library) or another output — ``--coverage app.wasm`` used to
    replace the application with the tracefile.  A usage error naming both options."""
    inputs = [("--app", args.app)] if args.app is not None else []
    inputs += [("--script", value) for kind, value in args.scripts if kind == "file"]
    try:
        inputs += [("--user-libs", spec.path) for spec in parse_lib_specs(args.user_libs)]
    except LibSpecError:
        pass                                    # compile_inputs reports it
    seen: dict[str, str] = {os.path.realpath(path): f"the input {option} {path}" for option, path in inputs}
    for given, path in outputs:
        real = os.path.realpath(path)
        if real in seen:
            raise UsageError(f"{given}: that is {seen[real]}, which it would overwrite")
        seen[real] = f"the output of {given}"


def _color() -> bool:
    return sys.stderr.isatty() and "NO_COLOR" not in os.environ


def run(args: argparse.Namespace) -> int:
    """Instrument the application (or build the engine monitor with ``--wei``) and write the output file;
    compatibility options the compiler does not support are usage errors, ignored ones warnings."""
    if args.testing:
        raise UsageError("--testing is not supported")
    if args.link_strategy == "merged":
        raise UsageError("link strategy 'merged' is not supported")
    if args.core_lib is not None:
        print("warning: --core-lib is ignored (the core library is built in)", file=sys.stderr)
    if args.defs_path is not None:
        print("warning: --defs-path is ignored (the event catalog is built in)", file=sys.stderr)
    if args.wei:
        if not args.scripts:
            raise UsageError("missing required option --script")
        if args.app is not None:
            print("warning: --app is ignored with --wei", file=sys.stderr)
        return instr_wei(args)
    # A one-shot process: the collector stays off for good.  Compiling pauses it anyway (see
    # compiler.gc_pause); resuming it would start a catch-up pass over every object the compilation
    # made (~0.15 s on a 1 MB module) that frees nothing the process exit does not.
    gc.disable()
    check_outputs_spare_inputs(args, [(f"-o {args.output_path}", args.output_path)])
    result = compile_inputs(args)
    write_output(args.output_path, result.wasm)
    return 0
