"""Errors: a bad probe shows the compiler's diagnostic and changes nothing; a missing file, a trap, a
timeout and Ctrl-C each leave the shell usable; start-up problems are one clear line and the right exit
status (1 bad input, 2 bad command line, 3 internal error)."""
from __future__ import annotations

import _thread
import io
import threading

import pytest

from compiler import api
from whamm_shell.render import Renderer
from whamm_shell.session import Session
from whamm_shell.shell import Shell


class Interactive:
    """A shell driven line by line as the prompt drives it: errors are rendered and it goes on."""

    def __init__(self, app) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        self.shell = Shell(Session(api.load_app(app)), Renderer(self.out, err=self.err))

    def __call__(self, line: str) -> bool:
        return self.shell.execute(line)[1]

    def take(self) -> tuple[str, str]:
        out, err = self.out.getvalue(), self.err.getvalue()
        self.out.seek(0), self.out.truncate(), self.err.seek(0), self.err.truncate()
        return out, err


@pytest.fixture
def demo(DEMO) -> Interactive:
    return Interactive(DEMO)


def test_bad_probe_shows_the_diagnostic_and_changes_nothing(SEED_PROBE, demo: Interactive) -> None:
    assert demo("report var count: u32") and demo(SEED_PROBE)
    demo.take()
    script = demo.shell.session.script_text()
    assert not demo("wasm:opcode:call:before / imm0 == 2 / { count += ; }")
    _, err = demo.take()
    assert err.startswith("error: expected")
    assert " --> <input>:1:" in err and "|" in err and "^" in err
    assert not demo("wasm:opcode:call:before { cnt++; }")
    _, err = demo.take()
    assert err.splitlines() == [
        "error: unknown variable `cnt`", " --> <input>:1:27", "  |",
        "1 | wasm:opcode:call:before { cnt++; }", "  |                           ^^^",
        "  = help: did you mean `count`?", "", "error: aborting due to 1 previous error"]
    assert demo.shell.session.script_text() == script
    assert demo("run")
    assert demo.take()[0].endswith("report: 1 row of count\n  count = 3\n")


def test_missing_files_leave_the_shell_usable(DEMO_OUTPUT, demo: Interactive, tmp_path) -> None:
    for line in (f"load {tmp_path}/nope.wasm", f"source {tmp_path}/nope.txt", f"export {tmp_path}/x/y.wasm"):
        assert not demo(line)
    _, err = demo.take()
    assert err.count("error: ") == 3 and "No such file or directory" in err
    assert demo("wasm:func:entry { report var n: u32; n++; }") and demo("run")
    assert demo.take()[0].startswith("probe 1 added: 7 sites in 7 functions\n" + DEMO_OUTPUT)


def test_a_trap_leaves_the_shell_usable(TRAP_WAT, wat_app, tmp_path) -> None:
    shell_ = Interactive(wat_app(tmp_path, "trap.wat", TRAP_WAT))
    assert shell_("wasm:func:entry { report var calls: u32; calls++; }")
    assert shell_("run")
    out, err = shell_.take()
    assert "integer divide by zero" in err and "at divide (function 0)" in err
    assert shell_("report") and shell_("probes")
    out, _ = shell_.take()
    assert [line.split()[-1] for line in out.splitlines()[2:4]] == ["1", "1"]   # main and divide ran once


def test_a_timeout_leaves_the_shell_usable(LOOP_WAT, wat_app, tmp_path) -> None:
    shell_ = Interactive(wat_app(tmp_path, "loop.wat", LOOP_WAT))
    assert shell_("wasm:opcode:br_if:before { report var n: u64; n++; }")
    assert shell_("set timeout 0.2") and shell_("run")
    out, err = shell_.take()
    assert "execution timed out after 0.2 s" in err and "[exit status 124" in out
    assert shell_("set timeout off") and shell_("report n")
    out = shell_.take()[0].splitlines()
    assert out[-1] == "(values so far: the run ended with timed out)"
    assert int(out[-2].split()[-1]) > 0


