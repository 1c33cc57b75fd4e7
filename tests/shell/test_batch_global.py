"""Batch mode: ``global STMT`` and statements typed directly (the final ``;`` may be omitted)."""


def test_globals_typed_or_with_the_command(shell) -> None:
    r = shell("-c", "report var count: u32\nglobal var limit: u32 = 5\nfn twice(x: u32) -> u32 { return x + x; }\n"
                    "wasm:opcode:call:before / imm0 == 2 / { count = twice(limit); }\nrun\nreport")
    assert r.status == 0, r.err
    assert r.out.splitlines()[:3] == ["global: report var count: u32;", "global: var limit: u32 = 5;",
                                      "global: fn twice(x: u32) -> u32 { return x + x; }"]
    assert r.out.splitlines()[-1].split() == ["count", "10"]


def test_a_bad_global_changes_nothing(shell) -> None:
    r = shell("-c", "var n: u32; global var n: u64")
    assert r.status == 1
    assert "--> <input>:1:5" in r.err and "n" in r.err
    assert shell("-c", "global").err.startswith("error: usage: global STATEMENT")
