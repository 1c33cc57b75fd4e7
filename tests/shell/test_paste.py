"""Several things given at once at the prompt (a paste): a whamm script — comments, several probes and
globals — is added as ``-s`` adds a script file (checked together, located errors, nothing added on
error); several commands run as a command file; one item keeps only its own text."""
from __future__ import annotations

import io

import pytest

from compiler import api
from whamm_shell.render import Renderer
from whamm_shell.shell import Shell
from whamm_shell.session import Session, demo_app


@pytest.fixture
def shell() -> tuple[Shell, io.StringIO]:
    out = io.StringIO()
    return Shell(Session(api.load_app(demo_app())), Renderer(out)), out


def test_a_script_with_comments_probes_and_globals_is_added_whole(shell, REPO) -> None:
    sh, out = shell
    sh.onecmd((REPO / "examples" / "branches" / "branches.mm").read_text())
    assert out.getvalue() == "probe 1 added: 2 sites in 2 functions\nprobe 2 added: 2 sites in 2 functions\n"
    sh.onecmd("// more\nreport var n: u32;\nvar step: u32 = 2;\nwasm:func:entry { n = n + step; }\n")
    assert out.getvalue().splitlines()[2:] == [
        "global: report var n: u32;", "global: var step: u32 = 2;", "probe 3 added: 7 sites in 7 functions"]
    assert [(i.text, i.origin) for i in sh.session.items] == [
        ("report var n: u32;", "<paste>:2"), ("var step: u32 = 2;", "<paste>:3")]
    assert sh.session.probes[3].text == "wasm:func:entry { n = n + step; }"


def test_a_pasted_probe_may_use_the_sessions_globals(shell) -> None:
    sh, out = shell
    sh.onecmd("report var n: u32")
    sh.onecmd("wasm:func:entry { n++; }\nwasm:func:exit { n++; }")
    assert sorted(sh.session.probes) == [1, 2]


def test_globals_alone_need_no_probe(shell) -> None:
    sh, out = shell
    sh.onecmd("var a: u32; var b: u32 = a")
    assert [i.text for i in sh.session.items] == ["var a: u32;", "var b: u32 = a;"]


def test_an_error_points_into_the_paste_and_adds_nothing(shell) -> None:
    sh, out = shell
    sh.onecmd("var a: u32")
    with pytest.raises(api.WhammError) as caught:
        sh.onecmd("// two probes\nwasm:func:entry { a++; }\nwasm:func:exit { missing++; }\n")
    assert "unknown variable `missing`\n --> <paste>:3:18" in str(caught.value)
    assert not sh.session.probes and len(sh.session.items) == 1


def test_pasted_commands_run_as_a_command_file(shell) -> None:
    sh, out = shell
    sh.onecmd("// set up\nreport var n: u32\nwasm:func:entry { n++; }\nrun\nreport n\n")
    text = out.getvalue()
    assert "probe 1 added: 7 sites in 7 functions" in text and "[exit status 0" in text
    assert text.splitlines()[-1].split() == ["n", "63"]


def test_one_item_drops_the_comments_around_it(shell) -> None:
    sh, out = shell
    sh.onecmd("// count entries\nwasm:func:entry { }  // nothing yet")
    assert sh.session.probes[1].text == "wasm:func:entry { }"