def test_ctrl_c_interrupts_the_run_and_keeps_the_values(LOOP_WAT, wat_app, tmp_path) -> None:
    shell_ = Interactive(wat_app(tmp_path, "loop.wat", LOOP_WAT))
    assert shell_("wasm:opcode:br_if:before { report var n: u64; n++; }")
    shell_.shell.session.build()                      # compile first, so the Ctrl-C lands in the run
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        assert shell_("run")
    finally:
        timer.cancel()
    out, err = shell_.take()
    assert "warning: execution interrupted; the values collected so far are kept (`report`)" in err
    assert "[exit status 130" in out
    assert shell_("report")
    out = shell_.take()[0].splitlines()
    assert out[-1] == "(values so far: the run ended with interrupted)"
    assert int(out[-2].split()[-1]) > 0
    assert shell_("probes")


def test_unknown_and_ambiguous_commands(demo: Interactive) -> None:
    assert not demo("frobnicate")
    assert not demo("s")
    _, err = demo.take()
    assert "error: unknown command `frobnicate`" in err
    assert "error: ambiguous command `s`" in err


# ----------------------------------------------------------------------------------- start-up


def test_missing_app_is_one_line_and_status_1(process, tmp_path) -> None:
    r = process(tmp_path / "nope.wasm", "-c", "probes")
    assert r.status == 1
    assert r.err == f"error: cannot read application '{tmp_path / 'nope.wasm'}': No such file or directory\n"


def test_invalid_app_names_the_offset(shell, tmp_path) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asm\x01\0\0\0\x01\x04\x01\x60")
    r = shell(bad, "-c", "probes")
    assert r.status == 1 and len(r.err.splitlines()) == 1
    assert r.err.startswith(f"error: invalid Wasm module {bad}: ") and "byte offset 0x" in r.err
    wat = tmp_path / "bad.wat"
    wat.write_text("(module (func (i32.frob)))")
    r = shell(wat, "-c", "probes")
    assert r.status == 1 and len(r.err.splitlines()) == 1 and f"{wat}:1:" in r.err


def test_invalid_script_shows_its_diagnostic(shell, tmp_path) -> None:
    script = tmp_path / "bad.mm"
    script.write_text("wasm:opcode:call:before { nope++; }\n")
    r = shell("-s", script, "-c", "probes")
    assert r.status == 1
    assert r.err.startswith("error: unknown variable `nope`\n") and f" --> {script}:1:27" in r.err
    assert shell("-s", tmp_path / "none.mm", "-c", "probes").err == \
        f"error: cannot read script '{tmp_path / 'none.mm'}': No such file or directory\n"


def test_bad_command_lines_exit_2(process) -> None:
    r = process("--frob")
    assert r.status == 2 and "whamm-shell: error: unrecognized arguments: --frob" in r.err
    assert process("-u", "nolibpath", "-c", "probes").status == 2


def test_failing_batch_command_exits_1_and_stops(process) -> None:
    r = process("-c", "probe rm 4; probes")
    assert r.status == 1
    assert r.err == "error: no probe 4 (`probes` lists them)\nerror: -c:1: stopped at this failed command: probe rm 4\n"
    assert r.out == ""


def test_internal_errors_exit_3_without_a_traceback(shell, monkeypatch) -> None:
    def broken(self, *args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(Session, "run", broken)
    r = shell("-c", "wasm:func:entry { report var n: u32; n++; }; run")
    assert r.status == 3
    assert r.err == "error: internal error: RuntimeError('boom') (please report this bug)\n"


def test_batch_from_standard_input_and_no_colours(DEMO_OUTPUT, SEED_PROBE, process) -> None:
    r = process(stdin="report var count: u32\n" + SEED_PROBE + "\nrun\n")
    assert r.status == 0, r.err
    assert r.out.startswith("global: report var count: u32;\nprobe 1 added: 2 sites in 2 functions\n" + DEMO_OUTPUT)
    assert "\x1b[" not in r.out + r.err
