"""Batch mode: ``globals``: script-level variables read through their getters after a run."""


def test_globals_after_a_run(shell) -> None:
    r = shell("-c", "var calls: u64; var last: i32; var seen: bool; wasm:opcode:call:before { calls++; "
                    "last = imm0 as i32; seen = true; }; run; globals")
    assert r.status == 0, r.err
    # 95 calls in all (33 fd_write + 33 print + 9 calc + 13 print_num + 2 + 3 + 2); the last call is print's fd_write (function 0)
    rows = [line.split() for line in r.out.splitlines()[-3:]]
    assert rows == [["calls", "u64", "95"], ["last", "i32", "0"], ["seen", "bool", "true"]]


def test_globals_that_have_no_getter_are_unknown(shell) -> None:
    r = shell("-c", 'var name: str; wasm:func:entry { name = fname; }; run; globals')
    assert r.out.splitlines()[-1].split() == ["name", "str", "?"]


def test_globals_need_a_run(shell) -> None:
    assert "error: no run yet" in shell("-c", "var n: u32; globals").err
