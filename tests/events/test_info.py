"""``whamm info`` output (CLI.md §2) against golden files, and the command's exit statuses.

Golden files live in ``golden/``; regenerate them with ``WHAMM_UPDATE_GOLDEN=1`` and review the diff.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.events.info import SEPARATOR, render_info
from compiler.events.rules import NoMatchError

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
REPO = HERE.parents[1]
CLI_MD = (HERE.parents[2] / "shared" / "spec" / "CLI.md").read_text(encoding="utf-8")
UPDATE = os.environ.get("WHAMM_UPDATE_GOLDEN") == "1"

CASES = {
    "br_if_before_v": ("wasm:opcode:br_if:before", True, False),     # the example of CLI.md §2
    "func_entry_v": ("wasm:func:entry", True, False),                # a mode-less event
    "call_alt_f": ("wasm:opcode:call:alt", False, True),             # -f: built-ins, package and event fns
    "lt_glob_v": ("wasm:opcode:i32.[ls]t_?", True, False),           # a glob, all modes (no D6 in info)
    "begin_vf": ("wasm:begin", True, True),                          # a package without events
    "store_before_v": ("wasm:opcode:i32.store:before", True, False), # MEM: constants, alias, derived
    "br_table_vf": ("WASM:opcode:br_table:at_target", True, True),   # BR_TABLE, immN family, case
    "block_end_v": ("wasm:block:end", True, False),                  # instr_count
}


def test_cli_md_example_byte_exact() -> None:
    marker = "$ whamm info -r 'wasm:opcode:br_if:before' -v\n"
    start = CLI_MD.index(marker) + len(marker)
    example = CLI_MD[start:CLI_MD.index("```", start)]
    # ANALYSIS.md §3 adds nsecs, callstack and stack_depth, §5 src_file, src_line and src_col to the
    # provider's variables after CLI.md's (its example predates them): the rest is the example byte for byte
    text = render_info("wasm:opcode:br_if:before", vars=True)
    added = "".join(m[0] for m in re.finditer(
        r"        (?:nsecs|callstack|stack_depth|src_file|src_line|src_col): .*\n            .*\n", text))
    assert added.count("\n") == 12
    assert text.replace(added, "") == example


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    rule, v, f = CASES[name]
    text = render_info(rule, vars=v, functions=f)
    path = GOLDEN / f"info_{name}.txt"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_layout_rules() -> None:
    text = render_info("wasm:opcode:call", vars=True, functions=True)
    lines = text.split("\n")
    assert lines[0] == "CORE whamm FUNCTIONALITY" and text.endswith(SEPARATOR + "\n")
    assert lines.count(SEPARATOR) == 4 and len(SEPARATOR) == 100
    assert "    strcmp(str_addr: (i32,i32), value: str) -> bool" in lines
    assert "    memcpy(src_mem: u32, src_ptr: u32, dst_mem: u32, dst_ptr: u32, len: u32)" in lines
    assert "        argN: unknown" in lines and "        resN: unknown" in lines
    assert "        alt_call_by_id(func_id: i32)" in lines
    assert "        drop_args()" in lines
    modes = [ln for ln in lines if ln.endswith(" mode")]
    assert modes == ["    before mode", "    after mode", "    alt mode"]
    assert all(len(ln) - len(ln.lstrip(" ")) in (0, 4, 8, 12) for ln in lines)


def test_without_flags_there_is_no_core_section_and_no_members() -> None:
    text = render_info("wasm:opcode:br_if:before")
    assert text.startswith("wasm:opcode:br_if:before matches the following rules:\n\nwasm provider\n")
    assert "VARIABLES:" not in text and "FUNCTIONS:" not in text


def test_everything() -> None:
    text = render_info("wasm", vars=True, functions=True)
    assert text.count(" event\n") == 315 and text.count(" package\n") == 7   # + ANALYSIS.md §5 wasm:source:line
    assert text.count("    before mode\n") == 311
    assert "        target_funcref: funcref\n" in text
    assert "        targets: map<u32,u32>\n" in text


def test_no_match_raises() -> None:
    with pytest.raises(NoMatchError, match="no match for the event pattern: br_iff"):
        render_info("wasm:opcode:br_iff:before")


# -- the command ---------------------------------------------------------------------------------------

def test_command_prints_the_rendering(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "-r", "wasm:opcode:br_if:before", "-v"]) == 0
    out, err = capsys.readouterr()
    assert out == render_info("wasm:opcode:br_if:before", vars=True) and err == ""
    assert main(["info", "--rule", "wasm:func:*", "--vars", "--functions"]) == 0
    assert capsys.readouterr().out == render_info("wasm:func:*", vars=True, functions=True)


def test_command_no_match_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "-r", "wasm:opcode:br_iff:before"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "error: no match for the event pattern: br_iff\n  = help: did you mean `br_if`?\n"


def test_command_defs_path_is_ignored_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "-r", "wasm:begin", "-d", "./"]) == 0
    out, err = capsys.readouterr()
    assert out == render_info("wasm:begin")
    assert err == "warning: --defs-path is ignored (the event catalog is built in)\n"


def test_command_requires_a_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "-v"]) == 2
    assert "--rule" in capsys.readouterr().err


def test_command_in_a_process() -> None:
    proc = subprocess.run([sys.executable, "-m", "compiler.cli", "info", "-r", "wasm:opcode:*:*", "-v", "-f"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == render_info("wasm:opcode:*:*", vars=True, functions=True)
