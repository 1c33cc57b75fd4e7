"""Bad input the ``whamm`` command must answer with a clear message and the right exit status — never a
traceback, a hang, a clobbered file or a silently wrong result (issue 9) — and the run-time outcomes of
ANALYSIS.md §8 / REWRITING.md §10 (partial reports, ``unreachable`` is no flush point).

The command runs in a subprocess (``python -m compiler.cli``), so exit statuses are the process's own
and a hang fails the test through ``timeout`` instead of blocking the suite.
"""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from compiler.runner import Execution, RunError, RunOptions

ROOT = Path(__file__).resolve().parents[1]
BANNER = "================================= REPORT CSV FLUSH ===================================="
HEADER = "id, id_type, name, whamm_type, wasm_type, script_id, fname, fid, pc, probe_id, value(s)"

# `_start` calls $g, prints "go\n", then behaves as the export `mode` of the test's choosing says:
# traps with `unreachable`, loops forever calling $g, or reads out of bounds.
APP = r"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "go\n")
  (global $mode (mut i32) (i32.const MODE))
  (func $g)
  (func $start (export "_start")
    (call $g)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (i32.eq (global.get $mode) (i32.const 0)) (then unreachable))
    (if (i32.eq (global.get $mode) (i32.const 1)) (then (loop $l (call $g) (br $l))))
    (drop (i32.load (i32.const 70000)))))
