"""``whamm check -s SCRIPT [-e PROGRAM]... [-u LIBS]... [--wei|--rewriting]``: which targets accept a script.

A script is checked for both targets (ANALYSIS.md §8), because they accept different scripts: the engine
target alone binds ``probe_id``, and it cannot express ``after``/``alt`` probes, writes into the
application and the like (WEI.md §2).  The verdict goes to stdout — ``ok: rewriting, wei``, or
``ok: wei only (<why rewriting rejects it>)`` / ``ok: rewriting only (<why wei rejects it>)`` — with the
accepting target's warnings on stderr (LANGUAGE.md §14.1), exit 0.  Only when no target accepts the
script does the check fail: every target's errors on stderr (each distinct one once), exit 1.
``--wei`` / ``--rewriting`` check one target only.  There is no application, so what depends on one
(rule matches, ``@static`` calls) is not checked; library signatures come from the ``--user-libs``
modules, so ``lib.f(...)`` calls are checked exactly as ``whamm instr`` would check them.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from compiler.cli import UsageError
from compiler.lang.diagnostics import ScriptError
from compiler.lang.libraries import LibSpecError, parse_lib_specs
from compiler.scripts import add_script_arguments, read_sources

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "check"
HELP = "parse and type-check a whamm script, for the rewriting and the engine (wei) target"

_TARGETS = ("rewriting", "wei")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``whamm check``'s arguments (CLI.md): the script parts, user libraries, and which target to check for."""
    add_script_arguments(parser)
    parser.add_argument("-u", "--user-libs", "--lib", action="append", default=[], metavar="LIBS",
                        help="user libraries: NAME=PATH or NAME(IMPORT_MODULE)=PATH, comma-separated; "
                             "may be repeated")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--wei", action="store_true", help="check for the engine target (WEI.md) only")
    only.add_argument("--rewriting", action="store_true", help="check for the bytecode-rewriting target only")


def run(args: argparse.Namespace) -> int:
    """Check the script for the chosen targets; diagnostics on stderr, exit 1 if any target rejects it."""
    from compiler import api

    if not args.scripts:
        raise UsageError("missing required option --script")
    try:
        specs = parse_lib_specs(args.user_libs)
    except LibSpecError as exc:
        raise UsageError(str(exc)) from None
    libs = api.load_libraries(specs)
    for message in libs.warnings:
        print(f"warning: {message}", file=sys.stderr)
    sources = read_sources(args.scripts)
    targets = ("wei",) if args.wei else ("rewriting",) if args.rewriting else _TARGETS
    accepted = {}
    rejected: dict[str, ScriptError] = {}
    for target in targets:
        try:
            accepted[target] = _check(target, sources, libs)
        except ScriptError as exc:
            rejected[target] = exc
    color = sys.stderr.isatty() and "NO_COLOR" not in os.environ
    if not accepted:
        diagnostics = []
        for exc in rejected.values():
            diagnostics += [d for d in exc.diagnostics if d not in diagnostics]
        print(sources.render(diagnostics, color), file=sys.stderr)
        return 1
    warnings = next(iter(accepted.values())).warnings
    if warnings:
        print(sources.render(warnings, color), file=sys.stderr)
    verdict = ", ".join(accepted)
    if rejected:
        target, exc = next(iter(rejected.items()))
        verdict += f" only ({_reason(exc)})"
    print(f"ok: {verdict}")
    return 0


def _check(target: str, sources, libs):
    """The checked program for ``target``; ``ScriptError`` when that target rejects the script."""
    from compiler.lang.frontend import check_source
    program = check_source(sources.text, sources.name, libs.signatures, wei=target == "wei")
    if target == "wei":
        from compiler.wei.support import check_supported
        check_supported(program)
    return program


_FLAG_HINT = re.compile(r"\s*\(--\w[\w-]*\)$")


def _reason(exc) -> str:
    """Why a target rejects the script, for the verdict line: its first error's message without a
    trailing flag hint such as ``(--wei)`` (``probe_id is only available in the engine
    target``); with more errors, how many more."""
    errors = [d for d in exc.diagnostics if d.is_error] or list(exc.diagnostics)
    if not errors:
        return "it has errors"
    first = _FLAG_HINT.sub("", errors[0].message)
    more = len(errors) - 1
    return first + (f"; and {more} more error{'s' if more > 1 else ''}" if more else "")
