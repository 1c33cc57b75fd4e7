""":class:`Shell`, which dispatches lines to the shell's commands (SHELL.md "Commands").

:class:`Shell` is the ``cmd.Cmd`` of the shell (STYLE.md §4): :meth:`Shell.onecmd` runs one line — a
command, or whamm text typed directly (a probe or a global statement) — and returns True to stop.  The
prompt, ``source FILE``, ``-c``/``-x`` batch mode and the tests all go through it.  Each command is a
:class:`~whamm_shell.commands.Command` in one :class:`~whamm_shell.commands.Registry`
(:func:`~whamm_shell.command_table.build_registry`), which also drives ``help`` and completion, so they
cannot drift apart.  The commands themselves are functions of the shell in
:mod:`whamm_shell.builtin_commands` and :mod:`whamm_shell.inspect_commands`.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable, Mapping

from compiler import api
from compiler.api import WhammError
from whamm_shell.builtin_commands import add_script, do_global, do_probe_add
from whamm_shell.command_table import build_registry
from whamm_shell.render import Renderer
from whamm_shell.session import Session, SessionError
from whamm_shell.splitting import split_commands
from whamm_shell.ui import Status

__all__ = ["Shell"]

_RULE_HEAD = re.compile(r"\s*[A-Za-z0-9_.*?\[\]!|+\\]*\s*(?:\([^()]*\))?\s*:")
_NOT_RULE = re.compile(r"\s*(?:var|use|fn|report|shared|unshared|frame)\b")
#: What a line holding more than one command or item has: a newline, a `;` or a comment.
_SEVERAL = re.compile(r"[\n;]|//|/\*")
#: The name of a script pasted at the prompt in its diagnostics and in ``globals``.
PASTED = "<paste>"


class Shell:
    """Dispatches lines to the commands of one :class:`~whamm_shell.session.Session`.

    ``renderer`` is the output funnel; ``history_path`` the persistent history file (``history``);
    ``edit_inline`` re-opens a text at the prompt for ``probe edit`` (None in batch mode); ``ask``
    asks the user a question and returns the answer line (None at end of input; ``ask`` is None in
    batch mode, which never asks); ``environ`` supplies ``$EDITOR``.
    """

    def __init__(self, session: Session, renderer: Renderer, *, history_path: Path | None = None,
                 edit_inline: Callable[[str], str] | None = None,
                 ask: Callable[[str], str | None] | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.session = session
        self.renderer = renderer
        self.history_path = history_path
        self.edit_inline = edit_inline
        self.ask = ask
        self.environ = os.environ if environ is None else environ
        self.commands: list[str] = []                        # this session's lines (batch `history`)
        self.decoded: tuple[bytes, object] | None = None   # the last instrumented module read back (wat)
        self.sourcing: list[Path] = []                       # files `source` is reading, innermost last
        self.location = "prompt"                             # where the running command comes from
        self.registry = build_registry(self)

    def onecmd(self, line: str) -> bool:
        """Run one line (a command, or a probe / global statement typed directly); True means stop.
        Errors are raised for the caller to render."""
        if line.strip():
            self.commands.append(line.strip())
        if _SEVERAL.search(line.strip()):
            several = self._several(line.strip())
            if several is not None:
                return several
        return self.registry.dispatch(line, default=self.add_text)

    def _several(self, text: str) -> bool | None:
        """Text that may hold several things at once — a script or commands pasted at the prompt (issue
        12): a whamm script (comments, probes, globals) is added as ``-s`` adds a script file, all of it
        checked together and matched once; several commands run as a command file would.  A single
        item loses only the comments around it.  None: one command, for the usual dispatch."""
        try:
            items = api.script_items(text, PASTED)
        except api.ScriptError:
            items = None
        if items is None:
            return self.run_text(text, PASTED) if len(split_commands(text)) > 1 else None
        if len(items) > 1:
            add_script(self, text, PASTED)
            return False
        if items and (items[0].start, items[0].end) != (0, len(text)):
            return self.registry.dispatch(text[items[0].start:items[0].end], default=self.add_text)
        return None

    def execute(self, line: str) -> tuple[bool, bool]:
        """Run one line and render its error, if any: (stop, ok)."""
        try:
            return self.onecmd(line), True
        except WhammError as exc:
            self.renderer.error(exc)
            return False, False

    def run_text(self, text: str, origin: str) -> bool:
        """Run the commands of a ``-c`` argument or a command file, stopping at the first failure
        (whose error is rendered, then reported as ``ORIGIN:LINE``).  True means ``quit`` was given."""
        outer = self.location
        try:
            for command in split_commands(text):
                self.location = f"{origin}:{command.line}"
                try:
                    if self.onecmd(command.text):
                        return True
                except WhammError as exc:
                    self.renderer.error(exc)
                    raise SessionError(f"{origin}:{command.line}: stopped at this failed command: "
                                       f"{command.text.splitlines()[0]}") from None
        finally:
            self.location = outer
        return False

    def add_text(self, text: str) -> None:
        """Whamm text typed directly: a probe (``probe add``) or a script-level item (``global``)."""
        try:
            items = api.script_items(text, "<input>")
        except api.ScriptError:
            items = None
        if items and all(i.kind == "probe" for i in items) and len(items) == 1:
            do_probe_add(self, text)
        elif items is None and _RULE_HEAD.match(text) and not _NOT_RULE.match(text):
            do_probe_add(self, text)
        else:
            do_global(self, text)

    def confirm_quit(self) -> bool:
        """Ctrl-D at the prompt: leave, unless probes or globals changed since the last ``save`` (or
        start-up) and the user answers no (gdb asks the same before dropping breakpoints)."""
        if self.ask is None or not self.session.unsaved():
            return True
        answer = self.ask("probes not saved; quit anyway? (y or n) ")
        return answer is None or answer.strip().lower() in ("y", "yes")

    def status(self) -> Status:
        """What the prompt's bottom toolbar shows."""
        s = self.session
        matched = s.last_matched
        run = s.last_run
        return Status(app=os.path.basename(s.app.name), probes=len(s.probes),
                      enabled=sum(p.enabled for p in s.probes.values()),
                      sites=None if matched is None else len(matched.matches.sites),
                      last_run=None if run is None else run.status, last_run_ok=run is None or run.ok)
