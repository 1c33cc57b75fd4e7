"""Batch mode: ``info RULE [-v] [-f]`` prints what ``whamm info`` prints."""
from compiler.events.info import render_info


def test_info_is_whamm_info(shell) -> None:
    r = shell("-c", "info wasm:opcode:br_if -v -f")
    assert r.status == 0
    assert r.out == render_info("wasm:opcode:br_if", True, True)
    assert "br_if event" in r.out and "arg0: u32" in r.out


def test_info_without_flags_has_no_variables(shell) -> None:
    r = shell("-c", "info wasm:func:*")
    assert "entry event" in r.out and "exit event" in r.out
    assert "VARIABLES:" not in r.out


def test_info_for_a_rule_that_matches_nothing(shell) -> None:
    r = shell("-c", "info wasm:opcode:frob")
    assert r.status == 1 and r.err.startswith("error:") and "frob" in r.err
    assert shell("-c", "info").err.startswith("error: usage: info RULE")
