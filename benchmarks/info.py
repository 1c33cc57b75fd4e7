"""Benchmark: ``whamm info -r 'wasm:opcode:*:*' -v -f`` (target ≤ 1 s including process start-up).

Prints wall-clock figures for the whole command in a fresh process (what a user waits for), for a bare
``python -c pass`` start-up as the baseline, and for the in-process pieces (catalog import, matching,
rendering).  Run from the repository root: ``python3 benchmarks/info.py``.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RULE = "wasm:opcode:*:*"
RUNS = 7


def _process(argv: list[str]) -> list[float]:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return times


def _show(label: str, times: list[float]) -> None:
    print(f"{label:<48} min {min(times) * 1000:8.1f} ms   median {statistics.median(times) * 1000:8.1f} ms")


def main() -> None:
    sys.path.insert(0, str(REPO))
    baseline = _process([sys.executable, "-c", "pass"])
    command = _process([sys.executable, "-m", "compiler.cli", "info", "-r", RULE, "-v", "-f"])
    imports = _process([sys.executable, "-c", "import compiler.events.info"])

    from compiler.events.info import render_info
    from compiler.events.rules import match_info, split_rule

    def timed(fn, n: int = 20) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        return out

    match = timed(lambda: match_info(split_rule(RULE)))
    render = timed(lambda: render_info(RULE, vars=True, functions=True))
    print(f"whamm info -r '{RULE}' -v -f  ({RUNS} runs each)")
    _show("python -c pass (start-up baseline)", baseline)
    _show("python -c 'import compiler.events.info'", imports)
    _show("whamm info (fresh process, total)", command)
    _show("match_info in process", match)
    _show("render_info in process", render)
    ratio = statistics.median(command) / statistics.median(baseline)
    print(f"command / start-up baseline: {ratio:.1f}x; target 1000 ms: "
          f"{'met' if max(command) <= 1.0 else 'MISSED'} (worst run {max(command) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
