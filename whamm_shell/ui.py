"""The prompt_toolkit front end: reading lines, and the loop that hands them to the session.

Following ptpython (STYLE.md §4) the UI only reads and shows; the session decides.  The pieces:

* :func:`make_prompt` builds the ``PromptSession``: persistent history (:func:`history_path`, in the
  user's data directory), ``Ctrl-R`` reverse search and suggestions from history, live highlighting with
  :class:`~whamm_shell.lexers.ShellLexer`, the completer (guarded so a completer bug cannot break the
  prompt), multi-line entry with a continuation prompt and a bottom toolbar fed by a callable returning a
  :class:`Status`;
* :func:`shell_key_bindings` — the key bindings, from a factory like ptpython's ``load_python_bindings``:
  Enter submits only complete input (:func:`~whamm_shell.splitting.needs_more`: braces or parentheses
  still open, a probe without its body) and otherwise starts a continuation line; Meta-Enter
  (Esc Enter) always inserts a newline;
* :class:`Repl` — the loop, which never dies: Ctrl-C at the prompt clears the line, Ctrl-C while a
  command runs returns to the prompt, an exception while reading or running is reported and the loop
  goes on; Ctrl-D on an empty line (or a command returning True, ``quit``) ends it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.filters import is_searching
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory, History
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.styles import Style

from compiler.api import WhammError
from whamm_shell.lexers import ShellLexer
from whamm_shell.splitting import needs_more

if TYPE_CHECKING:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document
    from prompt_toolkit.input import Input
    from prompt_toolkit.key_binding import KeyPressEvent
    from prompt_toolkit.output import Output

    from whamm_shell.render import Renderer

__all__ = [
    "PROMPT", "Status", "history_path", "compile_cache_path", "read_history", "toolbar_text", "continuation",
    "shell_key_bindings", "GuardedCompleter", "make_prompt", "Repl",
]

PROMPT = "whamm> "

_STYLE = Style.from_dict({
    "prompt": "bold ansiblue",
    "continuation": "ansibrightblack",
    "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
    "bottom-toolbar.label": "bold",
    "bottom-toolbar.ok": "ansigreen",
    "bottom-toolbar.bad": "ansired",
})


def history_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME/whamm-shell/history``, or ``~/.local/share/whamm-shell/history`` when
    ``XDG_DATA_HOME`` is unset or empty (XDG Base Directory specification)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "share")
    return Path(base) / "whamm-shell" / "history"


def compile_cache_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/whamm-shell/wasmtime``, or ``~/.cache/whamm-shell/wasmtime``: wasmtime's on-disk
    cache of compiled code, which a reopened session reuses (wasmtime trims it to its size limits)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "whamm-shell" / "wasmtime"


def _file_history(path: Path) -> FileHistory:
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileHistory(str(path))


def read_history(path: Path) -> list[str]:
    """The entries of a history file, oldest first (what ``history`` lists); [] if there is none."""
    if not path.exists():
        return []
    return list(reversed(list(FileHistory(str(path)).load_history_strings())))


@dataclass(frozen=True, slots=True)
class Status:
    """What the bottom toolbar shows: the application, the probes (enabled of total) and their sites
    (None: not matched yet), and the last run's outcome (``exit 0``, ``trap: …``; None before any)."""

    app: str | None = None
    probes: int = 0
    enabled: int = 0
    sites: int | None = None
    last_run: str | None = None
    last_run_ok: bool = True


def toolbar_text(status: Status) -> FormattedText:
    """The toolbar line for ``status``: `` app demo.wasm │ probes 2/3 │ sites 14 │ last run exit 0``."""
    sep = ("class:bottom-toolbar", " │ ")
    parts: list[tuple[str, str]] = [
        ("class:bottom-toolbar.label", " app "), ("class:bottom-toolbar", status.app or "(none)"), sep,
        ("class:bottom-toolbar.label", "probes "),
        ("class:bottom-toolbar", f"{status.enabled}/{status.probes}" if status.enabled != status.probes
         else str(status.probes)), sep,
        ("class:bottom-toolbar.label", "sites "),
        ("class:bottom-toolbar", "–" if status.sites is None else str(status.sites)), sep,
        ("class:bottom-toolbar.label", "last run "),
    ]
    if status.last_run is None:
        parts.append(("class:bottom-toolbar", "–"))
    else:
        parts.append(("class:bottom-toolbar.ok" if status.last_run_ok else "class:bottom-toolbar.bad",
                      status.last_run))
    return FormattedText(parts)


def continuation(width: int, line_number: int, is_soft_wrap: bool) -> FormattedText:
    """The prompt of continuation lines: ``...`` right-aligned under the main prompt."""
    return FormattedText([("class:continuation", "...".rjust(width - 1) + " ")])


