"""``whamm instr``: flags, compatibility flags, usage errors (exit 2), input errors (exit 1) and the
output file: written only after validation, atomically, never on error (CLI.md §1, §5)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import wasmtime

from compiler.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEMO = EXAMPLES / "demo" / "app.wasm"
CALLS = EXAMPLES / "calls" / "calls.mm"
USAGE = "usage: whamm [-h] [--version] COMMAND ...\n"


def whamm(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["instr", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("argv, message", [
    ((), "missing required option --script"),
    (("-a", "app.wasm"), "missing required option --script"),
    (("-s", "x.mm"), "--app is required unless --wei is given"),
    (("-s", "x.mm", "-a", "a.wasm", "-l", "merged"), "link strategy 'merged' is not supported"),
    (("-s", "x.mm", "-a", "a.wasm", "--link-strategy", "static"),
     "argument -l/--link-strategy: invalid choice: 'static' (choose from 'imported', 'merged')"),
    (("-s", "x.mm", "-a", "a.wasm", "-t"), "--testing is not supported"),
    (("-s", "x.mm", "-a", "a.wasm", "--no-bundle"), "--no-bundle requires --no-body and --no-pred"),
    (("-s", "x.mm", "-a", "a.wasm", "--no-bundle", "--no-body"), "--no-bundle requires --no-body and --no-pred"),
    (("-s", "x.mm", "-a", "a.wasm", "-u", "cache"),
     "invalid --user-libs entry 'cache': expected NAME=PATH or NAME(MODULE)=PATH"),
    (("-s", "x.mm", "-a", "a.wasm", "--bogus"), "unrecognized arguments: --bogus"),
])
def test_usage_errors_exit_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    status, out, err = whamm(capsys, *argv)
    assert (status, out, err) == (2, "", f"error: {message}\n{USAGE}")
    assert not (tmp_path / "output.wasm").exists()


def test_compatibility_flags_warn_and_are_ignored(capsys, tmp_path):
    status, _, err = whamm(capsys, "-s", str(tmp_path / "none.mm"), "-a", str(DEMO), "-c", "core.wasm",
                           "-d", "./", "-l", "imported")
    assert status == 1
    assert err == ("warning: --core-lib is ignored (the core library is built in)\n"
                   "warning: --defs-path is ignored (the event catalog is built in)\n"
                   f"error: cannot read script '{tmp_path / 'none.mm'}': No such file or directory\n")


def test_wei_ignores_the_app_with_a_warning(capsys, tmp_path):
    out = tmp_path / "mon.wasm"
    status, _, err = whamm(capsys, "--wei", "-s", str(CALLS), "-a", str(DEMO), "-o", str(out))
    assert (status, err) == (0, "warning: --app is ignored with --wei\n")
    wasmtime.Module.validate(wasmtime.Engine(), out.read_bytes())


def _no_output(tmp_path: Path, out: Path) -> None:
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".whamm-")] == []


def test_app_that_is_not_wasm(capsys, tmp_path):
    app = tmp_path / "app.wasm"
    app.write_bytes(b"\0asm\1\0\0\0\x01\x05")
    out = tmp_path / "out.wasm"
    status, stdout, err = whamm(capsys, "-s", str(CALLS), "-a", str(app), "-o", str(out))
    assert (status, stdout) == (1, "")
    assert err == (f"error: invalid Wasm module {app}: section size 5 exceeds the 0 bytes left\n"
                   f" --> {app}: type section, byte offset 0x9\n")
    _no_output(tmp_path, out)


def test_missing_app_file(capsys, tmp_path):
    out = tmp_path / "out.wasm"
    status, _, err = whamm(capsys, "-s", str(CALLS), "-a", str(tmp_path / "nope.wasm"), "-o", str(out))
    assert (status, err) == (1, f"error: cannot read application '{tmp_path / 'nope.wasm'}': "
                                "No such file or directory\n")
    _no_output(tmp_path, out)


def test_script_error_is_rendered_and_nothing_is_written(capsys, tmp_path):
    script = tmp_path / "bad.mm"
    script.write_text("report var n: u32;\nwasm:opcode:call:before { m++; }\n")
    out = tmp_path / "out.wasm"
    out.write_bytes(b"previous")
    status, _, err = whamm(capsys, "-s", str(script), "-a", str(DEMO), "-o", str(out))
    assert status == 1
    assert err.startswith("error: unknown variable `m`\n --> ")
    assert err.endswith("error: aborting due to 1 previous error\n")
    assert out.read_bytes() == b"previous"  # left untouched


def test_invalid_library(capsys, tmp_path):
    lib = tmp_path / "cache.wasm"
    lib.write_bytes(b"not wasm")
    out = tmp_path / "out.wasm"
    status, _, err = whamm(capsys, "-s", str(EXAMPLES / "cache" / "cache.mm"), "-a", str(DEMO),
                           "-u", f"cache={lib}", "-o", str(out))
    assert status == 1 and err.startswith(f"error: invalid library cache ({lib}): ")
    _no_output(tmp_path, out)


def test_write_output_is_atomic(tmp_path, monkeypatch):
    from compiler.commands import instr
    target = tmp_path / "out.wasm"
    target.write_bytes(b"old")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(Exception, match="cannot write output .*No space left on device"):
        instr.write_output(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wasm"]
    monkeypatch.undo()
    instr.write_output(str(target), wasmtime.wat2wasm("(module)"))
    assert target.read_bytes() == wasmtime.wat2wasm("(module)")


LIB = """(module (func (export "pair") (param i32) (result i32 i32) (local.get 0) (local.get 0))
                  (func (export "one") (param i64) (result i64) (local.get 0)))"""


@pytest.mark.parametrize("script, first_lines", [
    ("use lib;\nwasm:opcode:call:before { lib.nope(1); }\n",
     "error: library lib has no exported function nope\n --> {s}:2:27\n"),
    ("use lib;\nwasm:opcode:call:before { var r: i32 = lib.pair(1); }\n",
     "error: library function pair has an unsupported signature\n --> {s}:2:40\n"),
    ("use lib;\nwasm:opcode:call:before { var r: i64 = lib.one(imm0); }\n",
     "error: expected i64, found u32\n --> {s}:2:48\n"),
    ("report var n: u32;\nwasm:opcode:call:alt / imm0 == 1 / { n++; }\n"
     "wasm:opcode:call(arg0: i32):alt { n++; alt_call_by_id(1); }\n",
     "error: multiple alt probes match the same instruction\n --> {s}:3:1\n"),
], ids=["missing-function", "unsupported-signature", "incompatible-argument", "two-alt-probes"])
def test_bad_inputs_are_clear_errors_without_output(capsys, tmp_path, script, first_lines):
    path = tmp_path / "bad.mm"
    path.write_text(script)
    lib = tmp_path / "lib.wasm"
    lib.write_bytes(wasmtime.wat2wasm(LIB))
    out = tmp_path / "out.wasm"
    status, stdout, err = whamm(capsys, "-s", str(path), "-a", str(DEMO), "-u", f"lib={lib}", "-o", str(out))
    assert (status, stdout) == (1, "")
    assert err.startswith(first_lines.format(s=path))
    assert err.endswith("error: aborting due to 1 previous error\n")
    _no_output(tmp_path, out)


def test_success_writes_a_valid_module_and_prints_nothing(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = whamm(capsys, "-s", str(CALLS), "-a", str(DEMO))
    assert (status, out, err) == (0, "", "")
    from compiler.wasm import validate
    validate((tmp_path / "output.wasm").read_bytes())  # the default output path


def test_wat_app_and_metrics(capsys, tmp_path):
    out = tmp_path / "o.wasm"
    status, _, err = whamm(capsys, "-s", str(CALLS), "-a", str(DEMO.with_suffix(".wat")), "-o", str(out), "-m")
    assert status == 0
    phases = [line.split(":")[0].strip() for line in err.splitlines()]
    assert phases[:4] == ["read", "parse", "check", "match"] and "validate" in phases
    assert all(line.endswith(" ms") for line in err.splitlines())


def test_output_is_deterministic(capsys, tmp_path):
    first, second = tmp_path / "a.wasm", tmp_path / "b.wasm"
    for out in (first, second):
        assert whamm(capsys, "-s", str(EXAMPLES / "branches" / "branches.mm"), "-a", str(DEMO), "-o", str(out))[0] == 0
    assert first.read_bytes() == second.read_bytes()


def test_knobs_reach_the_emitter(capsys, tmp_path):
    """--no-report: the module still runs, but prints no report."""
    out = tmp_path / "o.wasm"
    assert whamm(capsys, "-s", str(CALLS), "-a", str(DEMO), "-o", str(out), "--no-report")[0] == 0
    from compiler.runner import RunOptions, run_module
    result = run_module(out.read_bytes(), RunOptions(stdout=str(tmp_path / "stdout")))
    assert result.status == 0
    assert "REPORT" not in (tmp_path / "stdout").read_text()


def test_instrumenting_whamms_own_output_again_is_refused_by_name(capsys, tmp_path):
    """Its exports clash with the ones instrumentation adds: said so (it was a bare ``duplicate export
    name`` from the validator), for a module and for a component."""
    once = tmp_path / "once.wasm"
    component = Path(__file__).resolve().parent / "corpus" / "component" / "hello.component.wasm"
    for app in (DEMO, component):
        assert whamm(capsys, "-s", str(CALLS), "-a", str(app), "-o", str(once))[0] == 0
        status, _, err = whamm(capsys, "-s", str(CALLS), "-a", str(once), "-o", str(tmp_path / "twice.wasm"))
        assert status == 1 and "already exports `whamm:" in err
        assert "(is it whamm's output? instrument the original module)" in err
    assert not (tmp_path / "twice.wasm").exists()
