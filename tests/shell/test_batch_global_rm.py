"""Batch mode: ``global rm NAME`` removes the item declaring NAME, rebuilding incrementally; a name a
probe still uses is refused with the compiler's located diagnostic and the session is unchanged."""


def test_global_rm_removes_the_declaration_and_the_next_run_drops_it(shell) -> None:
    r = shell("-c", "report var calls: u32; report var entries: u32; "
                    "wasm:opcode:call:before { calls++; }; run; "
                    "global rm entries; globals; run; report")
    assert r.status == 0, r.err
    assert "removed global: report var entries: u32;" in r.out
    listing = r.out.split("removed global: report var entries: u32;")[1]
    assert "entries" not in listing                       # neither in `globals` nor in the new report
    assert "calls" in listing.split("[exit status 0")[1]


def test_global_rm_of_a_name_a_probe_uses_points_at_the_use(shell) -> None:
    r = shell("-c", "var limit: u32; report var n: u32; wasm:opcode:call:before / limit == 0 / { n++; }; "
                    "global rm limit")
    assert r.status == 1
    assert "error: unknown variable `limit`" in r.err
    assert " --> probe 1:1:27" in r.err
    assert "error: `limit` is still used (above): not removed" in r.err
    assert "error: -c:1: stopped at this failed command: global rm limit" in r.err


def test_global_rm_keeps_the_session_when_refused(shell) -> None:
    r = shell("-c", "var limit: u32; wasm:opcode:call:before / limit == 0 / { }", "-c", "global rm limit",
              "-c", "globals")
    assert r.status == 1
    assert "global: var limit: u32;" in r.out


def test_global_rm_of_a_function_and_a_library_use(shell) -> None:
    r = shell("-c", "fn one() -> u32 { return 1; }; report var n: u32; wasm:func:entry { n++; }; "
                    "global rm one; globals")
    assert r.status == 0, r.err
    assert "removed global: fn one() -> u32 { return 1; }" in r.out
    assert r.out.splitlines()[-1].split()[:2] == ["n", "report"]


def test_global_rm_needs_a_declared_name(shell) -> None:
    r = shell("-c", "var a: u32; global rm b")
    assert r.status == 1 and "error: no global named `b` (`globals` lists them)" in r.err
    r = shell("-c", "global rm")
    assert r.status == 1 and "usage: global rm NAME" in r.err


def test_a_global_named_rm_is_still_a_statement(shell) -> None:
    r = shell("-c", "var rm: u32; global rm = 3; global rm rm; globals")
    assert r.status == 1          # `rm = 3` uses it: refused, with the location of the statement
    assert "global: rm = 3;" in r.out and "error: `rm` is still used" in r.err
