"""Batch mode, source level (ANALYSIS.md §5): ``coverage [--lcov FILE]``, ``list``, and ``file:line`` in
``sites``, ``match``, ``report`` and ``wat`` for a C program built with -g (tests/corpus/dwarf/lines.c).

The counts ``list`` prints are the tracefile's ``DA`` counts (gcov agrees with those: tests/test_coverage.py),
the listed text is the source file's, and an application without DWARF keeps its old tables."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from compiler import api
from whamm_shell.source_commands import list_words

DWARF_DIR = Path(__file__).parents[1] / "corpus" / "dwarf"
LINES = DWARF_DIR / "lines.wasm"
SOURCE = (DWARF_DIR / "lines.c").read_text().splitlines()


@pytest.fixture(scope="module")
def session(tmp_path_factory, shell):
    """One session: list before coverage, coverage --lcov, lists after it; (outcome, tracefile text)."""
    info = tmp_path_factory.mktemp("shell-cov") / "lines.info"
    r = shell(LINES, "-c", f"list lines.c:11; coverage --lcov {info}; list collatz_steps; list lines.c; "
                           "list classify")
    return r, info.read_text() if info.exists() else ""




def test_list_shows_the_source_and_the_coverage_counts(session) -> None:
    r, info = session
    assert r.status == 0, r.err
    lcov = {}
    record = info.split("SF:")[1:]
    (lines_record,) = [rec for rec in record if rec.splitlines()[0].endswith("/lines.c")]
    for line in lines_record.splitlines():
        if line.startswith("DA:"):
            n, count = line[3:].split(",")
            lcov[int(n)] = int(count)
    before, after = r.out.split("`list FILE` shows the counts\n")
    assert "(no counts yet: `coverage`, or `trace coverage` and `run`, runs the app with line counters)" in before
    first = [line for line in before.splitlines() if line[9:10] == ":" and line[15:16] == ":"]
    assert [int(line[10:15]) for line in first] == list(range(6, 17))          # list lines.c:11: 11 ± 5
    listed = [line for line in after.splitlines() if line[9:10] == ":" and line[15:16] == ":"]
    assert len(listed) > len(SOURCE)                                           # the function, file, function
    for line in listed:
        mark, n, text = line[:9].strip(), int(line[10:15]), line[16:]
        assert text == SOURCE[n - 1]
        if n in lcov:
            assert mark == (str(lcov[n]) if lcov[n] else "#####"), line
        else:
            assert mark == "-", line
    assert "       50:   11:            n = n / 2;" in listed
    assert "    #####:   32:        return never_called(v);" in listed
    summary = next(line for line in before.splitlines() if line.startswith("lines.c "))
    assert summary.split() == ["lines.c", str(len(lcov)), str(sum(1 for c in lcov.values() if c)),
                               f"{100 * sum(1 for c in lcov.values() if c) / len(lcov):.1f}"]


def test_src_columns_and_wat_comments(shell) -> None:
    r = shell(LINES, "-c", 'probe add wasm:opcode:call:before / fname == "main" / { report var n: u32; n++; }; '
                           "sites 1; run; report; wat collatz_steps; "
                           'match wasm:source:line:before / src_file.ends_with("lines.c") && src_line == 45 /')
    assert r.status == 0, r.err
    out = r.out.splitlines()
    header = next(line for line in out if line.startswith("fid  fname"))
    assert header.split() == ["fid", "fname", "pc", "src", "instruction", "predicate"]
    assert any(" lines.c:40 " in line and "call $collatz_steps" in line for line in out)
    report = next(line for line in out if line.startswith("name  probe"))
    assert report.split() == ["name", "probe", "probe_id", "fname", "fid", "pc", "src", "value"]
    assert any(line.split()[-2:] == ["lines.c:40", "10"] for line in out)   # collatz_steps called 10 times
    comments = [line.strip() for line in out if line.strip().startswith(";; lines.c:")]
    assert comments[:6] == [";; lines.c:7", ";; lines.c:8", ";; lines.c:9", ";; lines.c:10", ";; lines.c:11",
                            ";; lines.c:13"]
    injected = next(line for line in out if "sites in" in line and "injected at" in line)
    assert injected.endswith("injected at 1 (the predicate is not false there)")


def test_errors_and_apps_without_dwarf(shell) -> None:
    r = shell(LINES, "-c", "list nope.c:3")
    assert r.status != 0 and "error: no source file `nope.c` in the line table" in r.err
    assert "error: no source file or function `nope`" in shell(LINES, "-c", "list nope").err
    assert "usage: list FILE[:LINE] | list FUNC" in shell(LINES, "-c", "list").err
    # whamm allows spaces around a rule's colons, but `list :5` is the command, not the rule list:5
    spaced = shell(LINES, "-c", "list :5")
    assert spaced.status != 0 and "error: no source file `` in the line table" in spaced.err, spaced.err
    demo = shell("-c", "coverage")
    assert demo.status != 0 and "has no DWARF line table" in demo.err
    plain = shell("-c", "probe add wasm:opcode:call:before { report var n: u32; n++; }; sites 1; wat calc")
    assert "src" not in plain.out.split() and ";; " + "app.c" not in plain.out
    assert next(line for line in plain.out.splitlines() if line.startswith("fid")).split() == \
        ["fid", "fname", "pc", "instruction", "predicate"]


def test_list_completes_source_files_and_functions(DEMO) -> None:
    multi = SimpleNamespace(app=api.load_app(DWARF_DIR / "multi" / "multi.wasm"))
    words = dict(list_words(multi)())
    assert words["main.c"] == words["util.c"] == "source file" and words["util_square"] == "function"
    assert list_words(SimpleNamespace(app=api.load_app(DEMO)))() == []


def test_no_output_file_overwrites_the_application(shell, tmp_path) -> None:
    """``coverage --lcov app.wasm`` (or ``report --folded``, ``save``, ``export`` naming it) replaced the
    application with the tracefile; now an error, and the file is untouched."""
    app = tmp_path / "app.wasm"
    app.write_bytes(LINES.read_bytes())
    for command in (f"coverage --lcov {app}", f"trace flame; run; report flame --folded {tmp_path}/./app.wasm",
                    f"trace calls; save {app}", f"trace calls; export {app}"):
        r = shell(app, "-c", command)
        assert r.status != 0 and "it is the application, which it would overwrite" in r.err, r.err
    assert app.read_bytes() == LINES.read_bytes() and [p.name for p in tmp_path.iterdir()] == ["app.wasm"]
