"""``whamm run --format text`` (ANALYSIS.md §1–§2): the report at exit in bpftrace's human form, read by
whamm from the instance — the same values the module's own CSV report prints, the program's output
unchanged, a partial report after a trap, and the flags it cannot be combined with refused."""
from __future__ import annotations

from pathlib import Path

from compiler.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo" / "app.wasm"
SORT_HASH = ROOT / "tests" / "corpus" / "c" / "sort_hash.wasm"
SCRIPT = ("report var h: hist; report var s: stats; report var m: map<str, u32>; report var total: u64; "
          "wasm:opcode:call:before { report var calls: u32; calls++; h.add(fid); s.add(fid); m[fname]++; "
          "total++; }")
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
