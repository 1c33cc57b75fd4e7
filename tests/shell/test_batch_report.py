"""Batch mode: ``report [VAR|N] [--sort COL] [--top K] [--csv FILE|--json FILE]`` — values read from the
live instance, the CSV exactly what ``whamm run`` prints."""
import json

from compiler import api

BRANCHES = ("report var calls: map<u32, u32>; wasm:opcode:call:before { calls[imm0]++; }; "
            "wasm:opcode:br_if:before { report var taken: u32; if (arg0 != 0) { taken++; } }; run")


def tables(out: str) -> list[list[list[str]]]:
    """Every report table in ``out`` (each ends where the next one starts, the last at the end)."""
    found: list[list[list[str]]] = []
    for line in out.splitlines():
        if line.split()[:2] == ["name", "probe"]:
            found.append([])
        elif found and not line.startswith("---"):
            found[-1].append(line.split())
    return found


def table(out: str) -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["name", "probe"])
    return [line.split() for line in lines[start + 2:]]


def test_report_table_columns(shell) -> None:
    r = shell("-c", BRANCHES + "; report")
    assert r.status == 0, r.err
    header = next(line for line in r.out.splitlines() if line.startswith("name"))
    assert header.split() == ["name", "probe", "probe_id", "fname", "fid", "pc", "key", "value"]
    rows = table(r.out)
    # hottest first, one row per key of the map; print_num's digit loop branches back once per extra
    # digit: 14, 27 and 111 → 4; collatz's exit test is taken once per call → 2.  Ties keep report order.
    assert rows == [["calls", "0", "33"], ["calls", "1", "33"], ["calls", "3", "13"], ["calls", "2", "9"],
                    ["taken", "2", "1_wasm:opcode:br_if:before", "print_num", "3", "38", "4"],
                    ["calls", "5", "3"],
                    ["taken", "2", "1_wasm:opcode:br_if:before", "collatz", "4", "12", "2"],
                    ["calls", "4", "2"], ["calls", "6", "2"]]


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
    rows = json.loads(out.read_text())
    assert [(row["key"], row["value"]) for row in rows] == [(0, 33), (1, 33), (3, 13), (2, 9), (5, 3), (4, 2),
                                                            (6, 2)]
    assert {(row["name"], row["kind"], row["whamm_type"], row["text"]) for row in rows[:1]} == {
        ("calls", "map", "map<u32,u32>", "33")}
    scalar = tmp_path / "t.json"
    shell("-c", BRANCHES + f"; report taken --json {scalar}")
    assert [(row["fname"], row["key"], row["value"]) for row in json.loads(scalar.read_text())] == [
        ("print_num", None, 4), ("collatz", None, 2)]


def test_report_errors(CALLS, shell) -> None:
    assert "error: no run yet: type `run` first" in shell("-s", CALLS, "-c", "report").err
    r = shell("-s", CALLS, "-c", "run; report nope")
    assert "error: no report variable `nope` in the last run (there are: count)" in r.err
    assert "cannot sort by `size`" in shell("-s", CALLS, "-c", "run; report --sort size").err
    assert "unknown option `--frob`" in shell("-s", CALLS, "-c", "run; report --frob").err
    assert "--csv and --json cannot be combined" in shell("-s", CALLS, "-c", "run; report --csv a --json b").err


# ------------------------------------------------------------------ maps: one row per key (issue 12 item 2)

CALLGRAPH = ("report var edges: map<(u32, u32), u32>; report var names: map<str, u32>; "
             "wasm:opcode:call:before { edges[(fid, imm0)]++; names[fname]++; }; run")


def test_a_tuple_key_is_one_column_per_element_and_sorts_by_any(shell) -> None:
    r = shell("-c", CALLGRAPH + "; report edges --sort key1 --top 3")
    header = next(line for line in r.out.splitlines() if line.startswith("name"))
    assert header.split() == ["name", "probe", "probe_id", "fname", "fid", "pc", "key0", "key1", "value"]
    # print (1) calls fd_write (0) 33 times, print_num (3) and show_calc (5) call print (1) 13 and 12 times
    assert table(r.out) == [["edges", "1", "0", "33"], ["edges", "3", "1", "13"], ["edges", "5", "1", "12"]]
    by_key = table(shell("-c", CALLGRAPH + "; report edges --sort key --top 2").out)
    assert by_key == [["edges", "1", "0", "33"], ["edges", "2", "2", "6"]]


def test_string_keys_sort_top_and_summarise(shell) -> None:
    r = shell("-c", CALLGRAPH + "; report names --top 2")
    lines = r.out.splitlines()
    assert "report: 18 rows of edges, names" in lines
    summary = lines.index("report: 18 rows of edges, names")
    assert lines[summary + 1:summary + 3] == ["  edges[1, 0] = 33", "  names[print] = 33"]
    assert table(r.out) == [["names", "print", "33"], ["names", "show_calc", "24"]]


def test_csv_of_chosen_map_rows_keeps_the_upstream_format(shell, tmp_path) -> None:
    csv = tmp_path / "top.csv"
    r = shell("-c", BRANCHES + f"; report --top 3 --csv {csv}")
    assert f"wrote 1 row to {csv}" in r.out
    assert csv.read_text().splitlines()[-1].endswith(", calls, map<u32,u32>, i32, script0, , , , , 0->33;1->33;3->13")


def test_plot_a_map_with_tuple_keys(shell) -> None:
    r = shell("-c", CALLGRAPH + "; plot edges --top 2")
    bars = [(line.split()[0], line.split()[-1]) for line in r.out.splitlines() if "█" in line]
    assert bars == [("1,0", "33"), ("3,1", "13")]


# ------------------------------------------------------ order: hottest first, --asc, --nonzero (item 3)

