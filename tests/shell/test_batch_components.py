"""The shell on components (ANALYSIS.md §6): ``load`` → probe → ``run`` → ``report``, ``modules``,
``load APP --module N``, ``wat`` on the module inside the component.

A component's values are parsed from the CSV report its module prints; a core module's are read from
the live instance.  The differential test runs one session on the component and on the core module it
was made from: the ``report`` tables (scalars, a float, maps), a profile's flame tree (``callstack`` keys
hold ``;``) and the run summaries must be identical.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "component"
SESSION = ("report var calls: map<str, u32>; report var n: u64; report var half: f64; "
           "report var prof: map<str, u64>; "
           "wasm:func:entry { calls[fname]++; n++; half = half + 0.5; prof[callstack]++; }; "
           "run one; report --top 5; wat fib --diff; flame prof --depth 3")


def after_run(out: str) -> str:
    """What follows the run's exit line: the summary and the ``report`` table."""
    return out.split("[exit status 0", 1)[1].split("\n", 1)[1]


@pytest.fixture(scope="module")
def sessions(shell):
    """The same session on the core module and on the component (load at start-up, then ``load``)."""
    core = shell(CORPUS / "hello.core.wasm", "-c", SESSION)
    component = shell(CORPUS / "silent.component.wasm", "-c",
                      f"load {CORPUS / 'hello.component.wasm'}; modules; {SESSION}")
    return core, component


def test_component_report_equals_the_core_modules(sessions):
    core, component = sessions
    assert core.status == component.status == 0, component.err
    assert after_run(component.out) == after_run(core.out)
    table = after_run(core.out)
    assert "  calls[fib] = 143\n" in table and "  half = +2.155e2\n" in table and "  n = 431\n" in table
    assert "+++ fib (instrumented)\n" in table      # `wat` shows the instrumented module of the component
    assert "    _start.command_export\n" in table and "        __original_main\n" in table  # keys hold `;`
    # the component printed its report (that is where the values came from)
    assert "REPORT CSV FLUSH" in component.out and "REPORT CSV FLUSH" not in core.out


def test_load_and_modules_describe_the_component(sessions):
    _, component = sessions
    out = component.out
    assert "(core module 0 of the component, app): 62 functions (7 imported)" in out
    assert "*      0  29077  app           main" in out
    assert "       1  14309  WASI adapter  wit-component:adapter:wasi_snapshot_preview1" in out
    assert "       3    527  shim          wit-component-fixup" in out


def test_load_module_n_of_a_nested_component(shell):
    nested = CORPUS / "nested.component.wasm"
    done = shell("-c", f"load {nested}")
    assert done.status == 1
    assert "has 2 core modules that could be the application (0, 1); choose one with --module N" in done.err
    done = shell(nested, "--module", "1", "-c", "modules; wasm:opcode:i32.mul:before { }; sites 1")
    assert done.status == 0, done.err
    assert "       0    95  app   outer\n*      1    87  app   inner\n" in done.out
    assert "  0  sq      5  i32.mul      true\n" in done.out        # the inner module's $sq


def test_a_module_that_never_writes_is_refused_at_run(shell):
    done = shell(CORPUS / "silent.component.wasm", "-c", "report var n: u32; wasm:func:entry { n++; }; run")
    assert done.status == 1
    assert "the instrumented module imports wasi_snapshot_preview1.fd_write" in done.err


AGGREGATES = ("report var s: stats; report var h: hist; report var l: lhist(0, 40, 8); report var empty: hist; "
              "report var per: map<str, lhist(0, 64, 16)>; "
              "wasm:func:entry { s.add(fid); h.add(fid); l.add(fid); per[fname].add(fid); }; "
              "run one; report; report --json JSON; plot h; plot per")


def test_component_aggregates_equal_the_core_modules(shell, tmp_path):
    """Aggregates (``stats``, ``hist``, ``lhist``, empty, as map values) read from the printed report
    show as the live instance's: the human ``report``, ``plot`` and ``--json`` are identical."""
    runs = {}
    for app in ("core", "component"):
        json = tmp_path / f"{app}.json"
        done = shell(CORPUS / f"hello.{app}.wasm", "-c", AGGREGATES.replace("JSON", str(json)))
        assert done.status == 0, done.err
        runs[app] = (after_run(done.out).replace(str(json), "JSON"), json.read_text(), done.out)
    assert runs["component"][:2] == runs["core"][:2]
    table = runs["core"][0]
    assert "count=431 sum=13964 min=7 max=61 avg=32" in table and "@per[fib]:\n[0, 16)  " in table
    assert "?" not in table and "REPORT CSV FLUSH" in runs["component"][2]