"""
UNREACHABLE, SPIN, OUT_OF_BOUNDS = 0, 1, 2
COUNT = "report var n: u32;\nwasm:func:entry { n++; }\n"


def whamm(*argv: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler.cli", *map(str, argv)], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout, **kwargs)


def app(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / f"app{mode}.wasm"
    path.write_bytes(wasmtime.wat2wasm(APP.replace("MODE", str(mode))))
    return path


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "count.mm"
    path.write_text(COUNT)
    return path


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "internal compiler error" not in proc.stderr


# ------------------------------------------------------------------------- several -s / -e, in order

def test_two_scripts_are_joined_in_order(tmp_path):
    (tmp_path / "one.mm").write_text("wasm:func:entry { n = n * 10 + 1; }\n")
    (tmp_path / "two.mm").write_text("wasm:func:entry { n = n * 10 + 2; }")
    exe = app(tmp_path, OUT_OF_BOUNDS)
    decl = "report var n: u32;"
    for order, expected in (("one.mm", "two.mm"), "12"), (("two.mm", "one.mm"), "21"):
        proc = whamm("run", "-e", decl, "-s", tmp_path / order[0], "-s", tmp_path / order[1], "-a", exe)
        assert proc.returncode == 134, proc.stderr
        # two function entries ($start, $g), both probes at each, in command-line order
        assert proc.stdout.endswith(f", n, u32, i32, script0, , , , , {expected}{expected}\n")


def test_error_in_a_later_part_names_its_file_and_line(tmp_path):
    (tmp_path / "decl.mm").write_text("report var n: u32;\n\n")
    (tmp_path / "probe.mm").write_text("// counts\nwasm:func:entry {\n    m++;\n}\n")
    proc = whamm("instr", "-s", tmp_path / "decl.mm", "-s", tmp_path / "probe.mm", "-a", app(tmp_path, 0),
                 "-o", tmp_path / "out.wasm")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: unknown variable `m`\n --> {tmp_path / 'probe.mm'}:3:5\n  |\n"
                                  "3 |     m++;\n  |     ^\n")
    assert not (tmp_path / "out.wasm").exists()


def test_instr_joins_parts_like_run(tmp_path, script):
    out = tmp_path / "out.wasm"
    proc = whamm("instr", "-e", "report var n: u32;", "-e", "wasm:func:entry { n++; }", "-a", app(tmp_path, 0),
                 "-o", out)
    assert proc.returncode == 0, proc.stderr
    joined = tmp_path / "joined.wasm"
    assert whamm("instr", "-s", script, "-a", app(tmp_path, 0), "-o", joined).returncode == 0
    assert out.read_bytes() == joined.read_bytes()


# ------------------------------------------------------------- traps, limits and partial reports

def test_trap_text_is_not_doubled(tmp_path, script):
    proc = whamm("run", "-s", script, "-a", app(tmp_path, OUT_OF_BOUNDS))
    assert proc.returncode == 134
    assert proc.stderr.startswith("error: wasm trap: out of bounds memory access\n  at start (function ")


def test_unreachable_in_start_is_no_flush_point_and_the_report_is_partial(tmp_path, script):
    proc = whamm("run", "-s", script, "-a", app(tmp_path, UNREACHABLE))
    assert proc.returncode == 134
    assert BANNER not in proc.stdout
    assert proc.stdout.startswith(f"go\n\nreport (partial: trap)\n{HEADER}\n")
    assert proc.stdout.endswith(", global_id, n, u32, i32, script0, , , , , 2\n")
    assert proc.stdout.count("\n") == 5
    assert proc.stderr.startswith("error: wasm trap: wasm `unreachable` instruction executed\n")


def test_partial_report_after_timeout_and_fuel(tmp_path):
    (tmp_path / "calls.mm").write_text("report var n: u32;\nreport var by: map<u32, u32>;\n"
                                       "wasm:func:entry { n++; by[fid]++; }\n")
    exe = app(tmp_path, SPIN)
    proc = whamm("run", "-s", tmp_path / "calls.mm", "-a", exe, "--timeout", "0.2")
    assert proc.returncode == 124 and proc.stderr == "error: execution timed out after 0.2 s\n"
    assert proc.stdout.startswith(f"go\n\nreport (partial: timeout)\n{HEADER}\n")
    proc = whamm("run", "-s", tmp_path / "calls.mm", "-a", exe, "--fuel", "200000")
    assert proc.returncode == 124 and proc.stderr == "error: execution ran out of fuel\n"
    assert proc.stdout.startswith(f"go\n\nreport (partial: out of fuel)\n{HEADER}\n")
    rows = proc.stdout.splitlines()[4:]
    n = int(rows[0].rsplit(", ", 1)[1])
    prefix, entries = rows[1].split(", script0, , , , , ")
    assert prefix.endswith(", map_id, by, map<u32,u32>, i32")
    spins, starts = (int(e.split("->")[1]) for e in entries.split(";"))   # keys: $g (1), $start (2)
    # the fuel may run out between the probe's two statements
    assert n > 100 and starts == 1 and spins + starts in (n, n - 1)


def test_no_partial_report_with_no_report(tmp_path, script):
    proc = whamm("run", "-s", script, "-a", app(tmp_path, UNREACHABLE), "--no-report")
    assert (proc.returncode, proc.stdout) == (134, "go\n")


def test_ctrl_c_prints_the_partial_report(tmp_path, script):
    proc = subprocess.Popen([sys.executable, "-m", "compiler.cli", "run", "-s", str(script), "-a",
                             str(app(tmp_path, SPIN))], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)
    try:
        assert proc.stdout.readline() == "go\n"        # the program runs: interrupt it
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert (proc.returncode, err) == (130, "error: execution interrupted\n"), out
    assert out.startswith(f"\nreport (partial: interrupted)\n{HEADER}\n")


# ------------------------------------------------------------------------------------ numbers

def test_runner_refuses_a_timeout_it_cannot_honour(tmp_path):
    wasm = wasmtime.wat2wasm("(module)")
    with pytest.raises(RunError, match="invalid timeout 1e\\+10"):
        Execution(wasm, RunOptions(timeout=1e10))
    with pytest.raises(RunError, match="invalid fuel"):
        Execution(wasm, RunOptions(fuel=1 << 64))


def test_huge_timeout_is_a_usage_error(tmp_path, script):
    proc = whamm("run", "-s", script, "-a", app(tmp_path, UNREACHABLE), "--timeout", "1e10")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: argument --timeout: invalid --timeout value '1e10'")
    no_traceback(proc)


# -------------------------------------------------------------------------------- -o PATH

def instr_to(tmp_path: Path, script: Path, out: Path) -> subprocess.CompletedProcess:
    return whamm("instr", "-s", script, "-a", app(tmp_path, UNREACHABLE), "-o", out)


def test_output_is_not_renamed_over_a_fifo(tmp_path, script):
    fifo = tmp_path / "out.wasm"
    os.mkfifo(fifo)
    proc = instr_to(tmp_path, script, fifo)
    assert proc.returncode == 1
    assert proc.stderr == f"error: cannot write output '{fifo}': it exists and is a FIFO; only a regular file " \
                          "is replaced\n"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".whamm-")] == []


def test_output_symlink_is_neither_replaced_nor_followed(tmp_path, script):
    target = tmp_path / "target.wasm"
    target.write_bytes(b"keep")
    link = tmp_path / "out.wasm"
    link.symlink_to(target)
    proc = instr_to(tmp_path, script, link)
    assert proc.returncode == 1 and "it exists and is a symbolic link" in proc.stderr
    assert link.is_symlink() and target.read_bytes() == b"keep"


def test_read_only_output_is_replaced_and_stays_read_only(tmp_path, script):
    """Issue 9: a read-only file became 0644; a replaced regular file keeps its mode."""
    out = tmp_path / "out.wasm"
    out.write_bytes(b"keep")
    out.chmod(0o444)
    proc = instr_to(tmp_path, script, out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"\0asm") and stat.S_IMODE(out.stat().st_mode) == 0o444


def test_replaced_output_keeps_its_mode(tmp_path, script):
    out = tmp_path / "out.wasm"
    out.write_bytes(b"old")
    out.chmod(0o750)
    assert instr_to(tmp_path, script, out).returncode == 0
    assert out.read_bytes().startswith(b"\0asm") and stat.S_IMODE(out.stat().st_mode) == 0o750


def test_output_directory_is_refused(tmp_path, script):
    (tmp_path / "d").mkdir()
    proc = instr_to(tmp_path, script, tmp_path / "d")
    assert proc.returncode == 1 and "it exists and is a directory" in proc.stderr


# ------------------------------------------------------------------------------------ inputs

@pytest.mark.parametrize("role", ["app", "script", "library"])
def test_dev_zero_is_refused(tmp_path, script, role):
    argv = {"app": ["-s", script, "-a", "/dev/zero"],
            "script": ["-s", "/dev/zero", "-a", app(tmp_path, 0)],
            "library": ["-s", script, "-a", app(tmp_path, 0), "-u", "lib=/dev/zero"]}[role]
    proc = whamm("instr", *argv, "-o", tmp_path / "out.wasm", timeout=30)
    assert proc.returncode == 1
    assert proc.stderr.endswith(": not a regular file (a character device)\n")
    no_traceback(proc)


def test_fifo_as_input_does_not_block(tmp_path, script):
    fifo = tmp_path / "in.mm"
    os.mkfifo(fifo)
    proc = whamm("check", "-s", fifo, timeout=30)
    assert proc.returncode == 1
    assert proc.stderr == f"error: cannot read script '{fifo}': not a regular file (a FIFO)\n"
    proc = whamm("run", "-s", script, "-a", fifo, timeout=30)
    assert proc.returncode == 1
    assert proc.stderr == f"error: cannot read application '{fifo}': not a regular file (a FIFO)\n"


# ---------------------------------------------------------------------------------- libraries

LOOPING_LIB = '(module (func (export "decide") (param i32) (result i32) (loop $l (br $l)) (i32.const 1)))'


def test_looping_static_call_is_a_located_error(tmp_path):
    (tmp_path / "lib.wasm").write_bytes(wasmtime.wat2wasm(LOOPING_LIB))
    (tmp_path / "s.mm").write_text("use lib;\nreport var c: u32;\n"
                                   "wasm:func:entry / @static lib.decide(fid as i32) == 1 / { c++; }\n")
    proc = whamm("instr", "-s", tmp_path / "s.mm", "-a", app(tmp_path, 0), "-u", f"lib={tmp_path / 'lib.wasm'}",
                 "-o", tmp_path / "out.wasm", timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: @static lib.decide(")
    assert "did not finish within 1000000000 units of fuel" in proc.stderr
    assert f" --> {tmp_path / 's.mm'}:3:1\n" in proc.stderr
    assert not (tmp_path / "out.wasm").exists()


@pytest.mark.parametrize("specs, message", [
    (["lib(wasi_snapshot_preview1)=LIB"], "invalid --user-libs entry 'lib(wasi_snapshot_preview1)=LIB': import "
                                          "module 'wasi_snapshot_preview1' is reserved for WASI"),
    (["lib=LIB", "lib=LIB"], "invalid --user-libs entry 'lib=LIB': library lib is already given ('lib=LIB')"),
    (["lib=LIB,other(lib)=LIB"], "invalid --user-libs entry 'other(lib)=LIB': import module 'lib' is already "
                                 "used by 'lib=LIB'"),
])
def test_library_specs_are_validated_up_front(tmp_path, script, specs, message):
    lib = tmp_path / "lib.wasm"
    lib.write_bytes(wasmtime.wat2wasm("(module)"))
    argv = [a for spec in specs for a in ("-u", spec.replace("LIB", str(lib)))]
    proc = whamm("run", "-s", script, "-a", app(tmp_path, 0), *argv)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith("error: " + message.replace("LIB", str(lib)) + "\n")


def test_library_that_is_not_wasm_gets_a_one_line_reason(tmp_path, script):
    (tmp_path / "lib.wasm").write_text("(module)")
    proc = whamm("check", "-s", script, "-u", f"lib={tmp_path / 'lib.wasm'}")
    assert proc.returncode == 1
    assert proc.stderr == f"error: invalid library lib ({tmp_path / 'lib.wasm'}): not a Wasm binary module " \
                          "(bad magic number)\n"
