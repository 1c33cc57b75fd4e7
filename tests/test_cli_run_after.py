"""What ``whamm run`` writes after the program from the instance's values.

``--folded VAR=FILE`` (ANALYSIS.md §3) and the profile helpers behind it (``compiler/report/folded.py``):
the folded-stacks file, the checks made before the program runs, what happens after a trap, and that a
failing write never leaves a half-written or clobbered file.  ``--format text`` (ANALYSIS.md §1–§2): the
report at exit in bpftrace's human form — the same values the module's own CSV report prints, the
program's output unchanged, a partial report after a trap, and the flags it cannot be combined with
refused."""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler.cli import main
from compiler.lang.types import MapType, Prim
from compiler.report.folded import EMPTY_STACK, ProfileError, flame_lines, folded_text, profile_counts
from compiler.report.live import ReportValue
from compiler.report.rows import MapLocation, ReportVar

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo" / "app.wasm"
WORK = ROOT / "examples" / "profile" / "work.wasm"
SORT_HASH = ROOT / "tests" / "corpus" / "c" / "sort_hash.wasm"
PROFILE = "report var prof: map<str, u64>; report var n: u64; wasm:func:entry { prof[callstack]++; n++; }"

# `main` calls `work` twice; `work` traps on its second call
TRAPS = """(module
  (global $calls (mut i32) (i32.const 0))
  (func $work
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (i32.eq (global.get $calls) (i32.const 2)) (then unreachable)))
  (func $main (export "_start") (call $work) (call $work)))
"""


def whamm_run(capfd, *argv) -> tuple[int, str, str]:
    status = main(["run", *map(str, argv)])
    out, err = capfd.readouterr()
    return status, out, err


def test_folded_file_of_a_recursive_c_program(capfd, tmp_path) -> None:
    """The counts sum to a plain counter of the same events; the file is in key order."""
    out = tmp_path / "prof.folded"
    status, stdout, err = whamm_run(capfd, "-e", PROFILE, "-a", WORK, "--folded", f"prof={out}")
    assert (status, err) == (0, "")
    lines = out.read_text().splitlines()
    counts = {line.rpartition(" ")[0]: int(line.rpartition(" ")[2]) for line in lines}
    n = int(next(line for line in stdout.splitlines() if ", n, u64," in line).rpartition(", ")[2])
    assert sum(counts.values()) == n
    assert list(counts) == sorted(counts)
    assert counts["_start.command_export;_start;__original_main;fib"] == 1


def test_two_profiles_and_a_trap(capfd, tmp_path) -> None:
    """After a trap the values so far are written (as the partial report prints them); the exit status
    stays the trap's."""
    app = tmp_path / "traps.wat"
    app.write_text(TRAPS)
    a, b = tmp_path / "a.folded", tmp_path / "b.folded"
    script = PROFILE + " report var depth: map<str, u32>; wasm:func:entry { depth[callstack]++; }"
    status, stdout, _ = whamm_run(capfd, "-e", script, "-a", app, "--folded", f"prof={a}", "--folded", f"depth={b}")
    assert status == 134 and "report (partial: trap)" in stdout
    assert a.read_text() == b.read_text() == "main 1\nmain;work 2\n"


@pytest.mark.parametrize("flag, message", [
    ("prof", "invalid --folded value 'prof': expected VAR=FILE"),
    ("=x", "invalid --folded value '=x': expected VAR=FILE"),
    ("prof=", "invalid --folded value 'prof=': expected VAR=FILE"),
])
def test_malformed_flag_is_a_usage_error(capfd, flag, message) -> None:
    status, _, err = whamm_run(capfd, "-e", PROFILE, "-a", DEMO, "--folded", flag)
    assert status == 2 and f"error: {message}" in err


def test_the_same_file_twice_is_a_usage_error(capfd, tmp_path) -> None:
    f = tmp_path / "x"
    status, _, err = whamm_run(capfd, "-e", PROFILE, "-a", DEMO, "--folded", f"prof={f}", "--folded", f"prof={f}")
    assert status == 2 and f"error: --folded: '{f}' is given twice" in err


def test_bad_profiles_are_refused_before_the_run(capfd, tmp_path) -> None:
    kept = tmp_path / "kept"
    kept.write_text("old\n")
    cases = [
        (f"n={kept}", f"error: --folded n={kept}: `n` is not a profile: its type is u64"),
        (f"x={kept}", f"error: --folded x={kept}: no report variable `x` (there are: n, prof)"),
        (f"prof={tmp_path}", f"cannot write '{tmp_path}': it exists and is a directory"),
        (f"prof={tmp_path / 'no' / 'f'}", f"cannot write '{tmp_path / 'no' / 'f'}': no such directory"),
    ]
    for flag, message in cases:
        status, stdout, err = whamm_run(capfd, "-e", PROFILE, "-a", DEMO, "--folded", flag)
        assert status == 1 and message in err, (flag, err)
        assert stdout == ""                                        # the program never ran
    assert kept.read_text() == "old\n"


