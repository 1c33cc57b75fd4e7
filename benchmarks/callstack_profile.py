"""Run-time overhead of a call-stack profile (ANALYSIS.md §3) on the compute kernels.

    python3 benchmarks/callstack_profile.py [--rounds 3] [--kernel mm ...] [--small]

The profile is ``wasm:func:entry { prof[callstack]++; }``: every call pushes a frame on the shadow stack
the compiler adds for ``callstack``, reads the interned stack string and bumps its map entry.  For each
committed kernel (benchmarks/apps: ``mm``, ``stencil``, ``vm``) the uninstrumented and the profiled
module run in this process on wasmtime; the profiled output is checked to be the program's followed by
the report, and the profile (read from the live instance) to hold samples.

Each round runs both once, interleaved, so load changes on the shared machine hit them alike; a run's
time is the CPU time of this thread (instantiation and execution, not compilation).  Printed per
kernel: the calls recorded, the distinct stacks, the median times and the min / median of the per-round
ratios profiled / uninstrumented.  ``--small`` runs the kernels at their millisecond sizes (a smoke
test of the script, not a measurement).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import KERNELS  # noqa: E402
from compiler import api  # noqa: E402
from compiler.runner import Execution, RunOptions  # noqa: E402
from cputime import round_ratios, run_cpu_seconds  # noqa: E402

SCRIPT = "report var prof: map<str, u64>;\nwasm:func:entry { prof[callstack]++; }\n"



def prepare(kernel, small: bool, out: str) -> tuple[Execution, Execution, int, int]:
    """The uninstrumented and the profiled run of ``kernel``, each run once and checked; with the
    number of calls the profile recorded and of distinct stacks."""
    app = kernel.path.read_bytes()
    options = RunOptions(argv=(kernel.name, *((kernel.small_size,) if small else ())), stdout=out)
    base = Execution(app, options)
    run_cpu_seconds(base, kernel.name)
    expected = Path(out).read_bytes()
    instrumented = api.instrument(app, SCRIPT, script_name="profile.mm")
    profiled = api.prepare_run(instrumented, options)
    result = profiled.run()
    if result.status != 0 or not Path(out).read_bytes().startswith(expected):
        raise SystemExit(f"{kernel.name}: the profile changed the program's output")
    counts = api.profile_counts("prof", api.read_report_values(instrumented.layout, result))
    if not counts:
        raise SystemExit(f"{kernel.name}: the profile recorded nothing")
    return base, profiled, sum(counts.values()), len(counts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kernel", action="append", choices=[k.name for k in KERNELS],
                        help="a kernel to measure (repeatable; default: all)")
    parser.add_argument("--small", action="store_true", help="the kernels' millisecond sizes (smoke test)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    kernels = [k for k in KERNELS if args.kernel is None or k.name in args.kernel]
    print(f"CPU time per run, {args.rounds} rounds interleaved; ratio is min / median of the per-round ratios")
    print(f"{'kernel':<8}{'calls':>12}{'stacks':>8}{'base s':>9}{'profiled s':>12}{'profiled/base':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "stdout")
        prepared = {k.name: prepare(k, args.small, out) for k in kernels}
        times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in prepared}
        for _ in range(args.rounds):
            for name, (base, profiled, _, _) in prepared.items():
                times[name][0].append(run_cpu_seconds(base, f"{name} base"))
                times[name][1].append(run_cpu_seconds(profiled, f"{name} profiled"))
    for name, (base_times, profiled_times) in times.items():
        low, mid = round_ratios(profiled_times, base_times)
        _, _, calls, stacks = prepared[name]
        print(f"{name:<8}{calls:>12}{stacks:>8}{statistics.median(base_times):>9.3f}"
              f"{statistics.median(profiled_times):>12.3f}{low:>9.2f}/{mid:<6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
