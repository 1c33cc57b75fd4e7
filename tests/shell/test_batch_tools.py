"""Batch mode: the ready-made tools (ANALYSIS.md §7, docs/TOOLS.md) — ``tools`` lists them, ``trace NAME
[ARG…]`` adds one, ``run`` shows its table before the summary of the other variables; misuse is an error;
Tab completes the tool names."""
from __future__ import annotations

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from compiler import api
from whamm_shell.completion import ToolCompleter


def _hotness(repo) -> dict[str, int]:
    """Calls per function of the demo, from examples/hotness's committed expected report (another script)."""
    rows = [line.split(", ") for line in (repo / "examples" / "hotness" / "expected.txt").read_text().splitlines()
            if ", calls, " in line]
    return {r[6]: int(r[-1]) for r in rows}


def test_tools_lists_every_tool_on_one_line(shell) -> None:
    r = shell("-c", "trace branches; tools")
    assert r.status == 0, r.err
    lines = r.out.splitlines()[-len(api.tool_names()):]
    for name, line in zip(api.tool_names(), lines):
        tool = api.find_tool(name)
        assert line.split() == [*tool.usage.split(), *tool.summary.split(), *(["(traced)"] if name == "branches" else [])]


def test_trace_shows_the_table_after_run(shell, DEMO, REPO) -> None:
    r = shell(DEMO, "-c", "trace calls; report var n: u32; wasm:func:entry { n++; }; run")
    assert r.status == 0, r.err
    out = r.out.splitlines()
    assert out[0] == "traced calls: 1 probe (1; 7 sites), 0 globals; its table is shown after `run`"
    table = out[out.index("calls:") + 3:out.index("calls:") + 10]
    expected = _hotness(REPO)
    assert {row.split()[2]: int(row.split()[0]) for row in table} == expected
    assert [int(row.split()[0]) for row in table] == sorted(expected.values(), reverse=True)
    # the summary shows the variable no tool shows
    assert out[-2:] == ["report: 1 row of n", f"  n = {sum(expected.values())}"]


def test_tracing_twice_is_refused_until_its_probes_are_removed(shell, DEMO) -> None:
    r = shell(DEMO, "-c", "trace branches; probe rm 1; trace branches")
    assert r.status == 1
    assert r.err.splitlines()[0] == "error: tool branches is already traced (probes 2); `probe rm` them to trace it again"
    r = shell(DEMO, "-c", "trace branches; probe rm 1 2; trace branches; run")
    assert r.status == 0, r.err
    assert "traced branches: 2 probes (3, 4; 4 sites), 0 globals" in r.out and "branches:" in r.out


def test_misuse_is_an_error(shell, DEMO) -> None:
    for command, message in [("trace", "error: usage: trace NAME [ARG…] (tools: branches, calls, coverage, deny, "
                                       "files, flame, syscalls)"),
                             ("trace nope", "error: unknown tool `nope`"),
                             ("trace deny", "error: tool deny needs PATH_PREFIX"),
                             ("trace deny x zz", "error: tool deny: ERRNO `zz` is not a WASI errno name"),
                             ("trace calls; trace calls", "error: tool calls is already traced (probes 1)"),
                             ("tools x", "error: usage: tools")]:
        r = shell(DEMO, "-c", command)
        assert r.status == 1 and r.err.startswith(message), (command, r.err)


def test_completion_offers_tool_names_then_nothing() -> None:
    completer = ToolCompleter(lambda: [(n, api.find_tool(n).summary) for n in api.tool_names()])

    def complete(text: str) -> list[str]:
        return [c.text for c in completer.get_completions(Document(text), CompleteEvent(completion_requested=True))]

    assert complete("") == api.tool_names()
    assert complete("f") == ["files", "flame"]
    assert complete("deny ") == [] and complete("deny /e") == []


def test_trace_coverage_counts_lines_of_a_g_program(REPO, shell, tmp_path) -> None:
    """On a -g program ``trace coverage`` counts lines: after ``run`` its table gives, per source file,
    the lines with code and hit, and the never-executed lines, which are the zero ``DA`` lines of the
    tracefile the shell's own ``coverage --lcov`` writes (another run, another writer), and ``list`` shows
    its counts; ``branches`` gains a file:line column."""
    info = tmp_path / "lines.info"
    r = shell(REPO / "tests" / "corpus" / "dwarf" / "lines.wasm", "-c",
              f"trace coverage; trace branches; run; list lines.c:32; coverage --lcov {info}")
    assert r.status == 0, r.err
    out = r.out.splitlines()
    da = {}
    for record in info.read_text().split("SF:")[1:]:
        if record.splitlines()[0].endswith("/lines.c"):
            da = {int(n): int(c) for n, c in (ln[3:].split(",") for ln in record.splitlines() if ln.startswith("DA:"))}
    row = next(line.split() for line in out if line.endswith("  lines.c"))
    assert row[:2] == [str(len(da)), str(sum(1 for c in da.values() if c))]
    ranges = next(line for line in out if line.startswith("lines.c: ")).removeprefix("lines.c: ").split(", ")
    spans = [(int(p.split("-")[0]), int(p.split("-")[-1])) for p in ranges]
    assert {n for n in da if any(a <= n <= b for a, b in spans)} == {n for n, c in da.items() if not c} != set()
    # `list` shows the traced run's counts (those of the lines around 32, as the tracefile has them)
    listed = {int(line[10:15]): line[:9].strip() for line in out if line[9:10] == ":" and line[15:16] == ":"}
    assert listed and {n: m for n, m in listed.items() if n in da} == {
        n: str(da[n]) if da[n] else "#####" for n in listed if n in da} and listed[32] == "#####"
    branches = out[out.index("branches:") + 1].split()
    assert branches[-2:] == ["file:line", "function"]
    assert any("lines.c:" in line and "collatz_steps" in line for line in out[out.index("branches:"):])


def test_trace_coverage_counts_blocks_without_dwarf(shell, DEMO) -> None:
    r = shell(DEMO, "-c", "trace coverage; trace branches; run")
    assert r.status == 0, r.err
    out = r.out.splitlines()
    assert out[out.index("coverage:") + 1].startswith("blocks: ")
    assert out[out.index("branches:") + 1].split() == ["taken", "not", "taken", "fid", "pc", "branch", "function"]


def test_a_load_that_makes_a_traced_coverage_stale_is_said(REPO, shell, DEMO) -> None:
    """``coverage`` traced on a -g program counts that program's lines; after ``load`` of one without
    DWARF (whose coverage script counts blocks) ``run`` says so instead of showing a table, and tracing
    it again shows the blocks."""
    lines_wasm = REPO / "tests" / "corpus" / "dwarf" / "lines.wasm"
    r = shell(lines_wasm, "-c", f"trace coverage; load {DEMO}; run; probe rm 1; trace coverage; run")
    assert r.status == 0, r.err
    assert (f"warning: tool coverage was traced for {lines_wasm} and builds another script for this application, "
            "so its table is not shown: `probe rm 1` and `trace coverage` again") in r.err
    out = r.out.splitlines()
    assert out.count("coverage:") == 1 and out[out.index("coverage:") + 1].startswith("blocks: ")
