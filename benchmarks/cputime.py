"""How the run benchmarks time a program and compare two variants (overhead, callstack_profile,
syscalls_overhead): CPU seconds of one run in this thread, and min/median of per-round ratios."""
from __future__ import annotations

import statistics
import time

from compiler.runner import Execution


def run_cpu_seconds(execution: Execution, what: str) -> float:
    """CPU seconds of one run (instantiation + execution) in this thread, where wasmtime runs the
    program: unlike wall time it does not count other processes' turns on a busy machine.  A failing
    run stops the benchmark (``what`` names it)."""
    start = time.thread_time()
    result = execution.run()
    elapsed = time.thread_time() - start
    if result.status != 0:
        raise SystemExit(f"{what}: the program failed: {result.error_text or result.status}")
    return elapsed


def round_ratios(top: list[float], bottom: list[float]) -> tuple[float, float]:
    """Min and median of the per-round ratios ``top[i] / bottom[i]`` (rounds interleave the variants, so
    each ratio compares runs made under the same machine load)."""
    ratios = [a / b for a, b in zip(top, bottom)]
    return min(ratios), statistics.median(ratios)
