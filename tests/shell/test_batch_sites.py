"""Batch mode: ``sites N``: where probe N was injected, with the folded predicate per site."""


def test_sites_of_a_probe(SEED_PROBE, shell) -> None:
    r = shell("-c", f"report var count: u32; {SEED_PROBE}; sites 1")
    lines = r.out.splitlines()
    assert lines[2] == "probe 1: 2 sites in 2 functions"
    assert [line.split() for line in lines[5:]] == [["2", "calc", "19", "call", "$calc", "arg0", "==", "0"],
                                                   ["5", "show_calc", "34", "call", "$calc", "arg0", "==", "0"]]


def test_sites_are_cut_without_all(shell) -> None:
    r = shell("-c", "wasm:opcode:local.get:before { }; sites 1")
    assert r.out.splitlines()[-1].startswith("… ") and r.out.splitlines()[-1].endswith("more rows; use --all")
    full = shell("-c", "wasm:opcode:local.get:before { }; sites 1 --all")
    assert not full.out.splitlines()[-1].startswith("…")


def test_sites_errors(shell) -> None:
    assert "error: no probe 3" in shell("-c", "sites 3").err
    assert "probe 1 is disabled" in shell("-c", "wasm:func:entry { }; probe disable 1; sites 1").err
    assert "error: usage: sites N [--all]" in shell("-c", "sites x").err
