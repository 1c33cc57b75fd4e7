"""The ready-made tools (ANALYSIS.md §7, docs/TOOLS.md) checked against oracles that do not share
their code: a Python model of ``work.wat`` (whose counts are computable by hand), and counters written
differently (a global instruction counter, per-site instruction counters summed per function) run
separately on the same program.  Each table is parsed back from the text ``whamm run --tool`` prints.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from compiler import api
from compiler.cli import main
from compiler.report.live import read_report_values
from compiler.runner import RunOptions
from compiler.tools import ToolError, find_tool, tool_names, tool_script, tool_table
from compiler.tools.tables import TABLES

HERE = Path(__file__).parent
WORK = HERE / "work.wat"
INTERP = HERE.parent / "corpus" / "c" / "interp.wasm"


def _values(app: Path, script: str, name: str = "tool"):
    result = api.instrument(app, script, script_name=name, options=api.Options(no_report=True))
    outcome = api.run(result, RunOptions((app.name,)))
    assert outcome.status == 0, outcome.error_text
    return read_report_values(result.layout, outcome)


def _table(app: Path, name: str) -> list[str]:
    lines = tool_table(name, _values(app, tool_script(name).text))
    assert lines is not None
    return lines


def _rows(lines: list[str], header: str) -> list[list[str]]:
    """The rows under ``header`` (the line that starts the table) and its ``---`` rule, up to a blank or
    a line that is not a row."""
    start = next(i for i, line in enumerate(lines) if line.split() == header.split())
    columns = len(lines[start + 1].split())         # the rule: one run of dashes per column
    out = []
    for line in lines[start + 2:]:
        if not re.match(r"\s*(\d+|#####)\s", line) or len(line.split()) != columns:
            break
        out.append(line.split())
    return out


@functools.cache
def _fib_calls(n: int) -> int:
    return 1 if n < 2 else 1 + _fib_calls(n - 1) + _fib_calls(n - 2)


@functools.cache
def _fib_leaves(n: int) -> int:
    """How many fib(n) calls take the `if`'s then-arm (n < 2)."""
    return 1 if n < 2 else _fib_leaves(n - 1) + _fib_leaves(n - 2)


@pytest.fixture(scope="module")
def work_total() -> int:
    """The instructions work.wat executes, by a global counter (coalesced: one add per straight line)."""
    values = _values(WORK, "report var n: u64; wasm:opcode:*:before { n++; }")
    return next(v.value for v in values if v.var.name == "n")


def test_calls_match_a_python_model_of_the_program() -> None:
    lines = _table(WORK, "calls")
    rows = {r[2]: int(r[0]) for r in _rows(lines, "calls fid function")}
    assert rows == {"fib": _fib_calls(10), "tick": 4, "loop": 1, "main": 1}
    assert [int(r[0]) for r in _rows(lines, "calls fid function")] == sorted(rows.values(), reverse=True)
    assert lines[-1] == f"{_fib_calls(10) + 6} calls of 4 functions; 2 functions never called"


def test_branches_are_hand_computable() -> None:
    lines = _table(WORK, "branches")
    rows = {(r[5], r[4], int(r[3])): (int(r[0]), int(r[1])) for r in _rows(lines, "taken not taken fid pc branch function")}
    fib_if = [k for k in rows if k[0] == "fib"]
    loop_ifs = sorted(k for k in rows if k[:2] == ("loop", "if"))
    assert rows[fib_if[0]] == (_fib_leaves(10), _fib_calls(10) - _fib_leaves(10))
    assert [rows[k] for k in loop_ifs] == [(4, 6), (0, 10)]        # i % 3 == 0; i > 100
    assert [v for k, v in rows.items() if k[1] == "br_if"] == [(9, 1)]  # the loop's back edge
    assert lines[-1] == "4 branches ran; 1 branch never ran"        # dead's br_if


def test_coverage_blocks_follow_the_known_paths(work_total) -> None:
    lines = _table(WORK, "coverage")
    blocks = _rows(lines, "runs fid pc instrs function")
    runs = [(r[4], int(r[2]), 0 if r[0] == "#####" else int(r[0]), int(r[3])) for r in blocks]
    never = [(f, pc) for f, pc, n, _ in runs if n == 0]
    # never and dead are never called; in loop only the then-arm of `if (i > 100)` (its call of never)
    assert {f for f, _ in never} == {"never", "dead", "loop"}
    assert all(n == 0 for f, _, n, _ in runs if f in ("never", "dead"))
    branch_rows = _rows(_table(WORK, "branches"), "taken not taken fid pc branch function")
    untaken_if = next(int(r[3]) for r in branch_rows if r[5] == "loop" and r[0] == "0")
    back_edge = next(int(r[3]) for r in branch_rows if r[4] == "br_if")
    assert all(untaken_if < pc < back_edge for f, pc, _, _ in runs if f == "loop" and (f, pc) in never)
    assert {n for f, _, n, _ in runs if f == "loop" and n} == {1, 4, 10}
    # every instruction executed is in exactly one block: runs × size sums to the instruction count
    assert sum(n * size for _, _, n, size in runs) == work_total
    assert lines[0] == f"blocks: {len(runs) - len(never)} of {len(runs)} ran ({100 * (len(runs) - len(never)) / len(runs):.1f}%)"


