"""``whamm check``: exit statuses, diagnostics on stderr, ``--user-libs`` handling (CLI.md, LANGUAGE §14)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from compiler.cli import main

GOOD = """use toggle;
report var hits: u32;
wasm:opcode:call:before / @static toggle.should_inject(fid as i32, pc as i32) == 1 / {
    hits++;
}
"""
TOGGLE = '(module (func (export "should_inject") (param i32 i32) (result i32) i32.const 1))'


@pytest.fixture
def files(tmp_path: Path):
    (tmp_path / "good.mm").write_text(GOOD)
    (tmp_path / "toggle.wasm").write_bytes(wasmtime.wat2wasm(TOGGLE))
    (tmp_path / "other.wasm").write_bytes(wasmtime.wat2wasm("(module)"))
    (tmp_path / "broken.wasm").write_bytes(b"\0asm\1\0\0\0\x01\x05")
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["check", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_good_script_exits_0_naming_both_targets(files, capsys):
    status, out, err = run(capsys, "-s", str(files / "good.mm"), "-u", f"toggle={files / 'toggle.wasm'}")
    assert (status, out, err) == (0, "ok: rewriting, wei\n", "")


def test_lib_specs_comma_lists_repeats_and_import_module(files, capsys):
    lib = files / "toggle.wasm"
    for argv in (["-u", f"toggle={lib},other={files / 'other.wasm'}"],
                 ["-u", f"other={files / 'other.wasm'}", "--user-libs", f"toggle(whamm:toggle)={lib}"],
                 ["--lib", f"toggle={lib}"]):
        assert run(capsys, "-s", str(files / "good.mm"), *argv)[0] == 0


def test_missing_library_is_a_script_error(files, capsys):
    status, out, err = run(capsys, "-s", str(files / "good.mm"))
    assert status == 1 and out == ""
    assert err.startswith("error: library toggle is used by the script but was not provided "
                          "(--user-libs toggle=PATH)\n --> ")
    assert err.endswith("error: aborting due to 1 previous error\n")


def test_warnings_keep_exit_0(files, capsys):
    (files / "w.mm").write_text("wasm:opcode:call:before { }\n")
    status, _, err = run(capsys, "-s", str(files / "w.mm"))
    assert status == 0
    assert err == (f"warning: probe has an empty body\n --> {files / 'w.mm'}:1:1\n  |\n"
                   "1 | wasm:opcode:call:before { }\n  | ^^^^^^^^^^^^^^^^^^^^^^^\n")


def test_errors_exit_1_with_the_exact_format(files, capsys):
    path = files / "monitor.mm"
    path.write_text("var count: u32;\n\nwasm:opcode:call:before {\n    cnt++;\n}\n")
    status, _, err = run(capsys, "-s", str(path))
    assert status == 1
    assert err == (f"error: unknown variable `cnt`\n --> {path}:4:5\n  |\n4 |     cnt++;\n  |     ^^^\n"
                   "  = help: did you mean `count`?\n\nerror: aborting due to 1 previous error\n")


def test_unreadable_script(files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    status, _, err = run(capsys, "-s", "x.mm")
    assert status == 1
    assert err == "error: cannot read script 'x.mm': No such file or directory\n"


def test_invalid_library(files, capsys):
    status, _, err = run(capsys, "-s", str(files / "good.mm"), "-u", f"toggle={files / 'broken.wasm'}")
    assert status == 1
    assert err.startswith(f"error: invalid library toggle ({files / 'broken.wasm'}): ")
    status, _, err = run(capsys, "-s", str(files / "good.mm"), "-u", f"toggle={files / 'nope.wasm'}")
    assert err == f"error: invalid library toggle ({files / 'nope.wasm'}): No such file or directory\n"


def test_malformed_lib_spec_is_a_usage_error(files, capsys):
    status, _, err = run(capsys, "-s", str(files / "good.mm"), "-u", "toggle")
    assert status == 2
    assert err.startswith("error: invalid --user-libs entry 'toggle': expected NAME=PATH or NAME(MODULE)=PATH\n")


def test_whamm_core_entry_is_ignored_with_a_warning(files, capsys):
    (files / "core.mm").write_text("use whamm_core;\nwasm:begin { whamm_core.putc(65); }\n")
    status, _, err = run(capsys, "-s", str(files / "core.mm"), "-u", f"whamm_core={files / 'other.wasm'}")
    assert status == 0
    assert err == "warning: --user-libs entry for whamm_core ignored (it is built in)\n"


def test_missing_script_option_is_usage_error(capsys):
    assert main(["check"]) == 2


def test_no_traceback_through_the_console_entry(files):
    bad = files / "bad.mm"
    bad.write_text('wasm:func:entry / fname == "unterminated / { }\n')
    proc = subprocess.run([sys.executable, "-c", "from compiler.cli import main; main()", "check", "-s", str(bad)],
                          capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: unterminated string literal\n")


# ANALYSIS.md §8: `check` says which targets accept the script and fails only when none does.
WEI_ONLY = "report var c: i32;\nwasm:opcode:call:before { c = probe_id; }\n"
REWRITING_ONLY = "report var c: i32;\nwasm:opcode:call:after { c++; }\n"
NEITHER = "report var c: i32;\nwasm:opcode:call:after { c = probe_id; }\n"


def test_engine_only_script_is_accepted_for_wei(files, capsys):
    (files / "p.mm").write_text(WEI_ONLY)
    status, out, err = run(capsys, "-s", str(files / "p.mm"))
    assert (status, out, err) == (0, "ok: wei only (probe_id is only available in the engine target)\n", "")


def test_rewriting_only_script_names_the_reason(files, capsys):
    (files / "a.mm").write_text(REWRITING_ONLY)
    status, out, err = run(capsys, "-s", str(files / "a.mm"))
    assert (status, out, err) == (0, "ok: rewriting only (mode `after` is not supported by the wei target)\n", "")


def test_no_target_accepts_fails_with_every_targets_errors(files, capsys):
    (files / "n.mm").write_text(NEITHER)
    status, out, err = run(capsys, "-s", str(files / "n.mm"))
    assert status == 1 and out == ""
    assert "error: mode `after` is not supported by the wei target\n" in err
    assert "error: probe_id is only available in the engine target (--wei)\n" in err
    assert err.endswith("error: aborting due to 2 previous errors\n")


def test_syntax_error_is_reported_once(files, capsys):
    (files / "bad.mm").write_text("wasm:opcode:call:before { c++ }\n")
    status, out, err = run(capsys, "-s", str(files / "bad.mm"))
    assert status == 1 and out == ""
    assert err.count("\nerror: aborting due to 1 previous error") == 1 and err.count(" --> ") == 1


def test_wei_and_rewriting_flags_restrict_the_check(files, capsys):
    (files / "p.mm").write_text(WEI_ONLY)
    assert run(capsys, "--wei", "-s", str(files / "p.mm"))[:2] == (0, "ok: wei\n")
    status, out, err = run(capsys, "--rewriting", "-s", str(files / "p.mm"))
    assert (status, out) == (1, "") and "probe_id is only available in the engine target" in err
    (files / "a.mm").write_text(REWRITING_ONLY)
    assert run(capsys, "--rewriting", "-s", str(files / "a.mm"))[:2] == (0, "ok: rewriting\n")
    assert run(capsys, "--wei", "-s", str(files / "a.mm"))[0] == 1
    assert run(capsys, "--wei", "--rewriting", "-s", str(files / "a.mm"))[0] == 2


def test_parts_from_s_and_e_are_joined_and_located(files, capsys):
    (files / "decl.mm").write_text("report var c: u32;")     # no final newline: the parts stay apart
    status, out, err = run(capsys, "-s", str(files / "decl.mm"), "-e", "wasm:opcode:call:before { c++; }")
    assert (status, out, err) == (0, "ok: rewriting, wei\n", "")
    status, _, err = run(capsys, "-s", str(files / "decl.mm"), "-e", "wasm:opcode:call:before {\n  d++; }")
    assert status == 1
    assert err.startswith("error: unknown variable `d`\n --> <-e>:2:3\n  |\n2 |   d++; }\n  |   ^\n")
