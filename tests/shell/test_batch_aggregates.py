"""Batch mode: aggregates (ANALYSIS.md §1) in ``report``, ``plot`` and ``report --json``.

The demo's call sites see a known set of first arguments; the expected buckets and statistics below
come from the same values printed by the program's own report (``whamm run``'s CSV), so the shell's
reading of the live instance is checked against the runtime's formatting."""
from __future__ import annotations

import json

import pytest

AGGREGATES = ("report var h: hist; report var s: stats; report var l: lhist(0, 20, 5); "
              "report var m: map<u32, stats>; "
              "wasm:opcode:call(arg0: i32):before { h.add(arg0); s.add(arg0); l.add(arg0); m[imm0].add(arg0); }; "
              "run")

H_LINES = [
    "@h:",
    "[0]                    5 |@@@@@@                                              |",
    "[1]                   15 |@@@@@@@@@@@@@@@@@@@                                 |",
    "[2, 4)                12 |@@@@@@@@@@@@@@@                                     |",
    "[4, 8)                18 |@@@@@@@@@@@@@@@@@@@@@@@                             |",
    "[8, 16)               40 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|",
    "[16, 32)               4 |@@@@@                                               |",
    "[32, 64)               0 |                                                    |",
    "[64, 128)              1 |@                                                   |",
]


@pytest.fixture(scope="module")
def reported(shell):
    r = shell("-c", f"{AGGREGATES}; report")
    assert r.status == 0, r.err
    return r.out


def test_report_shows_counts_stats_columns_and_histograms(reported) -> None:
    table = reported[reported.index("name  probe"):].splitlines()
    assert table[0].split() == ["name", "probe", "probe_id", "fname", "fid", "pc", "key", "value",
                                "sum", "min", "max", "avg"]
    rows = [line.split() for line in table[2:] if line and line[0] in "hlsm" and not line.startswith("@")]
    # an aggregate's value is its count; stats rows fill sum, min, max, avg (avg truncated: 681 / 95)
    assert ["h", "95"] in rows and ["l", "95"] in rows
    assert ["s", "95", "681", "0", "111", "7"] in rows
    assert ["m", "3", "13", "203", "0", "111", "15"] in rows
    # histograms are drawn below the table as bpftrace prints them
    drawn = reported.splitlines()
    start = drawn.index("@h:")
    assert drawn[start:start + len(H_LINES)] == H_LINES
    assert "[20, ...)              4 |@@@@" in reported


def test_report_sorts_by_a_stats_column(shell) -> None:
    r = shell("-c", f"{AGGREGATES}; report m --sort avg --asc --top 2")
    assert r.status == 0, r.err
    rows = [line.split() for line in r.out[r.out.index("name  probe"):].splitlines()[2:]]
    assert [row[1] for row in rows] == ["2", "5"]           # avg 1, avg 2


def test_report_json_structures_aggregates(shell, tmp_path) -> None:
    out = tmp_path / "r.json"
    r = shell("-c", f"{AGGREGATES}; report --json {out}")
    assert r.status == 0, r.err
    rows = {(row["name"], json.dumps(row["key"])): row for row in json.loads(out.read_text())}
    assert rows[("s", "null")]["value"] == {"count": 95, "sum": 681, "min": 0, "max": 111, "avg": 7}
    assert rows[("m", "4")]["value"] == {"count": 2, "sum": 33, "min": 6, "max": 27, "avg": 16}
    assert rows[("h", "null")]["value"][:3] == [{"lo": 0, "hi": 1, "count": 5}, {"lo": 1, "hi": 2, "count": 15},
                                                {"lo": 2, "hi": 4, "count": 12}]
    assert rows[("h", "null")]["value"][-1] == {"lo": 64, "hi": 128, "count": 1}
    # the linear histogram's open upper end is null; only non-empty buckets are listed
    assert rows[("l", "null")]["value"] == [
        {"lo": 0, "hi": 5, "count": 36}, {"lo": 5, "hi": 10, "count": 52}, {"lo": 10, "hi": 15, "count": 1},
        {"lo": 15, "hi": 20, "count": 2}, {"lo": 20, "hi": None, "count": 4}]
    assert rows[("h", "null")]["text"] == "0=5 1=15 [2,4)=12 [4,8)=18 [8,16)=40 [16,32)=4 [64,128)=1"


def test_plot_draws_a_histogram_as_bpftrace(shell) -> None:
    r = shell("-c", f"{AGGREGATES}; plot h")
    assert r.status == 0, r.err
    drawn = r.out.splitlines()
    assert drawn[-len(H_LINES):] == H_LINES


def test_plot_a_map_of_histograms_one_per_key(shell) -> None:
    r = shell("-c", "report var hm: map<u32, lhist(0, 10, 5)>; "
                    "wasm:opcode:call(arg0: i32):before / imm0 == 4 || imm0 == 6 / { hm[imm0].add(arg0); }; "
                    "run; plot hm")
    assert r.status == 0, r.err
    assert r.out.splitlines()[-7:] == [
        "@hm[4]:",
        "[5, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|",
        "[10, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|",
        "",
        "@hm[6]:",
        "[5, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|",
        "[10, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|",
    ]


def test_plot_stats_as_bars_of_their_counts(shell) -> None:
    r = shell("-c", f"{AGGREGATES}; plot m --top 2")
    assert r.status == 0, r.err
    bars = [(line.split()[0], line.split()[-1]) for line in r.out.splitlines() if "█" in line]
    assert bars == [("0", "33"), ("1", "33")]
