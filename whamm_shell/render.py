"""The shell's output funnel: every line the shell prints goes through one :class:`Renderer`.

pdb routes output through ``message()``/``error()`` so tests and redirection see all of it; here a
:class:`Renderer` is given its output stream (and optionally a separate error stream) and a colour flag,
and offers what the commands need: messages, errors and warnings (a compiler
:class:`~compiler.lang.diagnostics.ScriptError` keeps its caret diagnostics), aligned tables, long
output cut with a count and a hint (SHELL.md: "paged or truncated with a count and a hint how to see
all of it"), WAT with syntax colours and injected instructions marked, and bar charts for ``plot``.

Each piece is also a pure function returning lines (:func:`format_table`, :func:`truncate`,
:func:`format_wat`, :func:`format_bars`), so the session can compose output and tests can compare text.
Without colour the output is plain text that batch mode and golden files can rely on; colour only adds
ANSI escapes, never changes the characters.
"""
from __future__ import annotations

import math
from typing import Iterable, Protocol, Sequence, TextIO

from pygments import highlight
from pygments.formatter import Formatter
from pygments.formatters import TerminalFormatter

from whamm_shell.lexers import WatLexer

__all__ = [
    "Renderer", "WatLine", "format_table", "truncate", "format_wat", "window", "format_bars",
    "plural", "seconds", "INJECTED_MARK", "CURRENT_MARK",
]

_RESET = "\x1b[0m"
_STYLES = {
    "error": "\x1b[1;31m", "warning": "\x1b[1;33m", "header": "\x1b[1m", "dim": "\x1b[2m",
    "injected": "\x1b[32m", "current": "\x1b[1;7m", "bar": "\x1b[36m",
}

#: Marker column of WAT lines: an injected instruction, and the current/trapping instruction.
INJECTED_MARK = "+"
CURRENT_MARK = ">"


class WatLine(Protocol):
    """What the WAT printer yields per line (:class:`compiler.wasm.wat.Line`): its text, the ``pc`` of
    the instruction it shows (None for other lines), and whether a rewrite injected it."""

    @property
    def text(self) -> str:
        """The WAT text of the line."""
        ...

    @property
    def offset(self) -> int | None:
        """The shown instruction's ``pc``; None for other lines and for injected instructions."""
        ...

    @property
    def injected(self) -> bool:
        """Whether the rewrite injected the instruction (the line is marked :data:`INJECTED_MARK`)."""
        ...


