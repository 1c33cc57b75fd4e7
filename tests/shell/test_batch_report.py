"""Batch mode: ``report [VAR|N] [--sort COL] [--top K] [--csv FILE|--json FILE]`` — values read from the
live instance, the CSV exactly what ``whamm run`` prints."""
import json

from compiler import api

BRANCHES = ("report var calls: map<u32, u32>; wasm:opcode:call:before { calls[imm0]++; }; "
            "wasm:opcode:br_if:before { report var taken: u32; if (arg0 != 0) { taken++; } }; run")


def table(out: str) -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["name", "probe"])
    return [line.split() for line in lines[start + 2:]]


def test_report_table_columns(shell) -> None:
    r = shell("-c", BRANCHES + "; report")
    assert r.status == 0, r.err
    header = next(line for line in r.out.splitlines() if line.startswith("name"))
    assert header.split() == ["name", "probe", "probe_id", "fname", "fid", "pc", "value"]
    rows = table(r.out)
    # print_num's digit loop branches back once per extra digit: 14, 27 and 111 → 4; collatz's exit
    # test is taken once per call → 2.
    assert rows[0] == ["taken", "2", "1_wasm:opcode:br_if:before", "print_num", "3", "38", "4"]
    assert rows[1] == ["taken", "2", "1_wasm:opcode:br_if:before", "collatz", "4", "12", "2"]
    assert rows[-1] == ["calls", "0->33;1->33;2->9;3->13;4->2;5->3;6->2"]


def test_filter_by_variable_or_probe_and_sort_top(shell) -> None:
    r = shell("-c", BRANCHES + "; report taken --sort value --top 1")
    assert table(r.out) == [["taken", "2", "1_wasm:opcode:br_if:before", "print_num", "3", "38", "4"]]
    by_probe = table(shell("-c", BRANCHES + "; report 2").out)
    assert [row[0] for row in by_probe] == ["taken", "taken"]
    by_fid = table(shell("-c", BRANCHES + "; report --sort fid").out)
    assert [row[4] for row in by_fid[:2]] == ["3", "4"]


def test_csv_is_what_whamm_run_prints(DEMO, DEMO_OUTPUT, run_wasm, shell, tmp_path) -> None:
    csv, script = tmp_path / "r.csv", tmp_path / "s.mm"
    r = shell("-c", BRANCHES + f"; report --csv {csv}; save {script}")
    assert f"wrote 3 rows to {csv}" in r.out
    status, printed = run_wasm(api.instrument(api.load_app(DEMO), script.read_text()).wasm)
    assert printed == DEMO_OUTPUT + "\n" + csv.read_text()
    assert csv.read_text().splitlines()[1].startswith("id, id_type, name, whamm_type")


def test_json_rows(shell, tmp_path) -> None:
    out = tmp_path / "r.json"
    shell("-c", BRANCHES + f"; report calls --json {out}")
    [row] = json.loads(out.read_text())
    assert row["name"] == "calls" and row["kind"] == "map" and row["whamm_type"] == "map<u32,u32>"
    assert {"key": 2, "value": 9} in row["value"]


def test_report_errors(CALLS, shell) -> None:
    assert "error: no run yet: type `run` first" in shell("-s", CALLS, "-c", "report").err
    r = shell("-s", CALLS, "-c", "run; report nope")
    assert "error: no report variable `nope` in the last run (there are: count)" in r.err
    assert "cannot sort by `size`" in shell("-s", CALLS, "-c", "run; report --sort size").err
    assert "unknown option `--frob`" in shell("-s", CALLS, "-c", "run; report --frob").err
    assert "--csv and --json cannot be combined" in shell("-s", CALLS, "-c", "run; report --csv a --json b").err
