"""The tools at the source level (ANALYSIS.md §5, §7): ``coverage`` gives line coverage on a -g program and
``branches`` names each branch's ``file:line``.

Oracles: ``whamm run --coverage``'s LCOV tracefile (another route to the same counts: a run of its own,
another writer), gcov's verdicts on the same C program built natively (the ``gcov_verdicts`` fixture), and
for ``file:line`` llvm-objdump (the branch instruction is at the address) with llvm-symbolizer and
``llvm-dwarfdump --lookup`` (the line of that address).  The tables are parsed back from the text ``whamm run --tool`` prints.
"""
from __future__ import annotations

import contextlib
import io
import re
import subprocess
from pathlib import Path

import pytest

from compiler import api
from compiler.cli import main
from compiler.report.live import read_report_values
from compiler.runner import RunOptions
from compiler.tools import find_tool, tool_script, tool_table
from compiler.wasm.dwarf import code_bodies

HERE = Path(__file__).parent
DWARF_DIR = HERE.parent / "corpus" / "dwarf"
APPS = {"lines": DWARF_DIR / "lines.wasm", "opt": DWARF_DIR / "opt.wasm", "multi": DWARF_DIR / "multi" / "multi.wasm"}
#: The C sources of each program and what it prints, for gcov (-O0 programs only: gcc's -O2 line
#: table is not clang's).
GCOV = {"lines": ((DWARF_DIR / "lines.c",), "total 67\nsigns 0\n"),
        "multi": ((DWARF_DIR / "multi" / "main.c", DWARF_DIR / "multi" / "util.c"), "55 3025\n")}


def _whamm(*argv: object) -> str:
    """``whamm run ARGV`` in this process: what whamm printed (the program writes to the real stdout)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["run", *map(str, argv)])
    assert (status, err.getvalue()) == (0, ""), err.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[str, str, list[str]]]:
    """Per program: the tracefile of ``--coverage`` alone, that of ``--coverage`` with ``--tool coverage
    --tool branches`` (which share the line counters), and the lines that run printed."""
    out = {}
    for name, app in APPS.items():
        work = tmp_path_factory.mktemp(name)
        _whamm("--coverage", work / "alone.info", "-a", app)
        printed = _whamm("--tool", "coverage", "--tool", "branches", "--coverage", work / "tools.info", "-a", app)
        out[name] = ((work / "alone.info").read_text(), (work / "tools.info").read_text(), printed.splitlines())
    return out


def _da(tracefile: str) -> dict[str, dict[int, int]]:
    """The tracefile's ``DA`` counts per ``SF``."""
    out: dict[str, dict[int, int]] = {}
    for record in tracefile.split("SF:")[1:]:
        lines = record.splitlines()
        out[lines[0]] = {int(n): int(c) for n, c in (ln[3:].split(",") for ln in lines if ln.startswith("DA:"))}
    return out


def _section(lines: list[str], heading: str) -> list[str]:
    """The lines of the table under ``heading:`` up to the next tool's heading."""
    start = lines.index(f"{heading}:") + 1
    end = next((i for i in range(start, len(lines)) if re.fullmatch(r"[a-z]+:", lines[i])), len(lines))
    return lines[start:end]


def _coverage_table(lines: list[str]) -> tuple[dict[str, tuple[int, int]], dict[str, str], list[str]]:
    """(per file: lines, hit), (per file listed: its never-executed ranges), the headlines."""
    table = _section(lines, "coverage")
    at = table.index("never executed:") if "never executed:" in table else len(table)
    header = next(i for i, line in enumerate(table) if line.split() == ["lines", "hit", "%", "file"])
    rows = {}
    for line in table[header + 2:]:
        if not line:
            break
        n, hit, percent, file = line.split()
        assert percent == f"{100 * int(hit) / int(n):.1f}"
        rows[file] = (int(n), int(hit))
    listed = dict(line.split(": ", 1) for line in table[at + 1:] if line and not line.startswith("("))
    return rows, listed, [line for line in table if line.startswith("lines: ")]


def _in_ranges(ranges: str) -> list[tuple[int, int]]:
    """``12, 15-18`` as [(12, 12), (15, 18)]."""
    spans = []
    for part in ranges.split(", "):
        a, _, b = part.partition("-")
        spans.append((int(a), int(b or a)))
    return spans


def _table_verdicts(lines: list[str], tracefile: str) -> dict[str, dict[int, bool]]:
    """Per source file on this machine (by base name): executed per line, as the coverage table says —
    every line with code (the tracefile's, which must be the table's count) not in a listed range."""
    rows, listed, _ = _coverage_table(lines)
    da = _da(tracefile)
    out = {}
    for file, (n, _) in rows.items():
        (sf,) = [sf for sf in da if sf == file or sf.endswith("/" + file)]
        if not Path(sf).exists():
            continue
        assert len(da[sf]) == n
        spans = _in_ranges(listed[file]) if file in listed else []
        out[Path(file).name] = {line: not any(a <= line <= b for a, b in spans) for line in da[sf]}
    return out


