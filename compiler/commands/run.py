"""``whamm run -s SCRIPT -a APP [...] [-- APP_ARGS...]``: instrument in memory and run (CLI.md §4).

Compilation is exactly ``whamm instr``'s (shared flags, warnings, ``-o`` writes the module too); the
run is :func:`compiler.api.run` with inherited standard streams.  The exit status is the program's
(CLI.md §4.4): 0, its ``proc_exit`` status, 134 after a trap, 124 at the time or fuel limit; compile
errors exit 1 before anything runs.  Ctrl-C interrupts the program (status 130).  A run that stops
before its flush point (trap, limit, Ctrl-C) is followed by the report values collected so far, headed
``report (partial: <why>)`` (ANALYSIS.md §8).  ``--folded VAR=FILE`` then writes the profile VAR
(ANALYSIS.md §3) from the instance's values, whole or partial, as folded stacks; VAR and FILE are
checked before the program runs, so a typo does not cost a run.  With ``--tool NAME[:ARG…]`` (a part of the
script like ``-s``/``-e``, :mod:`compiler.scripts`) the report at exit is, by default, each tool's table
(``--format table``, docs/TOOLS.md) followed by the other report variables in the human form.
"""
from __future__ import annotations

import argparse
import os
import sys

from compiler.cli import UsageError
from compiler.commands.instr import add_compile_arguments, check_outputs_spare_inputs, compile_inputs
from compiler.errors import InternalError, WhammError
from compiler.files import check_replaceable, write_file, write_output
from compiler.report.coverage import COVERAGE_VAR, coverage, lcov_text
from compiler.report.human import human_report
from compiler.report.folded import ProfileError, folded_text, profile_counts, profile_type_error
from compiler.runner import MAX_FUEL, MAX_TIMEOUT, RunOptions
from compiler.scripts import tool_parts
from compiler.tools import find_tool, tool_table
from compiler.wei.cli import run_monitor

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "run"
HELP = "instrument a Wasm application in memory and run it on wasmtime"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``whamm run``'s arguments (CLI.md §4.2): the compile arguments plus what the application runs with."""
    add_compile_arguments(parser)
    parser.add_argument("-o", "--output-path", metavar="PATH",
                        help="also write the instrumented module to PATH")
    parser.add_argument("--env", action="append", default=[], metavar="K=V",
                        help="set an environment variable for the application (repeatable)")
    parser.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]",
                        help="preopen a host directory (repeatable; GUEST defaults to HOST)")
    parser.add_argument("--invoke", metavar="NAME", help="call the export NAME instead of the default entry")
    parser.add_argument("--timeout", type=_positive_float, metavar="SECONDS",
                        help="interrupt the run after this wall time (then, as after a trap or Ctrl-C, the "
                             "values so far are printed as 'report (partial: ...)')")
    parser.add_argument("--fuel", type=_fuel, metavar="N", help="limit execution to N units of wasmtime fuel")
    stubs = parser.add_mutually_exclusive_group()
    stubs.add_argument("--trap-unknown-imports", dest="unknown_imports", action="store_const", const="trap",
                       help="provide imports nobody else provides as functions that trap when called "
                            "(as wasmtime's flag of that name)")
    stubs.add_argument("--default-values-unknown-imports", dest="unknown_imports", action="store_const",
                       const="default", help="provide imports nobody else provides as functions returning "
                                             "zeros and globals with default values (as wasmtime's flag)")
    parser.add_argument("--folded", action="append", default=[], metavar="VAR=FILE",
                        help="after the run, write the profile VAR (a map<str, N> keyed by callstack) to FILE "
                             "as folded stacks for flamegraph.pl, inferno or speedscope (repeatable)")
    parser.add_argument("--format", choices=("csv", "text", "table"), default=None,
                        help="the report at exit: csv (REWRITING.md §11, printed by the module; the default "
                             "without --tool), text (bpftrace's human form, printed by whamm from the "
                             "instance's values; wasm:report bodies do not run) or table (each --tool's "
                             "table, then the other variables as text; the default with --tool)")
    parser.add_argument("--coverage", metavar="FILE",
                        help="count the source lines the run reaches (DWARF line tables: build the application "
                             "with -g) and write them to FILE as an LCOV tracefile for lcov/genhtml; the "
                             "script (-s/-e) is then optional (docs/SOURCE.md)")
    parser.add_argument("-w", "--wei", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--wei-monitor", metavar="PATH",
                        help="run the application under this engine monitor module (whamm instr --wei) "
                             "on the emulated engine instead of instrumenting it")
    parser.add_argument("app_args", nargs="*", metavar="-- APP_ARGS", help="arguments for the application")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_TIMEOUT:       # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"invalid --timeout value '{text}': expected a positive number "
                                         f"of seconds up to {MAX_TIMEOUT:.0f}")
    return value


