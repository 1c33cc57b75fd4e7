"""whamm_shell.splitting: batch commands, open input, whamm-or-command (SHELL.md "Start-up")."""
from __future__ import annotations

import pytest

from whamm_shell.splitting import CommandText, OpenState, looks_like_script, needs_more, open_state, split_commands


def _texts(text: str) -> list[str]:
    return [c.text for c in split_commands(text)]


def test_spec_example_is_three_commands() -> None:
    assert _texts("wasm:opcode:call:before { n++; }; run; report") == [
        "wasm:opcode:call:before { n++; }", "run", "report"]


def test_probe_spanning_lines_stays_one_command() -> None:
    text = "report var n: u32;\nwasm:opcode:call:before / fid == 1 / {\n    n++;\n    if (n > 2) { n = 0; }\n}\nrun\n"
    assert split_commands(text) == [
        CommandText("report var n: u32", 1),
        CommandText("wasm:opcode:call:before / fid == 1 / {\n    n++;\n    if (n > 2) { n = 0; }\n}", 2),
        CommandText("run", 6),
    ]


def test_separators_inside_strings_parentheses_and_comments_do_not_split() -> None:
    assert _texts('set args "a;b"; global var s: str = "x\\";y"; f(1;2)\nrun') == [
        'set args "a;b"', 'global var s: str = "x\\";y"', "f(1;2)", "run"]
    assert _texts("wasm:func:entry { /* a; /* b; */ c; */ n++; } // done; really\nrun") == [
        "wasm:func:entry { /* a; /* b; */ c; */ n++; } // done; really", "run"]


def test_blank_and_comment_only_commands_are_dropped() -> None:
    assert split_commands("\n\n  ;; // just a note\n/* and\n a block */\r\n run ;\n") == [CommandText("run", 6)]
    assert split_commands("") == []


def test_a_stray_closer_cannot_swallow_the_rest() -> None:
    assert _texts("}\nrun; report") == ["}", "run", "report"]


def test_open_state() -> None:
    assert open_state("wasm:func:entry {") == OpenState(depth=1)
    assert open_state('x = "abc') == OpenState(in_string=True)
    assert open_state("/* a /* b */") == OpenState(comment_depth=1)
    assert open_state("x = 1; // c") == OpenState(in_line_comment=True)
    assert not open_state("x = 1; // c").is_open
    assert not open_state("f(a, (b)) { }").is_open


@pytest.mark.parametrize("text,more", [
    ("wasm:opcode:call:before {", True),
    ("wasm:opcode:call:before { n++;\n", True),
    ("wasm:opcode:call:before { n++; }", False),
    ("wasm:opcode:call:before", True),                 # the body is still to come
    ("wasm:opcode:call:before / fid == 1 /", True),
    ("wasm:opcode:call:before { n++ }", False),        # an error more input cannot fix: submit it
    ("var x: u32", False),                             # the final `;` may be omitted
    ("run", False),
    ("probe add wasm:opcode:call:before {", True),
    ('set args "a', True),
])
def test_needs_more(text: str, more: bool) -> None:
    assert needs_more(text) is more


@pytest.mark.parametrize("line", [
    "wasm:opcode:call:before { n++; }", "wasm:func:entry", "wasm:opcode:*:before / fid == 1 / { }",
    "var x: u32", "report var n: u32;", "report unshared var n: u32;", "shared var s: u32;",
    "use cache;", "fn f() -> u32 { return 1; }", "@init cache.reset();", "count = 0", "count++",
    "counts[fid]++", "t.0 = 1", "f(1);", "cache.check(1);", "if (x) { }",
])
def test_whamm_lines(line: str) -> None:
    assert looks_like_script(line)


@pytest.mark.parametrize("line", [
    "run", "run --fuel 10", "report", "report count --top 3", "report --csv out.csv", "plot counts",
    "probe add wasm:func:entry { }", "match wasm:opcode:call / fid == 1 /", "info wasm:opcode:br*",
    "set env K=V", "set args a b", "wat main --around 12", "help probe", "quit", "pr a",
])
def test_command_lines(line: str) -> None:
    assert not looks_like_script(line)
