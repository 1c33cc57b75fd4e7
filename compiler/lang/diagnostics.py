"""Script diagnostics: source spans, error/warning records and the rustc-like renderer of LANGUAGE.md §14.1.

Every phase of the front end (parser, checker, rule matching) reports problems as :class:`Diagnostic`
values; nothing is printed until the end, when :func:`render` turns them into the exact text format of
the spec::

    error: unknown variable `cnt`
     --> monitor.mm:4:5
      |
    4 |     cnt++;
      |     ^^^
      = help: did you mean `count`?

A failed phase raises :class:`ScriptError`, a :class:`~compiler.errors.WhammError` whose ``str()`` is that
whole text, so the CLI and the shell print it unchanged.
"""
from __future__ import annotations

import bisect
import difflib
from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

from compiler.errors import WhammError

__all__ = [
    "Span", "Diagnostic", "Severity", "NoteKind", "ScriptError",
    "span_at", "render", "render_many", "render_diagnostic", "closest",
]

Severity = Literal["error", "warning"]
NoteKind = Literal["help", "note"]


@dataclass(frozen=True, slots=True)
class Span:
    """A range of source text: character offsets ``[start, end)`` plus 1-based line/column of both ends.

    Columns count Unicode characters (not bytes), as the spec's ``FILE:LINE:COL`` requires.
    ``end_line``/``end_column`` point just past the last character (lark's convention), so a one-line
    span covers ``end_column - column`` characters.
    """

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def to(self, other: Span) -> Span:
        """The smallest span covering ``self`` and ``other`` (``other`` ending at or after ``self``)."""
        return Span(self.start, other.end, self.line, self.column, other.end_line, other.end_column)

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


def span_at(source: str, start: int, end: int | None = None) -> Span:
    """The :class:`Span` of ``source[start:end]``, computing lines and columns from the text.

    For code that finds a position by offset (for example inside a rule part) rather than from a token.
    """
    if end is None:
        end = start
    starts = _line_starts(source)
    line = bisect.bisect_right(starts, start)
    end_line = bisect.bisect_right(starts, end)
    return Span(start, end, line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1)


