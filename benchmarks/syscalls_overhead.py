"""Run-time overhead of the ``syscalls`` tool (ANALYSIS.md §7, docs/TOOLS.md) on a file-heavy program.

    python3 benchmarks/syscalls_overhead.py [--rounds 5] [--files N] [--small]

``benchmarks/apps/fileio.c`` creates, writes (8 × 512 bytes, unbuffered), reads back, closes and removes
a file N times (default 2000: about 46,000 WASI calls), so its time goes into WASI calls — the worst
case for a tool that reads the clock twice around every one of them.  The uninstrumented program and the
program under ``--tool syscalls`` run in this process on wasmtime, each with a fresh preopened
directory (on /dev/shm when there is one); before timing, the instrumented output is checked to be the program's and the tool's table
(read from the live instance) to count every call the program is known to make.

Each round runs both once, interleaved, so load changes on the shared machine hit them alike; a run's
time is the CPU time of this thread (instantiation and execution, not compilation; the host's own work
in WASI calls runs in this thread too).  Printed: the WASI calls counted, the median times, and the min
and median of the per-round ratios instrumented / uninstrumented.  ``--small`` runs 20 files (a smoke
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

from compiler import api  # noqa: E402
from compiler.runner import Execution, RunOptions  # noqa: E402
from cputime import round_ratios, run_cpu_seconds  # noqa: E402

APP = Path(__file__).resolve().parent / "apps" / "fileio.wasm"



def prepare(files: int, data: str, out: str) -> tuple[Execution, Execution, int]:
    """The uninstrumented and the instrumented run, each run once and checked; with the number of WASI
    calls the tool counted."""
    app = APP.read_bytes()
    options = RunOptions(argv=(APP.name, str(files)), dirs=((data, "/data"),), stdout=out)
    base = Execution(app, options)
    run_cpu_seconds(base, "uninstrumented")
    expected = Path(out).read_bytes()
    script = api.tool_script("syscalls")
    instrumented = api.instrument(app, script.text, script_name=script.label, options=api.Options(no_report=True))
    traced = api.prepare_run(instrumented, options)
    result = traced.run()
    if result.status != 0 or Path(out).read_bytes() != expected:
        raise SystemExit("the syscalls tool changed the program's output")
    values = api.read_report_values(instrumented.layout, result)
    calls = {row.var.name: row.value for row in values}["syscall_ns"]
    # per file: path_open, 8 unbuffered fwrites, fseek, reads until EOF (9), close, unlink
    for name, least in (("path_open", files), ("fd_write", 8 * files), ("fd_read", 9 * files),
                        ("path_unlink_file", files), ("fd_close", files)):
        if calls.get(name.encode(), (0,))[0] < least:
            raise SystemExit(f"the syscalls tool counted {calls.get(name.encode(), (0,))[0]} {name} calls, "
                             f"expected at least {least}")
    return base, traced, sum(v[0] for v in calls.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--files", type=int, default=2000, help="files the program creates (default 2000)")
    parser.add_argument("--small", action="store_true", help="20 files (smoke test)")
    args = parser.parse_args()
    if args.rounds < 1 or args.files < 1:
        parser.error("--rounds and --files must be at least 1")
    files = 20 if args.small else args.files
    print(f"CPU time per run, {args.rounds} rounds interleaved; ratio is min / median of the per-round ratios")
    # in memory where there is a tmpfs: the host's file system work is then CPU time too, not disk waits
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as tmp:
        data, out = os.path.join(tmp, "data"), os.path.join(tmp, "stdout")
        os.mkdir(data)
        base, traced, calls = prepare(files, data, out)
        base_times: list[float] = []
        traced_times: list[float] = []
        for _ in range(args.rounds):
            base_times.append(run_cpu_seconds(base, "uninstrumented"))
            traced_times.append(run_cpu_seconds(traced, "syscalls"))
    low, mid = round_ratios(traced_times, base_times)
    print(f"{'program':<10}{'files':>7}{'WASI calls':>12}{'base s':>9}{'syscalls s':>12}{'syscalls/base':>16}")
    print(f"{'fileio':<10}{files:>7}{calls:>12}{statistics.median(base_times):>9.3f}"
          f"{statistics.median(traced_times):>12.3f}{low:>9.2f}/{mid:<6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