def plural(n: int, word: str) -> str:
    """``1 site``, ``3 sites``: a count with its noun, as every command's summary line says it."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def seconds(value: float) -> str:
    """A duration for people: ``0.42 ms``, ``12.3 ms``, ``1.25 s``."""
    if value < 0.001:
        return f"{value * 1000:.2f} ms"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_STYLES[style]}{text}{_RESET}" if color and text else text


# ------------------------------------------------------------------------------------------ pieces

def truncate(lines: Sequence[str], limit: int | None, *, what: str = "lines", hint: str = "--all") -> list[str]:
    """At most ``limit`` lines, then ``… N more <what>; use <hint>`` when some were cut (None: all)."""
    if limit is None or len(lines) <= limit:
        return list(lines)
    rest = len(lines) - limit
    return list(lines[:limit]) + [f"… {rest} more {what}; use {hint}"]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, color: bool = False,
                 limit: int | None = None, hint: str = "--all") -> list[str]:
    """Rows under a header, columns aligned: numbers right, everything else left; a dashed rule under
    the header.  ``limit`` cuts the rows (see :func:`truncate`)."""
    rows = [list(r) for r in rows]
    shown = rows if limit is None else rows[:limit]
    cells = [[_cell(v) for v in r] for r in shown]
    ncols = len(headers)
    widths = [len(h) for h in headers]
    for r in cells:
        for i, c in enumerate(r[:ncols]):
            widths[i] = max(widths[i], len(c))
    numeric = [bool(shown) and all(_is_number(r[i]) or r[i] is None for r in shown if i < len(r))
               for i in range(ncols)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)]
        return "  ".join(parts).rstrip()

    out = [_paint(line(headers), "header", color), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    if limit is not None and len(rows) > limit:
        out.append(f"… {len(rows) - limit} more rows; use {hint}")
    return out


def window(lines: Sequence[WatLine], pc: int, context: int = 10) -> list[WatLine]:
    """The lines within ``context`` lines of the instruction at ``pc`` (``wat --around PC``).

    The anchor is the instruction at ``pc``, or the last one before it when ``pc`` falls inside an
    instruction's immediates; before the first instruction it is the first one.
    """
    anchor = None
    for i, line in enumerate(lines):
        if line.offset is not None and line.offset <= pc:
            if anchor is None or line.offset >= lines[anchor].offset:  # type: ignore[operator]
                anchor = i
    if anchor is None:
        anchor = next((i for i, ln in enumerate(lines) if ln.offset is not None), 0)
    return list(lines[max(anchor - context, 0):anchor + context + 1])


def _highlighted(texts: list[str], formatter: Formatter) -> list[str]:
    """Lex the lines as one text (so a comment may span lines) and split the coloured result again."""
    coloured = highlight("\n".join(texts), WatLexer(), formatter).rstrip("\n").split("\n")
    if len(coloured) != len(texts):          # a formatter that merged lines: fall back line by line
        coloured = [highlight(t, WatLexer(), formatter).rstrip("\n") for t in texts]
    return coloured


def format_wat(lines: Iterable[WatLine], *, color: bool = False, current: int | None = None,
               limit: int | None = None, hint: str = "--all") -> list[str]:
    """WAT lines for the terminal: a marker column (``+`` injected, ``>`` the instruction at pc
    ``current``), the pc of original instructions, then the text.

    With colour, original lines are syntax-highlighted with :class:`~whamm_shell.lexers.WatLexer` and
    injected ones are drawn in one distinct colour, so instrumentation stands out at a glance.
    """
    lines = list(lines)
    shown = lines if limit is None else lines[:limit]
    width = max((len(str(ln.offset)) for ln in shown if ln.offset is not None), default=1)
    texts = [ln.text for ln in shown]
    if color:
        texts = _highlighted(texts, TerminalFormatter())
    out = []
    for ln, text in zip(shown, texts):
        is_current = current is not None and ln.offset == current and not ln.injected
        mark = CURRENT_MARK if is_current else INJECTED_MARK if ln.injected else " "
        pc = "" if ln.offset is None else str(ln.offset)
        if ln.injected and color:
            text = _paint(ln.text, "injected", True)
            mark = _paint(mark, "injected", True)
        elif is_current and color:
            mark = _paint(mark, "current", True)
        out.append(f"{mark} {pc:>{width}}  {text}".rstrip())
    if limit is not None and len(lines) > limit:
        out.append(f"… {len(lines) - limit} more lines; use {hint}")
    return out


_EIGHTHS = " ▏▎▍▌▋▊▉"


def format_bars(items: Sequence[tuple[str, float]], *, width: int = 80, color: bool = False,
                limit: int | None = None, hint: str = "--top K") -> list[str]:
    """A horizontal bar chart (``plot``): label, bar scaled to the largest value, value.

    Bars use eighth blocks, so small differences stay visible in narrow terminals; negative and zero
    values get no bar.  ``width`` is the whole line's width.
    """
    shown = list(items if limit is None else items[:limit])
    if not shown:
        return []
    labels = [str(label) for label, _ in shown]
    values = [_cell(v) for _, v in shown]
    lw = max(len(s) for s in labels)
    vw = max(len(s) for s in values)
    room = max(width - lw - vw - 4, 10)
    top = max((float(v) for _, v in shown if _finite(v)), default=0.0)
    out = []
    for label, (_, value), text in zip(labels, shown, values):
        eighths = 0
        if top > 0 and _finite(value) and value > 0:
            eighths = max(1, round(float(value) / top * room * 8))
        full, part = divmod(eighths, 8)
        bar = "█" * full + (_EIGHTHS[part] if part else "")
        out.append(f"{label:<{lw}}  {_paint(bar.ljust(room), 'bar', color)}  {text:>{vw}}".rstrip())
    if limit is not None and len(items) > limit:
        out.append(f"… {len(items) - limit} more bars; use {hint}")
    return out


def _finite(value: object) -> bool:
    return _is_number(value) and math.isfinite(value)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- renderer

class Renderer:
    """Writes everything the shell shows.  ``out`` receives results, ``err`` (default ``out``) errors and
    warnings; ``color`` turns ANSI styling on; ``limit`` is the default cut for long listings (None: show
    everything, as batch mode with ``--all`` does); ``width`` is the terminal width for charts."""

    def __init__(self, out: TextIO, color: bool = False, *, err: TextIO | None = None,
                 limit: int | None = 200, width: int = 80):
        self.out = out
        self.err = err if err is not None else out
        self.color = color
        self.limit = limit
        self.width = width
        #: at an interactive terminal: the pager (``show(text) -> bool``) for output taller than ``height``
        self.pager = None
        self.height = 24

    def _write(self, stream: TextIO, lines: Iterable[str]) -> None:
        for line in lines:
            stream.write(line + "\n")
        stream.flush()

    def _long(self, lines: list[str]) -> None:
        """Output that may be long: through the pager when it is taller than the terminal."""
        pager = self.pager
        if pager is not None and len(lines) >= self.height and pager.show("\n".join(lines) + "\n"):
            return
        self._write(self.out, lines)

    def message(self, text: str = "") -> None:
        """A line (or several) of ordinary output."""
        self._write(self.out, [text])

    def lines(self, lines: Sequence[str], *, limit: int | None | bool = True, what: str = "lines",
              hint: str = "--all") -> None:
        """Many lines, cut at ``limit`` (True: the renderer's default; None or False: all)."""
        self._long(truncate(lines, self._limit(limit), what=what, hint=hint))

    def error(self, problem: str | BaseException) -> None:
        """``error: …``; a :class:`~compiler.lang.diagnostics.ScriptError` (or anything with a
        ``render(color)`` method) prints its own diagnostics, carets included."""
        render = getattr(problem, "render", None)
        if isinstance(problem, BaseException) and callable(render):
            self._write(self.err, [render(self.color)])
            return
        text = str(problem)
        self._write(self.err, [f"{_paint('error', 'error', self.color)}: {text}"])

    def warning(self, text: str) -> None:
        """``warning: …``."""
        self._write(self.err, [f"{_paint('warning', 'warning', self.color)}: {text}"])

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[object]], *,
              limit: int | None | bool = True, hint: str = "--all") -> None:
        """An aligned table (see :func:`format_table`)."""
        self._long(format_table(headers, rows, color=self.color, limit=self._limit(limit), hint=hint))

    def wat(self, lines: Iterable[WatLine], *, current: int | None = None, around: int | None = None,
            context: int = 10, limit: int | None | bool = True, hint: str = "--all") -> None:
        """WAT with injected code marked (see :func:`format_wat`); ``around`` shows only the lines near
        that pc (see :func:`window`)."""
        lines = list(lines)
        if around is not None:
            lines = window(lines, around, context)
        self._long(format_wat(lines, color=self.color, current=current, limit=self._limit(limit), hint=hint))

    def bars(self, items: Sequence[tuple[str, float]], *, limit: int | None | bool = True,
             hint: str = "--top K") -> None:
        """A bar chart (see :func:`format_bars`)."""
        self._write(self.out, format_bars(items, width=self.width, color=self.color,
                                          limit=self._limit(limit), hint=hint))

    def _limit(self, limit: int | None | bool) -> int | None:
        if limit is True:
            return self.limit
        if limit is False:
            return None
        return limit
