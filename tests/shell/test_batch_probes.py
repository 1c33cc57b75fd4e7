"""Batch mode: ``probes`` lists id, enabled, rule, predicate, site count and source line."""


def test_probes_table(SEED_PROBE, shell) -> None:
    r = shell("-c", f"report var count: u32; {SEED_PROBE}; wasm:func:entry {{ count++; }}; "
                    "probe disable 2; probes")
    lines = r.out.splitlines()[-4:]
    assert lines[0].split() == ["id", "enabled", "rule", "predicate", "sites", "source"]
    assert lines[2].split()[:8] == ["1", "yes", "wasm:opcode:call(arg0:", "i32):before", "imm0", "==", "2", "&&"]
    assert lines[2].split()[11] == "2"
    assert lines[3].split()[:3] == ["2", "no", "wasm:func:entry"]
    assert lines[3].split()[3] == "wasm:func:entry"          # no predicate, no site count when disabled


def test_no_probes(shell) -> None:
    assert shell("-c", "probes").out == "no probes yet: type one, e.g. wasm:opcode:call:before { count++; }\n"
