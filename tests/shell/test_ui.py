"""whamm_shell.ui: the prompt driven through a pipe (``create_pipe_input`` + ``DummyOutput``)."""
from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
from prompt_toolkit.completion import Completer, WordCompleter
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from compiler.errors import WhammError
from whamm_shell.render import Renderer
from whamm_shell.ui import (
    GuardedCompleter, Repl, Status, continuation, history_path, make_prompt, read_history, toolbar_text,
)

ENTER, CTRL_C, CTRL_D, CTRL_R, META_ENTER, RIGHT, TAB = "\r", "\x03", "\x04", "\x12", "\x1b\r", "\x1b[C", "\t"


@pytest.fixture
def pipe() -> Iterator:
    with create_pipe_input() as inp:
        yield inp


def _session(pipe, history=None, **kw):
    return make_prompt(kw.pop("completer", None), history=history if history is not None else InMemoryHistory(),
                       input=pipe, output=DummyOutput(), **kw)


def _history(*entries: str) -> InMemoryHistory:
    h = InMemoryHistory()
    for e in entries:
        h.append_string(e)
    return h


def _wait(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the prompt"
        time.sleep(0.01)


class _Background:
    """Runs ``session.prompt()`` in a thread, for keys that must wait for an asynchronous effect."""

    def __init__(self, session):
        self.session = session
        self.result: list[str] = []
        self.thread = threading.Thread(target=lambda: self.result.append(session.prompt()), daemon=True)
        self.thread.start()

    def finish(self) -> str:
        self.thread.join(5)
        assert self.result, "prompt did not return"
        return self.result[0]


# ------------------------------------------------------------------------------ multi-line entry

def test_probe_entry_continues_while_braces_are_open(pipe) -> None:
    session = _session(pipe)
    pipe.send_text("wasm:opcode:call:before {" + ENTER + "n++;" + ENTER + "if (n > 2) {" + ENTER + "n = 0;"
                   + ENTER + "}" + ENTER + "}" + ENTER)
    assert session.prompt() == "wasm:opcode:call:before {\n    n++;\n    if (n > 2) {\n        n = 0;\n    }\n}"


def test_a_probe_waits_for_its_body(pipe) -> None:
    session = _session(pipe)
    pipe.send_text("wasm:func:entry / fid == 1 /" + ENTER + "{ c++; }" + ENTER)
    assert session.prompt() == "wasm:func:entry / fid == 1 /\n{ c++; }"


def test_complete_lines_submit_at_once(pipe) -> None:
    session = _session(pipe)
    for line in ("run --fuel 10", "var x: u32", "probe add wasm:func:entry { n++; }", "wasm:func:entry { n++ }"):
        pipe.send_text(line + ENTER)
        assert session.prompt() == line


def test_meta_enter_always_inserts_a_newline(pipe) -> None:
    session = _session(pipe)
    pipe.send_text("x = 1" + META_ENTER + "y = 2" + ENTER)
    assert session.prompt() == "x = 1\ny = 2"


def test_continuation_prompt_lines_up_under_the_prompt() -> None:
    assert "".join(t for _, t in continuation(7, 1, False)) == "   ... "


# ---------------------------------------------------------------------------------------- history

def test_history_persists_across_sessions(pipe, tmp_path: Path) -> None:
    path = tmp_path / "data" / "whamm-shell" / "history"
    first = make_prompt(history=path, input=pipe, output=DummyOutput())
    for line in ("load app.wasm", "wasm:func:entry {\nn++;\n}", "run"):
        pipe.send_text(line.replace("\n", ENTER) + ENTER)
        first.prompt()
    assert read_history(path) == ["load app.wasm", "wasm:func:entry {\n    n++;\n}", "run"]
    second = make_prompt(history=path, input=pipe, output=DummyOutput())
    pipe.send_text("\x1b[A" + ENTER)                  # Up: the last line of the earlier session
    assert second.prompt() == "run"
    assert read_history(tmp_path / "missing") == []


def test_history_path_follows_xdg() -> None:
    assert history_path({"XDG_DATA_HOME": "/x/data", "HOME": "/home/u"}) == Path("/x/data/whamm-shell/history")
    assert history_path({"XDG_DATA_HOME": "", "HOME": "/home/u"}) == \
        Path("/home/u/.local/share/whamm-shell/history")
    assert history_path({"HOME": "/home/u"}) == Path("/home/u/.local/share/whamm-shell/history")


def test_ctrl_r_searches_history(pipe) -> None:
    session = _session(pipe, _history("run --fuel 10", "report count", "wat main"))
    pipe.send_text(CTRL_R + "fuel" + ENTER + ENTER)
    assert session.prompt() == "run --fuel 10"


def test_suggestion_from_history_is_taken_with_right_arrow(pipe) -> None:
    session = _session(pipe, _history("run --fuel 10", "report"))
    bg = _Background(session)
    pipe.send_text("ru")
    _wait(lambda: session.default_buffer.suggestion is not None)
    assert session.default_buffer.suggestion.text == "n --fuel 10"
    pipe.send_text(RIGHT + ENTER)
    assert bg.finish() == "run --fuel 10"


# ---------------------------------------------------------------------------- keys and completion

def test_ctrl_c_at_the_prompt_raises_to_clear_the_line(pipe) -> None:
    session = _session(pipe)
    pipe.send_text("half a line" + CTRL_C)
    with pytest.raises(KeyboardInterrupt):
        session.prompt()
    pipe.send_text("run" + ENTER)
    assert session.prompt() == "run"                  # the next prompt starts empty


def test_ctrl_d_on_an_empty_line_ends_input(pipe) -> None:
    session = _session(pipe)
    pipe.send_text(CTRL_D)
    with pytest.raises(EOFError):
        session.prompt()


def test_tab_completes(pipe) -> None:
    session = _session(pipe, completer=WordCompleter(["report", "run"]))
    bg = _Background(session)
    pipe.send_text("rep")                             # completion is asynchronous: wait for it
    _wait(lambda: session.default_buffer.complete_state is not None)
    pipe.send_text(TAB)
    _wait(lambda: session.default_buffer.text == "report")
    pipe.send_text(ENTER + ENTER)                     # take the entry, then submit
    assert bg.finish() == "report"


def test_enter_on_a_menu_entry_takes_it_without_submitting(pipe) -> None:
    session = _session(pipe, completer=WordCompleter(["report", "run", "rerun"]))
    bg = _Background(session)
    pipe.send_text("r")
    _wait(lambda: session.default_buffer.complete_state is not None)
    pipe.send_text(TAB)                                # the first entry is selected and inserted
    _wait(lambda: session.default_buffer.text == "report")
    pipe.send_text(ENTER)
    _wait(lambda: session.default_buffer.complete_state is None)
    assert session.default_buffer.text == "report"
    pipe.send_text(" count" + ENTER)
    assert bg.finish() == "report count"


class _Broken(Completer):
    def get_completions(self, document, complete_event):
        yield from ()
        raise RuntimeError("completer bug")


def test_a_failing_completer_does_not_break_the_prompt(pipe) -> None:
    session = _session(pipe, completer=_Broken())
    bg = _Background(session)
    pipe.send_text("ab" + TAB)
    time.sleep(0.2)
    pipe.send_text("c" + ENTER)
    assert bg.finish() == "abc"
    assert list(GuardedCompleter(_Broken()).get_completions(None, None)) == []


# ---------------------------------------------------------------------------------------- toolbar

def test_toolbar_text() -> None:
    def text(status: Status) -> str:
        return "".join(t for _, t in toolbar_text(status))
    assert text(Status()) == " app (none) │ probes 0 │ sites – │ last run –"
    status = Status("demo.wasm", probes=3, enabled=2, sites=14, last_run="trap: unreachable", last_run_ok=False)
    assert text(status) == " app demo.wasm │ probes 2/3 │ sites 14 │ last run trap: unreachable"
    assert ("class:bottom-toolbar.bad", "trap: unreachable") in toolbar_text(status)


def test_toolbar_is_fed_by_the_callable_and_survives_its_errors(pipe) -> None:
    calls = []

    def status() -> Status:
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("session bug")
        return Status("app.wasm")

    session = _session(pipe, status=status)
    first = session.bottom_toolbar()
    assert "app.wasm" in "".join(t for _, t in first)
    assert list(session.bottom_toolbar()) == []        # an error shows an empty toolbar
    pipe.send_text("run" + ENTER)
    assert session.prompt() == "run"


# ------------------------------------------------------------------------------------------- loop

def _repl(pipe, onecmd: Callable[[str], bool]) -> tuple[Repl, io.StringIO]:
    out = io.StringIO()
    return Repl(_session(pipe), onecmd, Renderer(out)), out


def test_loop_runs_commands_until_quit(pipe) -> None:
    seen: list[str] = []
    repl, _ = _repl(pipe, lambda line: seen.append(line) or line == "quit")
    pipe.send_text("load app.wasm" + ENTER + "half" + CTRL_C + "run" + ENTER + "quit" + ENTER + "never" + ENTER)
    repl.run()
    assert seen == ["load app.wasm", "run", "quit"]


def test_loop_ends_on_ctrl_d(pipe) -> None:
    seen: list[str] = []
    repl, _ = _repl(pipe, lambda line: seen.append(line) or False)
    pipe.send_text("run" + ENTER + CTRL_D)
    repl.run()
    assert seen == ["run"]


def test_loop_survives_errors_and_interrupts(pipe) -> None:
    def onecmd(line: str) -> bool:
        if line == "bad":
            raise WhammError("no such file 'x.wasm'")
        if line == "bug":
            raise ZeroDivisionError("oops")
        if line == "slow":
            raise KeyboardInterrupt
        return line == "quit"

    repl, out = _repl(pipe, onecmd)
    pipe.send_text("bad" + ENTER + "bug" + ENTER + "slow" + ENTER + "quit" + ENTER)
    repl.run()
    assert out.getvalue().splitlines() == [
        "error: no such file 'x.wasm'",
        "error: internal error: ZeroDivisionError('oops') (please report this bug)",
        "warning: interrupted",
    ]
