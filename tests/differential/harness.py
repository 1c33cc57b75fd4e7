"""What the differential tests share: the applications, running a script on both targets and with
folding on or off, and reading the report back as rows.  Every module these runs load into wasmtime is
also checked by ``wasm-tools validate`` through the suite-wide hook in ``tests/conftest.py``.

Every run is checked for a clean end (no trap, no limit): the generator writes scripts that cannot
trap, so a trap is a finding too.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import wasmtime

from compiler import api
from compiler.lang.folder import static_folding
from compiler.lang.frontend import check_source
from compiler.runner import RunOptions
from compiler.wasm import read_module
from compiler.wei.emulator import emulate
from compiler.wei.monitor import build_monitor

ROOT = Path(__file__).resolve().parents[2]


def _wasm(path: Path) -> bytes:
    return wasmtime.wat2wasm(path.read_text()) if path.suffix == ".wat" else path.read_bytes()


#: Small applications, each exercising different events (the demo's recursion and loops, mixed.wat's
#: memory, br_table, call_indirect and proc_exit, all_ops.wat's every opcode family, and C programs).
APP_PATHS = (
    ROOT / "examples" / "demo" / "app.wasm",
    ROOT / "tests" / "wei" / "apps" / "mixed.wat",
    ROOT / "tests" / "rewrite" / "apps" / "all_ops.wat",
    ROOT / "tests" / "corpus" / "c" / "interp.wasm",
    ROOT / "tests" / "corpus" / "c" / "matrix.wasm",
    ROOT / "tests" / "corpus" / "c" / "sort_hash.wasm",
    ROOT / "tests" / "corpus" / "c" / "strings.wasm",
)
APPS: dict[str, bytes] = {p.name: _wasm(p) for p in APP_PATHS}
#: Time limit of one run: generated scripts always terminate; this only turns a hang into a failure.
TIMEOUT = 30.0


class Finding(AssertionError):
    """A run that did not end cleanly."""


def run_rewritten(script: str, app: str, *, fold: bool = True, coalesce: bool = True) -> str:
    """Standard output of ``whamm run`` on ``app`` (folding, counter coalescing on or off)."""
    with static_folding(fold):
        result = api.instrument(APPS[app], script, options=api.Options(no_coalesce=not coalesce))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stdout"
        run = api.run(result, RunOptions((app,), stdout=str(out), timeout=TIMEOUT))
        if run.message is not None:
            raise Finding(f"rewritten {app}: {run.message}")
        return out.read_text()


def run_wei(script: str, app: str) -> str:
    """Standard output of the wei emulator running ``app`` under the script's monitor."""
    program = check_source(script, "gen.mm", {}, wei=True)
    monitor = build_monitor(program)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stdout"
        opts = RunOptions((app,), stdout=str(out), timeout=TIMEOUT)
        e = emulate(monitor.wasm, APPS[app], (), opts, app_module=read_module(APPS[app]))
        if e.result.message is not None:
            raise Finding(f"wei {app}: {e.result.message}")
        return out.read_text()


BANNER = "\n================================= REPORT CSV FLUSH ====================================\n"
HEADER = "id, id_type, name, whamm_type, wasm_type, script_id, fname, fid, pc, probe_id, value(s)"


@dataclass(frozen=True)
class Report:
    """Standard output split into what precedes the report and the report's rows, keyed by every
    column except the id (``memaddr``/``map_id`` ids depend on how many sites got variables) and the
    value."""

    before: str
    rows: dict[tuple[str, ...], list[str]]

    @staticmethod
    def parse(output: str) -> "Report":
        head, sep, table = output.partition(HEADER + "\n")
        rows: dict[tuple[str, ...], list[str]] = {}
        last: list[str] | None = None
        if sep:
            head = head.removesuffix(BANNER)  # printed only when there are rows
            for line in table.split("\n")[:-1]:
                fields = line.split(", ", 10)
                if len(fields) == 11 and fields[5] == "script0":
                    last = rows.setdefault(tuple(fields[1:10]), [])
                    last.append(fields[10])
                elif last is not None:           # a string value holding a newline
                    last[-1] += "\n" + line
                else:
                    raise Finding(f"malformed report row: {line!r}")
        return Report(head, rows)

    @staticmethod
    def per_site(key: tuple[str, ...]) -> bool:
        """A row of one site or function (fid column set), as opposed to a global or shared row."""
        return key[6] != ""
