"""The script of a command line: every ``-s FILE`` and ``-e 'PROGRAM'``, joined in order (ANALYSIS.md §8).

``whamm run -s a.mm -s b.mm`` instruments with ``a.mm`` followed by ``b.mm`` (like bpftrace, several
programs are one program); ``-e`` gives a part inline.  The front end sees one text, so names declared in
one part are visible in later ones and the probes keep command-line order.  Diagnostics, though, must
point into what the user wrote: :class:`ScriptSources` maps a span of the joined text back to its part
(``b.mm:3:5``, ``<-e>:1:12``), both for errors (:meth:`ScriptSources.localize`) and for warnings
(:meth:`ScriptSources.render`).  ``--tool NAME[:ARG…]`` adds a ready-made tool's script
(ANALYSIS.md §7, :mod:`compiler.tools`) as one more part, named ``<tool NAME>``, in the same order.
"""
from __future__ import annotations

import argparse
import bisect
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from compiler.errors import WhammError
from compiler.lang.diagnostics import Diagnostic, ScriptError, Span, render_many
from compiler.report.coverage import NoLinesError, coverage_script
from compiler.tools.catalog import ToolError, find_tool, parse_tool_spec, tool_names, tool_script

if TYPE_CHECKING:
    from compiler.wasm.model import Module

__all__ = ["INLINE_NAME", "ScriptPart", "ScriptSources", "SourcesError", "add_script_arguments",
           "read_sources", "tool_parts"]

#: How diagnostics name a part given with ``-e``.
INLINE_NAME = "<-e>"


@dataclass(frozen=True, slots=True)
class ScriptPart:
    """One ``-s``/``-e`` part: its name in messages, its text, and where it starts in the joined text
    (character offset and 1-based line)."""

    name: str
    text: str
    start: int
    first_line: int


class ScriptSources:
    """Parts joined in order into :attr:`text`; a part not ending in a newline gets one, so every part
    starts at column 1 of a line of its own.  With one part, :attr:`text` is that part unchanged."""

    def __init__(self, named_texts: Sequence[tuple[str, str]]) -> None:
        if not named_texts:
            raise ValueError("a script needs at least one part")
        parts = []
        pieces = []
        start, line = 0, 1
        for name, text in named_texts:
            if len(named_texts) > 1 and not text.endswith("\n"):
                text += "\n"
            parts.append(ScriptPart(name, text, start, line))
            pieces.append(text)
            start += len(text)
            line += text.count("\n")
        self.parts = tuple(parts)
        self.text = "".join(pieces)
        self._starts = [p.start for p in self.parts]

    @property
    def name(self) -> str:
        """The name of the whole: the only part's, else the parts' names joined with ``+``."""
        return "+".join(p.name for p in self.parts)

    def locate(self, diag: Diagnostic) -> tuple[Diagnostic, ScriptPart]:
        """``diag`` re-based onto the part its span starts in (a span-less one: onto the first part)."""
        span = diag.span
        if span is None:
            return diag, self.parts[0]
        part = self.parts[max(0, bisect.bisect_right(self._starts, span.start) - 1)]
        shift = part.first_line - 1
        moved = Span(span.start - part.start, span.end - part.start, span.line - shift, span.column,
                     span.end_line - shift, span.end_column)
        return replace(diag, span=moved), part

    def render(self, diagnostics: Iterable[Diagnostic], color: bool = False) -> str:
        """The diagnostics in joined-text order, each against its own part, as LANGUAGE.md §14.1."""
        ordered = sorted(diagnostics, key=lambda d: (d.span is None, d.span.start if d.span else 0))
        located = (self.locate(d) for d in ordered)
        return render_many(((d, part.text, part.name) for d, part in located), color)

    def localize(self, exc: ScriptError) -> ScriptError:
        """``exc`` (raised for the joined text) rendered against the parts; ``exc`` itself when there is
        one part or when it is about another text."""
        if len(self.parts) == 1 or exc.source != self.text:
            return exc
        return SourcesError(exc.diagnostics, self)


class SourcesError(ScriptError):
    """A :class:`ScriptError` about a script of several parts; it renders each diagnostic against its
    part.  ``diagnostics``, ``source`` and ``filename`` stay those of the joined text."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: ScriptSources) -> None:
        self.sources = sources
        super().__init__(diagnostics, sources.text, sources.name)

    def render(self, color: bool = False) -> str:
        return self.sources.render(self.diagnostics, color)


# ------------------------------------------------------------------------------------- command line

class _AppendPart(argparse.Action):
    """``-s PATH`` and ``-e PROGRAM`` append ``(kind, value)`` to one list, so their order survives."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore[override]
        parts = list(getattr(namespace, self.dest, None) or [])
        parts.append((self.const, values))
        setattr(namespace, self.dest, parts)


def add_script_arguments(parser: argparse.ArgumentParser) -> None:
    """``-s/--script PATH`` and ``-e/--expr PROGRAM``, both repeatable, into ``args.scripts``."""
    parser.add_argument("-s", "--script", dest="scripts", action=_AppendPart, const="file", default=[],
                        metavar="PATH",
                        help="a whamm script file (repeatable; all -s and -e parts are joined in command-line "
                             "order; at least one is required)")
    parser.add_argument("-e", "--expr", dest="scripts", action=_AppendPart, const="inline", default=[],
                        metavar="PROGRAM", help="a script part given inline, as bpftrace's -e (repeatable)")
    parser.add_argument("--tool", dest="scripts", action=_AppendPart, const="tool", default=[],
                        metavar="NAME[:ARG...]",
                        help="a ready-made tool's script as one more part (repeatable; docs/TOOLS.md): "
                             + ", ".join(tool_names()))


def read_sources(parts: Sequence[tuple[str, str]], app_module: Callable[[], Module] | None = None) -> ScriptSources:
    """Read the ``-s`` files (``cannot read script 'x.mm': …``) and join them with the ``-e`` texts and the
    ``--tool`` scripts (:class:`~compiler.tools.ToolError` for an unknown tool, a bad argument or a tool
    given twice) and ``--coverage``'s counters (a ``("coverage", FILE)`` part).  ``app_module`` gives
    the application's module to a tool that builds its script from it (:mod:`compiler.tools.app_scripts`)
    and to the coverage part; it is called only for those, so the application is read first only when a
    script depends on it — and once, since the build reuses what it read."""
    from compiler.api import read_script
    named = []
    for kind, value in parts:
        if kind == "file":
            named.append((value, read_script(value)))
        elif kind == "coverage":        # `whamm run --coverage FILE`: the line counters of the app's DWARF
            try:
                named.append((INLINE_NAME, coverage_script(app_module())))  # type: ignore[misc]
            except NoLinesError as exc:
                raise WhammError(f"--coverage {value}: {exc}") from None
        elif kind == "tool":
            name, args = parse_tool_spec(value)
            module = app_module() if app_module is not None and find_tool(name).app_script is not None else None
            script = tool_script(name, args, module)
            if any(name == script.label for name, _ in named):
                raise ToolError(f"--tool {script.tool.name} is given twice")
            named.append((script.label, script.text))
        else:
            named.append((INLINE_NAME, value))
    return ScriptSources(named)


def tool_parts(parts: Sequence[tuple[str, str]]) -> list[tuple[str, tuple[str, ...]]]:
    """The ``--tool`` parts as (name, arguments), in order: whose tables ``whamm run`` prints."""
    return [parse_tool_spec(value) for kind, value in parts if kind == "tool"]
