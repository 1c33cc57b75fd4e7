"""Batch mode: ``match RULE [/ PRED /]`` — a dry run listing sites and the folded predicate per site."""


def test_match_lists_sites_with_folded_predicates(shell) -> None:
    r = shell("-c", "match wasm:opcode:call(arg0: i32):before / imm0 == 2 && arg0 == 0 /")
    assert r.status == 0, r.err
    lines = r.out.splitlines()
    assert lines[0] == "24 sites in 6 functions; injected at 2 (the predicate is not false there)"
    assert lines[1].split() == ["fid", "fname", "pc", "instruction", "predicate"]
    # where something is injected first, then the `false` sites in site order
    assert lines[3].split() == ["2", "calc", "19", "call", "$calc", "arg0", "==", "0"]
    assert lines[4].split() == ["5", "show_calc", "34", "call", "$calc", "arg0", "==", "0"]
    assert lines[5].split() == ["1", "print", "23", "call", "$fd_write", "false"]
    assert lines[-1] == "… 4 more rows; use --all"
    assert len(lines) == 2 + 1 + 20 + 1


def test_match_injected_lists_only_sites_where_code_goes(shell) -> None:
    r = shell("-c", "match wasm:opcode:call(arg0: i32):before / imm0 == 2 && arg0 == 0 / --injected")
    assert r.status == 0, r.err
    assert [line.split()[:3] for line in r.out.splitlines()[3:]] == [["2", "calc", "19"], ["5", "show_calc", "34"]]
    both = shell("-c", "match wasm:opcode:call:before / fname == \"main\" / --all --injected")
    assert both.out.splitlines()[0] == "24 sites in 6 functions; injected at 7 (the predicate is not false there)"
    assert len(both.out.splitlines()) == 3 + 7


def test_match_all_and_without_predicate(shell) -> None:
    r = shell("-c", "match wasm:opcode:call:before --all")
    lines = r.out.splitlines()
    assert lines[0] == "24 sites in 6 functions; injected at 24 (the predicate is not false there)"
    assert len(lines) == 3 + 24
    assert all(line.split()[-1] == "true" for line in lines[3:])


def test_match_of_func_events_tags_the_site(shell) -> None:
    r = shell("-c", 'match wasm:func:entry / fname == "calc" /')
    assert "7 sites in 7 functions; injected at 1" in r.out
    assert "[func:entry] local.get $b" in r.out


def test_match_adds_nothing_and_reports_bad_rules(shell) -> None:
    r = shell("-c", "match wasm:opcode:call:before; probes")
    assert r.out.splitlines()[-1] == "no probes yet: type one, e.g. wasm:opcode:call:before { count++; }"
    bad = shell("-c", "match wasm:opcode:cal:before")
    assert bad.status == 1
    assert "error: no match for the event pattern: cal" in bad.err and "--> <input>:1:13" in bad.err
