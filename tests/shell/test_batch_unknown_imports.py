"""Batch mode: ``set unknown-imports trap|default|off`` (ANALYSIS.md §8) — an app written for another host
(an Internet Computer canister importing ``ic0.debug_print``) runs, and what stands in for its imports
behaves as wasmtime's ``--trap-unknown-imports`` / ``--default-values-unknown-imports``; ``whamm run``'s
flags of those names do the same."""
import wasmtime

from compiler.cli import main

#: Calls ``ic0.debug_print``, then prints ``hello`` through WASI, then exits with
#: ``ic0.msg_arg_data_size() + 3``: a stub returning zero gives exit status 3.
CANISTER_WAT = """(module
  (import "ic0" "debug_print" (func $debug_print (param i32 i32)))
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "hello\\n")
  (func $main (export "_start")
    (call $debug_print (i32.const 32) (i32.const 6))
    (i32.store (i32.const 0) (i32.const 32))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.add (call $arg_size) (i32.const 3)))))
"""
PROBE = "wasm:opcode:call:before { report var calls: u32; calls++; }"
HINT = ("to run it anyway, stub unknown imports: `whamm run --trap-unknown-imports` or "
        "`--default-values-unknown-imports`, in whamm-shell `set unknown-imports trap|default`")


def test_without_a_setting_the_run_fails_with_a_hint(shell, wat_app, tmp_path) -> None:
    app = wat_app(tmp_path, "canister.wat", CANISTER_WAT)
    r = shell(app, "-c", f"{PROBE}; run")
    assert r.status == 1
    assert (f"error: cannot instantiate {app}: unknown import: `ic0::debug_print` has not been defined; "
            + HINT) in r.err


def test_trap_stubs_trap_when_called_and_the_report_has_the_values_so_far(shell, wat_app, tmp_path) -> None:
    app = wat_app(tmp_path, "canister.wat", CANISTER_WAT)
    r = shell(app, "-c", f"set unknown-imports trap; {PROBE}; run; report --sort pc")
    assert r.status == 0, r.err
    assert "unknown imports: trap (a call traps)" in r.out
    assert "error: wasm trap: unknown import: `ic0::debug_print` has not been defined" in r.err
    assert "[exit status 134" in r.out and "hello" not in r.out
    values = [line.split()[-1] for line in r.out.splitlines() if line.startswith("calls ")]
    assert values == ["1", "0", "0", "0"]          # only the call of debug_print was reached


def test_default_stubs_return_zero_and_the_app_runs_to_its_end(shell, wat_app, tmp_path) -> None:
    app = wat_app(tmp_path, "canister.wat", CANISTER_WAT)
    r = shell(app, "-c", f"set unknown-imports default; {PROBE}; run; show settings")
    assert r.status == 0, r.err
    assert "hello\n[exit status 3 " in r.out        # msg_arg_data_size() returned 0
    assert "report: 4 rows of calls" in r.out
    assert "unknown-imports  default (calls return zeros)" in r.out
    off = shell(app, "-c", f"set unknown-imports default; set unknown-imports off; {PROBE}; run")
    assert off.status == 1 and "unknown import: `ic0::debug_print`" in off.err


def test_bad_values_are_usage_errors(shell) -> None:
    r = shell("-c", "set unknown-imports maybe")
    assert r.status == 1
    assert "invalid value `maybe`: expected trap, default or off" in r.err
    assert "usage: set unknown-imports trap|default|off" in r.err


def test_whamm_run_flags(tmp_path, capfd) -> None:
    app = tmp_path / "canister.wasm"
    app.write_bytes(wasmtime.wat2wasm(CANISTER_WAT))
    script = tmp_path / "calls.mm"
    script.write_text("report var calls: u32;\nwasm:opcode:call:before { calls++; }\n")
    base = ["run", "-s", str(script), "-a", str(app)]
    assert main(base) == 1
    assert capfd.readouterr().err.endswith(f"has not been defined; {HINT}\n")
    assert main([*base, "--trap-unknown-imports"]) == 134
    out, err = capfd.readouterr()
    assert err.startswith("error: wasm trap: unknown import: `ic0::debug_print` has not been defined\n")
    assert "report (partial: trap)" in out and out.rstrip().endswith(", 1")
    assert main([*base, "--default-values-unknown-imports"]) == 3
    out, err = capfd.readouterr()
    assert err == "" and out.startswith("hello\n") and out.rstrip().endswith(", 4")
    assert main([*base, "--trap-unknown-imports", "--default-values-unknown-imports"]) == 2
    assert "not allowed with argument --trap-unknown-imports" in capfd.readouterr().err
