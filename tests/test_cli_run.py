"""``whamm run``: instrument in memory and run; output order, exit statuses and run-time errors of
CLI.md §4 (returned, proc_exit, trap, timeout, fuel, instantiation failure), options, ``-o``."""
from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from compiler.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEMO = EXAMPLES / "demo" / "app.wasm"
BANNER = "\n================================= REPORT CSV FLUSH ====================================\n" \
         "id, id_type, name, whamm_type, wasm_type, script_id, fname, fid, pc, probe_id, value(s)\n"

# `_start` prints argv (space-separated) and the environment, then exits with the status given as
# argv[1] through proc_exit when there is one; `boom` traps; `spin` never ends; `seven` returns 7, 8.
APP = r"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func $spaces (param $ptr i32) (param $len i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (if (i32.eqz (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (then (i32.store8 (i32.add (local.get $ptr) (local.get $i)) (i32.const 32))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.store8 (i32.sub (i32.add (local.get $ptr) (local.get $len)) (i32.const 1)) (i32.const 10))
    (call $write (local.get $ptr) (local.get $len)))
  (func $main (export "_start") (local $argc i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (local.set $argc (i32.load (i32.const 0)))
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (call $spaces (i32.const 2048) (i32.load (i32.const 4)))
    (drop (call $env_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $env_get (i32.const 1024) (i32.const 3072)))
    (if (i32.load (i32.const 0)) (then (call $spaces (i32.const 3072) (i32.load (i32.const 4)))))
    (if (i32.gt_u (local.get $argc) (i32.const 1))
      (then (call $proc_exit (i32.sub (i32.load8_u (i32.load (i32.const 1028))) (i32.const 48))))))
  (func $boom (export "boom") (drop (i32.div_s (i32.const 1) (i32.const 0))))
  (func $spin (export "spin") (loop $l (br $l)))
  (func $seven (export "seven") (result i32 i64) (i32.const 7) (i64.const 8)))
