"""The README's first session can be reproduced verbatim: its commands, run in batch mode, print its
output (apart from the wall time)."""
from __future__ import annotations

import re

from shellrun import REPO, shell

_COMMENT = re.compile(r"\s{2,}# .*$")
_TIME = re.compile(r"· [0-9.]+ m?s\]")


def session() -> tuple[list[str], list[str]]:
    text = (REPO / "README.md").read_text()
    block = text.split("## A first session", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    commands: list[str] = []
    expected: list[str] = []
    for line in block.splitlines():
        if line.startswith("whamm> "):
            commands.append(_COMMENT.sub("", line[len("whamm> "):]))
        elif line.startswith("   ... "):
            commands[-1] += "\n" + _COMMENT.sub("", line[len("   ... "):])
        elif line != "…":
            expected.append(line)
    return commands, expected


def test_the_first_session_reproduces(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    commands, expected = session()
    assert commands[-1] == "quit" and len(commands) >= 6
    r = shell("-c", "\n".join(commands))
    assert r.status == 0, r.err
    out = [_TIME.sub("· T]", line) for line in r.out.splitlines()]
    want = [_TIME.sub("· T]", line) for line in expected]
    it = iter(out)
    missing = [line for line in want if not any(line == got for got in it)]
    assert missing == []                      # every README line, in order
    assert (tmp_path / "calls.mm").exists()
