"""Batch mode: ``wat`` marks injected code from the plan that rewrote the function (exact, with the input
pcs of the original instructions and a ``;; probe N`` line per injected run), and ``wat --diff`` is built
from the same knowledge (issue 12 item 1)."""
import re
from pathlib import Path

from compiler import api
from compiler.wasm.wat import function_lines

REPO = Path(__file__).resolve().parents[2]
SQLITE = REPO / "tests" / "corpus" / "sqlite" / "sqlite.wasm"
INTERP = REPO / "tests" / "corpus" / "c" / "interp.wasm"


def test_each_injected_run_names_its_probe(shell) -> None:
    r = shell("-c", "report var n: u32; report var m: u32; wasm:opcode:call:before { n++; }; "
                    "wasm:func:entry { m++; }; wat calc")
    assert r.status == 0, r.err
    lines = r.out.splitlines()
    comments = [line.split(";;")[1].strip() for line in lines if line.startswith("+") and
                line[1:].strip().startswith(";;")]
    assert comments == ["probe 2", "probe 1"]          # function entry first, then before the call at 19
    at = next(k for k, line in enumerate(lines) if line.endswith(";; probe 1"))
    assert lines[at + 1].startswith("+") and lines[at + 5].split()[:2] == ["19", "call"]


def test_sqlite_big_function_is_marked_exactly(shell) -> None:
    """The greedy text diff used to mark all of sqlite3VdbeExec's 35,841 lines after a func:entry probe."""
    r = shell(str(SQLITE), "-c", "report var n: u32; wasm:func:entry { n++; }; wat sqlite3VdbeExec --all")
    assert r.status == 0, r.err
    lines = r.out.splitlines()
    assert lines[-1] == "4 injected lines (marked +) in sqlite.wasm function 102"
    module = api.load_app(SQLITE).module
    pcs = [int(line.split()[0]) for line in lines if line[:1] == " " and line.split()[:1] != [] and
           line.split()[0].isdigit()]
    assert pcs == [ln.offset for ln in function_lines(module, 102) if ln.offset is not None]
    marked = [line for line in lines if line.startswith("+")]
    assert [m.split(None, 1)[1] for m in marked] == [";; probe 1", "global.get 1", "i32.const 1", "i32.add",
                                                     "global.set 1"]


def test_diff_is_built_from_the_plan_alt_shows_removed_instructions(shell) -> None:
    script = ("report var n: u32; wasm:opcode:i32.add(arg0: i32, arg1: i32):alt { n++; return arg1; }; "
              "wat calc --diff")
    r = shell("-c", script)
    assert r.status == 0, r.err
    lines = r.out.splitlines()
    start = lines.index("--- calc (original)")
    assert lines[start + 1] == "+++ calc (instrumented)"
    hunk = lines[start + 2:]
    assert any(h.startswith("@@ ") and h.endswith(" pc 1") for h in hunk)
    assert "-    i32.add" in hunk                     # the replaced instruction
    assert "+    ;; probe 1" in hunk
    assert "+  (local i32 i32)" in hunk or any(h.startswith("+  (local") for h in hunk)
    # every '-' or '+' line is accounted for: the context lines are the input's instructions
    assert not any(h.startswith(" ") and "global.set" in h for h in hunk)


def test_every_function_of_a_c_program_keeps_its_pcs(shell) -> None:
    """Marks for several placements at once (entry/exit of blocks, at_target, after calls), on every
    function of a corpus C program: the original instructions keep their input pcs, in order."""
    r = shell(str(INTERP), "-c", "report var n: u32; wasm:opcode:br_if:at_target { n++; }; "
                                 "wasm:opcode:block:exit { n++; }; wasm:opcode:call:after { n++; }; "
                                 "wasm:func:exit { n++; }; wat main --all")
    assert r.status == 0, r.err
    module = api.load_app(INTERP).module
    fid = next(i for i, name in module.names.functions.items() if name == "main")
    lines = r.out.splitlines()
    pcs = [int(line.split()[0]) for line in lines if line[:1] == " " and line.split()[:1] != [] and
           line.split()[0].isdigit()]
    assert pcs == [ln.offset for ln in function_lines(module, fid) if ln.offset is not None]
    labels = {line.split(";;")[1].strip() for line in lines if line.startswith("+") and
              line[1:].strip().startswith(";;")}
    assert {"probe 1", "probe 3", "probe 4"} <= labels
    assert all(re.fullmatch(r"probes? \d+(, \d+)*", label) for label in labels)
