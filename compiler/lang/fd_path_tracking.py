"""The probes that keep ``fd_path`` up to date (ANALYSIS.md §4), added to a script that reads it.

``fd_path`` names what a descriptor refers to, which only the calls that create, move and close
descriptors know.  When a ``wasi:p1`` probe reads it, the checker appends one more rule, checked like the
script's own, whose ``after`` probes on those calls update the runtime's table (``track_fd_path()``,
runtime/fdpath.c).  A script that never reads ``fd_path`` pays nothing.

The rule is parsed from text placed past the end of the script (its offsets start after the script's
last character), so no diagnostic or session lookup can confuse it with a probe of the script.
"""
from __future__ import annotations

from compiler.events import wasi
from compiler.lang import ast
from compiler.lang.parser import parse_script

__all__ = ["TRACKING_RULE", "tracking_probes"]

#: The appended rule (its expansions are numbered after the script's probes).
TRACKING_RULE = f"wasi:p1:{'|'.join(wasi.TRACKED)}:after {{ track_fd_path(); }}"


def tracking_probes(source_length: int) -> tuple[ast.Probe, ...]:
    """The tracking rule's probe, parsed at offsets past a script of ``source_length`` characters."""
    script = parse_script(" " * source_length + "\n" + TRACKING_RULE, "<fd_path tracking>")
    return tuple(item for item in script.items if isinstance(item, ast.Probe))
