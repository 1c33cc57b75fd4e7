"""The ``whamm`` command: maps flags to compiler calls and results to exit statuses (CLI.md).

Each sub-command lives in ``compiler/commands/<name>.py`` and exposes ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``.  This module owns what they share: argument parsing
(usage errors exit 2), rendering of :class:`~compiler.errors.WhammError` (exit 1) and the last-resort
handler that turns any other exception into ``internal compiler error`` (exit 3) instead of a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from compiler.errors import WhammError
from compiler.tools.catalog import ToolError

__all__ = ["main", "EXIT_OK", "EXIT_INPUT", "EXIT_USAGE", "EXIT_INTERNAL", "UsageError",
           "print_warnings", "render_error"]

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

#: Sub-command modules, in the order ``whamm --help`` lists them.
COMMAND_MODULES = ("instr", "run", "info", "check", "wat")

VERSION = "0.1.0"


class UsageError(Exception):
    """An invalid command line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so every usage error goes through one renderer."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _available_commands() -> list:
    mods = []
    for name in COMMAND_MODULES:
        try:
            mods.append(importlib.import_module(f"compiler.commands.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"compiler.commands.{name}":
                raise
    return mods


def build_parser() -> argparse.ArgumentParser:
    """The ``whamm`` argument parser, one sub-command per module of :mod:`compiler.commands` (each adds its
    own arguments and ``run``); usage errors exit 2 (CLI.md §5)."""
    parser = _Parser(prog="whamm", description="Instrument WebAssembly programs with whamm scripts.")
    parser.add_argument("--version", action="version", version=f"whamm {VERSION}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _available_commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``whamm`` console script; returns (and exits with) the exit status."""
    status = _main(sys.argv[1:] if argv is None else list(argv))
    if argv is None:
        sys.exit(status)
    return status


def _main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return args._run(args)
    except (UsageError, ToolError) as exc:         # a bad --tool is a bad command line too
        print(f"error: {exc}", file=sys.stderr)
        print(parser.format_usage().rstrip(), file=sys.stderr)
        return EXIT_USAGE
    except WhammError as exc:
        print(render_error(exc), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last-resort handler of D11
        print(f"error: internal compiler error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("note: this is a bug in whamm; please report it with the inputs that caused it",
              file=sys.stderr)
        return EXIT_INTERNAL


def print_warnings(text: str) -> None:
    """Print rendered warnings (if any) on stderr: the sub-commands' output stays the module or the run's."""
    if text:
        print(text, file=sys.stderr)


def render_error(exc: WhammError) -> str:
    """The text printed for a user error.  Messages that already carry ``error:`` lines (script
    diagnostics) are printed as they are; others get the ``error: `` prefix."""
    text = str(exc)
    if text.startswith(("error:", "warning:")):
        return text
    return f"error: {text}"


if __name__ == "__main__":
    # ``python -m compiler.cli``: run the imported module's main, not this __main__ copy, whose
    # UsageError would be a different class from the one the sub-commands raise.
    from compiler.cli import main as _entry
    _entry()
