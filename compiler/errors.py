"""The root of every error the compiler reports to a user.

Each package derives its own family from :class:`WhammError` (decode errors carry a section and a byte
offset, script errors carry diagnostics).  The CLI and the shell render any ``WhammError`` and exit
non-zero; any other exception escaping the compiler is a bug ("internal compiler error", exit 3).
"""
from __future__ import annotations

__all__ = ["WhammError", "InternalError"]


class WhammError(Exception):
    """A user-facing error: bad script, bad Wasm, bad library, bad arguments.

    ``str(err)`` is the complete message to show (without the leading ``error: ``), possibly several
    lines long.
    """


class InternalError(Exception):
    """A bug in the compiler, never the user's fault: e.g. a fact the checker or the folder must have
    recorded for a node (its type, symbol or callee) is missing.  Deliberately not a :class:`WhammError`,
    so it is never rendered as a script diagnostic: it ends in "internal compiler error" (exit 3) instead
    of a silently skipped statement or a plausible wrong result."""
