"""Paging long output at a terminal (issue 12 item 6), as gdb and git do: a command's listing that is
taller than the terminal goes through ``$PAGER`` (default ``less`` with ``LESS=FRX``: colours kept, quit
at once if it fits after all, the text left on screen).  ``set pager off`` turns it off; batch mode and
output that is not a terminal never page (:class:`~whamm_shell.render.Renderer` has no pager then)."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from typing import Mapping

__all__ = ["Pager"]


class Pager:
    """Shows text through the user's pager; ``enabled`` is ``set pager on|off``."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self.enabled = True

    def command(self) -> list[str] | None:
        """The pager's command line: ``$PAGER``, else ``less`` if installed (None: nothing to page with)."""
        chosen = self.environ.get("PAGER")
        if chosen is not None:
            return shlex.split(chosen) or None     # PAGER="" means no pager, as for git
        return ["less"] if shutil.which("less") else None

    def show(self, text: str) -> bool:
        """Page ``text``; False when paging is off or no pager could run (then the caller prints it)."""
        command = self.command() if self.enabled else None
        if command is None:
            return False
        env = {**self.environ, "LESS": self.environ.get("LESS", "FRX")}
        try:
            subprocess.run(command, input=text.encode("utf-8", "replace"), env=env, check=False)
        except OSError:
            return False
        except KeyboardInterrupt:       # Ctrl-C in the pager: back to the prompt
            pass
        return True
