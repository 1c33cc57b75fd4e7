"""``whamm info -r RULE [-v] [-f]``: what a rule matches and what is in scope there (CLI.md §2);
``whamm info -l [GLOB]``: the matching rules, one per line (ANALYSIS.md §8, as ``bpftrace -l``).

The command only maps flags to :func:`compiler.events.info.render_info`; an unmatched rule raises the
catalog's ``no match for the <level> pattern`` error, which ``compiler.cli`` prints with exit status 1.
"""
from __future__ import annotations

import argparse
import sys

from compiler.cli import UsageError

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "info"
HELP = "explain what a probe rule matches and which variables and functions it binds"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``whamm info``'s arguments (CLI.md): the rule pattern and what to list besides the events."""
    parser.add_argument("-r", "--rule", help="probe-rule pattern, 1 to 4 parts (e.g. 'wasm:opcode:br*')")
    parser.add_argument("-l", "--list", nargs="?", const="*", metavar="GLOB",
                        help="list the rules a pattern matches, one per line (default: every rule)")
    parser.add_argument("-v", "--vars", action="store_true", help="also list bound variables")
    parser.add_argument("-f", "--functions", action="store_true", help="also list bound functions")
    parser.add_argument("-d", "--defs-path", metavar="DIR",
                        help="accepted for compatibility and ignored (the event catalog is built in)")


def run(args: argparse.Namespace) -> int:
    """Print the events (and bound variables/functions) a rule pattern matches, from the built-in catalog."""
    from compiler.events.info import render_info, render_list

    if args.list is not None:
        if args.rule is not None or args.vars or args.functions:
            raise UsageError("-l lists rules; it cannot be combined with -r, -v or -f")
        sys.stdout.write(render_list(args.list))
        return 0
    if args.rule is None:
        raise UsageError("missing required option --rule (or -l to list rules)")
    if args.defs_path is not None:
        print("warning: --defs-path is ignored (the event catalog is built in)", file=sys.stderr)
    sys.stdout.write(render_info(args.rule, vars=args.vars, functions=args.functions))
    return 0
