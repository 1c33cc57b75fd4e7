"""Batch mode: ``wat FUNC [--around PC] [--diff]``: the instrumented function, injected code marked."""
from shellrun import SEED_PROBE, shell

SEED = f"report var count: u32; {SEED_PROBE}"


def test_wat_marks_injected_lines_and_keeps_original_pcs() -> None:
    r = shell("-c", f"{SEED}; wat calc")
    assert r.status == 0, r.err
    lines = r.out.splitlines()[2:]
    assert lines[0].strip().startswith("(func $calc")
    original = [line for line in lines if line[:1] == " " and line.split()[0].isdigit()]
    assert [line.split()[0] for line in original] == ["1", "3", "4", "6", "8", "9", "11", "13", "14", "16",
                                                      "18", "19", "21"]
    injected = [line for line in lines if line.startswith("+")]
    assert any("global.set" in line for line in injected) and any("i32.eq" in line for line in injected)
    instructions = [line for line in injected if not line[1:].strip().startswith(("(local", ";;"))]
    assert lines[-1] == f"{len(instructions)} injected lines (marked +) in app.wasm function 2"
    assert len(instructions) >= 8         # save arg0, compare, branch, count++ (4), end


def test_wat_by_index_around_a_pc() -> None:
    r = shell("-c", f"{SEED}; wat 2 --around 19")
    marked = [line for line in r.out.splitlines() if line.startswith(">")]
    assert marked == ["> 19      call $calc"]


def test_wat_diff() -> None:
    r = shell("-c", f"{SEED}; wat calc --diff")
    lines = r.out.splitlines()[2:]
    assert lines[0] == "--- calc (original)" and lines[1] == "+++ calc (instrumented)"
    assert "+      global.set 0" in lines
    clean = shell("-c", f"{SEED}; wat collatz --diff")
    assert clean.out.splitlines()[-1] == "collatz: no code was injected"


def test_wat_errors() -> None:
    assert "error: function 0 is imported: it has no code" in shell("-c", "wasm:func:entry { }; wat 0").err
    assert "error: no function named `nope`" in shell("-c", "wat nope").err
