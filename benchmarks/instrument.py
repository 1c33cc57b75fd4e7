"""Instrumentation time for a big module, phase by phase: sqlite (~1 MB) with the branch monitor.

    python3 benchmarks/instrument.py [--app tests/corpus/sqlite/sqlite.wasm] [--repeat 5]

Each repetition is a whole ``compiler.api.instrument`` call from the file's bytes, exactly what
``whamm instr`` does before writing: ``read`` (decode the sections and validate the input with
wasmtime), ``parse`` and ``check`` the script, ``match`` sites, ``layout``, ``emit``, ``encode`` and
``validate`` the output.  Printed: per phase the best and the median wall time over the repetitions,
the total (wall, and CPU of the process: on a busy machine the wall time also counts other processes'
turns), and the number of sites.  Target: total ≤ 1.5 s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from compiler import api  # noqa: E402

SQLITE = ROOT / "tests" / "corpus" / "sqlite" / "sqlite.wasm"
BRANCH_MONITOR = (ROOT / "examples" / "branches" / "branches.mm").read_text()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", type=Path, default=SQLITE)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = args.app.read_bytes()
    api.instrument(data, BRANCH_MONITOR)  # warm up: imports, wasmtime engine, parser tables
    runs: list[dict[str, float]] = []
    for _ in range(args.repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = api.instrument(data, BRANCH_MONITOR, script_name="branches.mm")
        timings = dict(result.timings)
        timings["total"] = time.perf_counter() - start
        timings["total cpu"] = time.process_time() - cpu
        runs.append(timings)
    sites = sum(1 for row in result.layout.report if getattr(row, "name", None) == "taken")
    print(f"{args.app.name}: {len(data) / 1e6:.2f} MB in, {len(result.wasm) / 1e6:.2f} MB out, "
          f"{sites} branch sites, {args.repeat} runs")
    print(f"{'phase':<10}{'best':>10}{'median':>10}")
    for phase in runs[0]:
        values = [run.get(phase, 0.0) for run in runs]
        print(f"{phase:<10}{min(values) * 1000:>8.1f}ms{statistics.median(values) * 1000:>8.1f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
