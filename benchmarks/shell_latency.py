"""Shell latency: incremental re-instrumentation of a big module (SHELL.md "Incremental re-instrumentation").

    python3 benchmarks/shell_latency.py [--app tests/corpus/sqlite/sqlite.wasm]

Drives a :class:`whamm_shell.session.Session` as the shell does, on sqlite (~1 MB, ~470k instructions):

1. load the app and the branch monitor (``examples/branches/branches.mm``), ``run`` — the first run's
   compiler time is match + emit + encode (emit includes the layout);
2. add a probe whose sites are in at most 5 functions and ``run`` again — only that probe is matched
   and only the functions whose sites changed are re-emitted.  Target: compiler time ≤ 20% of step 1;
3. disable that probe and ``run`` — the script is the one of step 1, so the build and the compiled
   wasmtime module are reused.  Target: ≤ 50 ms from the command to the start of execution.

Step 2 from ``probe add`` to the start of execution (matching the probe, instrumenting, compiling) is
the shell's edit–run latency on a big app.  Target: ≤ 1.5 s with the shell's default compiler
(``set compiler fast``: Winch); the same with ``optimized`` (Cranelift) is printed beside it.

Then the compiler options on run 1's module (the branch monitor's output): wasmtime's compile time with
Winch, Cranelift, Cranelift at opt-level none, and a hit in wasmtime's on-disk cache (what a reopened
session gets), each in a fresh engine.  Last, the instruction counter
``wasm:opcode:*:before { report var n: u64; n++; }`` in a shell session on its own process (every
instruction of sqlite a site and a report row): the resident set size after each step and its peak.
Target: peak ≤ 400 MB.

Prints every phase of the first session's runs and the functions re-emitted, then, over ``--repeat``
whole sessions (wall-clock times; other work on the machine only ever adds time), the best and median
figures and the targets.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from compiler import api  # noqa: E402
from compiler.runner import RunOptions, _engine  # noqa: E402
from compiler.wasm.validate import config as base_config  # noqa: E402
from whamm_shell.session import RunRecord, Session, Settings  # noqa: E402
from targets import record  # noqa: E402

SQLITE = ROOT / "tests" / "corpus" / "sqlite" / "sqlite.wasm"
BRANCH_MONITOR = ROOT / "examples" / "branches" / "branches.mm"
#: sites in a handful of functions: the calls made by the first few defined functions
SMALL_PROBE = "wasm:opcode:call:before / fid >= {lo} && fid < {hi} / {{ report var calls: u32; calls++; }}"
PHASES = ("check", "match", "emit", "encode", "validate", "compile", "execute")
ICOUNT = "wasm:opcode:*:before { report var n: u64; n++; }"
ADD_AND_RUN_TARGET = 1.5
ICOUNT_PEAK_TARGET = 400


def compiler_time(record: RunRecord) -> float:
    return sum(record.timings[p] for p in ("match", "emit", "encode"))


def show(title: str, record: RunRecord, before_execution: float) -> None:
    phases = "  ".join(f"{p} {record.timings[p] * 1000:.1f}" for p in PHASES)
    print(f"{title:<28} {phases}  (ms)")
    print(f"{'':<28} compiler (match+emit+encode) {compiler_time(record) * 1000:.1f} ms, "
          f"command → execution start {before_execution * 1000:.1f} ms, {record.status}")


def timed_run(session: Session) -> tuple[RunRecord, float]:
    """Run; also the time from the call to the moment the program starts executing."""
    start = time.perf_counter()
    started: list[float] = []
    record = session.run(stdout=lambda data: None, stderr=lambda data: None,
                         started=lambda execution: started.append(time.perf_counter()))
    return record, started[0] - start


def small_probe(session: Session) -> str:
    """A probe matching calls in at most 5 functions (found with the session's own dry run)."""
    nimp = session.app.module.num_imported_funcs
    lo = nimp + 20
    for width in (5, 4, 3, 2, 1):
        text = SMALL_PROBE.format(lo=lo, hi=lo + width)
        rows = session.dry_match(text.split("{")[0])
        if 0 < len({r.fid for r in rows if r.injected}) <= 5:
            return text
    raise SystemExit("no small probe found")


def scenario(app: Path, verbose: bool, compiler: str = "fast") -> tuple[float, float, float, float, bytes]:
    """One session through the three steps; (compiler time of run 1, of run 2, start time of run 3,
    time from ``probe add`` to the start of run 2, run 1's module)."""
    clock = time.perf_counter()
    session = Session(api.load_app(app), settings=Settings(compiler=compiler))
    if verbose:
        print(f"{app.name}: loaded and decoded in {(time.perf_counter() - clock) * 1000:.1f} ms")
    session.load_script(BRANCH_MONITOR.read_text(), str(BRANCH_MONITOR))

    first, first_start = timed_run(session)
    sites = len(first.build.matched.matches.sites)
    text = small_probe(session)
    cache = session.instrumenter.functions
    misses = cache.misses
    clock = time.perf_counter()
    added = session.add_probe(text)
    adding = time.perf_counter() - clock
    second, second_start = timed_run(session)
    rewritten = cache.misses - misses
    session.set_enabled([added.number], False)
    third, third_start = timed_run(session)
    if verbose:
        show(f"1. branch monitor ({sites} sites)", first, first_start)
        show(f"2. + probe {added.number} ({added.sites} sites, {added.functions} fns)", second, second_start)
        print(f"{'':<28} functions re-emitted: {rewritten}")
        show("3. probe disabled again", third, third_start)
        print(f"{'':<28} build reused: {third.build.reused}, "
              f"same module as run 1: {third.build.wasm is first.build.wasm}")
    return compiler_time(first), compiler_time(second), third_start, adding + second_start, first.build.wasm


def compile_options(wasm: bytes) -> None:
    """wasmtime's compile time of ``wasm`` per option, each in a fresh engine."""
    import wasmtime
    with tempfile.TemporaryDirectory() as cache:
        cranelift_none = base_config()
        cranelift_none.epoch_interruption = True
        cranelift_none.cranelift_opt_level = "none"
        engines = [("Winch (set compiler fast)", lambda: _engine(RunOptions(), winch=True)),
                   ("Cranelift (set compiler optimized)", lambda: _engine(RunOptions(), winch=False)),
                   ("Cranelift, opt-level none", lambda: wasmtime.Engine(cranelift_none)),
                   ("Winch, on-disk cache filled", lambda: _engine(RunOptions(cache_dir=cache), winch=True)),
                   ("Winch, on-disk cache hit", lambda: _engine(RunOptions(cache_dir=cache), winch=True)),
                   ("Cranelift, on-disk cache filled", lambda: _engine(RunOptions(cache_dir=cache), winch=False)),
                   ("Cranelift, on-disk cache hit", lambda: _engine(RunOptions(cache_dir=cache), winch=False))]
        print(f"compile options on run 1's module ({len(wasm) / 1e6:.1f} MB), wall / CPU:")
        for name, make in engines:
            engine = make()
            clock, cpu = time.perf_counter(), time.process_time()
            wasmtime.Module(engine, wasm)
            print(f"  {name:<34} {time.perf_counter() - clock:6.2f} s / {time.process_time() - cpu:5.2f} s")


def icount_session(app: Path) -> int:
    """(child process) The instruction counter in a shell session: RSS after each step, then the peak."""
    def status(field: str) -> int:
        """``VmRSS`` / ``VmHWM`` (its peak) in MB: unlike ``ru_maxrss``, not inherited from the parent."""
        with open("/proc/self/status") as lines:
            return next(int(line.split()[1]) // 1024 for line in lines if line.startswith(field + ":"))

    def rss() -> str:
        return f"RSS {status('VmRSS')} MB, peak {status('VmHWM')} MB"

    clock = time.perf_counter()
    session = Session(api.load_app(app))
    print(f"  loaded {rss()}")
    added = session.add_probe(ICOUNT)
    print(f"  probe added ({added.sites} sites) {time.perf_counter() - clock:.1f} s, {rss()}")
    build = session.build()
    print(f"  built ({len(build.wasm) / 1e6:.0f} MB module) {time.perf_counter() - clock:.1f} s, {rss()}")
    record = session.run(stdout=lambda data: None, stderr=lambda data: None)
    print(f"  ran ({record.compiler}, compile {record.timings['compile']:.1f} s) "
          f"{time.perf_counter() - clock:.1f} s, {rss()}")
    rows = len(record.values())
    print(f"  report read ({rows} rows) {time.perf_counter() - clock:.1f} s, {rss()}")
    print(f"peak={status('VmHWM')}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", type=Path, default=SQLITE)
    parser.add_argument("--repeat", type=int, default=3, help="sessions to run (best and median are shown)")
    parser.add_argument("--icount-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.icount_child:
        return icount_session(args.app)

    results = [scenario(args.app, verbose=(k == 0)) for k in range(args.repeat)]
    firsts, seconds, starts, adds = (sorted(column) for column in list(zip(*results))[:4])
    ratio = min(seconds) / min(firsts)
    median_ratio = statistics.median(b / a for a, b, *_ in results)
    optimized = scenario(args.app, verbose=False, compiler="optimized")[3]
    print()
    print(f"over {args.repeat} sessions (best / median):")
    print(f"  run 1 compiler time {min(firsts) * 1000:.1f} / {statistics.median(firsts) * 1000:.1f} ms; "
          f"run 2 {min(seconds) * 1000:.1f} / {statistics.median(seconds) * 1000:.1f} ms")
    print(f"incremental compiler time: {ratio * 100:.1f}% of the first run (median of ratios "
          f"{median_ratio * 100:.1f}%; target ≤ 20%): {'ok' if ratio <= 0.20 else 'MISSED'}")
    print(f"toggle back, command → execution: {min(starts) * 1000:.1f} / {statistics.median(starts) * 1000:.1f} ms "
          f"(target ≤ 50 ms): {'ok' if min(starts) <= 0.050 else 'MISSED'}")
    print(f"add one probe and run, probe add → execution start: {min(adds):.2f} / {statistics.median(adds):.2f} s "
          f"with set compiler fast (target ≤ {ADD_AND_RUN_TARGET} s): "
          f"{'ok' if min(adds) <= ADD_AND_RUN_TARGET else 'MISSED'}; {optimized:.2f} s with optimized")
    record(f"shell, {args.app.stem}: incremental compiler time / first run", ratio, median_ratio, "x", 0.20)
    record(f"shell, {args.app.stem}: toggle back, command -> execution", min(starts), statistics.median(starts),
           "s", 0.050)
    record(f"shell, {args.app.stem}: add one probe and run -> execution", min(adds), statistics.median(adds),
           "s", ADD_AND_RUN_TARGET)
    print()
    compile_options(results[0][4])
    print()
    print(f"instruction counter `{ICOUNT}` in a shell session on {args.app.name}:")
    child = subprocess.run([sys.executable, __file__, "--icount-child", "--app", str(args.app)],
                           capture_output=True, text=True, check=True)
    lines = child.stdout.splitlines()
    print("\n".join(lines[:-1]))
    peak = int(lines[-1].removeprefix("peak="))
    record(f"shell, {args.app.stem} + instruction counter, peak RSS", peak, peak, "MB", ICOUNT_PEAK_TARGET)
    print(f"instruction counter session, peak RSS: {peak} MB (target ≤ {ICOUNT_PEAK_TARGET} MB): "
          f"{'ok' if peak <= ICOUNT_PEAK_TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
