"""Batch mode: ``export OUT.wasm`` writes the current instrumented module (validated, and it runs)."""
from shellrun import CALLS, DEMO_OUTPUT, run_wasm, shell


def test_export_writes_the_instrumented_module(tmp_path) -> None:
    out = tmp_path / "out.wasm"
    r = shell("-s", CALLS, "-c", f"export {out}")
    data = out.read_bytes()
    assert r.out == f"wrote {out} ({len(data)} bytes)\n"
    status, printed = run_wasm(data)
    assert (status, printed) == (0, DEMO_OUTPUT)      # the shell's build reports through the instance


def test_export_to_an_unwritable_place(tmp_path) -> None:
    r = shell("-s", CALLS, "-c", f"export {tmp_path / 'no' / 'out.wasm'}")
    assert r.status == 1 and "error: cannot write" in r.err
