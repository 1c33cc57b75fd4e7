"""cli.py: ``whamm instr --wei`` and ``whamm run --wei-monitor`` (CLI.md §1, §4; issue 6)."""
from __future__ import annotations

import pytest
import wasmtime

from compiler.cli import main
from .wei_fixtures import DEMO, EXAMPLES, masked

CALLS = EXAMPLES / "calls" / "calls.mm"
USAGE = "usage: whamm [-h] [--version] COMMAND ...\n"


def whamm(capfd, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capfd.readouterr()
    return status, out, err


def test_instr_writes_a_monitor_without_an_app(capfd, tmp_path):
    out = tmp_path / "mon.wasm"
    status, stdout, err = whamm(capfd, "instr", "--wei", "-s", str(CALLS), "-o", str(out))
    assert (status, stdout, err) == (0, "", "")
    module = wasmtime.Module(wasmtime.Engine(), out.read_bytes())
    assert "wasm:opcode:call  (imm0, arg0)" in [e.name for e in module.exports]


def test_instr_metrics(capfd, tmp_path):
    status, _, err = whamm(capfd, "instr", "-w", "-s", str(CALLS), "-o", str(tmp_path / "m.wasm"), "-m")
    assert status == 0 and [line.split(":")[0].strip() for line in err.splitlines()] == \
        ["plan", "layout", "emit", "encode", "validate"]


def test_instr_rejects_unsupported_features(capfd, tmp_path):
    out = tmp_path / "mon.wasm"
    status, _, err = whamm(capfd, "instr", "--wei", "-s", str(EXAMPLES / "faults" / "faults.mm"), "-o", str(out))
    assert status == 1 and not out.exists()
    assert err.startswith("error: mode `alt` is not supported by the wei target\n --> ")
    assert err.endswith("error: aborting due to 1 previous error\n")


def test_instr_usage(capfd):
    assert whamm(capfd, "instr", "--wei") == (2, "", f"error: missing required option --script\n{USAGE}")


def test_run_matches_rewriting(capfd, tmp_path):
    mon = tmp_path / "mon.wasm"
    assert whamm(capfd, "instr", "--wei", "-s", str(EXAMPLES / "branches" / "branches.mm"), "-o", str(mon))[0] == 0
    status, wei, err = whamm(capfd, "run", "--wei-monitor", str(mon), "-a", str(DEMO))
    assert (status, err) == (0, "")
    status, rewritten, _ = whamm(capfd, "run", "-s", str(EXAMPLES / "branches" / "branches.mm"), "-a", str(DEMO))
    assert masked(wei) == masked(rewritten) and "taken" in wei


def test_run_with_a_library(capfd, tmp_path):
    mon = tmp_path / "mon.wasm"
    lib = f"cache={EXAMPLES / 'cache' / 'cache.wasm'}"
    assert whamm(capfd, "instr", "--wei", "-s", str(EXAMPLES / "cache" / "cache.mm"), "-u", lib, "-o", str(mon))[0] == 0
    status, out, err = whamm(capfd, "run", "--wei-monitor", str(mon), "-a", str(EXAMPLES / "cache" / "matrix.wasm"),
                             "-u", lib)
    assert (status, err) == (0, "")
    assert ", map_id, misses, map<str,u32>, i32, script0, , , , , " in out


def test_run_reports_traps(capfd, tmp_path):
    mon = tmp_path / "mon.wasm"
    app = tmp_path / "app.wat"
    app.write_text('(module (func (export "_start") unreachable))')
    (tmp_path / "s.mm").write_text("var c: u32; wasm:opcode:unreachable:before { c++; }")
    assert whamm(capfd, "instr", "--wei", "-s", str(tmp_path / "s.mm"), "-o", str(mon))[0] == 0
    status, out, err = whamm(capfd, "run", "--wei-monitor", str(mon), "-a", str(app))
    assert (status, out) == (134, "") and err.startswith("error: wasm trap: ")


@pytest.mark.parametrize("extra, message", [
    (("-s", "x.mm"), "--script/--expr/--tool cannot be used with --wei-monitor (the monitor is already compiled)"),
    ((), "--app is required with --wei-monitor"),
    (("-a", "app.wasm", "--no-body"), "--no-body cannot be used with --wei-monitor"),
    (("-a", "app.wasm", "-o", "x.wasm"), "--output-path cannot be used with --wei-monitor"),
])
def test_run_usage(capfd, extra, message):
    assert whamm(capfd, "run", "--wei-monitor", "mon.wasm", *extra) == (2, "", f"error: {message}\n{USAGE}")


def test_run_missing_monitor(capfd, tmp_path):
    status, _, err = whamm(capfd, "run", "--wei-monitor", str(tmp_path / "none.wasm"), "-a", str(DEMO))
    assert status == 1 and err == f"error: cannot read monitor '{tmp_path / 'none.wasm'}': No such file or directory\n"
