"""The runner's compilers (``RunOptions.compiler``: ``fast`` = Winch with a Cranelift fall-back,
``optimized`` = Cranelift) and wasmtime's on-disk cache (``RunOptions.cache_dir``)."""
from __future__ import annotations

import pytest
import wasmtime

from compiler.runner import COMPILERS, EXIT_LIMIT, EXIT_TRAP, Execution, Outcome, RunError, RunOptions

# `sum` adds 1..n in a loop (n = 1000) and returns it with an i64 and an f64 view; `boom` divides by zero.
PLAIN = wasmtime.wat2wasm("""
(module
  (func $sum (export "sum") (result i32 i64 f64) (local $i i32) (local $acc i32)
    (loop $more
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 1000))))
    (local.get $acc) (i64.extend_i32_u (local.get $acc)) (f64.convert_i32_u (local.get $acc)))
  (func $boom (export "boom") (result i32) (i32.div_u (i32.const 1) (i32.const 0)))
  (func $spin (export "spin") (loop $l (br $l))))
""")

# A GC struct type: Winch has no GC, so the fast compiler must hand this module to Cranelift.
GC = wasmtime.wat2wasm("""
(module
  (type $point (struct (field i32) (field i32)))
  (func (export "x") (result i32)
    (struct.get $point 0 (struct.new $point (i32.const 7) (i32.const 9)))))
""")


def run(wasm: bytes, invoke: str, compiler: str, **options) -> tuple[Execution, object]:
    execution = Execution(wasm, RunOptions(invoke=invoke, compiler=compiler, **options))
    return execution, execution.run()


@pytest.mark.parametrize("compiler, used", [("fast", "winch"), ("optimized", "cranelift")])
def test_each_compiler_runs_the_module(compiler: str, used: str) -> None:
    execution, result = run(PLAIN, "sum", compiler)
    assert execution.compiler == used
    assert result.outcome is Outcome.RETURNED and result.results == ("500500", "500500", "500500.0")


def test_the_default_is_optimized() -> None:
    assert RunOptions().compiler == "optimized" and COMPILERS == ("fast", "optimized")
    assert Execution(PLAIN, RunOptions(invoke="sum")).compiler == "cranelift"


def test_traps_and_limits_are_the_same_under_winch() -> None:
    for compiler in COMPILERS:
        _, trapped = run(PLAIN, "boom", compiler)
        assert trapped.status == EXIT_TRAP and "divide by zero" in (trapped.message or "")
        _, fuel = run(PLAIN, "spin", compiler, fuel=10_000)
        assert fuel.outcome is Outcome.OUT_OF_FUEL and fuel.status == EXIT_LIMIT
        _, timed = run(PLAIN, "spin", compiler, timeout=0.2)
        assert timed.outcome is Outcome.TIMED_OUT


def test_fast_falls_back_to_cranelift_for_what_winch_lacks() -> None:
    execution, result = run(GC, "x", "fast")
    assert execution.compiler == "cranelift"
    assert result.results == ("7",)


def test_an_invalid_module_still_gets_wasmtimes_message_under_fast() -> None:
    with pytest.raises(RunError, match=r"^cannot instantiate app.wasm: "):
        Execution(b"\0asm\x01\0\0\0\x01", RunOptions(compiler="fast"))


def test_unknown_compiler_is_refused() -> None:
    with pytest.raises(RunError, match=r"unknown compiler 'quick': expected one of fast, optimized"):
        Execution(PLAIN, RunOptions(compiler="quick"))


def test_compiled_cache_keeps_each_compilers_code_apart() -> None:
    compiled: dict[bytes, bytes] = {}
    for compiler in ("fast", "optimized", "fast", "optimized"):
        execution = Execution(PLAIN, RunOptions(invoke="sum", compiler=compiler), compiled=compiled)
        assert execution.run().results[0] == "500500"
    assert len(compiled) == 2


def test_disk_cache_directory(tmp_path) -> None:
    cache = tmp_path / "cache"
    for compiler in COMPILERS:
        execution = Execution(PLAIN, RunOptions(invoke="sum", compiler=compiler, cache_dir=str(cache)))
        assert execution.run().results[0] == "500500"
    config = (cache / "wasmtime-cache.toml").read_text()
    assert config == f'[cache]\ndirectory = "{cache / "code"}"\n'


def test_unusable_disk_cache_directory_is_a_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(RunError, match=r"^cannot use compile cache directory '.*file/sub': "):
        Execution(PLAIN, RunOptions(cache_dir=str(blocker / "sub")))
