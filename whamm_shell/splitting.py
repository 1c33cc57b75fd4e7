"""Shell input as text: where one command ends, whether input is still open, and whether it is whamm.

Batch mode (SHELL.md "Start-up") reads ``-c`` text and command files as a sequence of commands separated
by newlines or by ``;`` **outside** braces, parentheses, brackets and string literals, so
``wasm:opcode:call:before { n++; }; run; report`` is three commands and a probe whose body spans lines
stays one.  The interactive prompt asks the same scanner whether a line is complete (braces still open →
read a continuation line), and the command registry asks :func:`looks_like_script` whether a line is a
command or whamm text typed directly (a probe, a global statement).

The scanner knows just enough of the whamm lexical structure (LANGUAGE.md §2) to avoid being fooled: string
literals with ``\\`` escapes, ``//`` line comments and *nesting* ``/* */`` block comments.  Unbalanced
closers never drive the depth below zero, so a stray ``}`` cannot swallow the rest of a file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from compiler.api import probe_is_complete

__all__ = ["CommandText", "OpenState", "split_commands", "open_state", "needs_more", "looks_like_script"]


@dataclass(frozen=True, slots=True)
class CommandText:
    """One command of a batch: its text (stripped, separator dropped) and the 1-based line it starts on,
    for messages such as ``commands.txt:3: error: …``."""

    text: str
    line: int


@dataclass(frozen=True, slots=True)
class OpenState:
    """What is still open at the end of some text: bracket depth, an unterminated string, the nesting
    of unterminated block comments, and whether the text ends inside a ``//`` comment (which the next
    newline closes, so it does not count as open)."""

    depth: int = 0
    in_string: bool = False
    comment_depth: int = 0
    in_line_comment: bool = False

    @property
    def is_open(self) -> bool:
        """Whether a bracket, a string or a block comment is still open (read another line)."""
        return self.depth > 0 or self.in_string or self.comment_depth > 0


_OPENERS = frozenset("([{")
_CLOSERS = frozenset(")]}")


def _scan(text: str) -> tuple[list[tuple[int, int, bool]], OpenState]:
    """Split points of ``text``: (start, end, has_code) per segment, and the state at the end.

    ``has_code`` is False for a segment holding only whitespace and comments (dropped by the splitter).
    """
    segments: list[tuple[int, int, bool]] = []
    depth = 0
    comment = 0            # nesting of /* */
    in_string = False
    line_comment = False
    has_code = False
    start = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if comment:
            if text.startswith("/*", i):
                comment += 1
                i += 2
                continue
            if text.startswith("*/", i):
                comment -= 1
                i += 2
                continue
            i += 1
            continue
        if in_string:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
            continue
        if text.startswith("//", i):
            nl = text.find("\n", i)
            if nl < 0:
                line_comment = True
                break
            i = nl
            continue
        if text.startswith("/*", i):
            comment = 1
            i += 2
            continue
        if c == '"':
            in_string = True
            has_code = True
        elif c in _OPENERS:
            depth += 1
            has_code = True
        elif c in _CLOSERS:
            depth = max(depth - 1, 0)
            has_code = True
        elif (c == ";" or c == "\n") and depth == 0:
            segments.append((start, i, has_code))
            start, has_code = i + 1, False
        elif not c.isspace():
            has_code = True
        i += 1
    segments.append((start, n, has_code))
    return segments, OpenState(depth, in_string, comment, line_comment)


def split_commands(text: str) -> list[CommandText]:
    """The commands of a ``-c`` argument or a command file, in order.

    Empty commands and commands made only of comments are dropped; comments inside a command are kept
    (the whamm parser skips them).  A ``\\r\\n`` line ending is a newline.  A newline inside a probe
    before its body (``RULE /`` ⏎ ``PRED`` ⏎ ``/ {``, typed or ``probe add``-ed) does not end it, as at
    the prompt: a script's probes are written so, and ``save --session`` writes them as they are.
    """
    segments, _ = _scan(text)
    out = []
    held: int | None = None             # start of a probe cut at a newline before its body
    for start, end, has_code in segments:
        if held is not None:
            start, has_code, held = held, True, None
        if has_code and end < len(text) and text[end] == "\n" and _unfinished_probe(text[start:end]):
            held = start
            continue
        if not has_code:
            continue
        chunk = text[start:end]
        lead = len(chunk) - len(chunk.lstrip())
        line = text.count("\n", 0, start + lead) + 1
        out.append(CommandText(chunk.strip(), line))
    return out


_PROBE_ADD = re.compile(r"\s*probe\s+add(?:\s+--number\s+\d+|\s+--disabled)*\s+")


def _unfinished_probe(command: str) -> bool:
    """Whether ``command`` (a probe, or ``probe add`` and one) has its rule, maybe its predicate, and
    could still get its body: what :func:`needs_more` reads on for at the prompt."""
    m = _PROBE_ADD.match(command)
    return needs_more(command[m.end():] if m else command)


def open_state(text: str) -> OpenState:
    """What is left open at the end of ``text`` (brackets, a string, block comments)."""
    return _scan(text)[1]


_RULE_PART = r"[A-Za-z0-9_.*?\[\]!|+\\]*"
_BOUNDS = r"(?:\s*\([^()]*\))?"
_RULE_START = re.compile(rf"\s*{_RULE_PART}{_BOUNDS}(?:\s*:\s*{_RULE_PART}{_BOUNDS}){{1,3}}\s*(?:/|\{{|$)")
_ITEM_KEYWORD = re.compile(r"\s*(?:var|use|fn|if|elif|else|return|while|unshared|shared|frame)\b")
_REPORT_DECL = re.compile(r"\s*(?:(?:report|unshared|shared|frame)\s+)+var\b")
_ANNOTATION = re.compile(r"\s*@")
_TARGET = re.compile(r"\s*[A-Za-z_]\w*(?:\.\w+)*(?:\s*=(?!=)|\+\+|--|\[|\.|\()")


def looks_like_script(line: str) -> bool:
    """Whether a shell line is whamm text typed directly rather than a command (SHELL.md "or just type
    a probe" / "or just type it").

    True for a probe (a rule at the start, followed by ``/``, ``{`` or nothing yet), a declaration
    (``var``, ``report var``, ``shared var``…), ``use``, ``fn``, an annotated call (``@init lib.f();``),
    an assignment, ``x++`` / ``x--``, an indexed or tuple target and a call (``f(1);``, ``lib.f();``).
    ``report count`` and ``run --fuel 10`` are commands: a command word followed by a space and an
    argument never looks like a statement, because the statement forms need ``=``, ``(``, ``[``, ``.``,
    ``++`` or ``--`` right after the first name.
    """
    return bool(_RULE_START.match(line) or _ITEM_KEYWORD.match(line) or _REPORT_DECL.match(line)
                or _ANNOTATION.match(line) or _TARGET.match(line))


def needs_more(text: str) -> bool:
    """Whether the prompt should read a continuation line: brackets, a string or a block comment are
    still open, or the text is a probe whose rule or predicate is not yet followed by its body.

    The probe case asks the parser (:func:`compiler.api.probe_is_complete`), which keeps reading while
    the input could still become valid, so ``wasm:opcode:call:before`` on its own line waits for ``{``.
    Other commands only wait for brackets: a global statement's final ``;`` may be omitted.
    """
    if open_state(text).is_open:
        return True
    if _RULE_START.match(text) and not _ITEM_KEYWORD.match(text):
        return not probe_is_complete(text)
    return False