@pytest.mark.parametrize("name", sorted(APPS))
def test_line_coverage_table_equals_the_tracefile(runs, name) -> None:
    alone, shared, lines = runs[name]
    assert shared == alone                                  # --tool coverage counts what --coverage counts
    rows, listed, headlines = _coverage_table(lines)
    da = _da(alone)
    assert len(rows) == len(da) and "blocks:" not in "\n".join(lines)
    local = set()
    for file, (n, hit) in rows.items():
        (sf,) = [sf for sf in da if sf == file or sf.endswith("/" + file)]
        assert (n, hit) == (len(da[sf]), sum(1 for c in da[sf].values() if c)), file
        if Path(sf).exists():
            local.add(file)
            assert (file in listed) == (hit < n)
        else:
            assert file not in listed
    assert local and list(rows)[:len(local)] == sorted(local)          # the program's own files first
    for file, verdicts in _table_verdicts(lines, alone).items():
        (sf,) = [sf for sf in da if sf.endswith("/" + file)]
        assert verdicts == {line: count > 0 for line, count in da[sf].items()}
    total, hit = sum(n for n, _ in rows.values()), sum(h for _, h in rows.values())
    assert headlines[-1] == f"lines: {hit} of {total} hit ({100 * hit / total:.1f}%) in all {len(rows)} source files"


@pytest.mark.parametrize("name", sorted(GCOV))
def test_line_coverage_table_agrees_with_gcov(runs, gcov_verdicts, name) -> None:
    ours = _table_verdicts(runs[name][2], runs[name][0])
    gcov = gcov_verdicts(*GCOV[name])
    for file, verdicts in gcov.items():
        common = ours[file].keys() & verdicts.keys()
        assert len(common) >= len(verdicts) // 2         # gcov also counts a function's opening line
        assert {k: ours[file][k] for k in sorted(common)} == {k: verdicts[k] for k in sorted(common)}
    assert not all(gcov["lines.c"].values()) if name == "lines" else all(gcov["main.c"].values())


def test_branches_name_the_line_of_each_branch(runs) -> None:
    """Every branch that ran: llvm-objdump shows its instruction at the address, llvm-dwarfdump --lookup
    the table's file:line for it."""
    lines = _section(runs["lines"][2], "branches")
    assert lines[0].split() == ["taken", "not", "taken", "fid", "pc", "branch", "file:line", "function"]
    spans = [m.span() for m in re.finditer(r"-+", lines[1])]           # the rule: one run of dashes per column
    rows = [[line[a:b].strip() for a, b in spans[:-1]] + [line[spans[-1][0]:]]
            for line in lines[2:lines.index("")]]
    wasm = APPS["lines"]
    module = api.load_app(wasm).module
    bodies = code_bodies(module)
    listing = subprocess.run(["llvm-objdump", "-d", str(wasm)], capture_output=True, text=True, check=True).stdout
    at = {int(a, 16): op for a, op in re.findall(r"^ +([0-9a-f]+):[ 0-9a-f]+\t(\S+)", listing, re.M)}
    assert len(rows) > 20 and any(r[5].startswith("lines.c:") for r in rows)
    addresses = [bodies[int(r[2]) - module.num_imported_funcs][0] + int(r[3]) for r in rows]
    assert [at[a] for a in addresses] == [r[4] for r in rows]         # the branch is at that address
    symbolized = subprocess.run(["llvm-symbolizer", "--no-inlines", f"--obj={wasm}", *map(hex, addresses)],
                                capture_output=True, text=True, check=True).stdout.split("\n\n")
    for row, address, frame in zip(rows, addresses, symbolized):
        file, line, _ = frame.splitlines()[1].rsplit(":", 2)
        assert row[5] == ("" if line == "0" else f"{Path(file).name}:{line}"), (row, hex(address))
    # llvm-dwarfdump --lookup agrees with llvm-symbolizer on the program's own lines
    for row, address in zip(rows, addresses):
        if row[5].startswith("lines.c:"):
            lookup = subprocess.run(["llvm-dwarfdump", f"--lookup={address:#x}", str(wasm)], capture_output=True,
                                    text=True, check=True).stdout
            assert re.search(r"Line info: file '([^']*)', line (\d+)", lookup).groups() == ("lines.c", row[5][8:])


# ------------------------------------------------------------------------------------- without DWARF

WORK = HERE / "work.wat"


def test_without_dwarf_coverage_counts_blocks_and_branches_have_no_line_column() -> None:
    app = api.load_app(WORK)
    script = tool_script("coverage", (), app.module)
    assert script.text == find_tool("coverage").template                # the .mm file's script
    built = tool_script("coverage", (), api.load_app(APPS["lines"]).module).text
    assert "wasm:source:line:before" in built and "block_runs" not in built
    assert set(re.findall(r"report var (\w+)", built)) == find_tool("coverage").app_script.report_variables
    values = _values(app, script.text + tool_script("branches").text)
    coverage = tool_table("coverage", values, app)
    branches = tool_table("branches", values, app)
    assert coverage is not None and coverage[0].startswith("blocks: ")  and ["runs", "fid", "pc", "instrs", "function"] in [ln.split() for ln in coverage]
    assert branches is not None and branches[0].split() == ["taken", "not", "taken", "fid", "pc", "branch", "function"]


def _values(app, script: str):
    result = api.instrument(app, script, options=api.Options(no_report=True))
    outcome = api.run(result, RunOptions(("app",)))
    assert outcome.status == 0, outcome.error_text
    return read_report_values(result.layout, outcome)