def test_strings_holding_newlines_read_back_whole(shell, tmp_path):
    """A string holding a newline spans lines of the printed report: its row runs to the next row (the
    first line used to be taken for the whole value, ``s`` read as ``ab``); a carriage return was a line
    break too (``t`` read as ``ab``)."""
    json_path = tmp_path / "report.json"
    done = shell(CORPUS / "hello.component.wasm", "-c",
                 'report var s: str; report var t: str; report var m: map<str, u32>; report var n: u32; '
                 'wasm:func:entry { s = "ab\\n5"; t = "ab\\rcd"; m["\\n"] = 1; m["a"] = 2; n = 7; }; run one; '
                 f'report --json {json_path}')
    assert done.status == 0, done.err
    assert "0, map_id, m, map<str,u32>, i32, script0, , , , , \n->1;a->2\n" in done.out  # as printed
    values = {(row["name"], row["key"]): row["value"] for row in json.loads(json_path.read_text())}
    assert values == {("s", None): "ab\n5", ("t", None): "ab\rcd", ("m", "\n"): 1, ("m", "a"): 2, ("n", None): 7}


def test_function_names_holding_separators_read_as_the_core_module_or_not_at_all(shell):
    """``names.wat``'s functions are called ``a->b``, ``x;y``, ``p, q`` and ``a->1;b``: no map of strings
    its report prints has a single reading, so each shows as ``?`` (never as a wrong split), ``n`` as on
    the core module, and ``flame`` says why it cannot draw."""
    session = ("report var calls: map<str, u32>; report var prof: map<str, u64>; report var byid: map<u32, str>; "
               "report var n: u32; wasm:opcode:call:before { calls[fname]++; prof[callstack]++; byid[fid] = fname; "
               "n++; }; run; report; flame prof")
    core = shell(CORPUS / "names.core.wasm", "-c", session)
    component = shell(CORPUS / "names.component.wasm", "-c", session)
    assert core.status == 0, core.err
    assert "calls                                   x;y                       2\n" in core.out
    assert component.status == 1
    assert "1, map_id, calls, map<str,u32>, i32, script0, , , , , _start->4;a->1;b->1;b->2;p, q->4;x;y->2\n" \
        in component.out                                            # as the module printed it
    summary = after_run(component.out)
    for name in ("byid", "calls", "prof"):
        assert f"  {name} = ?\n" in summary
    assert "  n = 13\n" in summary and "  n = 13\n" in after_run(core.out)
    assert component.err.startswith("error: the value of `prof` could not be read (from the instance; for a "
                                    "component, from the report it printed, where a map of strings may have "
                                    "two readings: docs/COMPONENTS.md)")


def test_report_diff_never_calls_an_unreadable_value_unchanged(shell):
    """``calls`` reads as ``?`` in both runs of ``names``: whether it changed is unknown (it was counted
    as unchanged, "no change since the previous run")."""
    done = shell(CORPUS / "names.component.wasm", "-c", "report var calls: map<str, u32>; report var n: u32; "
                 "wasm:func:entry { calls[fname]++; n++; }; run; run; report --diff")
    assert done.status == 0, done.err
    assert "since the previous run: 0 changed, 0 new, 0 gone, 1 unknown (unreadable: `?`), 1 unchanged\n" in done.out
    assert done.out.endswith("calls                         ?    ?    unknown\n")


def test_plot_of_an_unreadable_value_says_so(shell):
    """It said ``calls: nothing to plot``, as for an empty map."""
    done = shell(CORPUS / "names.component.wasm", "-c", "report var calls: map<str, u32>; "
                 "wasm:func:entry { calls[fname]++; }; run; plot calls")
    assert done.status == 1
    assert "error: cannot plot `calls`: its value could not be read (`?` in `report`; a component's value is " \
           "read from the report it printed, docs/COMPONENTS.md)\n" in done.err


def test_run_options_reach_a_component_as_they_reach_its_core_module(shell, tmp_path):
    """Every run option of the shell (environment, stdin, arguments, fuel) reaches a component's program
    through WASI preview 2 as it reaches the core module through preview 1: echo prints its environment
    variable and numbers the lines of its stdin; the same report follows."""
    lines = tmp_path / "in.txt"
    lines.write_text("first\nsecond line\nthird\n")
    session = (f"set env GREETING=hello; set stdin {lines}; set args a b; set fuel 500000000; "
               "report var reads: u32; wasm:opcode:call:before / fname == \"main\" / { reads++; }; run")
    runs = [shell(CORPUS / f"echo.{kind}.wasm", "-c", session) for kind in ("core", "component")]
    for done in runs:
        assert done.status == 0, done.err
        assert "GREETING=hello\n1: first\n2: second line\n3: third\n3 line(s)\n" in done.out
    core, component = (after_run(done.out) for done in runs)
    assert component == core and "  reads = " in core
    # an empty stdin: the program exits 3, which the component's wasi:cli/exit can only say as a failure
    (tmp_path / "empty.txt").write_text("")
    empty = [shell(CORPUS / f"echo.{kind}.wasm", "-c", f"set stdin {tmp_path / 'empty.txt'}; run")
             for kind in ("core", "component")]
    assert ["GREETING=(unset)\n0 line(s)\n" in done.out for done in empty] == [True, True]
    assert ["[exit status 3" in empty[0].out, "[exit status 1" in empty[1].out] == [True, True]
    # a stdin file that is not there is an error, for both
    missing = [shell(CORPUS / f"echo.{kind}.wasm", "-c", f"set stdin {tmp_path / 'none.txt'}; run")
               for kind in ("core", "component")]
    assert all(done.status == 1 and "cannot read stdin file" in done.err for done in missing)