"""
CALLS = "report var calls: u32;\nwasm:opcode:call:before { calls++; }\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "app.wasm").write_bytes(wasmtime.wat2wasm(APP))
    (tmp_path / "calls.mm").write_text(CALLS)
    return tmp_path


def whamm(capfd, *argv: str) -> tuple[int, str, str]:
    status = main(["run", *argv])
    out, err = capfd.readouterr()
    return status, out, err


def test_seed_demo_matches_the_cli_example(capfd):
    status, out, err = whamm(capfd, "-s", str(EXAMPLES / "calls" / "calls.mm"), "-a", str(DEMO))
    assert (status, err) == (0, "")
    assert out.startswith("==== CALC ====\ncalc(9, 0) -> 9\n")
    assert out.endswith(BANNER.splitlines()[-1] + "\n" + out.splitlines()[-1] + "\n")
    assert out.splitlines()[-1].endswith(", global_id, count, u32, i32, script0, , , , , 3")


def test_app_args_go_after_the_double_dash_and_argv0_is_the_file_name(files, capfd):
    status, out, _ = whamm(capfd, "-s", str(files / "calls.mm"), "-a", str(files / "app.wasm"), "--", "0", "x y")
    assert status == 0
    assert out.startswith("app.wasm 0 x y\n" + BANNER)


def test_env_is_passed_and_nothing_else(files, capfd, monkeypatch):
    monkeypatch.setenv("LEAK", "1")
    _, out, _ = whamm(capfd, "-s", str(files / "calls.mm"), "-a", str(files / "app.wasm"),
                      "--env", "A=1", "--env", "B=two=2")
    assert out.startswith("app.wasm\nA=1 B=two=2\n" + BANNER)


def test_proc_exit_status_passes_through_after_the_report(files, capfd):
    status, out, err = whamm(capfd, "-s", str(files / "calls.mm"), "-a", str(files / "app.wasm"), "--", "5")
    assert (status, err) == (5, "")
    assert out.startswith("app.wasm 5\n" + BANNER)  # flushed before proc_exit
    assert out.endswith(", calls, u32, i32, script0, , , , , 8\n")


def partial(why: str, calls: int) -> str:
    """The report ``whamm run`` reads from the instance when the program stops early (ANALYSIS.md §8)."""
    return (f"\nreport (partial: {why})\n" + BANNER.split("\n", 2)[2]
            + f"4, global_id, calls, u32, i32, script0, , , , , {calls}\n")


def test_trap_exits_134_with_backtrace_and_only_a_partial_report(files, capfd):
    status, out, err = whamm(capfd, "-s", str(files / "calls.mm"), "-a", str(files / "app.wasm"),
                             "--invoke", "boom")
    assert (status, out) == (134, partial("trap", 0))
    assert err == "error: wasm trap: integer divide by zero\n  at boom (function 9)\n"


def test_timeout(files, capfd):
    status, out, err = whamm(capfd, "-s", str(files / "calls.mm"), "-a", str(files / "app.wasm"),
                             "--invoke", "spin", "--timeout", "0.3")
    assert (status, out, err) == (124, partial("timeout", 0), "error: execution timed out after 0.3 s\n")


def test_fuel(files, capfd):
    status, out, err = whamm(capfd, "-s", str(files / "calls.mm"), "-a", str(files / "app.wasm"),
                             "--invoke", "spin", "--fuel", "5000")
    assert (status, out, err) == (124, partial("out of fuel", 0), "error: execution ran out of fuel\n")


def test_invoke_prints_results_one_per_line(files, capfd):
    status, out, _ = whamm(capfd, "-s", str(files / "calls.mm"), "-a", str(files / "app.wasm"),
                           "--invoke", "seven")
    assert (status, out) == (0, "7\n8\n")  # not a flush point: no report


def test_missing_import_cannot_instantiate(tmp_path, capfd):
    app = tmp_path / "needs.wasm"
    app.write_bytes(wasmtime.wat2wasm('(module (import "env" "f" (func)) (func (export "_start") (call 0)))'))
    (tmp_path / "calls.mm").write_text(CALLS)
    status, out, err = whamm(capfd, "-s", str(tmp_path / "calls.mm"), "-a", str(app))
    assert (status, out) == (1, "")
    assert err == (f"error: cannot instantiate {app}: unknown import: `env::f` has not been defined; to run it "
                   "anyway, stub unknown imports: `whamm run --trap-unknown-imports` or "
                   "`--default-values-unknown-imports`, in whamm-shell `set unknown-imports trap|default`\n")


def test_compile_error_runs_nothing(files, capfd):
    (files / "bad.mm").write_text("wasm:opcode:call:before { nope++; }\n")
    status, out, err = whamm(capfd, "-s", str(files / "bad.mm"), "-a", str(files / "app.wasm"))
    assert (status, out) == (1, "")
    assert err.startswith("error: unknown variable `nope`\n")


def test_output_path_also_writes_the_module(files, capfd):
    out_path = files / "out.wasm"
    status, _, _ = whamm(capfd, "-s", str(files / "calls.mm"), "-a", str(files / "app.wasm"), "-o", str(out_path))
    assert status == 0
    from compiler.wasm import validate
    validate(out_path.read_bytes())


def test_preopened_directory(tmp_path, capfd):
    """The corpus's C programs read nothing; a WAT cat of /data/in.txt shows --dir HOST::GUEST works."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "in.txt").write_text("hello from the host\n")
    app = tmp_path / "cat.wat"
    app.write_text(r"""(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "in.txt")
  (func (export "_start")
    (drop (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 6) (i32.const 0)
                      (i64.const 2) (i64.const 2) (i32.const 0) (i32.const 8)))
    (i32.store (i32.const 16) (i32.const 512)) (i32.store (i32.const 20) (i32.const 256))
    (drop (call $read (i32.load (i32.const 8)) (i32.const 16) (i32.const 1) (i32.const 24)))
    (i32.store (i32.const 20) (i32.load (i32.const 24)))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))""")
    (tmp_path / "n.mm").write_text("report var n: u32;\nwasm:opcode:call:before { n++; }\n")
    status, out, _ = whamm(capfd, "-s", str(tmp_path / "n.mm"), "-a", str(app), "--dir", f"{data}::/data")
    assert status == 0
    assert out.startswith("hello from the host\n" + BANNER)
    assert out.endswith(", n, u32, i32, script0, , , , , 3\n")


@pytest.mark.parametrize("argv, message", [
    (("--env", "NOVALUE"), "invalid --env value 'NOVALUE': expected K=V"),
    (("--dir", "a::"), "invalid --dir value 'a::': expected HOST or HOST::GUEST"),
    (("--timeout", "-1"), "argument --timeout: invalid --timeout value '-1': expected a positive number of "
                          "seconds up to 9223372036"),
    (("--timeout", "1e10"), "argument --timeout: invalid --timeout value '1e10': expected a positive number of "
                            "seconds up to 9223372036"),
    (("--timeout", "nan"), "argument --timeout: invalid --timeout value 'nan': expected a positive number of "
                           "seconds up to 9223372036"),
    (("--fuel", "lots"), "argument --fuel: invalid --fuel value 'lots': expected an integer from 0 to "
                         "18446744073709551615"),
    (("--fuel", str(1 << 64)), f"argument --fuel: invalid --fuel value '{1 << 64}': expected an integer from 0 "
                               "to 18446744073709551615"),
    (("--wei",), "--wei is not allowed with 'whamm run'"),
])
def test_usage_errors(files, capfd, argv, message):
    status, out, err = whamm(capfd, "-s", str(files / "calls.mm"), "-a", str(files / "app.wasm"), *argv)
    assert (status, out) == (2, "")
    assert err.startswith(f"error: {message}\n")
