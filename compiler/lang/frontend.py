"""The front end as one call: script text → checked program (LANGUAGE.md §14's phases in order).

``whamm check``, the rewriter, the wei backend and the shell all enter here, so a script is parsed and
checked the same way everywhere and diagnostics look the same everywhere.  A failed phase raises
:class:`~compiler.lang.diagnostics.ScriptError` (up to 15 errors, source order) and later phases do not
run; warnings of a successful check are in ``Program.warnings``.
"""
from __future__ import annotations

from typing import Mapping

from compiler.lang.checker import check_script
from compiler.lang.libraries import Library
from compiler.lang.parser import parse_script
from compiler.lang.scopes import Program

__all__ = ["check_source"]


def check_source(text: str, filename: str = "<script>", libraries: Mapping[str, Library] | None = None,
                 *, wei: bool = False) -> Program:
    """Parse and check a script.  ``libraries`` are the user libraries' signatures by name (see
    :mod:`compiler.lang.libraries`); ``wei`` selects the engine target's rules."""
    script = parse_script(text, filename)
    return check_script(script, text, filename, libraries, wei=wei)