def _line_starts(source: str) -> list[int]:
    starts = [0]
    find = source.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One error or warning about a script.

    ``span`` is None for problems that have no place in the source (for example a missing library).
    ``notes`` are the trailing ``= help: ...`` / ``= note: ...`` lines, in order.
    """

    severity: Severity
    message: str
    span: Span | None
    notes: tuple[tuple[NoteKind, str], ...] = ()

    @classmethod
    def error(cls, message: str, span: Span | None, *, help: str | None = None,
              note: str | None = None) -> Diagnostic:
        """An error, optionally with one ``help`` and/or one ``note`` line."""
        return cls("error", message, span, _notes(help, note))

    @classmethod
    def warning(cls, message: str, span: Span | None, *, help: str | None = None,
                note: str | None = None) -> Diagnostic:
        """A warning (does not change the exit status), optionally with ``help``/``note`` lines."""
        return cls("warning", message, span, _notes(help, note))

    @property
    def is_error(self) -> bool:
        """Errors stop compilation (exit 1); warnings are printed and compilation goes on."""
        return self.severity == "error"

    def with_note(self, kind: NoteKind, text: str) -> Diagnostic:
        """A copy with one more trailing note."""
        return Diagnostic(self.severity, self.message, self.span, self.notes + ((kind, text),))


def _notes(help: str | None, note: str | None) -> tuple[tuple[NoteKind, str], ...]:
    out: list[tuple[NoteKind, str]] = []
    if help is not None:
        out.append(("help", help))
    if note is not None:
        out.append(("note", note))
    return tuple(out)


# ANSI styles used only when ``color=True`` (the caller decides: stderr is a terminal).
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"
_SEVERITY_STYLE = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m"}
_GUTTER_STYLE = "\x1b[1;34m"


def render_diagnostic(diag: Diagnostic, source: str, filename: str, color: bool = False,
                      _lines: Sequence[str] | None = None) -> str:
    """One diagnostic in the §14.1 format (no trailing newline)."""
    lines = source.split("\n") if _lines is None else _lines
    sev_style = _SEVERITY_STYLE[diag.severity] if color else ""
    gut = _GUTTER_STYLE if color else ""
    bold = _BOLD if color else ""
    reset = _RESET if color else ""
    out = [f"{sev_style}{diag.severity}{reset}{bold}: {diag.message}{reset}"]
    span = diag.span
    if span is None:
        width = 1
    else:
        width = len(str(span.line))
        pad = " " * width
        out.append(f"{pad}{gut}-->{reset} {filename}:{span.line}:{span.column}")
        out.append(f"{pad} {gut}|{reset}")
        text = lines[span.line - 1].rstrip("\r") if span.line - 1 < len(lines) else ""
        out.append(f"{gut}{span.line} |{reset} {text}".rstrip())
        first = span.column - 1
        if span.end_line == span.line:
            count = span.end_column - span.column
        else:
            count = len(text) - first
        count = max(count, 1)
        # Copy tabs from the source line so the carets stay aligned however the terminal expands them.
        lead = "".join("\t" if ch == "\t" else " " for ch in text[:first])
        lead += " " * (first - len(text[:first]))
        out.append(f"{pad} {gut}|{reset} {lead}{sev_style}{'^' * count}{reset}")
    for kind, note in diag.notes:
        out.append(f"{' ' * width} {gut}={reset} {bold}{kind}{reset}: {note}")
    return "\n".join(out)


def render(diags: Iterable[Diagnostic], source: str, filename: str, color: bool = False) -> str:
    """All diagnostics in source order, separated by blank lines, then the closing line.

    The closing line ``error: aborting due to N previous error(s)`` is added when there is at least one
    error (wording as rustc: ``1 previous error`` / ``2 previous errors``).  Diagnostics without a span
    come after those with one.  No trailing newline.
    """
    ordered = sorted(diags, key=lambda d: (d.span is None, d.span.start if d.span else 0))
    return render_many(((d, source, filename) for d in ordered), color)


def render_many(located: Iterable[tuple[Diagnostic, str, str]], color: bool = False) -> str:
    """Like :func:`render`, for diagnostics that point into different sources (a script given as
    several ``-s``/``-e`` parts): each ``(diagnostic, source, filename)`` is rendered against its own
    source, in the order given, then the one closing line."""
    split: dict[int, list[str]] = {}
    blocks = []
    errors = 0
    for d, source, filename in located:
        lines = split.get(id(source))
        if lines is None:
            lines = split[id(source)] = source.split("\n")
        blocks.append(render_diagnostic(d, source, filename, color, lines))
        errors += d.is_error
    if errors:
        sev = _SEVERITY_STYLE["error"] if color else ""
        reset = _RESET if color else ""
        bold = _BOLD if color else ""
        plural = "error" if errors == 1 else "errors"
        blocks.append(f"{sev}error{reset}{bold}: aborting due to {errors} previous {plural}{reset}")
    return "\n\n".join(blocks)


class ScriptError(WhammError):
    """A script the front end rejects: carries its diagnostics, the source text and the file name.

    ``str()`` is the complete rendered report (starting with ``error:``), so generic ``WhammError``
    handlers can print it unchanged; :meth:`render` gives the coloured form.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], source: str, filename: str = "<script>"):
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        self.source = source
        self.filename = filename
        super().__init__(self.render())

    def render(self, color: bool = False) -> str:
        """All diagnostics of the failed check against the script's text, as the CLI prints them (``color``
        adds ANSI colours)."""
        return render(self.diagnostics, self.source, self.filename, color)

    def __str__(self) -> str:
        return self.render()


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most similar to ``name`` for a "did you mean ...?" hint, or None.

    A case-insensitive exact match wins (rule matching is case-insensitive, so ``BR_IF`` vs ``br_if``
    is the likely slip); otherwise difflib's best match above its usual 0.6 similarity cutoff.
    """
    pool = list(candidates)
    lowered = name.lower()
    for c in pool:
        if c.lower() == lowered and c != name:
            return c
    best = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return best[0] if best else None