def test_flame_sums_to_an_independent_instruction_counter(work_total) -> None:
    counts = api.profile_counts("flame", _values(WORK, tool_script("flame").text))
    assert sum(counts.values()) == work_total
    assert counts["main"] == 6                                 # i32.const call drop call drop end
    assert counts["main;loop;tick"] == 4 * 4                   # local.get i32.const i32.mul end, 4 calls


def test_flame_per_function_matches_per_site_counters_on_a_c_program() -> None:
    """Each stack's count belongs to its last frame: summed per function, the profile is each
    function's own instruction count, which per-site counters give without any call stack."""
    counts = api.profile_counts("flame", _values(INTERP, tool_script("flame").text))
    per_site = _values(INTERP, "wasm:opcode:*:before { report var n: u64; n++; }")
    expected: dict[str, int] = {}
    for v in per_site:
        expected[v.var.display_fname] = expected.get(v.var.display_fname, 0) + v.value
    got: dict[str, int] = {}
    for stack, n in counts.items():
        got[stack.split(";")[-1]] = got.get(stack.split(";")[-1], 0) + n
    assert got == {f: n for f, n in expected.items() if n}


# ------------------------------------------------------------------------------ catalog and arguments

def test_every_tool_is_documented_and_has_a_table() -> None:
    assert tool_names() == sorted(TABLES)
    for name in tool_names():
        tool = find_tool(name)
        assert tool.summary and tool.doc.count("\n") >= 2 and tool.report_variables


def test_arguments_are_validated_and_substituted_as_literals() -> None:
    text = tool_script("deny", ['sec"ret/{{X}}', "perm"]).text
    assert 'path.starts_with("sec\\"ret/{{X}}")' in text and "return ERRNO_PERM;" in text
    assert "return ERRNO_ACCES;" in tool_script("deny", ["x/"]).text           # the default
    for args, message in [(("nope",), "unknown tool `nope` (tools: branches, calls, coverage, deny, files, "
                                      "flame, syscalls)"),
                          (("deny",), "tool deny needs PATH_PREFIX (usage: deny PATH_PREFIX [ERRNO])"),
                          (("deny", "x", "zz"), "tool deny: ERRNO `zz` is not a WASI errno name"),
                          (("deny", ""), "tool deny: PATH_PREFIX must not be empty"),
                          (("calls", "x"), "tool calls takes no arguments (usage: calls); got 1")]:
        with pytest.raises(ToolError) as info:
            tool_script(args[0], args[1:])
        assert str(info.value).startswith(message)


# ------------------------------------------------------------------------------------ the command line

def _whamm(capfd, *argv: str) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out, err = capfd.readouterr()
    return status, out, err


def test_run_prints_the_table_then_the_other_variables(capfd) -> None:
    status, out, err = _whamm(capfd, "run", "--tool", "calls", "-e", "report var n: u32; wasm:func:entry { n++; }",
                              "-a", WORK)
    assert (status, err) == (0, "")
    assert out.startswith("\ncalls:\ncalls  fid  function\n-----  ---  --------\n  177    0  fib\n")
    assert out.endswith("183 calls of 4 functions; 2 functions never called\n\nn: 183\n")
    status, out, _ = _whamm(capfd, "run", "--tool", "calls", "--format", "csv", "-a", WORK)
    assert status == 0 and "REPORT CSV FLUSH" in out and "calls:" not in out


@pytest.mark.parametrize("argv, message", [
    (("--tool", "nope"), "error: unknown tool `nope`"),
    (("--tool", "deny"), "error: tool deny needs PATH_PREFIX"),
    (("--tool", "calls", "--tool", "calls"), "error: --tool calls is given twice"),
    (("-e", "wasm:begin {}", "--format", "table"), "error: --format table shows the tables of --tool"),
    (("--tool", "calls", "--no-report", "--format", "table"), "error: --format table prints the report"),
])
def test_bad_tool_command_lines_exit_2(capfd, argv, message) -> None:
    status, out, err = _whamm(capfd, "run", *argv, "-a", WORK)
    assert (status, out) == (2, "") and err.startswith(message)


