"""The ready-made tools (ANALYSIS.md §7, docs/TOOLS.md) checked against oracles that do not share
their code: a Python model of ``work.wat`` (whose counts are computable by hand), and counters written
differently (a global instruction counter, per-site instruction counters summed per function) run
separately on the same program.  Each table is parsed back from the text ``whamm run --tool`` prints.
"""
from __future__ import annotations

import functools
import os
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
    """Tool ``name``'s table after a run of ``app``, its script built for the app as ``whamm run --tool`` builds it."""
    loaded = api.load_app(app)
    lines = tool_table(name, _values(app, tool_script(name, (), loaded.module).text), loaded)
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
                          # a refused call must not look successful (its result would be garbage)
                          (("deny", "x", "success"), "tool deny: ERRNO must be an error, not `success`"),
                          (("deny", "x", "ERRNO_SUCCESS"), "tool deny: ERRNO must be an error"),
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
    assert out.endswith("  1    5  main\n\n183 calls of 4 functions; 2 functions never called\n\nn: 183\n")
    status, out, _ = _whamm(capfd, "run", "--tool", "calls", "--format", "csv", "-a", WORK)
    assert status == 0 and "REPORT CSV FLUSH" in out and "calls:" not in out


@pytest.mark.parametrize("argv, message", [
    (("--tool", "nope"), "error: unknown tool `nope`"),
    (("--tool", "deny"), "error: tool deny needs PATH_PREFIX"),
    (("--tool", "calls", "--tool", "calls"), "error: --tool calls is given twice"),
    (("-e", "wasm:begin {}", "--format", "table"), "error: --format table shows the tables of --tool"),
    (("--tool", "calls", "--no-report", "--format", "table"), "error: --format table prints the report"),
    (("--tool", "coverage", "--no-body", "--no-pred"), "error: --tool counts in probe bodies: it cannot be combined"),
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


def _calls(program_out: str) -> list[tuple[str, dict[str, str]]]:
    """files.c's own record of its WASI calls: ``call NAME key=value …`` lines (name and fields)."""
    out = []
    for line in program_out.splitlines():
        if line.startswith("call "):
            name, *pairs = line.split()[1:]
            out.append((name, dict(p.split("=", 1) for p in pairs if "=" in p)))
    return out


def _run_files(capfd, tmp_path, *tools: str) -> tuple[str, str, list[str]]:
    """Run files.c with ``tools`` in a fresh sandbox: (its stdout, its stderr, the lines after it)."""
    status, out, err = _whamm(capfd, "run", *(a for tool in tools for a in ("--tool", tool)), "-a", FILES,
                              "--dir", f"{tmp_path}::/sandbox")
    assert status == 0, err
    program, _, tables = out.partition(f"\n{tools[0]}:\n")
    return program, err, [f"{tools[0]}:", *tables.splitlines()]


def _section(lines: list[str], heading: str) -> list[list[str]]:
    """The rows of the table under ``heading``, cut into cells at the columns of its ``---`` rule (a
    blank cell is ``""``), up to the blank line after it; a second rule (before ``strace -c``'s total)
    is skipped."""
    rule = lines[lines.index(heading) + 2]
    spans = [m.span() for m in re.finditer(r"-+", rule)]
    rows = []
    for line in lines[lines.index(heading) + 3:]:
        if not line.strip():
            break
        if line == rule:
            continue
        cells = [line[a:b].strip() for a, b in spans[:-1]] + [line[spans[-1][0]:].strip()]
        rows.append(cells)
    return rows


def test_files_and_deny_against_the_programs_own_record(capfd, tmp_path) -> None:
    program, err, lines = _run_files(capfd, tmp_path, "files", "deny:secret")
    rows = {r[-1]: r for r in _section(lines, "files:")}
    opens: dict[str, list[str]] = {}
    read: dict[str, int] = {}
    written: dict[str, int] = {}
    for name, kv in _calls(program):
        if name == "path_open":
            opens.setdefault(f"{kv['fd_path']}/{kv['path']}", []).append(kv["errno_name"])
        elif name == "fd_read":
            read[kv["fd_path"]] = read.get(kv["fd_path"], 0) + int(kv["nread"])
        elif name == "fd_write" and kv["fd"] not in ("1", "2"):
            written[kv["fd_path"]] = written.get(kv["fd_path"], 0) + int(kv["nwritten"])
    assert opens["/sandbox/secret.txt"] == ["acces"] and opens["/sandbox/missing.txt"] == ["noent"]
    for path, results in opens.items():
        failed = [e for e in results if e != "success"]
        assert rows[path][0] == str(len(results) - len(failed))
        assert rows[path][1] == (f"{len(failed)} {failed[0]}" if failed else "")     # one errno each here
        assert (int(rows[path][-3]), int(rows[path][-2])) == (read.get(path, 0), written.get(path, 0))
    # every byte the program wrote to stdout and stderr, its libc's included
    assert int(rows["<stdout>"][-2]) == len(program.encode()) and int(rows["<stderr>"][-2]) == len(err.encode())
    assert _section(lines, "deny secret:") == [["1", "secret.txt"]]
    assert lines[lines.index("deny secret:") + 5] == "1 denial of 1 path"
    # the denied file was never created; the others were, with what the program wrote
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "other.txt", "renamed.txt"]
    assert (tmp_path / "notes.txt").stat().st_size == written["/sandbox/notes.txt"] > 0


@pytest.mark.parametrize("prefix", ["/sandbox/secret", "/sandbox/s", "/sand", "/sandbox/"])
def test_deny_an_absolute_prefix_as_the_program_names_the_path(capfd, tmp_path, prefix) -> None:
    """path_open receives `secret.txt` under the preopen /sandbox: an absolute prefix is compared with the
    path joined to its directory's fd_path (before, `path` alone never started with `/`: nothing was
    denied).  `/sandbox/s` denies secret.txt only; `/sand` and `/sandbox/` every file under /sandbox."""
    program, _, lines = _run_files(capfd, tmp_path, "files", f"deny:{prefix}")
    denied = sorted(row[1] for row in _section(lines, f"deny {prefix}:"))
    opened = sorted(kv["path"] for name, kv in _calls(program) if name == "path_open")
    if prefix.startswith("/sandbox/s"):
        assert denied == ["secret.txt"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "other.txt", "renamed.txt"]
    else:
        assert denied == sorted(set(opened)) and not (tmp_path / "notes.txt").exists()


def test_without_deny_the_file_is_created(capfd, tmp_path) -> None:
    program, _, _ = _run_files(capfd, tmp_path, "files")
    assert "path=secret.txt oflags=1 opened_fd=5 errno=0" in program and (tmp_path / "secret.txt").exists()


def test_syscalls_against_the_programs_record_and_per_site_counters(capfd, tmp_path) -> None:
    """Calls per function equal per-site counters of every WASI call (another probe, no map, no after);
    errors equal the failures the program recorded (its libc's calls succeed); the program's own calls
    are among those counted; times add up."""
    program, _, lines = _run_files(capfd, tmp_path, "syscalls")
    rows = {r[-1]: r for r in _section(lines, "syscalls:")}
    total = rows.pop("total")
    (sandbox := tmp_path / "again").mkdir()
    result = api.instrument(FILES, "wasi:p1:*:before { report var n: u64; n++; }", options=api.Options(no_report=True))
    outcome = api.run(result, RunOptions((FILES.name,), dirs=((str(sandbox), "/sandbox"),), stdout=os.devnull))
    per_site: dict[str, int] = {}
    for v in read_report_values(result.layout, outcome):
        event = v.var.probe_id.split(":")[2]
        per_site[event] = per_site.get(event, 0) + v.value
    assert {name: int(r[3]) for name, r in rows.items()} == {e: n for e, n in per_site.items() if n}
    own = _calls(program)
    for name in {n for n, _ in own}:
        assert int(rows[name][3]) >= sum(1 for n, _ in own if n == name)
    errors = {n: sum(1 for m, kv in own if m == n and kv["errno"] != "0") for n, _ in own}
    assert {name: r[4] for name, r in rows.items()} == {n: str(errors[n]) if errors.get(n) else "" for n in rows}
    assert errors["path_open"] == 1 and errors["path_unlink_file"] == 1
    for r in rows.values():
        assert int(r[2]) == int(r[1]) // int(r[3])                  # mean = total // calls
    assert total == ["100.00", str(sum(int(r[1]) for r in rows.values())), "",
                     str(sum(int(r[3]) for r in rows.values())), "2", "total"]
    assert [int(r[1]) for r in rows.values()] == sorted((int(r[1]) for r in rows.values()), reverse=True)


TRAP_WAT = """(module
  (func $f (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $main (export "_start") (drop (call $f (i32.const 1))) (drop (call $f (i32.const 0)))))"""


def test_after_a_trap_the_tables_hold_the_values_so_far(capfd, tmp_path) -> None:
    (app := tmp_path / "trap.wat").write_text(TRAP_WAT)
    status, out, err = _whamm(capfd, "run", "--tool", "calls", "-a", app)
    assert status == 134 and err.startswith("error: wasm trap: integer divide by zero")
    assert out.startswith("\nreport (partial: trap)\ncalls:\n") and _rows(out.splitlines(), "calls fid function") == [
        ["2", "0", "f"], ["1", "1", "main"]]


def test_wasi_tools_on_a_program_without_wasi_calls_say_so(capfd) -> None:
    status, out, err = _whamm(capfd, "run", "--tool", "syscalls", "--tool", "files", "--tool", "deny:x", "-a", WORK)
    assert (status, err) == (0, "")
    assert out == "\nsyscalls:\nno WASI calls\n\nfiles:\nno file opened, read or written\n\ndeny x:\nno path denied\n\n"


EXIT_WAT = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (memory (export "memory") 1)
  (func $main (export "_start") (drop (call $yield)) (call $exit (i32.const 3))))"""


def test_proc_exit_is_counted_and_flame_keeps_the_instructions_before_it(capfd, tmp_path) -> None:
    (app := tmp_path / "exit.wat").write_text(EXIT_WAT)
    status, out, _ = _whamm(capfd, "run", "--tool", "syscalls", "--tool", "flame", "-a", app)
    lines = out.splitlines()
    assert status == 3
    assert [(r[3], r[4], r[5]) for r in _section(lines, "syscalls:")] == [
        ("1", "", "sched_yield"), ("1", "", "proc_exit"), ("2", "", "total")]
    assert _section(lines, "syscalls:")[1][1] == "0"                      # proc_exit's time
    # call drop i32.const call: the `end` after proc_exit never runs
    assert "4 instructions executed in 1 call stack" in lines