def shell_key_bindings(is_complete: Callable[[str], bool] | None = None) -> KeyBindings:
    """Enter submits complete input and continues incomplete input on a new line (keeping the
    indentation, one level deeper after an opening brace; a ``}`` typed first on a line goes one level
    back); Meta-Enter always inserts a newline.  While searching history (``Ctrl-R``) the search
    bindings keep Enter.

    Enter while a completion menu entry is selected takes that entry.  ``is_complete`` decides
    completeness (default: not :func:`~whamm_shell.splitting.needs_more`).
    """
    complete = is_complete or (lambda text: not needs_more(text))
    kb = KeyBindings()

    @kb.add("enter", filter=~is_searching)
    def _enter(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        state = buf.complete_state
        if state is not None and state.current_completion is not None:
            buf.complete_state = None       # Enter on a menu entry takes it (it is already inserted)
            return
        if complete(buf.text):
            buf.validate_and_handle()
            return
        _newline(event)

    @kb.add("escape", "enter", filter=~is_searching)
    def _meta_enter(event: KeyPressEvent) -> None:
        _newline(event)

    @kb.add("}", filter=~is_searching)
    def _close_brace(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        before = buf.document.current_line_before_cursor
        if before and not before.strip():           # dedent a closing brace typed on its own line
            buf.delete_before_cursor(min(len(before), 4))
        buf.insert_text("}")

    return kb


def _newline(event: KeyPressEvent) -> None:
    buf = event.current_buffer
    line = buf.document.current_line_before_cursor
    indent = line[:len(line) - len(line.lstrip())]
    if line.rstrip().endswith(("{", "(")):
        indent += "    "
    buf.insert_text("\n" + indent)


class GuardedCompleter(Completer):
    """A completer that cannot break the prompt: an exception inside ``inner`` ends that round of
    completions quietly (ptpython carries on the same way when reading fails)."""

    def __init__(self, inner: Completer):
        self.inner = inner

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        """The inner completer's completions; an exception in it yields none instead of ending the prompt."""
        try:
            yield from self.inner.get_completions(document, complete_event)
        except Exception:       # a bug in a completer must not cost the user their input
            return


def make_prompt(completer: Completer | None = None, *, history: History | Path | None = None,
                status: Callable[[], Status] | None = None, key_bindings: KeyBindings | None = None,
                input: Input | None = None, output: Output | None = None, message: str = PROMPT,
                complete_in_thread: bool = False) -> PromptSession:
    """The shell's ``PromptSession``.

    ``history`` is a prompt_toolkit ``History``, a file path, or None for :func:`history_path`.
    ``status`` feeds the bottom toolbar (no toolbar without it).  ``input``/``output`` let tests drive
    the prompt with ``create_pipe_input()`` and ``DummyOutput()``.
    """
    if not isinstance(history, History):
        history = _file_history(history if history is not None else history_path())
    toolbar = None
    if status is not None:
        def toolbar() -> FormattedText:
            try:
                return toolbar_text(status())
            except Exception:   # the toolbar is decoration: never let it take the prompt down
                return FormattedText([])
    return PromptSession(
        message=[("class:prompt", message)],
        multiline=True,
        prompt_continuation=continuation,
        history=history,
        auto_suggest=AutoSuggestFromHistory(),
        enable_history_search=False,
        completer=GuardedCompleter(completer) if completer is not None else None,
        complete_in_thread=complete_in_thread,
        complete_while_typing=True,
        lexer=PygmentsLexer(ShellLexer),
        bottom_toolbar=toolbar,
        key_bindings=key_bindings or shell_key_bindings(),
        style=_STYLE,
        input=input,
        output=output,
    )


class Repl:
    """The read–dispatch loop: ``onecmd(line)`` runs one line and returns True to stop.

    The session's ``onecmd`` renders the errors it expects (:class:`~compiler.errors.WhammError`);
    anything that still escapes is reported through ``renderer`` and the loop goes on.  Reading fails
    for good (``max_read_failures`` times in a row) only if the terminal itself is gone.
    """

    def __init__(self, prompt: PromptSession, onecmd: Callable[[str], bool], renderer: Renderer,
                 max_read_failures: int = 3, confirm_eof: Callable[[], bool] = lambda: True):
        self.confirm_eof = confirm_eof
        self.prompt = prompt
        self.onecmd = onecmd
        self.renderer = renderer
        self.max_read_failures = max_read_failures

    def run(self) -> None:
        """Read lines and run them until ``quit`` or Ctrl-D; errors are rendered and the loop goes on."""
        failures = 0
        while True:
            try:
                line = self.prompt.prompt()
                failures = 0
            except KeyboardInterrupt:       # Ctrl-C at the prompt: drop the line, prompt again
                continue
            except EOFError:                # Ctrl-D on an empty line (asks first if probes are unsaved)
                if self.confirm_eof():
                    return
                continue
            except Exception as exc:
                failures += 1
                self.renderer.error(f"internal error while reading input: {exc!r}")
                if failures >= self.max_read_failures:
                    raise
                continue
            try:
                if self.onecmd(line):
                    return
            except KeyboardInterrupt:
                self.renderer.warning("interrupted")
            except WhammError as exc:
                self.renderer.error(exc)
            except Exception as exc:
                self.renderer.error(f"internal error: {exc!r} (please report this bug)")
