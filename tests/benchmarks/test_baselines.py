"""The benchmark kernels run and print their checksum, and every hand-written baseline of
benchmarks/baselines.py computes exactly the figures of whamm's report for the same analysis: the
overhead benchmark's ratios whamm / hand-written are only honest while both count the same thing."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from compiler import api
from compiler.runner import Execution, RunOptions

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
try:
    from baselines import KERNELS, SCRIPTS, Kernel, hand_counts, hand_written, straight_runs, whamm_counts
finally:
    sys.path.pop(0)

from compiler.wasm import read_module  # noqa: E402

#: The kernels at their small sizes, plus the demo app (if/else, recursion, calls in the middle of
#: blocks) for the baselines' control-flow handling.
APPS = {**{kernel.name: (kernel.path, (kernel.name, kernel.small_size)) for kernel in KERNELS},
        "demo": (ROOT / "examples" / "demo" / "app.wasm", ("app.wasm",))}


def _run(wasm: bytes, argv: tuple[str, ...], tmp_path: Path) -> tuple[object, str]:
    out = tmp_path / "stdout"
    result = Execution(wasm, RunOptions(argv=argv, stdout=str(out))).run()
    assert result.status == 0, result.error_text
    return result, out.read_text()


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda kernel: kernel.name)
def test_kernel_prints_checksum(kernel: Kernel, tmp_path: Path) -> None:
    _, output = _run(kernel.path.read_bytes(), (kernel.name, kernel.small_size), tmp_path)
    assert re.fullmatch(rf"{kernel.name} N={kernel.small_size}( T=\d+)? checksum \S+\n", output), output


def test_kernel_rejects_bad_size(tmp_path: Path) -> None:
    out = tmp_path / "stderr"
    result = Execution(KERNELS[0].path.read_bytes(), RunOptions(argv=("mm", "0"), stderr=str(out))).run()
    assert result.status == 2 and "N must be" in out.read_text()


@pytest.mark.parametrize("analysis", SCRIPTS)
@pytest.mark.parametrize("app", APPS)
def test_hand_written_counts_equal_whamm(app: str, analysis: str, tmp_path: Path) -> None:
    path, argv = APPS[app]
    wasm = path.read_bytes()
    _, expected = _run(wasm, argv, tmp_path)
    instrumented = api.instrument(wasm, SCRIPTS[analysis], script_name=f"{analysis}.mm")
    out = tmp_path / "whamm"
    generated = api.prepare_run(instrumented, RunOptions(argv=argv, stdout=str(out))).run()
    assert generated.status == 0 and out.read_text().startswith(expected)
    hand, hand_output = _run(hand_written(wasm, analysis), argv, tmp_path)
    assert hand_output == expected
    counts = whamm_counts(analysis, instrumented, generated)
    assert counts == hand_counts(analysis, wasm, hand)
    if app != "demo" and analysis in ("icount", "memory"):
        assert all(counts.values())
    elif app != "demo":   # the kernels exercise every analysis (the demo app has no br_table)
        assert any(counts.values())


def test_straight_runs_cover_every_instruction_once() -> None:
    for kernel in KERNELS:
        for body in read_module(kernel.path.read_bytes()).code:
            runs = straight_runs(body.instrs)
            assert runs[0][0] == 0 and runs[-1][1] == len(body.instrs)
            assert all(end == start for (_, end), (start, _) in zip(runs, runs[1:]))
            assert all(start < end for start, end in runs)
