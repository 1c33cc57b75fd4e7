"""Reading a command's argument text: shell quoting, ``--options`` with typed values, probe numbers and
ranges (SHELL.md "Commands").

Every command parses its arguments here, so a wrong argument always ends the same way: a
:class:`UsageError` whose message ends with the command's usage line.
"""
from __future__ import annotations

import bisect
import re
import shlex
from typing import Iterable, Mapping

from whamm_shell.session import SessionError

__all__ = ["UsageError", "parse_options", "parse_value", "parse_numbers"]


class UsageError(SessionError):
    """A command given the wrong arguments; the message ends with the command's usage."""


def parse_options(args: str, usage: str, options: Mapping[str, type | None], *,
                  positional: tuple[int, int | None] = (0, None)) -> tuple[list[str], dict[str, object]]:
    """Split a command's arguments (shell quoting) into positional words and ``--options``.

    ``options`` maps each option to the type of its value (``int``, ``float``, ``str``) or None for a
    flag; ``positional`` is the (min, max) count of positional words.  ``--`` ends the options.
    Problems raise :class:`UsageError` quoting ``usage``.
    """
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise UsageError(f"{exc}\nusage: {usage}") from None
    out: list[str] = []
    values: dict[str, object] = {}
    i = 0
    while i < len(words):
        w = words[i]
        if w == "--":
            out.extend(words[i + 1:])
            break
        if w.startswith("--") and len(w) > 2:
            if w not in options:
                raise UsageError(f"unknown option `{w}`\nusage: {usage}")
            kind = options[w]
            if kind is None:
                values[w] = True
            else:
                if i + 1 >= len(words):
                    raise UsageError(f"`{w}` needs a value\nusage: {usage}")
                values[w] = parse_value(words[i + 1], kind, w, usage)
                i += 1
        else:
            out.append(w)
        i += 1
    lo, hi = positional
    if len(out) < lo or (hi is not None and len(out) > hi):
        raise UsageError(f"usage: {usage}")
    return out, values


def parse_value(text: str, kind: type, option: str, usage: str) -> object:
    """``text`` as a ``kind`` (``int``, ``float``, ``str``) for ``option``; a number must not be
    negative (no setting or option of the shell takes one)."""
    try:
        value = kind(text)
    except ValueError:
        raise UsageError(f"invalid value `{text}` for {option}\nusage: {usage}") from None
    if isinstance(value, (int, float)) and value < 0:
        raise UsageError(f"invalid value `{text}` for {option}: must not be negative\nusage: {usage}")
    return value


_RANGE = re.compile(r"(\d+)(?:-(\d+))?\Z")


def parse_numbers(args: str, usage: str, existing: Iterable[int]) -> list[int]:
    """Probe numbers: ``2 4 7``, ``2,4``, ranges ``2-5`` (both ends included) in the order given.

    A range stands for the ``existing`` probe numbers inside it, so its size does not matter
    (``1-999999999999999999999`` is as quick as ``1-3``); a range that holds no existing probe is an
    error, and so is a single number that is not a probe (the caller's lookup says so)."""
    out: list[int] = []
    numbers = sorted(existing)
    for token in re.split(r"[\s,]+", args.strip()):
        if not token:
            continue
        m = _RANGE.match(token)
        if m is None:
            raise UsageError(f"invalid probe number `{token}`\nusage: {usage}")
        lo, hi = _probe_number(m[1]), _probe_number(m[2] or m[1])
        if m[2] is None:
            if lo not in numbers:
                raise SessionError(f"no probe {m[1]} (`probes` lists them)")
            out.append(lo)
            continue
        if hi < lo:
            raise UsageError(f"invalid range `{token}`: {lo} > {hi}")
        inside = numbers[bisect.bisect_left(numbers, lo):bisect.bisect_right(numbers, hi)]
        if not inside:
            raise SessionError(f"no probe in {token} (`probes` lists them)")
        out.extend(inside)
    return out


def _probe_number(digits: str) -> int | float:
    """A probe number; one longer than any number a session can reach is infinity (Python refuses to
    convert integers of more than 4300 digits, and none of them names a probe)."""
    return int(digits) if len(digits) <= 30 else float("inf")
