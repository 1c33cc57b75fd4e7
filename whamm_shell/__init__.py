"""whamm-shell: the interactive instrumentation shell (SHELL.md).

The shell's interactive layer; the session (state, compiler calls, the commands' behaviour) plugs in.
"""
from __future__ import annotations

__all__: list[str] = []
