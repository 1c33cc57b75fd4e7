"""The runner: WASI set-up, entry points, exit statuses, traps with input-index backtraces, limits,
interruption, libraries, and the live instance afterwards (CLI.md §4.2–§4.4)."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import wasmtime

from compiler.runner import (
    EXIT_LIMIT, EXIT_TRAP, Execution, FunctionMap, LinkedLibrary, Outcome, RunError, RunOptions,
    TraceFrame, run_module,
)

# A WASI program: `_start` prints its argv then its environment (NUL-separated, as WASI stores them);
# `cat` copies stdin to stdout; `readfile` prints the preopened directory's data.txt; `exit7` calls
# proc_exit(7); `boom` traps in a callee; `spin` loops forever; `answers` returns several values.
WASI_APP = r"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "data.txt")
  (global $counter (mut i32) (i32.const 0))
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func $copy (param $fd i32) (local $n i32)
    (loop $more
      (i32.store (i32.const 16) (i32.const 4096))
      (i32.store (i32.const 20) (i32.const 1024))
      (drop (call $fd_read (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24)))
      (local.set $n (i32.load (i32.const 24)))
      (if (local.get $n) (then (call $write (i32.const 4096) (local.get $n)) (br $more)))))
  (func (export "_start")
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (call $write (i32.const 2048) (i32.load (i32.const 4)))
    (drop (call $env_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $env_get (i32.const 1024) (i32.const 3072)))
    (call $write (i32.const 3072) (i32.load (i32.const 4))))
  (func (export "cat") (call $copy (i32.const 0)))
  (func (export "readfile")
    (drop (call $path_open (i32.const 3) (i32.const 0) (i32.const 512) (i32.const 8) (i32.const 0)
                           (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 8)))
    (call $copy (i32.load (i32.const 8))))
  (func (export "exit7") (global.set $counter (i32.const 5)) (call $proc_exit (i32.const 7)))
  (func $divide (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $boom (export "boom") (result i32) (call $divide (i32.const 0)))
  (func (export "spin") (loop $l (global.set $counter (i32.add (global.get $counter) (i32.const 1))) (br $l)))
  (func (export "answers") (result i32 i64 f32 f64) (i32.const -3) (i64.const 1099511627776)
    (f32.const 0.1) (f64.const 2.5))
  (func (export "counter") (result i32) (global.get $counter))
  (export "count" (global $counter)))
"""


@pytest.fixture(scope="module")
def app() -> bytes:
    return wasmtime.wat2wasm(WASI_APP)


def _run(app: bytes, tmp_path, **kw) -> tuple:
    out = tmp_path / "stdout.txt"
    result = run_module(app, RunOptions(stdout=str(out), **kw), app_name="wasi.wasm")
    return result, out.read_bytes()


def test_start_sees_argv_and_only_the_given_environment(app, tmp_path):
    result, out = _run(app, tmp_path, argv=("wasi.wasm", "one", "two words"), env=(("K", "v=1"),))
    assert (result.outcome, result.status, result.message) == (Outcome.RETURNED, 0, None)
    assert out == b"wasi.wasm\0one\0two words\0K=v=1\0"


def test_argv0_defaults_to_the_app_name(app, tmp_path):
    _, out = _run(app, tmp_path)
    assert out == b"wasi.wasm\0"


