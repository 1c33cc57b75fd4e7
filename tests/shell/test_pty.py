"""A real terminal: ``whamm-shell`` in a pseudo-terminal (pexpect) on the demo app — type a probe over
several lines, run, read the report, interrupt a looping app with Ctrl-C, edit a probe at the prompt,
and leave with Ctrl-D.  The shell asks before losing work (issue 12 item 7): Ctrl-D with unsaved probes
asks ``quit anyway?`` (no: the session goes on; after ``save`` it does not ask), and ``probe edit
--editor`` re-opens an edit the compiler rejects, with the error above it, instead of throwing it away."""
from __future__ import annotations

import os
import sys
import time

import pexpect
import pytest

from shellrun import LOOP_WAT, REPO, wat_app

PROMPT = "whamm> "


def spawn(tmp_path, *args: str) -> pexpect.spawn:
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_DATA_HOME": str(tmp_path / "data"),
           "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"}
    child = pexpect.spawn(sys.executable, ["-m", "whamm_shell", *args], env=env, encoding="utf-8",
                          timeout=60, dimensions=(40, 120))
    child.expect(PROMPT)
    return child


@pytest.fixture
def finish():
    children: list[pexpect.spawn] = []
    yield children.append
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def test_probe_run_report_quit(tmp_path, finish) -> None:
    child = spawn(tmp_path)
    finish(child)
    child.sendline("report var count: u32")
    child.expect("global: report var count: u32;")
    child.expect(PROMPT)
    child.send("wasm:opcode:call(arg0: i32):before / imm0 == 2 && arg0 == 0 / {\r")   # braces open: go on
    child.send("count++;\r")
    child.send("}\r")
    child.expect("probe 1 added: 2 sites in 2 functions")
    child.expect(PROMPT)
    child.sendline("run")
    child.expect(r"collatz\(27\) -> 111 steps")
    child.expect(r"\[exit status 0")
    child.expect(r"count = 3")
    child.expect(PROMPT)
    child.sendline("report")
    child.expect(r"name\s+probe\s+probe_id\s+fname\s+fid\s+pc\s+value")
    child.expect(r"count\s+3")
    child.expect(PROMPT)
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "panicked" not in child.before
    history = (tmp_path / "data" / "whamm-shell" / "history").read_text()
    assert "+run" in history and "+quit" in history


def test_ctrl_c_interrupts_a_run_and_the_shell_goes_on(tmp_path, finish) -> None:
    app = wat_app(tmp_path, "loop.wat", LOOP_WAT)
    child = spawn(tmp_path, str(app))
    finish(child)
    child.sendline("wasm:opcode:br_if:before { report var spins: u64; spins++; }")
    child.expect("probe 1 added: 1 site in 1 function")
    child.expect(PROMPT)
    child.sendline("run")
    child.expect("run")
    time.sleep(1.0)                                  # the app is spinning now
    child.sendintr()
    child.expect("execution interrupted; the values collected so far are kept")
    child.expect(r"\[exit status 130")
    child.expect(PROMPT)
    child.sendline("report spins")
    child.expect(r"spins\s+1\s+0_wasm:opcode:br_if:before\s+spin\s+0\s+\d+\s+(\d+)")
    assert int(child.match.group(1)) > 0
    child.expect(PROMPT)
    child.sendline("probe edit 1")                   # the text comes back at the prompt, to edit
    child.expect(r"spins\S*\+\+\S*; }")              # (highlighted: colour codes between tokens)
    child.send("\x15")                               # Ctrl-U: drop it, type the new one
    child.send("wasm:opcode:br_if:before { report var spins: u64; spins = spins + 2; }\r")
    child.expect("probe 1 changed: 1 site in 1 function")
    child.expect(PROMPT)
    child.sendeof()                                  # the changed probe is not saved: asked once
    child.expect(r"probes not saved; quit anyway\? \(y or n\)")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

#: An $EDITOR that writes a wrong probe the first time and, the second time, records what it was shown
#: (the rejected text with the error above it) and writes a good probe.
EDITOR = """import pathlib, sys
count, path = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
n = int(count.read_text()) if count.exists() else 0
count.write_text(str(n + 1))
if n == 0:
    path.write_text("wasm:opcode:call:before { nope++; }\\n")
else:
    (count.parent / "shown.mm").write_text(path.read_text())
    path.write_text("wasm:opcode:call:before { report var calls: u32; calls++; }\\n")
"""


def test_ctrl_d_asks_before_dropping_unsaved_probes(tmp_path, finish) -> None:
    child = spawn(tmp_path)
    finish(child)
    child.sendline("wasm:opcode:call:before { report var n: u32; n++; }")
    child.expect("probe 1 added")
    child.expect(PROMPT)
    child.sendeof()
    child.expect(r"probes not saved; quit anyway\? \(y or n\)")
    child.sendline("n")
    child.expect(PROMPT)                              # still here, probe kept
    child.sendline(f"save {tmp_path / 'p.mm'}")
    child.expect("saved 1 probe")
    child.expect(PROMPT)
    child.sendeof()                                   # saved: leaves without asking
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "quit anyway" not in child.before


def test_editor_reopens_a_rejected_edit_with_the_error(tmp_path, finish, monkeypatch) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor} {tmp_path / 'count'}")
    child = spawn(tmp_path)
    finish(child)
    child.sendline("wasm:opcode:call:before { report var n: u32; n++; }")
    child.expect("probe 1 added")
    child.expect(PROMPT)
    child.sendline("probe edit 1 --editor")
    child.expect(r"unknown variable `nope`")          # the compiler's error, shown at once
    child.expect(r"edit again\? \[Y/n\]")
    child.sendline("")                                # default: yes
    child.expect("probe 1 changed")
    child.expect(PROMPT)
    shown = (tmp_path / "shown.mm").read_text()
    assert shown.startswith("// whamm-shell: the compiler rejected this probe")
    assert "nope" in shown.split("\n")[1] and shown.rstrip().endswith("wasm:opcode:call:before { nope++; }")
    child.sendline("probes")
    child.expect(r"calls\+\+")
    child.expect(PROMPT)


#: A $PAGER that says it was used, with how many lines it was given, then shows them.
PAGER = """import sys
text = sys.stdin.read()
sys.stdout.write(f"PAGED {text.count(chr(10))} LINES\\n")
"""


def test_long_output_is_paged_and_set_pager_off_stops_it(tmp_path, finish, monkeypatch) -> None:
    pager = tmp_path / "pager.py"
    pager.write_text(PAGER)
    monkeypatch.setenv("PAGER", f"{sys.executable} {pager}")
    child = spawn(tmp_path)                           # a 40-line terminal
    finish(child)
    child.sendline("wasm:opcode:call:before { report var n: u32; n++; }")
    child.expect("probe 1 added")
    child.expect(PROMPT)
    child.sendline("match wasm:opcode:*:before --all")
    child.expect(r"PAGED (\d+) LINES")
    assert int(child.match.group(1)) > 40
    child.expect(PROMPT)
    child.sendline("wat calc")                        # short: printed as it is
    child.expect(r"injected lines \(marked \+\)")
    assert "PAGED" not in child.before
    child.expect(PROMPT)
    child.sendline("set pager off")
    child.expect("pager: off")
    child.expect(PROMPT)
    child.sendline("info wasm:opcode:call -v")
    child.expect(PROMPT)
    child.sendline("wat calc --diff")
    child.expect(r"\+\+\+ calc \(instrumented\)")
    child.expect(PROMPT)
    assert "PAGED" not in child.before
