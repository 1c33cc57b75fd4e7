"""The registry built by whamm_shell/builtin_commands.py: every SHELL.md command is there, and each
command's argument completer sees the live session (function names, probe numbers, report variables,
rule parts, files)."""
from __future__ import annotations

import io

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from compiler import api
from whamm_shell.arguments import UsageError, parse_numbers, parse_options
from whamm_shell.completion import ProbeCompleter, ShellCompleter
from whamm_shell.render import Renderer
from whamm_shell.session import Session
from whamm_shell.shell import Shell


@pytest.fixture
def shell(DEMO) -> Shell:
    return Shell(Session(api.load_app(DEMO)), Renderer(io.StringIO()))


def complete(shell: Shell, text: str) -> list[str]:
    completer = ShellCompleter(shell.registry, ProbeCompleter(globals=shell.session.global_names,
                                                              functions=shell.session.functions))
    event = CompleteEvent(completion_requested=True)
    return [c.text for c in completer.get_completions(Document(text, len(text)), event)]


def test_every_command_of_the_spec_is_registered(shell: Shell) -> None:
    names = {c.name for c in shell.registry}
    assert names == {"help", "load", "info", "match", "probe add", "probe rm", "probe enable", "probe disable",
                     "probe edit", "probes", "global", "run", "report", "plot", "flame", "tools", "trace", "globals", "wat", "sites",
                     "modules", "coverage", "list",
                     "save", "source", "export", "set args", "set env", "set dir", "set stdin", "set timeout",
                     "set fuel", "set compiler", "set unknown-imports", "set pager", "show settings", "history",
                     "quit"}
    assert all(c.summary and c.usage for c in shell.registry)


def test_argument_completion_follows_the_session(shell: Shell) -> None:
    assert "calc" in complete(shell, "wat ca") and "collatz" in complete(shell, "wat co")
    assert complete(shell, "wat calc --ar") == ["--around"]
    shell.onecmd("report var count: u32")
    shell.onecmd("wasm:opcode:call(arg0: i32):before / imm0 == 2 && arg0 == 0 / { count++; }")
    assert complete(shell, "probe rm ") == ["1"]
    assert complete(shell, "report co") == []            # no run yet: no report variables
    shell.onecmd("run")
    assert complete(shell, "report co") == ["count"]
    assert complete(shell, "plot c") == ["count"]
    assert complete(shell, "report --sort v") == ["value"]
    assert {"br_if:", "br_table:"} <= set(complete(shell, "wasm:opcode:br_"))
    assert "count" in complete(shell, "wasm:func:entry { co")
    assert complete(shell, "help pro") == ["probe", "probes"]


def test_set_sub_commands_complete(shell: Shell) -> None:
    assert set(complete(shell, "set ")) == {"args", "env", "dir", "stdin", "timeout", "fuel", "compiler",
                                            "unknown-imports", "pager"}
    assert complete(shell, "set pager ") == ["on", "off"]
    assert complete(shell, "set compiler ") == ["fast", "optimized"]
    assert complete(shell, "set unknown-imports ") == ["trap", "default", "off"]
    assert complete(shell, "set compiler o") == ["optimized"]


def test_option_and_number_parsing() -> None:
    assert parse_options("a 'b c' --top 3 --all", "u", {"--top": int, "--all": None}) == \
        (["a", "b c"], {"--top": 3, "--all": True})
    assert parse_options("x -- --top", "u", {"--top": int}) == (["x", "--top"], {})
    with pytest.raises(UsageError, match="`--top` needs a value"):
        parse_options("--top", "u", {"--top": int})
    with pytest.raises(UsageError, match="usage: u"):
        parse_options("a b", "u", {}, positional=(0, 1))
    assert parse_numbers("1 3-5,8", "u", [1, 3, 4, 5, 8]) == [1, 3, 4, 5, 8]
    assert parse_numbers("2-9", "u", [1, 4, 7, 12]) == [4, 7]       # ranges name existing probes
    with pytest.raises(UsageError, match="invalid range `5-3`"):
        parse_numbers("5-3", "u", [4])
