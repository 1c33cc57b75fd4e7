"""The text ``whamm info`` prints (CLI.md §2): what a rule matches and what is in scope there.

Plain text, four spaces per level, sections separated by lines of 100 ``-``.  Each catalog entry is a
header (``br_if event``), its description one level deeper, then optional ``VARIABLES:`` / ``FUNCTIONS:``
blocks; a variable line is ``name: type`` plus `` ==> <definition>`` for constants, aliases and derived
values, with the description on the next line.  Built from :func:`compiler.events.rules.match_info` so
``info`` and script rules can never disagree about what a pattern matches.
"""
from __future__ import annotations

from typing import Iterable

from compiler.events.catalog import CORE_FNS, CORE_VARS, ENGINE_ONLY_PREFIX, BoundFn, BoundVar
from compiler.events.rules import match_info, split_rule

__all__ = ["render_list", "render_info", "SEPARATOR"]

SEPARATOR = "-" * 100
_INDENT = "    "


def render_list(glob: str = "*") -> str:
    """``whamm info -l [GLOB]`` (ANALYSIS.md §8): every rule the pattern matches, one per line and fully
    spelled (``wasm:opcode:br_if:before``, ``wasm:begin``), in catalog order, as ``bpftrace -l`` lists
    probes.  The pattern is a rule pattern as for ``-r`` (missing trailing parts mean ``*``).

    Raises :class:`~compiler.events.rules.NoMatchError` when it matches nothing.
    """
    match = match_info(split_rule(glob))
    lines: list[str] = []
    for pv in match.providers:
        for pk in match.packages:
            if not any(pk is p for p in pv.packages):
                continue
            if not pk.events:
                lines.append(f"{pv.name}:{pk.name}")
                continue
            for ev, modes in match.events:
                if any(ev is e for e in pk.events):
                    base = f"{pv.name}:{pk.name}:{ev.name}"
                    lines += [f"{base}:{m.name}" for m in modes] if ev.modes else [base]
    return "".join(line + "\n" for line in lines)


def render_info(rule: str, vars: bool = False, functions: bool = False) -> str:
    """The complete ``whamm info -r RULE [-v] [-f]`` output (ending in a newline).

    Raises :class:`~compiler.events.rules.NoMatchError` when the rule matches nothing.
    """
    match = match_info(split_rule(rule))
    out: list[str] = []
    if vars or functions:
        out += ["CORE whamm FUNCTIONALITY", ""]
        out += _members(CORE_VARS if vars else (), CORE_FNS if functions else (), 0)
        out += [SEPARATOR, ""]
    out += [f"{rule} matches the following rules:", ""]
    for pv in match.providers:
        out += _entry(f"{pv.name} provider", pv.doc, pv.vars, pv.fns, vars, functions, 0)
    out += [SEPARATOR, ""]
    out += [f"{rule} matches the following packages:", ""]
    for pk in match.packages:
        out += _entry(f"{pk.name} package", pk.doc, pk.vars, pk.fns, vars, functions, 0)
    out += [SEPARATOR]
    if match.events:
        out += ["", f"{rule} matches the following events:", ""]
        for ev, modes in match.events:
            out += _entry(f"{ev.name} event", ev.doc, ev.vars, ev.fns, vars, functions, 0)
            if modes:
                out += [f"{_INDENT}{rule} matches the following modes for the parent event:", ""]
                for mode in modes:
                    out += _entry(f"{mode.name} mode", mode.doc, (), (), False, False, 1)
        out += [SEPARATOR]
    return "\n".join(out) + "\n"


def _entry(title: str, doc: str, entry_vars: Iterable[BoundVar], entry_fns: Iterable[BoundFn],
           show_vars: bool, show_fns: bool, level: int) -> list[str]:
    """A header line, its description, its requested member blocks, then a blank line."""
    pad = _INDENT * level
    lines = [f"{pad}{title}", f"{pad}{_INDENT}{doc}", ""]
    lines += _members(entry_vars if show_vars else (), entry_fns if show_fns else (), level + 1)
    return lines


def _members(entry_vars: Iterable[BoundVar], entry_fns: Iterable[BoundFn], level: int) -> list[str]:
    """``VARIABLES:`` and ``FUNCTIONS:`` blocks at ``level`` (entries one deeper), each followed by a
    blank line; nothing for an empty list."""
    pad = _INDENT * level
    lines: list[str] = []
    entry_vars, entry_fns = tuple(entry_vars), tuple(entry_fns)
    if entry_vars:
        lines.append(f"{pad}VARIABLES:")
        for v in entry_vars:
            head = f"{v.name}: {'unknown' if v.type is None else v.type}"
            if v.definition is not None:
                head += f" ==> {v.definition}"
            doc = ENGINE_ONLY_PREFIX + v.doc if v.engine_only else v.doc
            lines += [f"{pad}{_INDENT}{head}", f"{pad}{_INDENT * 2}{doc}"]
        lines.append("")
    if entry_fns:
        lines.append(f"{pad}FUNCTIONS:")
        for f in entry_fns:
            lines += [f"{pad}{_INDENT}{f.signature}", f"{pad}{_INDENT * 2}{f.doc}"]
        lines.append("")
    return lines