ENTRIES = "wasm:func:entry { report var entries: u32; entries++; }; run"


def test_hottest_first_and_asc(shell) -> None:
    r = shell("-c", ENTRIES + "; report entries --top 2; report entries --asc --top 2; report --asc")
    top, bottom, everything = tables(r.out)
    assert [(row[3], row[-1]) for row in top] == [("print", "33"), ("print_num", "13")]
    assert [(row[3], row[-1]) for row in bottom] == [("main", "1"), ("collatz", "2")]   # ties: report order
    assert [int(row[-1]) for row in everything] == [1, 2, 2, 3, 9, 13, 33]


def test_nonzero_drops_zeros_and_empty_maps(shell) -> None:
    r = shell("-c", "report var zero: u32; report var none: map<u32, u32>; " + BRANCHES
                    + "; report --sort name; report --nonzero --sort name")
    assert r.status == 0, r.err
    every, nonzero = tables(r.out)
    assert ["none", "empty", "map"] in every and ["zero", "0"] in every
    assert {row[0] for row in nonzero} == {"calls", "taken"} and len(nonzero) == len(every) - 2
    none = shell("-c", "report var zero: u32; wasm:func:entry { }; run; report --nonzero")
    assert none.out.splitlines()[-1] == "no rows to show (1 row before --nonzero/--top)"


def test_the_run_summary_shows_the_largest_rows(REPO, shell) -> None:
    r = shell(REPO / "tests" / "corpus" / "c" / "sort_hash.wasm", "-c",
              "wasm:func:entry { report var calls: u32; calls++; }; run")
    lines = r.out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("report: "))
    values = [int(line.rsplit(" = ", 1)[1]) for line in lines[start + 1:start + 6]]
    assert values == sorted(values, reverse=True) and values[0] > 10_000
    assert lines[start + 6].startswith("  … ") and lines[start + 6].endswith(" more rows; use `report`")


# --------------------------------------------------------------------------------------- report --diff

def test_diff_between_the_last_two_runs(shell) -> None:
    r = shell("-c", BRANCHES + "; probe edit 1 wasm:opcode:call:before / imm0 != 1 / { calls[imm0]++; calls[imm0]++; }; "
                    "probe disable 2; wasm:func:entry / fname == \"main\" / { report var mains: u32; mains++; }; "
                    "run; report --diff")
    assert r.status == 0, r.err
    assert "since the previous run: 6 changed, 1 new, 3 gone, 0 unchanged" in r.out
    header = next(line for line in r.out.splitlines() if line.startswith("name  ") and "delta" in line)
    assert header.split() == ["name", "probe", "fname", "fid", "pc", "key", "old", "new", "delta"]
    rows = table(r.out)
    assert rows[0] == ["calls", "0", "33", "66", "+33"]
    assert ["calls", "1", "33", "gone"] in rows
    assert ["taken", "2", "print_num", "3", "38", "4", "gone"] in rows
    assert ["mains", "3", "main", "7", "1", "1", "new"] in rows


def test_diff_of_one_variable_and_of_identical_runs(shell) -> None:
    same = shell("-c", BRANCHES + "; run; report --diff")
    assert "no change since the previous run (9 rows)" in same.out
    one = shell("-c", BRANCHES + "; probe edit 1 wasm:opcode:call:before { calls[imm0]++; calls[0]++; }; run; "
                                 "report calls --diff --top 1")
    assert "since the previous run: 1 changed, 0 new, 0 gone, 6 unchanged" in one.out
    assert table(one.out) == [["calls", "0", "33", "128", "+95"]]


def test_diff_errors(CALLS, shell) -> None:
    r = shell("-s", CALLS, "-c", "run; report --diff")
    assert r.status == 1
    assert "error: report --diff compares the last two runs: there is only one so far (`run` again)" in r.err
    clash = shell("-s", CALLS, "-c", "run; run; report --diff --csv x.csv")
    assert "--diff cannot be combined with --csv" in clash.err


def test_src_sorts_and_goes_to_json_for_a_g_program(REPO, shell, tmp_path) -> None:
    """On a -g program the ``src`` column the table shows (the site's file:line) is a column like the
    others: ``--sort src`` orders by file then line number, ``--json`` carries it, row for row."""
    lines_wasm = REPO / "tests" / "corpus" / "dwarf" / "lines.wasm"
    out = tmp_path / "r.json"
    r = shell(lines_wasm, "-c", "wasm:opcode:br_if:before / fname == \"collatz_steps\" || fname == \"classify\" / "
                                "{ report var n: u32; n++; }; run; report --sort src --all; "
                                f"report --sort src --json {out}")
    assert r.status == 0, r.err
    header = next(line for line in r.out.splitlines() if line.startswith("name"))
    assert header.split() == ["name", "probe", "probe_id", "fname", "fid", "pc", "src", "value"]
    shown = [(row[3], int(row[5]), row[6]) for row in table(r.out) if row[0] == "n"]
    rows = json.loads(out.read_text())
    assert [(row["fname"], row["pc"], row["src"]) for row in rows] == shown and len(shown) >= 5
    smap = api.source_map(api.load_app(lines_wasm).module)
    assert [s for _, _, s in shown] == [smap.location_at_pc(row["fid"], row["pc"]).short for row in rows]
    order = [(s.split(":")[0], int(s.split(":")[1])) for _, _, s in shown]
    assert order == sorted(order) and len({line for _, line in order}) > 2
    # without DWARF there is no such column to sort by, nor a src field
    demo = tmp_path / "d.json"
    r = shell("-c", BRANCHES + f"; report --json {demo}; report --sort src")
    assert r.status == 1 and "cannot sort by `src`" in r.err
    assert all("src" not in row for row in json.loads(demo.read_text()))
