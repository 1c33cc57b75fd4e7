"""Batch mode: ``save FILE.mm`` writes a script that ``whamm run -s`` accepts and that reproduces the
session's report."""
from compiler import api


def test_save_writes_globals_then_enabled_probes(SEED_PROBE, shell, tmp_path) -> None:
    script = tmp_path / "s.mm"
    r = shell("-c", f"report var count: u32; {SEED_PROBE}; wasm:func:entry {{ count++; }}; probe disable 2; "
                    f"save {script}")
    assert r.out.splitlines()[-1] == f"saved 1 probe and 1 global to {script}"
    assert script.read_text() == f"report var count: u32;\n{SEED_PROBE}\n"


def test_saved_script_reproduces_the_report(DEMO, DEMO_OUTPUT, run_wasm, shell, tmp_path) -> None:
    script, csv = tmp_path / "s.mm", tmp_path / "r.csv"
    r = shell("-c", "report var calls: map<u32, u32>\nwasm:opcode:call:before { calls[imm0]++; }\n"
                    "wasm:opcode:br_if:before {\n  report var taken: u32;\n  if (arg0 != 0) { taken++; }\n}\n"
                    f"run\nsave {script}\nreport --csv {csv}")
    assert r.status == 0, r.err
    status, printed = run_wasm(api.instrument(api.load_app(DEMO), script.read_text()).wasm)
    assert status == 0
    assert printed == DEMO_OUTPUT + "\n" + csv.read_text()


def test_save_needs_an_enabled_probe(shell, tmp_path) -> None:
    r = shell("-c", f"var n: u32; save {tmp_path / 'x.mm'}")
    assert r.status == 1 and "error: nothing to save: the session has no enabled probe" in r.err
    r = shell("-c", f"wasm:func:entry {{ }}; save {tmp_path / 'missing' / 'x.mm'}")
    assert r.status == 1 and "error: cannot write" in r.err
