"""The measurement knobs of REWRITING.md §16, one type for both targets and every caller.

It sits at the bottom of the import graph (it needs only :mod:`compiler.errors`) so the emitter, the
engine-monitor builder and the API all take the same :class:`Options` — no look-alike option classes and
no ``getattr`` on arbitrary objects.
"""
from __future__ import annotations

from dataclasses import dataclass

from compiler.errors import WhammError

__all__ = ["Options", "OptionsError"]


class OptionsError(WhammError):
    """A combination of knobs that makes no sense (``--no-bundle`` without ``--no-body --no-pred``)."""


@dataclass(frozen=True, slots=True)
class Options:
    """The measurement knobs of REWRITING.md §16, ``no_coalesce`` (docs/COALESCING.md) and where output
    borrows memory (``lend_low``, set for components)."""

    no_body: bool = False
    no_pred: bool = False
    no_report: bool = False
    no_bundle: bool = False
    no_coalesce: bool = False     # one add per site instead of per straight-line run (docs/COALESCING.md)
    lend_low: bool = False
    """Borrow the *first* bytes of the application's exported memory to print and read the clock, not the
    last ones: in a component (docs/COMPONENTS.md) the WASI preview 1 adapter keeps its state at the top
    of that memory and checks it on every call.  Set by the API for component applications."""

    def __post_init__(self) -> None:
        if self.no_bundle and not (self.no_body and self.no_pred):
            raise OptionsError("--no-bundle requires --no-body and --no-pred")
