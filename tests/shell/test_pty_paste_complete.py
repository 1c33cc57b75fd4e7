"""A real terminal (pexpect): a whamm script pasted at the prompt (bracketed paste, as terminals send
it) is added as a script file is — comments, several probes and globals, one check — and Tab completes
probe numbers after ``probe enable``."""
from __future__ import annotations

import os
import sys

import pexpect
import pytest

PROMPT = "whamm> "
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


@pytest.fixture
def terminal(tmp_path, REPO):
    """Start ``whamm-shell`` (on the demo app) in a pseudo-terminal; ended when the test is."""
    children: list[pexpect.spawn] = []

    def spawn(*args: str) -> pexpect.spawn:
        env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_DATA_HOME": str(tmp_path / "data"),
               "XDG_CACHE_HOME": str(tmp_path / "cache"), "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"}
        child = pexpect.spawn(sys.executable, ["-m", "whamm_shell", *args], env=env, encoding="utf-8",
                              timeout=60, dimensions=(40, 120))
        children.append(child)
        child.expect(PROMPT)
        return child
    yield spawn
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def _leave(child: pexpect.spawn) -> None:
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_pasted_script_is_added_as_a_script_file(terminal, REPO) -> None:
    child = terminal()
    script = (REPO / "examples" / "branches" / "branches.mm").read_text()
    child.send(PASTE_START + script.replace("\n", "\r") + PASTE_END)
    child.send("\r")
    child.expect("probe 1 added: 2 sites in 2 functions")
    child.expect("probe 2 added: 2 sites in 2 functions")
    child.expect(PROMPT)
    child.send(PASTE_START + "// globals and a probe, no blank lines\rreport var calls: u32;\r"
               "var limit: u32 = 1;\rwasm:opcode:call:before / fid > limit / { calls++; }\r" + PASTE_END)
    child.send("\r")
    child.expect("global: report var calls: u32;")
    child.expect("global: var limit: u32 = 1;")
    child.expect(r"probe 3 added: \d+ sites in \d+ functions")
    child.expect(PROMPT)
    child.sendline("run")
    child.expect(r"\[exit status 0")
    child.expect(PROMPT)
    child.sendline("report calls")
    child.expect(r"calls\s+\d+")
    child.expect(PROMPT)
    child.sendline("globals")
    child.expect(r"limit\s+var\s+u32\s+1\s+<paste>:3")
    child.expect(PROMPT)
    _leave(child)


def test_a_pasted_script_with_an_error_changes_nothing(terminal) -> None:
    child = terminal()
    child.send(PASTE_START + "// one good probe, one wrong\rwasm:func:entry { }\r"
               "wasm:func:exit { missing++; }\r" + PASTE_END)
    child.send("\r")
    child.expect("unknown variable")            # (in colour: escapes between the words)
    child.expect("<paste>:3:18")
    child.expect(PROMPT)
    child.sendline("probes")
    child.expect("no probes yet")
    child.expect(PROMPT)
    _leave(child)


def test_tab_completes_the_probe_numbers_a_command_can_take(terminal) -> None:
    child = terminal()
    child.sendline("wasm:func:entry { }")
    child.expect("probe 1 added")
    child.expect(PROMPT)
    child.sendline("wasm:func:exit { }")
    child.expect("probe 2 added")
    child.expect(PROMPT)
    child.sendline("probe disable 2")
    child.expect("disabled probe 2")
    child.expect(PROMPT)
    child.send("probe enable \t")          # only probe 2 is disabled: Tab fills it in
    child.expect(r"enable (\x1b\[[0-9;]*m)*2")  # (highlighted: colour codes between the words)
    child.send("\r")
    child.expect("enabled probe 2")
    child.expect(PROMPT)
    _leave(child)
