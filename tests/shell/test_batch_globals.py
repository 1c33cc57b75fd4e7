"""Batch mode: ``globals``: the script-level items as declared (name, kind, type, initialiser, where),
and after a run each variable's value read through its getter."""


def test_globals_after_a_run(shell) -> None:
    r = shell("-c", "var calls: u64; var last: i32; var seen: bool; wasm:opcode:call:before { calls++; "
                    "last = imm0 as i32; seen = true; }; run; globals")
    assert r.status == 0, r.err
    # 95 calls in all (33 fd_write + 33 print + 9 calc + 13 print_num + 2 + 3 + 2); the last call is print's fd_write (function 0)
    assert r.out.splitlines()[-5].split() == ["name", "kind", "type", "initialiser", "declared", "value"]
    assert [line.split() for line in r.out.splitlines()[-3:]] == [
        ["calls", "var", "u64", "–", "-c:1", "95"], ["last", "var", "i32", "–", "-c:1", "0"],
        ["seen", "var", "bool", "–", "-c:1", "true"]]


def test_globals_that_have_no_getter_are_unknown(shell) -> None:
    r = shell("-c", 'var name: str; wasm:func:entry { name = fname; }; run; globals')
    assert r.out.splitlines()[-1].split() == ["name", "var", "str", "–", "-c:1", "?"]


def test_globals_before_a_run_are_the_declarations(shell, tmp_path) -> None:
    script = tmp_path / "s.mm"
    script.write_text("// counters\nreport var count: u32 = 3;\n\nwasm:func:entry { count++; }\n")
    commands = tmp_path / "cmds.txt"
    commands.write_text("var limit: u64 = 10 * 2\nfn twice(a: u32) -> u32 { return a * 2; }\n"
                        "count = twice(4)\nglobals\n")
    r = shell("-s", script, "-x", commands)
    assert r.status == 0, r.err
    lines = r.out.splitlines()
    assert lines[-6].split() == ["name", "kind", "type", "initialiser", "declared"]
    assert [line.split() for line in lines[-4:]] == [
        ["count", "report", "var", "u32", "3", f"{script}:2"],
        ["limit", "var", "u64", "10", "*", "2", f"{commands}:1"],
        ["twice", "fn", "fn(u32)", "->", "u32", "–", f"{commands}:2"],
        ["–", "statement", "–", "count", "=", "twice(4);", f"{commands}:3"]]


def test_globals_with_no_items(shell) -> None:
    r = shell("-c", "globals")
    assert r.status == 0 and "no script-level items" in r.out
