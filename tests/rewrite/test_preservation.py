"""Semantics preservation (issue 4, must-show 3): probes whose bodies only count — on every opcode
before and after, and at every function entry and exit — leave each example application's and each
corpus C program's output and exit status exactly as they were.

The counters are plain (non-report) globals, so the instrumented program prints nothing of its own;
their getters show the probes really ran.  sqlite is left out: with ~300k instructions and two probes
on each it would dominate the suite's time without exercising anything the others do not.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler import api
from compiler.runner import RunOptions, run_module
from tests.corpus.catalog import C_PROGRAMS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

COUNTING = """
var before: u64;
var after: u64;
var entries: u64;
var exits: u64;
wasm:opcode:*:before { before++; }
wasm:func:entry { entries++; }
wasm:func:exit { exits++; }
wasm:opcode:*:after { after++; }
"""

APPS = sorted({p for p in EXAMPLES.glob("*/*.wasm") if p.parent.name != "cache" or p.name == "matrix.wasm"}) \
    + [p.path for p in C_PROGRAMS]


def _run(wasm: bytes, tmp_path: Path, name: str, args: tuple[str, ...]):
    out = tmp_path / f"{name}.stdout"
    result = run_module(wasm, RunOptions(argv=("app.wasm", *args), stdout=str(out)))
    return result, out.read_bytes()


@pytest.mark.parametrize("path", APPS, ids=[f"{p.parent.name}/{p.stem}" for p in APPS])
def test_counting_probes_preserve_output_and_status(path: Path, tmp_path: Path):
    original, expected = _run(path.read_bytes(), tmp_path, "original", ())
    assert original.message is None
    instrumented = api.instrument(path, COUNTING, script_name="counting.mm")
    result, output = _run(instrumented.wasm, tmp_path, "instrumented", ())
    assert (result.status, result.message) == (original.status, None)
    assert output == expected
    counts = {name: result.instance.exports(result.store)[f"get_{name}"](result.store)
              for name in ("before", "after", "entries", "exits")}
    assert counts["before"] > counts["after"] > 0      # `after` skips br, return, final ends, ...
    assert counts["entries"] >= counts["exits"] > 0    # functions active at proc_exit never exit
