"""Helpers for the shell tests: run ``whamm-shell`` in batch mode, in-process or as a process, and
capture what it prints; small WAT applications for runs that exit, trap, loop or read their input."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo" / "app.wasm"
CALLS = REPO / "examples" / "calls" / "calls.mm"
SEED_PROBE = "wasm:opcode:call(arg0: i32):before / imm0 == 2 && arg0 == 0 / { count++; }"
DEMO_OUTPUT = ("==== CALC ====\ncalc(9, 0) -> 9\ncalc(3, 2) -> 6\ncalc(4, 4) -> 14\n"
               "==== COLLATZ ====\ncollatz(6) -> 8 steps\ncollatz(27) -> 111 steps\n")

#: The command names of SHELL.md, in its table's order (the registry and completion tests build their
#: registries from it).
SHELL_COMMANDS = [
    "help", "load", "info", "match", "probe add", "global", "probes", "probe rm", "probe disable",
    "probe enable", "probe edit", "run", "report", "plot", "globals", "wat", "sites", "save", "source",
    "export", "set", "show settings", "history", "quit",
]

#: exits with status argc (``proc_exit(argc)``), so a test can see the arguments it was given.
ARGC_WAT = """(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func $main (export "_start")
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (call $proc_exit (i32.load (i32.const 0)))))
"""

#: copies up to 64 bytes of stdin to stdout.
ECHO_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $main (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 64))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 4) (i32.load (i32.const 8)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""

#: ``main`` calls ``divide(7, 0)``: an integer division by zero inside a named function.
TRAP_WAT = """(module
  (func $divide (param $a i32) (param $b i32) (result i32)
    (i32.div_u (local.get $a) (local.get $b)))
  (func $main (export "_start")
    (drop (call $divide (i32.const 7) (i32.const 0)))))
"""

#: spins forever in a loop of ``br_if`` (for timeouts, fuel and interruption).
LOOP_WAT = """(module
  (func $spin (export "_start") (local $i i32)
    (loop $again
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.const 1)))))
"""


@dataclass(frozen=True)
class Outcome:
    status: int
    out: str
    err: str


def shell(*argv: str | os.PathLike[str]) -> Outcome:
    """Run ``whamm-shell ARGV`` in this process (batch mode: give ``-c`` or ``-x``)."""
    from whamm_shell.__main__ import main
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        status = main([os.fspath(a) for a in argv])
    finally:
        sys.stdout, sys.stderr = saved
    return Outcome(status, out.getvalue(), err.getvalue())


def process(*argv: str | os.PathLike[str], stdin: str = "", cwd: Path | None = None,
            env: dict[str, str] | None = None) -> Outcome:
    """Run ``python -m whamm_shell ARGV`` as a process (exit statuses, real streams)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    done = subprocess.run([sys.executable, "-m", "whamm_shell", *map(os.fspath, argv)], input=stdin,
                          capture_output=True, text=True, cwd=cwd, env=full_env, timeout=300)
    return Outcome(done.returncode, done.stdout, done.stderr)


def wat_app(tmp_path: Path, name: str, text: str) -> Path:
    """Write a WAT application into ``tmp_path`` (the shell assembles ``.wat`` itself)."""
    path = tmp_path / name
    path.write_text(text)
    return path


def run_wasm(wasm: bytes) -> tuple[int, str]:
    """Validate and run a module with wasmtime + WASI; (exit status, stdout)."""
    from compiler.runner import Execution, RunOptions
    from compiler.wasm import validate
    import tempfile
    validate(wasm)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stdout"
        result = Execution(wasm, RunOptions(stdout=str(out))).run()
        return result.status, out.read_text()
