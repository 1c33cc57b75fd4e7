"""``whamm check -s SCRIPT [-u LIBS]...``: parse and check a script without an application.

Prints warnings and errors in the LANGUAGE.md §14.1 format on stderr; exit 0 when the script is valid
(warnings allowed), 1 otherwise.  Library signatures come from the ``--user-libs`` modules, so
``lib.f(...)`` calls are checked exactly as ``whamm instr`` would check them.
"""
from __future__ import annotations

import argparse
import os
import sys

from compiler.errors import WhammError
from compiler.lang.diagnostics import ScriptError, render

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "check"
HELP = "parse and type-check a whamm script"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-s", "--script", required=True, metavar="PATH", help="the whamm script")
    parser.add_argument("-u", "--user-libs", "--lib", action="append", default=[], metavar="LIBS",
                        help="user libraries: NAME=PATH or NAME(IMPORT_MODULE)=PATH, comma-separated; "
                             "may be repeated")


def run(args: argparse.Namespace) -> int:
    from compiler.cli import UsageError
    from compiler.lang.frontend import check_source
    from compiler.lang.libraries import CORE_NAME, LibSpecError, parse_lib_specs, read_library

    try:
        specs = parse_lib_specs(args.user_libs)
    except LibSpecError as exc:
        raise UsageError(str(exc)) from None
    libraries = {}
    for spec in specs:
        if spec.name == CORE_NAME:
            print(f"warning: --user-libs entry for {CORE_NAME} ignored (it is built in)", file=sys.stderr)
            continue
        libraries[spec.name] = read_library(spec)
    try:
        with open(args.script, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise WhammError(f"cannot read script '{args.script}': {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise WhammError(f"cannot read script '{args.script}': not valid UTF-8 ({exc.reason})") from None
    color = sys.stderr.isatty() and "NO_COLOR" not in os.environ
    try:
        program = check_source(text, args.script, libraries)
    except ScriptError as exc:
        print(exc.render(color), file=sys.stderr)
        return 1
    if program.warnings:
        print(render(program.warnings, text, args.script, color), file=sys.stderr)
    return 0
