"""``whamm info -l [GLOB]`` (ANALYSIS.md §8): matching rules one per line, like ``bpftrace -l``.  (The
``-s``/``-e`` joining order of the same section is tested in tests/test_bad_input.py.)"""
from __future__ import annotations

from compiler.cli import main


def _run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_list_every_rule(capsys):
    status, out, _ = _run(capsys, "info", "-l")
    lines = out.splitlines()
    assert status == 0 and lines[:3] == ["wasm:begin", "wasm:end", "wasm:report"]
    assert "wasm:func:entry" in lines and "wasm:opcode:br_if:before" in lines
    assert len(lines) == len(set(lines))
    # every listed rule is a valid rule of a script: `info -r` accepts it and matches just it
    for rule in lines[:5] + lines[-5:]:
        status, text, _ = _run(capsys, "info", "-r", rule)
        assert status == 0 and f"{rule} matches the following rules:" in text


def test_list_a_glob(capsys):
    status, out, _ = _run(capsys, "info", "-l", "wasm:opcode:br_if")
    assert status == 0 and out == "".join(f"wasm:opcode:br_if:{m}\n" for m in ("before", "after", "alt", "at_target"))
    status, out, _ = _run(capsys, "info", "-l", "wasm:func")
    assert status == 0 and out == "wasm:func:entry\nwasm:func:exit\n"
    status, out, _ = _run(capsys, "info", "-l", "wasm:opcode:br*:before")
    assert status == 0 and out.splitlines() == ["wasm:opcode:br:before", "wasm:opcode:br_if:before",
                                                "wasm:opcode:br_table:before"] + \
        [ln for ln in out.splitlines()[3:] if ln.startswith("wasm:opcode:br_on")]


def test_list_errors(capsys):
    status, _, err = _run(capsys, "info", "-l", "nope")
    assert status == 1 and "no match for the provider pattern: nope" in err
    status, _, err = _run(capsys, "info", "-l", "wasm", "-r", "wasm")
    assert status == 2 and "cannot be combined" in err
    status, _, err = _run(capsys, "info")
    assert status == 2 and "missing required option --rule" in err
