"""Completion with the shell's own command table: probe numbers for ``probe rm|enable|disable|edit``
and ``sites`` (only those each command can take, with the probe's first line), and the columns
``report --sort`` can take (the last run's, a map's key columns among them)."""
from __future__ import annotations

import io

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from compiler import api
from whamm_shell.completion import ProbeCompleter, ShellCompleter
from whamm_shell.render import Renderer
from whamm_shell.session import Session, demo_app
from whamm_shell.shell import Shell


@pytest.fixture
def shell() -> Shell:
    """A shell on the demo app with probes 1 (enabled), 3 (disabled) and 4 (enabled); 2 was removed."""
    sh = Shell(Session(api.load_app(demo_app())), Renderer(io.StringIO()))
    for probe in ("wasm:opcode:call:before { }", "wasm:func:exit { }", "wasm:func:entry { }",
                  "wasm:opcode:br_if:before { }"):
        sh.onecmd(probe)
    sh.onecmd("probe rm 2")
    sh.onecmd("probe disable 3")
    return sh


def complete(sh: Shell, text: str, *, meta: bool = False) -> list:
    completer = ShellCompleter(sh.registry, ProbeCompleter(sh.session.global_names, sh.session.functions))
    got = completer.get_completions(Document(text, len(text)), CompleteEvent(completion_requested=True))
    return [(c.text, c.display_meta_text) if meta else c.text for c in got]


def test_probe_rm_offers_every_probe_with_its_first_line(shell) -> None:
    assert complete(shell, "probe rm ", meta=True) == [
        ("1", "wasm:opcode:call:before { }"), ("3", "wasm:func:entry { } (disabled)"),
        ("4", "wasm:opcode:br_if:before { }")]
    assert complete(shell, "pr rm ") == ["1", "3", "4"]           # prefixes of the command work
    assert complete(shell, "probe rm 1 4 ") == ["3"]              # a number on the line is not offered again


def test_enable_offers_the_disabled_probes_and_disable_the_enabled_ones(shell) -> None:
    assert complete(shell, "probe enable ") == ["3"]
    assert complete(shell, "probe disable ") == ["1", "4"]
    assert complete(shell, "probe disable 4") == ["4"]


def test_edit_and_sites_take_one_number_then_their_options(shell) -> None:
    assert complete(shell, "probe edit ") == ["1", "3", "4"]
    assert complete(shell, "probe edit 3 ") == ["--editor"]
    assert complete(shell, "sites ") == ["1", "4"]                # a disabled probe has no sites
    assert complete(shell, "sites 4 ") == ["--all", "--verbose"]
    assert complete(shell, "sites 4 --all ") == ["--verbose"]
    assert complete(shell, "sites 4 --all --v") == ["--verbose"]
    assert complete(shell, "sites 4 --all --verbose ") == []


def test_report_sort_offers_the_columns_of_the_last_run(shell) -> None:
    before = complete(shell, "report --sort ")
    assert before == ["name", "probe", "probe_id", "fname", "fid", "pc", "key", "value", "sum", "min", "max", "avg"]
    shell.onecmd("report var n: u32")
    shell.onecmd("wasm:func:entry { n++; }")
    shell.onecmd("run")
    assert complete(shell, "report --sort ") == ["name", "probe", "probe_id", "fname", "fid", "pc", "value"]
    shell.onecmd("report var m: map<u32, u32>")
    shell.onecmd("wasm:opcode:call:before { m[imm0]++; }")
    shell.onecmd("run")
    assert complete(shell, "report n --sort k") == ["key"]
    assert complete(shell, "report --sort v") == ["value"]
