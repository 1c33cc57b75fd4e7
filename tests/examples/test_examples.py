"""Every example runs through ``whamm run`` and prints exactly its ``expected.txt``.

The expected outputs were checked by hand against the programs (call counts, branch counts, the
instruction count against a hand-written instrumentation — see ``test_instruction_count_oracle``).
Only the ``id`` column of ``memaddr``/``global_id`` report rows is implementation-defined
(REWRITING.md §11.2), so it is masked on both sides.  ``WHAMM_UPDATE_GOLDEN=1`` rewrites the files.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DEMO = "demo/app.wasm"
UPDATE = os.environ.get("WHAMM_UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Example:
    name: str
    app: str = DEMO
    libs: tuple[str, ...] = ()

    @property
    def argv(self) -> list[str]:
        argv = ["run", "-s", str(EXAMPLES / self.name / f"{self.name}.mm"), "-a", str(EXAMPLES / self.app)]
        for lib in self.libs:
            name, _, path = lib.partition("=")
            argv += ["-u", f"{name}={EXAMPLES / path}"]
        return argv


ALL = [
    Example("calls"),
    Example("branches"),
    Example("callgraph", "callgraph/app.wasm"),
    Example("cache", "cache/matrix.wasm", ("cache=cache/cache.wasm",)),
    Example("instr_count"),
    Example("hotness"),
    Example("memtrace", "memtrace/app.wasm"),
    Example("faults"),
    Example("latency", "profile/work.wasm"),
    Example("profile", "profile/work.wasm"),
]

_ID = re.compile(r"^(\d+|\([\d; ]+\)), (memaddr|global_id|\([global_id; ]+\)), ", re.M)


def masked(text: str) -> str:
    return _ID.sub(r"<id>, \2, ", text)


def run_example(example: Example, capfd) -> str:
    status, (out, err) = main(example.argv), capfd.readouterr()
    assert (status, err) == (0, "")
    return out


@pytest.mark.parametrize("example", ALL, ids=[e.name for e in ALL])
def test_example_output(example, capfd):
    out = run_example(example, capfd)
    golden = EXAMPLES / example.name / "expected.txt"
    if UPDATE:
        golden.write_text(out)
    assert masked(out) == masked(golden.read_text())


def test_every_example_directory_is_tested():
    dirs = {p.name for p in EXAMPLES.iterdir() if p.is_dir()} - {"demo"}
    assert dirs == {e.name for e in ALL}


def test_callgraph_to_dot(capfd, tmp_path):
    report = tmp_path / "report.txt"
    report.write_text(run_example(ALL[2], capfd))
    sys.path.insert(0, str(EXAMPLES / "callgraph"))
    try:
        import to_dot
    finally:
        sys.path.pop(0)
    assert to_dot.main([str(report), "--app", str(EXAMPLES / "callgraph" / "app.wasm")]) == 0
    assert capfd.readouterr().out == """digraph calls {
    node [shape=box];
    "print" -> "fd_write" [label="6"];
    "print_num" -> "print" [label="6"];
    "apply" -> "add" [label="2"];
    "apply" -> "sub" [label="2"];
    "apply" -> "mul" [label="2"];
    "main" -> "print_num" [label="6"];
    "main" -> "apply" [label="6"];
}
"""
    assert to_dot.parse_edges("REPORT CSV FLUSH\n0, map_id, edges, map<(u32,u32),u32>, i32, script0, , , , , "
                              "empty map\n") == []
    with pytest.raises(ValueError, match="no map row named 'calls'"):
        to_dot.parse_edges(report.read_text(), "calls")


def test_instruction_count_oracle():
    """The instruction counter's figure equals a hand-written instrumentation's (a global bumped once
    per straight-line run, benchmarks/baselines.py) on the demo app."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import baselines
    finally:
        sys.path.pop(0)
    from compiler.runner import RunOptions, run_module
    hand = baselines.hand_written((EXAMPLES / DEMO).read_bytes(), "icount")
    result = run_module(hand, RunOptions(stdout=os.devnull))
    executed = result.instance.exports(result.store)["executed"].value(result.store)
    expected = (EXAMPLES / "instr_count" / "expected.txt").read_text()
    assert expected.endswith(f", executed, u64, i64, script0, , , , , {executed}\n")


def test_profile_folded(capfd, tmp_path):
    """The profile example's ``--folded`` file is ``expected.folded``; its counts sum to the plain
    counter of the same events (each entry is recorded once, under its whole stack), and the stacks of
    the recursive ``fib`` hold one frame per level of recursion."""
    folded = tmp_path / "prof.folded"
    example = next(e for e in ALL if e.name == "profile")
    status, (out, err) = main([*example.argv, "--folded", f"prof={folded}"]), capfd.readouterr()
    assert (status, err) == (0, "")
    text = folded.read_text()
    golden = EXAMPLES / "profile" / "expected.folded"
    if UPDATE:
        golden.write_text(text)
    assert text == golden.read_text()
    counts = {line.rpartition(" ")[0]: int(line.rpartition(" ")[2]) for line in text.splitlines()}
    calls = int(re.search(r", calls, u64, .*, (\d+)$", out, re.M).group(1))
    assert sum(counts.values()) == calls
    fib = {stack: n for stack, n in counts.items() if stack.split(";")[-1] == "fib"}
    assert sum(fib.values()) == 465                      # fib(12) makes 2 * fib(13) - 1 calls
    assert max(stack.count("fib") for stack in fib) == 12