def test_stdin_from_a_file(app, tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes(b"line 1\nline 2\n")
    result, out = _run(app, tmp_path, invoke="cat", stdin=str(src))
    assert result.status == 0 and out == b"line 1\nline 2\n"


def test_preopened_directory_is_visible_under_its_guest_name(app, tmp_path):
    data = tmp_path / "shared"
    data.mkdir()
    (data / "data.txt").write_text("from the host\n")
    result, out = _run(app, tmp_path, invoke="readfile", dirs=((str(data), "/"),))
    assert result.status == 0 and out == b"from the host\n"


def test_no_directory_is_visible_without_a_preopen(app, tmp_path):
    result, out = _run(app, tmp_path, invoke="readfile")
    assert result.status == 0 and out == b""


def test_proc_exit_status_is_the_exit_status_and_the_instance_stays_readable(app, tmp_path):
    result, _ = _run(app, tmp_path, invoke="exit7")
    assert (result.outcome, result.status, result.error_text) == (Outcome.EXITED, 7, None)
    assert result.instance.exports(result.store)["count"].value(result.store) == 5


def test_trap_reports_reason_and_backtrace_with_names(app, tmp_path):
    result, _ = _run(app, tmp_path, invoke="boom")
    assert (result.outcome, result.status, result.trap_code) == (Outcome.TRAPPED, EXIT_TRAP,
                                                                 "INTEGER_DIVISION_BY_ZERO")
    assert result.error_text == ("error: wasm trap: integer divide by zero\n"
                                 "  at divide (function 14)\n  at boom (function 15)")


def test_backtrace_uses_the_function_map():
    wat = """(module (func $added (unreachable)) (func $app (call $added)) (export "go" (func $app)))"""
    functions = FunctionMap((TraceFrame("whamm:probe", None), TraceFrame("main", 3)))
    result = run_module(wasmtime.wat2wasm(wat), RunOptions(invoke="go"), functions=functions)
    assert result.error_text == "error: wasm trap: wasm `unreachable` instruction executed\n" \
                                "  at whamm:probe\n  at main (function 3)"


def test_invoke_prints_every_result_in_its_own_type(app, tmp_path):
    result, _ = _run(app, tmp_path, invoke="answers")
    assert result.results == ("-3", "1099511627776", "0.1", "2.5")


def test_invoke_of_a_missing_export_is_an_error(app):
    with pytest.raises(RunError, match="cannot invoke 'nope': the module exports no function"):
        run_module(app, RunOptions(invoke="nope"))


def test_timeout_interrupts_and_reports_the_limit(app):
    result = run_module(app, RunOptions(invoke="spin", timeout=0.2))
    assert (result.outcome, result.status) == (Outcome.TIMED_OUT, EXIT_LIMIT)
    assert result.error_text == "error: execution timed out after 0.2 s"
    assert 0.15 < result.elapsed


def test_fuel_limit(app):
    result = run_module(app, RunOptions(invoke="spin", fuel=10_000))
    assert (result.outcome, result.status) == (Outcome.OUT_OF_FUEL, EXIT_LIMIT)
    assert result.error_text == "error: execution ran out of fuel"
    assert 0 < result.instance.exports(result.store)["count"].value(result.store) < 10_000


def test_enough_fuel_lets_the_program_finish(app, tmp_path):
    result, out = _run(app, tmp_path, fuel=1_000_000)
    assert result.status == 0 and out == b"wasi.wasm\0"


def test_interrupt_from_another_thread(app):
    execution = Execution(app, RunOptions(invoke="spin"))
    threading.Timer(0.1, execution.interrupt).start()
    result = execution.run()
    assert result.outcome is Outcome.INTERRUPTED
    assert result.instance.exports(result.store)["counter"](result.store) > 0  # callable afterwards


def test_interruptible_run_on_a_worker_thread(app):
    execution = Execution(app, RunOptions(invoke="spin"))
    threading.Timer(0.1, execution.interrupt).start()
    assert execution.run(interruptible=True).outcome is Outcome.INTERRUPTED


def test_stdout_to_a_callback(app):
    chunks: list[bytes] = []
    result = run_module(app, RunOptions(argv=("x", "y"), stdout=chunks.append))
    assert result.status == 0 and b"".join(chunks) == b"x\0y\0"


ENTRIES = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "I") (data (i32.const 101) "E") (data (i32.const 102) "S")
  (func $say (param i32)
    (i32.store (i32.const 0) (local.get 0)) (i32.store (i32.const 4) (i32.const 1))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_initialize") (call $say (i32.const 100)))
  (func (export "") (call $say (i32.const 101)))
  (func (export "_start") (call $say (i32.const 102))))"""


def test_initialize_then_the_empty_export_before_start(tmp_path):
    out = tmp_path / "o"
    run_module(wasmtime.wat2wasm(ENTRIES), RunOptions(stdout=str(out)))
    assert out.read_bytes() == b"IE"


def test_without_an_entry_only_instantiation_happens(tmp_path):
    wat = "(module (global (export \"g\") (mut i32) (i32.const 4)))"
    result = run_module(wasmtime.wat2wasm(wat))
    assert (result.outcome, result.status, result.results) == (Outcome.RETURNED, 0, ())


def test_trap_in_the_start_function_is_a_trap_without_instance():
    wat = "(module (func $s (unreachable)) (start $s))"
    result = run_module(wasmtime.wat2wasm(wat))
    assert (result.outcome, result.status, result.instance) == (Outcome.TRAPPED, EXIT_TRAP, None)
    assert result.message == "wasm trap: wasm `unreachable` instruction executed"


def test_missing_import_cannot_instantiate():
    wat = '(module (import "env" "f" (func)))'
    with pytest.raises(RunError, match=r"cannot instantiate app\.wasm: unknown import: `env::f`"):
        run_module(wasmtime.wat2wasm(wat))


LIB = """(module (global $n (mut i32) (i32.const 0))
  (func (export "next") (result i32) (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))"""
USER = """(module (import "counter_mod" "next" (func $next (result i32)))
  (func (export "twice") (result i32) (drop (call $next)) (call $next)))"""


def test_libraries_are_registered_under_their_import_module_once():
    lib = LinkedLibrary("counter", "counter_mod", wasmtime.wat2wasm(LIB))
    execution = Execution(wasmtime.wat2wasm(USER), RunOptions(invoke="twice"), [lib])
    assert execution.run().results == ("2",)


def test_only_imported_libraries_are_instantiated():
    broken = LinkedLibrary("unused", "unused", wasmtime.wat2wasm('(module (import "x" "y" (func)))'))
    lib = LinkedLibrary("counter", "counter_mod", wasmtime.wat2wasm(LIB))
    assert run_module(wasmtime.wat2wasm(USER), RunOptions(invoke="twice"), [broken, lib]).results == ("2",)


def test_a_library_that_cannot_instantiate_names_itself():
    lib = LinkedLibrary("counter", "counter_mod", wasmtime.wat2wasm('(module (import "x" "y" (func)))'),
                        "libs/c.wasm")
    with pytest.raises(RunError, match=r"cannot instantiate library counter \(libs/c\.wasm\): unknown import"):
        run_module(wasmtime.wat2wasm(USER), RunOptions(invoke="twice"), [lib])


def test_identity_function_map_names_unnamed_functions_by_index():
    fmap = FunctionMap.identity({1: "main"}, 2)
    assert [str(fmap.frame(i)) for i in (0, 1, 5)] == ["  at #0 (function 0)", "  at main (function 1)",
                                                       "  at #5 (function 5)"]


def test_runs_are_independent_engines(app):
    """An interrupt of one execution never stops another one running at the same time."""
    first, second = Execution(app, RunOptions(invoke="spin")), Execution(app, RunOptions(invoke="spin",
                                                                                          timeout=0.5))
    results = {}
    worker = threading.Thread(target=lambda: results.setdefault("second", second.run()))
    worker.start()
    time.sleep(0.05)
    threading.Timer(0.05, first.interrupt).start()
    results["first"] = first.run()
    worker.join()
    assert results["first"].outcome is Outcome.INTERRUPTED
    assert results["second"].outcome is Outcome.TIMED_OUT


def test_compiled_cache_is_filled_once_and_reused(app, tmp_path):
    cache: dict[bytes, bytes] = {}
    first = Execution(app, RunOptions(stdout=str(tmp_path / "1")), compiled=cache)
    assert len(cache) == 1
    second = Execution(app, RunOptions(stdout=str(tmp_path / "2")), compiled=cache)
    assert len(cache) == 1
    assert first.run().status == second.run().status == 0
    assert (tmp_path / "1").read_bytes() == (tmp_path / "2").read_bytes() == b"app.wasm\0"
    with_fuel = Execution(app, RunOptions(fuel=10**6, stdout=str(tmp_path / "3")), compiled=cache)
    assert len(cache) == 2 and with_fuel.run().status == 0  # fuel-metered code is cached apart


def test_callback_sinks_get_all_output_and_survive_a_failing_sink(tmp_path):
    # Output reaches a callable sink through a pipe, completely, before run() returns; a sink that
    # raises does not block the program (the rest is discarded, as WASI reports EIO).
    wasm = (Path(__file__).resolve().parents[1] / "examples" / "demo" / "app.wasm").read_bytes()
    got: list[bytes] = []
    result = run_module(wasm, RunOptions(stdout=got.append, stderr=got.append))
    assert result.status == 0 and b"".join(got).startswith(b"==== CALC ====\ncalc(9, 0) -> 9\n")
    assert b"".join(got).endswith(b"collatz(27) -> 111 steps\n")

    def broken(data: bytes) -> None:
        raise RuntimeError("sink failed")

    assert run_module(wasm, RunOptions(stdout=broken)).status == 0
