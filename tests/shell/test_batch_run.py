"""Batch mode: ``run [ARGS…] [--timings]``: output, exit status or trap, wall time, report summary."""
import re


def test_run_streams_output_then_status_and_summary(CALLS, DEMO_OUTPUT, shell) -> None:
    r = shell("-s", CALLS, "-c", "run")
    assert r.status == 0, r.err
    assert r.out.startswith(DEMO_OUTPUT)
    rest = r.out[len(DEMO_OUTPUT):].splitlines()
    assert re.fullmatch(r"\[exit status 0 · [0-9.]+ m?s\]", rest[0])
    assert rest[1:] == ["report: 1 row of count", "  count = 3"]


def test_run_timings_name_every_phase(CALLS, shell) -> None:
    r = shell("-s", CALLS, "-c", "run --timings; run --timings")
    timings = [line for line in r.out.splitlines() if line.startswith("timings: ")]
    assert len(timings) == 2
    for phase in ("check", "match", "emit", "encode", "validate", "compile", "execute"):
        assert f"{phase} " in timings[0]
    assert timings[1].endswith("(instrumented module reused: nothing recompiled)")


def test_run_args_are_remembered(ARGC_WAT, shell, wat_app, tmp_path) -> None:
    app = wat_app(tmp_path, "argc.wat", ARGC_WAT)
    r = shell(app, "-c", "wasm:func:entry { }; run x y z; run; run -- --flag; show settings")
    statuses = re.findall(r"\[exit status (\d+)", r.out)
    assert statuses == ["4", "4", "2"]
    assert "args             --flag" in r.out


def test_a_trap_shows_code_message_and_backtrace(TRAP_WAT, shell, wat_app, tmp_path) -> None:
    app = wat_app(tmp_path, "trap.wat", TRAP_WAT)
    r = shell(app, "-c", "wasm:func:entry { report var calls: u32; calls++; }; run; report")
    assert r.status == 0
    assert r.err.splitlines() == ["error: wasm trap: integer divide by zero [INTEGER_DIVISION_BY_ZERO]",
                                  "  at divide (function 0)", "  at main (function 1)"]
    assert "[exit status 134" in r.out
    assert "(values so far: the run ended with trap: integer divide by zero)" in r.out


def test_many_rows_are_summarised(shell) -> None:
    r = shell("-c", "wasm:opcode:call:before { report var n: u32; n++; }; run")
    assert "report: 24 rows of n" in r.out
    assert "  n (print, pc 23) = 33" in r.out
    assert "  … 19 more rows; use `report`" in r.out


def test_app_arguments_after_a_double_dash_at_start_up(ARGC_WAT, shell, wat_app, tmp_path) -> None:
    app = wat_app(tmp_path, "argc.wat", ARGC_WAT)
    r = shell(app, "-c", "wasm:func:entry { }; run; show settings", "--", "one", "two")
    assert "[exit status 3" in r.out and "args             one two" in r.out
