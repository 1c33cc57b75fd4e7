"""``whamm run --coverage FILE`` (ANALYSIS.md §5): line coverage from DWARF as an LCOV tracefile.

The oracles are independent tools: ``lcov --summary`` reads the tracefile and agrees with its own
totals, ``genhtml`` turns it into HTML, and the same C program built natively with ``gcc --coverage
-O0`` and run gives gcov's executed / not executed verdict, which must agree with ours on every line
both consider code.  tests/corpus/dwarf/lines.c has no macros and inlines no header code, so gcc's and
clang's line tables speak of the same lines.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.wasm.dwarf import code_bodies
from compiler.wasm.reader import read_module
from compiler.wasm.validate import validate

ROOT = Path(__file__).resolve().parents[1]
DWARF_DIR = ROOT / "tests" / "corpus" / "dwarf"
DEMO = ROOT / "examples" / "demo" / "app.wasm"


def _wasm(name: str) -> Path:
    """A -g corpus program (the two-unit one sits with its sources, so their relative paths resolve)."""
    return DWARF_DIR / ("multi/multi.wasm" if name == "multi" else f"{name}.wasm")


def _whamm(*argv: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler.cli", "run", *map(str, argv)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def _records(text: str) -> dict[str, dict[str, list[str]]]:
    """LCOV records by SF: each key (DA, FN, LF…) → its values in order."""
    out: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for line in text.splitlines():
        if line == "end_of_record":
            current = None
            continue
        key, _, value = line.partition(":")
        if key == "SF":
            current = out[value] = {}
        elif current is not None:
            current.setdefault(key, []).append(value)
    return out


@pytest.fixture(scope="module")
def lines_run(tmp_path_factory):
    """lines.wasm run once with --coverage: (completed process, tracefile text, its path)."""
    path = tmp_path_factory.mktemp("cov") / "lines.info"
    done = _whamm("--coverage", path, "-a", DWARF_DIR / "lines.wasm", "-o", path.with_suffix(".wasm"))
    return done, path.read_text() if path.exists() else "", path


def _ours(text: str) -> dict[int, int]:
    records = _records(text)
    (sf,) = [sf for sf in records if sf.endswith("/lines.c")]
    return {int(line): int(count) for line, count in (v.split(",") for v in records[sf]["DA"])}


def test_coverage_run_keeps_the_program_and_writes_lcov(lines_run) -> None:
    done, text, path = lines_run
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "total 67\nsigns 0\n"                     # no report rows of the counters
    validate(path.with_suffix(".wasm").read_bytes())                 # the module that ran (-o), checked
    records = _records(text)
    (sf,) = [sf for sf in records if sf.endswith("/lines.c")]
    assert Path(sf) == DWARF_DIR / "lines.c"                         # resolved beside the application
    rec = records[sf]
    counts = _ours(text)
    assert int(rec["LF"][0]) == len(counts) and int(rec["LH"][0]) == sum(1 for c in counts.values() if c)
    assert rec["FN"] == ["6,collatz_steps", "19,never_called", "25,classify", "36,main"]
    assert rec["FNDA"] == ["10,collatz_steps", "0,never_called", "7,classify", "1,main"]
    assert counts[11] + counts[13] == counts[10]                      # the two arms of the collatz step


def test_lcov_summary_reads_it_and_genhtml_renders_it(lines_run, tmp_path) -> None:
    _, text, path = lines_run
    summary = subprocess.run(["lcov", "--summary", str(path)], capture_output=True, text=True)
    assert summary.returncode == 0, summary.stderr
    m = re.search(r"lines\.+: [\d.]+% \((\d+) of (\d+) lines\)", summary.stdout + summary.stderr)
    records = _records(text).values()
    assert m is not None and (int(m[1]), int(m[2])) == (sum(int(r["LH"][0]) for r in records),
                                                        sum(int(r["LF"][0]) for r in records))
    # wasi-libc's units name sources that are not on this machine: genhtml is told to go on without them
    html = subprocess.run(["genhtml", "-q", "--ignore-errors", "source", "-o", str(tmp_path / "html"), str(path)],
                          capture_output=True, text=True)
    assert html.returncode == 0, html.stderr
    page = next((tmp_path / "html").rglob("lines.c.gcov.html")).read_text()
    assert "collatz_steps" in page and (tmp_path / "html" / "index.html").exists()


def test_gcov_agrees_on_every_line_both_consider_code(lines_run, gcov_verdicts) -> None:
    ours = {line: count > 0 for line, count in _ours(lines_run[1]).items()}
    gcov = gcov_verdicts((DWARF_DIR / "lines.c",), "total 67\nsigns 0\n")["lines.c"]
    common = ours.keys() & gcov.keys()
    assert len(common) >= 25 and any(gcov[k] for k in common) and not all(gcov[k] for k in common)
    assert {k: ours[k] for k in sorted(common)} == {k: gcov[k] for k in sorted(common)}


def test_several_units_and_o2(tmp_path) -> None:
    """Two compilation units give two records; -O2 (DWARF 5) counts too, its output unchanged."""
    for name, files in (("multi", ("main.c", "util.c")), ("opt", ("opt.c",))):
        out = tmp_path / f"{name}.info"
        done = _whamm("--coverage", out, "-a", _wasm(name), "--format", "text")
        assert done.returncode == 0, done.stderr
        assert "whamm_line_hits" not in done.stdout                     # the counters go to the file only
        records = _records(out.read_text())
        for file in files:
            (sf,) = [sf for sf in records if sf.endswith("/" + file)]
            assert int(records[sf]["LH"][0]) > 0
    util = next(r for sf, r in _records((tmp_path / "multi.info").read_text()).items() if sf.endswith("util.c"))
    assert "FNDA:1,util_sum" in [f"FNDA:{v}" for v in util["FNDA"]] and "12,1" in util["DA"]


def test_refused_without_dwarf_or_with_an_unwritable_file(tmp_path) -> None:
    out = tmp_path / "demo.info"
    done = _whamm("--coverage", out, "-a", DEMO)
    assert done.returncode == 1 and "no DWARF line table" in done.stderr and not out.exists()
    assert "calc(" not in done.stdout                                  # refused before the run
    done = _whamm("--coverage", tmp_path / "missing" / "x.info", "-a", DWARF_DIR / "lines.wasm")
    assert done.returncode == 1 and "no such directory" in done.stderr and done.stdout == ""
    done = _whamm("--coverage", out, "--no-body", "--no-pred", "-a", DWARF_DIR / "lines.wasm")
    assert done.returncode == 2 and "cannot be combined with --no-body" in done.stderr and not out.exists()


def test_every_line_with_a_statement_row_is_a_line_with_code(lines_run) -> None:
    """The tracefile's lines, all files, are the (file, line) pairs with an is_stmt row in a sequence of
    live code, read from llvm-dwarfdump --debug-line (discarded code's sequences start outside the code)."""
    wasm = DWARF_DIR / "lines.wasm"
    text = subprocess.run(["llvm-dwarfdump", "--debug-line", str(wasm)], capture_output=True, text=True,
                          check=True).stdout
    bodies = code_bodies(read_module(wasm.read_bytes()))
    expected = set()
    for table in text.split("debug_line[")[1:]:
        files = {int(k): Path(v).name for k, v in re.findall(r'file_names\[\s*(\d+)\]:\s*\n\s*name: "([^"]*)"', table)}
        rows = [(int(a, 16), int(line), int(f), flags.split())
                for a, line, f, flags in re.findall(r"^0x([0-9a-f]+) +(\d+) +\d+ +(\d+) +\d+ +\d+ *(.*)$", table, re.M)]
        live = False
        for k, (address, line, f, flags) in enumerate(rows):
            if k == 0 or "end_sequence" in rows[k - 1][3]:
                live = any(a <= address < b for a, b in bodies)
            if live and "is_stmt" in flags and "end_sequence" not in flags and line:
                expected.add((files[f], line))
    ours = {(Path(sf).name, int(v.split(",")[0])) for sf, rec in _records(lines_run[1]).items() for v in rec["DA"]}
    assert ours == expected and len(ours) > 800


def test_an_output_over_an_input_is_refused_before_anything_is_written(tmp_path) -> None:
    """``--coverage app.wasm`` replaced the application with the tracefile (and ``--folded`` a script,
    ``instr -o`` the application): now a usage error, and every file stays as it was."""
    app, script = tmp_path / "app.wasm", tmp_path / "s.mm"
    app.write_bytes((DWARF_DIR / "lines.wasm").read_bytes())
    script.write_text("wasm:begin { }\n")
    for argv, message in [
            (("--coverage", app, "-a", app), f"--coverage {app}: that is the input --app {app}, which it would overwrite"),
            (("--tool", "flame", "--folded", f"flame={script}", "-s", script, "-a", app),
             f"--folded flame={script}: that is the input --script {script}"),
            (("--coverage", tmp_path / "x.info", "--tool", "flame", "--folded", f"flame={tmp_path}/./x.info", "-a", app),
             f"that is the output of --folded flame={tmp_path}/./x.info")]:
        done = _whamm(*argv)
        assert done.returncode == 2 and message in done.stderr, done.stderr
    done = subprocess.run([sys.executable, "-m", "compiler.cli", "instr", "-s", script, "-a", app, "-o", app],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and f"-o {app}: that is the input --app {app}" in done.stderr, done.stderr
    assert app.read_bytes() == (DWARF_DIR / "lines.wasm").read_bytes() and script.read_text() == "wasm:begin { }\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.wasm", "s.mm"]