def test_the_engine_target_takes_a_tool_or_refuses_it(capfd, tmp_path) -> None:
    status, _, err = _whamm(capfd, "instr", "--wei", "--tool", "calls", "-o", tmp_path / "calls.wasm")
    assert (status, err) == (0, "") and (tmp_path / "calls.wasm").stat().st_size > 0
    status, _, err = _whamm(capfd, "instr", "--wei", "--tool", "flame", "-o", tmp_path / "flame.wasm")
    assert status == 1 and not (tmp_path / "flame.wasm").exists()
    assert err == ("error: tool flame is not accepted by the wei target: `callstack` is not supported by the wei "
                   "target (use the rewriting target: whamm instr or whamm run)\n")


# ------------------------------------------------------------------ WASI tools on tests/corpus/wasi/files.c

FILES = HERE.parent / "corpus" / "wasi" / "files.wasm"


def _trace_model(program_out: str) -> tuple[dict[str, tuple[int, list[str]]], dict[str, int], dict[str, int]]:
    """What files.c says it did (its ``call NAME key=value`` lines): per path the successful opens and
    the failed opens' errno numbers, bytes read and bytes written through its own calls."""
    fds: dict[str, str] = {"1": "<stdout>", "2": "<stderr>"}
    opens: dict[str, tuple[int, list[str]]] = {}
    read: dict[str, int] = {}
    written: dict[str, int] = {}
    for line in program_out.splitlines():
        if not line.startswith("call "):
            continue
        name, *pairs = line.split()[1:]
        kv = dict(p.split("=", 1) for p in pairs)
        if name == "path_open":
            path = "/sandbox/" + kv["path"]
            ok, failed = opens.get(path, (0, []))
            if kv["errno"] == "0":
                fds[kv["opened_fd"]] = path
                opens[path] = (ok + 1, failed)
            else:
                opens[path] = (ok, [*failed, kv["errno"]])
        elif name == "fd_renumber":
            fds[kv["to"]] = fds.pop(kv["fd"])
        elif name == "fd_read":
            read[fds[kv["fd"]]] = read.get(fds[kv["fd"]], 0) + int(kv["nread"])
        elif name == "fd_write" and kv["fd"] not in ("1", "2"):
            written[fds[kv["fd"]]] = written.get(fds[kv["fd"]], 0) + int(kv["nwritten"])
    return opens, read, written


def test_files_and_deny_against_the_programs_own_trace(capfd, tmp_path) -> None:
    (tmp_path / "secret").mkdir()
    status, out, err = _whamm(capfd, "run", "--tool", "files", "--tool", "deny:secret/", "-a", FILES,
                              "--dir", f"{tmp_path}::/sandbox")
    assert status == 0, err
    program, _, tables = out.partition("\nfiles:\n")
    lines = tables.splitlines()
    rows = {r[-1]: r for r in (line.split() for line in lines[2:lines.index("")])}
    opens, read, written = _trace_model(program)
    assert "call path_open fd=3 path=secret/key.txt oflags=1 errno=2 opened_fd=0" in program   # 2: acces
    errno_names = {"2": "acces", "44": "noent"}
    for path, (ok, failed) in opens.items():
        row = rows[path]
        assert int(row[0]) == ok
        assert row[1:-3] == ([f"{len(failed)}", errno_names[failed[0]]] if failed else [])
        assert (int(row[-3]), int(row[-2])) == (read.get(path, 0), written.get(path, 0))
    # every byte the program wrote to stdout and stderr, its libc's printf included
    assert int(rows["<stdout>"][-2]) == len(program.encode()) and int(rows["<stderr>"][-2]) == len(err.encode())
    assert lines[lines.index("deny secret/:") + 3].split() == ["1", "secret/key.txt"]
    # the denied file was never created; the others were, and still work
    assert not (tmp_path / "secret" / "key.txt").exists()
    assert (tmp_path / "notes.txt").stat().st_size == written["/sandbox/notes.txt"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "other.txt", "renamed.txt", "secret"]


def test_without_deny_the_file_is_created(capfd, tmp_path) -> None:
    (tmp_path / "secret").mkdir()
    status, out, err = _whamm(capfd, "run", "--tool", "files", "-a", FILES, "--dir", f"{tmp_path}::/sandbox")
    assert status == 0, err
    assert "path=secret/key.txt oflags=1 errno=0" in out and (tmp_path / "secret" / "key.txt").exists()