def test_not_with_a_wei_monitor(capfd, tmp_path) -> None:
    status, _, err = whamm_run(capfd, "--wei-monitor", tmp_path / "m.wasm", "-a", DEMO, "--folded", "p=f")
    assert status == 2 and "--folded is not supported with --wei-monitor" in err


# ------------------------------------------------------------------ the helpers, on synthetic values

def values(name: str, *maps: dict[bytes, int], t=MapType(Prim.STR, Prim.I32)) -> list[ReportValue]:
    var = ReportVar(name, "global", t, None, None, None, None, MapLocation(0))
    return [ReportValue(var, m) for m in maps]


def test_per_site_maps_are_summed_and_the_empty_stack_is_named() -> None:
    counts = profile_counts("p", values("p", {b"a;b": 2, b"": 1}, {b"a;b": 3, b"a": 0}))
    assert counts == {"": 1, "a": 0, "a;b": 5}
    assert folded_text(counts) == f"{EMPTY_STACK} 1\na;b 5\n"


@pytest.mark.parametrize("entries, message", [
    ({b"a": -1}, "`p`: the stack 'a' has a negative count (-1)"),
    ({b"a\nb": 1}, "`p`: the key 'a\\nb' has a line break"),
])
def test_values_a_folded_file_cannot_hold(entries, message) -> None:
    with pytest.raises(ProfileError) as info:
        profile_counts("p", values("p", entries))
    assert message in str(info.value)


def test_flame_lines_order_hottest_first_ties_by_name() -> None:
    """m and x tie at 4 samples: m (by name) comes first, with its subtree under it."""
    lines = flame_lines({"m;b": 1, "m;a": 1, "m;c": 2, "x": 4})
    assert [line.split()[-1] for line in lines[1:]] == ["all", "m", "c", "a", "b", "x"]
    assert lines[1].split()[:3] == ["100.00%", "8", "0"] and lines[2].split()[:3] == ["50.00%", "4", "0"]
    assert flame_lines({}) == [] and flame_lines({"a": 0}) == []


# ------------------------------------------------------------------------------------- --format text

SCRIPT = ("report var h: hist; report var s: stats; report var m: map<str, u32>; report var total: u64; "
          "wasm:opcode:call:before { report var calls: u32; calls++; h.add(fid); s.add(fid); m[fname]++; "
          "total++; }")


def _csv_rows(stdout: str) -> tuple[str, list[dict[str, str]]]:
    """The program's output before the report banner, and the report's rows (fields are separated by
    ``", "``; a type such as ``map<str,u32>`` has no space after its comma)."""
    program, _, report = stdout.partition("\n=====")
    header, *lines = report.splitlines()[1:]           # after the rest of the banner line
    names = header.split(", ")
    return program, [dict(zip(names, line.split(", ", len(names) - 1))) for line in lines]


def test_text_report_shows_the_csv_reports_values(capfd) -> None:
    for app in (DEMO, SORT_HASH):
        status, text_out, err = whamm_run(capfd, "-e", SCRIPT, "-a", app, "--format", "text")
        assert status == 0, err
        status, csv_out, err = whamm_run(capfd, "-e", SCRIPT, "-a", app)
        assert status == 0, err
        program, rows = _csv_rows(csv_out)
        assert text_out.startswith(program + "\n") and "=====" not in text_out
        text = text_out[len(program):]
        by_name = {row["name"]: row for row in rows if not row["fid"]}
        assert f"\ntotal: {by_name['total']['value(s)']}\n" in text
        count, total = (int(by_name["s"]["value(s)"].split()[k].partition("=")[2]) for k in (0, 1))
        assert f"\n@s: count {count}, average {total // count}, total {total}," in text
        sites = [row for row in rows if row["name"] == "calls"]
        assert len(sites) > 3
        for row in sites:                  # every per-site row, named after its site, with its value
            assert f"\ncalls ({row['fname']}, pc {row['pc']}): {row['value(s)']}\n" in text
        m = dict(entry.split("->") for entry in by_name["m"]["value(s)"].split(";"))
        printed = [line for line in text.splitlines() if line.startswith("m[")]
        assert sorted(printed) == sorted(f"m[{k}]: {v}" for k, v in m.items())
        values = [int(line.rpartition(": ")[2]) for line in printed]
        assert values == sorted(values, reverse=True)                  # hottest first
        assert "\n@h:\n" in text and sum(int(line.partition("|")[0].split()[-1]) for line in text.splitlines()
                                         if line.startswith("[")) == count


def test_a_trap_gives_a_partial_text_report(capfd, tmp_path) -> None:
    app = tmp_path / "traps.wat"
    app.write_text(TRAPS)
    status, out, err = whamm_run(capfd, "-e", "report var n: u32; wasm:func:entry { n++; }", "-a", app,
                                 "--format", "text")
    assert status == 134 and "unreachable" in err
    assert out == "\nreport (partial: trap)\nn: 3\n"


def test_flags_it_cannot_be_combined_with(capfd) -> None:
    for extra in (["--no-report"], ["--format", "xml"]):
        status, out, err = whamm_run(capfd, "-e", SCRIPT, "-a", DEMO, "--format", "text", *extra)
        assert status == 2 and out == "" and ("--no-report" in err or "xml" in err)
