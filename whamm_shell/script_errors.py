"""Compiler diagnostics shown against what the user typed: a shell probe is compiled inside the composed
script, so a diagnostic's location is moved back into the probe's own text (SHELL.md "Errors").
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

from compiler import api
from compiler.api import ScriptError, Span, WhammError

if TYPE_CHECKING:
    from compiler.api import Composition, Diagnostic
    from whamm_shell.session import Item, Probe

__all__ = ["ScriptErrors", "localize"]


class ScriptErrors(WhammError):
    """Compiler diagnostics re-based onto the session items they are about.

    Each part is a :class:`~compiler.lang.diagnostics.ScriptError` over one item's text (``<input>`` for
    the text being added, ``probe N`` or ``global`` for items already in the session), so carets point
    into what the user typed rather than into the composed script.
    """

    def __init__(self, parts: Sequence[ScriptError]):
        self.parts = tuple(parts)
        super().__init__(self.render())

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """The diagnostics of every part, in order."""
        return tuple(d for p in self.parts for d in p.diagnostics)

    def render(self, color: bool = False) -> str:
        """Each part's diagnostics with carets, a blank line between parts."""
        return "\n\n".join(p.render(color) for p in self.parts)

    def __str__(self) -> str:
        """The uncoloured rendering: what batch mode and logs show."""
        return self.render()


def localize(exc: ScriptError, composition: Composition, probes: dict[int, Probe], items: Sequence[Item],
              pending: int | None, label: str = "<input>") -> ScriptErrors:
    """Re-base each diagnostic onto the item it points into (see :class:`ScriptErrors`).  ``pending``
    is the number of the probe being added or edited (-1: the item being added, the last one), whose
    diagnostics say ``label`` (a pasted script's name)."""
    segments: list[tuple[int, int, str, str]] = []   # start, end, text, label
    pos = 0
    for k, item in enumerate(items):
        where = label if pending == -1 and k == len(items) - 1 else "global"
        segments.append((pos, pos + len(item.text) + 1, item.text, where))
        pos += len(item.text) + 1
    for piece in composition.probes:
        text = probes[piece.number].text
        where = label if piece.number == pending else f"probe {piece.number}"
        segments.append((piece.start, piece.end, text, where))
    groups: dict[int, list[Diagnostic]] = {}
    loose: list[Diagnostic] = []
    for diag in exc.diagnostics:
        where = None if diag.span is None else next(
            (k for k, (s, e, _, _) in enumerate(segments) if s <= diag.span.start < e), None)
        if where is None:
            loose.append(diag)
        else:
            groups.setdefault(where, []).append(_rebase(diag, segments[where][0], composition.source))
    parts = [ScriptError(diags, segments[k][2], segments[k][3]) for k, diags in sorted(groups.items())]
    if loose:
        parts.append(ScriptError(loose, composition.source, exc.filename or api.SCRIPT_NAME))
    return ScriptErrors(parts)


def _rebase(diag: Diagnostic, base: int, source: str) -> Diagnostic:
    span = diag.span
    assert span is not None
    lines = source.count("\n", 0, base)
    moved = Span(span.start - base, span.end - base, span.line - lines, span.column, span.end_line - lines,
                 span.end_column)
    return replace(diag, span=moved)