def _fuel(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_FUEL:
        raise argparse.ArgumentTypeError(f"invalid --fuel value '{text}': expected an integer from 0 to "
                                         f"{MAX_FUEL}")
    return value


def _env(entries: list[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not sep or not key:
            raise UsageError(f"invalid --env value '{entry}': expected K=V")
        out.append((key, value))
    return tuple(out)


def _dirs(entries: list[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for entry in entries:
        host, sep, guest = entry.partition("::")
        if not host or (sep and not guest):
            raise UsageError(f"invalid --dir value '{entry}': expected HOST or HOST::GUEST")
        out.append((host, guest or host))
    return tuple(out)


def _folded(entries: list[str]) -> list[tuple[str, str]]:
    """The ``--folded VAR=FILE`` pairs; a malformed one or two writing one file is a usage error."""
    out = []
    for entry in entries:
        name, sep, path = entry.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"invalid --folded value '{entry}': expected VAR=FILE")
        if any(path == other for _, other in out):
            raise UsageError(f"--folded: '{path}' is given twice")
        out.append((name, path))
    return out


def _check_profiles(layout, profiles: list[tuple[str, str]]) -> None:
    """Before running: every ``--folded`` VAR is a report variable of a profile type and every FILE
    may be written (an existing regular file or a new name in an existing directory)."""
    types = {v.name: v.whamm_type for v in layout.report}
    for name, path in profiles:
        if name not in types:
            names = ", ".join(types) or "(none)"
            raise WhammError(f"--folded {name}={path}: no report variable `{name}` (there are: {names})")
        problem = profile_type_error(name, types[name])
        if problem is not None:
            raise WhammError(f"--folded {name}={path}: {problem}")
        _check_writable(f"--folded {name}={path}", path)


def _write_profiles(result, outcome, profiles: list[tuple[str, str]]) -> bool:
    """Write each ``--folded`` profile from the instance's values (those so far after a trap or a
    limit); False, with an error on stderr, for a profile that could not be written."""
    from compiler.report.live import read_report_values

    if not profiles:
        return True
    if outcome.instance is None:
        print("error: --folded: no values (the program stopped while being instantiated)", file=sys.stderr)
        return False
    values = read_report_values(result.layout, outcome)
    ok = True
    for name, path in profiles:
        try:
            write_file(path, folded_text(profile_counts(name, values)).encode("utf-8"))
        except ProfileError as exc:
            print(f"error: --folded {name}={path}: {exc}", file=sys.stderr)
            ok = False
        except OSError as exc:
            print(f"error: --folded {name}={path}: cannot write '{path}': {exc.strerror or exc}", file=sys.stderr)
            ok = False
    return ok


def run(args: argparse.Namespace) -> int:
    """Instrument and run the application on wasmtime (or run an engine monitor with ``--wei-monitor``);
    the exit status is the application's (CLI.md §4.4)."""
    from compiler import api

    if args.wei:
        raise UsageError("--wei is not allowed with 'whamm run'")
    env, dirs = _env(args.env), _dirs(args.dir)
    profiles = _folded(args.folded)
    outputs = [(f"--folded {name}={path}", path) for name, path in profiles]
    for option, path in (("--coverage", args.coverage), ("-o", args.output_path)):
        if path is not None:
            outputs.append((f"{option} {path}", path))
    check_outputs_spare_inputs(args, outputs)
    tools = tool_parts(args.scripts)
    report_format = args.format or ("table" if tools and not args.no_report else "csv")
    text_report = report_format != "csv"
    if text_report and args.no_report:
        raise UsageError(f"--format {report_format} prints the report: it cannot be combined with --no-report")
    if report_format == "table" and not tools:
        raise UsageError("--format table shows the tables of --tool: give at least one --tool")
    if tools and (args.no_body or args.no_bundle):      # the tables would show counters nothing increments
        raise UsageError("--tool counts in probe bodies: it cannot be combined with --no-body or --no-bundle")
    if args.wei_monitor is not None:
        if text_report:
            raise UsageError(f"--format {report_format} is not supported with --wei-monitor")
        if profiles:
            raise UsageError("--folded is not supported with --wei-monitor")
        if args.coverage is not None:
            raise UsageError("--coverage is not supported with --wei-monitor")
        if args.unknown_imports is not None:
            raise UsageError(f"--{'trap' if args.unknown_imports == 'trap' else 'default-values'}-unknown-imports "
                             "is not supported with --wei-monitor")
        return run_monitor(args, env, dirs)
    if text_report:
        args.no_report = True           # the module prints no report: whamm prints it, in text form
    if args.coverage is not None:
        if args.no_body or args.no_bundle:
            raise UsageError("--coverage counts in probe bodies: it cannot be combined with --no-body or --no-bundle")
        _check_writable(f"--coverage {args.coverage}", args.coverage)
        if not args.scripts:            # coverage alone: no report of the counters at exit
            args.no_report = True
        if not any(COVERAGE_VAR in find_tool(name).report_variables for name, _ in tools):
            args.scripts = [*args.scripts, ("coverage", args.coverage)]    # (--tool coverage counts them already)
    result = compile_inputs(args)
    if result.app.component is not None:
        _check_component_options(report_format, profiles)
    _check_profiles(result.layout, profiles)
    if args.output_path is not None:
        write_output(args.output_path, result.wasm)
    argv = (os.path.basename(args.app), *args.app_args)
    outcome = api.run(result, RunOptions(argv, env, dirs, invoke=args.invoke, timeout=args.timeout,
                                         fuel=args.fuel, unknown_imports=args.unknown_imports),
                      interruptible=True)
    if outcome.results:
        print("\n".join(outcome.results), flush=True)
    if outcome.error_text:
        print(outcome.error_text, file=sys.stderr, flush=True)
    if text_report:
        _print_text_report(result, outcome, tools if report_format == "table" else [])
    elif not args.no_report:
        _print_partial_report(result, outcome)
    if not _write_profiles(result, outcome, profiles):
        return outcome.status or 1
    if args.coverage is not None and not _write_coverage(result, outcome, args.coverage, args.app):
        return outcome.status or 1
    return outcome.status


def _check_component_options(report_format: str, profiles: list[tuple[str, str]]) -> None:
    """A component's report is the CSV its module prints (ANALYSIS.md §6): what needs the instance's
    memory, which the host cannot read inside a component, is refused before the program runs."""
    if report_format != "csv":
        raise WhammError(f"--format {report_format} reads the report from the instance, which the host cannot "
                         "do inside a component: use the CSV report the module prints (--format csv)")
    if profiles:
        raise WhammError("--folded reads the profile from the instance, which the host cannot do inside a "
                         "component: use the CSV report the module prints")


def _check_writable(label: str, path: str) -> None:
    """Before running: ``path`` may be written (an existing regular file or a new name in an existing
    directory), so a typo does not cost a run; ``label`` (the option as given) heads the error."""
    try:
        check_replaceable(path)
    except OSError as exc:
        raise WhammError(f"{label}: cannot write '{path}': {exc.strerror}") from None
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise WhammError(f"{label}: cannot write '{path}': no such directory '{directory}'")


def _write_coverage(result, outcome, path: str, app: str) -> bool:
    """Write the run's line coverage (partial after a trap or a limit) as LCOV; False, with an error on
    stderr, when there are no values or the file cannot be written."""
    from compiler.report.live import read_report_values

    if outcome.instance is None:
        print("error: --coverage: no values (the program stopped while being instantiated)", file=sys.stderr)
        return False
    cov = coverage(result.app.module, read_report_values(result.layout, outcome))
    try:
        write_file(path, lcov_text(cov, app_dir=os.path.dirname(os.path.abspath(app))).encode("utf-8"))
    except OSError as exc:
        print(f"error: --coverage {path}: cannot write '{path}': {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _print_text_report(result, outcome, tools: list[tuple[str, tuple[str, ...]]]) -> None:
    """``--format text``: every report variable in bpftrace's human form (ANALYSIS.md §1–§2), read
    from the instance after the run — headed ``report (partial: <why>)`` when the run stopped before
    its flush point, as the CSV's partial report is.  ``--format table`` (``tools`` given): each tool's
    table under its name first, then the variables no tool showed, in the human form."""
    from compiler.report.live import PARTIAL_REASONS, read_report_values

    if not result.layout.report:
        return
    why = PARTIAL_REASONS.get(outcome.outcome)
    heading = "" if why is None else f"report (partial: {why})\n"
    if outcome.instance is None:
        print(f"\n{heading or 'report: '}no values (the program stopped while being instantiated)", flush=True)
        return
    values = read_report_values(result.layout, outcome)
    out = ["\n" + heading]
    shown = {COVERAGE_VAR}              # --coverage's counters go to the tracefile only
    for name, args in tools:
        lines = tool_table(name, values, result.app)
        if lines is None:
            raise InternalError(f"tool {name}: its variables are missing from the report")
        shown |= find_tool(name).report_variables
        out.append(" ".join([name, *args]) + ":\n" + "".join(line + "\n" for line in lines) + "\n")
    rest = [v for v in values if v.var.name not in shown]
    if not rest and not tools:          # --coverage alone
        return
    out.append(human_report(rest))
    sys.stdout.write("".join(out))
    sys.stdout.flush()


def _print_partial_report(result, outcome) -> None:
    """After a run that stopped before its flush point (trap, timeout, fuel, Ctrl-C), the values
    collected so far, read from the instance (ANALYSIS.md §8); nothing when there are no report
    variables.  The exit status is not affected."""
    from compiler.report.live import PARTIAL_REASONS, partial_report, read_report_values

    why = PARTIAL_REASONS.get(outcome.outcome)
    if why is None or not result.layout.report:
        return
    if result.app.component is not None:
        print(f"\nreport (partial: {why}): no values (the host cannot read a core instance's memory inside a "
              "component)", flush=True)
        return
    if outcome.instance is None:
        print(f"\nreport (partial: {why}): no values (the program stopped while being instantiated)",
              flush=True)
        return
    sys.stdout.write(partial_report(read_report_values(result.layout, outcome), why))
    sys.stdout.flush()
