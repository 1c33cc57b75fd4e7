"""What instrumenting a big module costs outside the program's run: output size, compiler CPU time,
start-up, and the engine's compile time of the output — each next to the issue's target (issue 11).

    python3 benchmarks/output_costs.py [--app tests/corpus/sqlite/sqlite.wasm] [--rounds 3]

On sqlite (~1.1 MB) with the branch monitor (examples/branches/branches.mm) and the instruction
counter (examples/instr_count/instr_count.mm):

* output size / input size (targets ≤ 2× and ≤ 1.3×);
* CPU time (user + system) of the whole ``whamm instr`` process, start-up imports included, read with
  ``getrusage(RUSAGE_CHILDREN)`` (targets ≤ 1.0 s and ≤ 1.5 s);
* CPU time of ``whamm --help`` (target ≤ 0.15 s);
* wasmtime's compile time of the output / of the input, CPU time of this process (Cranelift compiles
  on several threads) around ``wasmtime.Module(...)`` (target ≤ 1.5× for both).

Every figure is measured ``--rounds`` times, interleaved; printed: min and median, the target, and
whether the median meets it.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from compiler.wasm.validate import config as engine_config  # noqa: E402
from targets import record  # noqa: E402

SQLITE = ROOT / "tests" / "corpus" / "sqlite" / "sqlite.wasm"
WHAMM = Path(sys.executable).parent / "whamm"
MONITORS = {
    "branches": (ROOT / "examples" / "branches" / "branches.mm", 2.0, 1.0),
    "icount": (ROOT / "examples" / "instr_count" / "instr_count.mm", 1.3, 1.5),
}
"""Per monitor: its script, the size-ratio target and the ``whamm instr`` CPU-time target (seconds)."""
HELP_TARGET = 0.15
COMPILE_RATIO_TARGET = 1.5


def child_cpu(command: list[str]) -> float:
    """CPU seconds (user + system) of running ``command`` to completion; a failure stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compile_cpu(wasm: bytes) -> float:
    """CPU seconds of this process (every compiler thread) for wasmtime compiling ``wasm``."""
    import wasmtime
    engine = wasmtime.Engine(engine_config())
    start = time.process_time()
    wasmtime.Module(engine, wasm)
    return time.process_time() - start


def line(figure: str, values: list[float], unit: str, target: float) -> str:
    low, mid = min(values), statistics.median(values)
    record(figure, low, mid, unit, target)
    met = "yes" if mid <= target else "no"
    return f"{figure:<44}{low:>8.3f}{mid:>9.3f} {unit:<3}{'≤ ' + format(target, 'g'):>8}{met:>5}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", type=Path, default=SQLITE)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not WHAMM.is_file():
        raise SystemExit(f"no whamm command beside {sys.executable}: install the project (make shell)")
    app = args.app.read_bytes()
    instr_cpu: dict[str, list[float]] = {name: [] for name in MONITORS}
    help_cpu: list[float] = []
    compile_ratio: dict[str, list[float]] = {name: [] for name in MONITORS}
    with tempfile.TemporaryDirectory() as tmp:
        outputs = {name: Path(tmp) / f"{name}.wasm" for name in MONITORS}
        for _ in range(args.rounds):
            help_cpu.append(child_cpu([str(WHAMM), "--help"]))
            for name, (script, _, _) in MONITORS.items():
                instr_cpu[name].append(child_cpu([str(WHAMM), "instr", "-s", str(script), "-a", str(args.app),
                                                  "-o", str(outputs[name])]))
        sizes = {name: outputs[name].stat().st_size for name in MONITORS}
        for _ in range(args.rounds):
            input_time = compile_cpu(app)
            for name in MONITORS:
                compile_ratio[name].append(compile_cpu(outputs[name].read_bytes()) / input_time)
    print(f"{args.app.name}: {len(app) / 1e6:.2f} MB; {args.rounds} rounds, interleaved")
    print(f"{'figure':<44}{'min':>8}{'median':>9}{'':4}{'target':>8}{'met':>5}")
    for name, (_, size_target, _) in MONITORS.items():
        ratio = sizes[name] / len(app)
        record(f"output size, {args.app.stem} + {name} / input", ratio, ratio, "x", size_target)
        print(f"{f'output size, + {name} ({sizes[name] / 1e6:.2f} MB) / input':<44}{ratio:>8.2f}{ratio:>9.2f} "
              f"{'x':<3}{'≤ ' + format(size_target, 'g'):>8}{'yes' if ratio <= size_target else 'no':>5}")
    for name, (_, _, cpu_target) in MONITORS.items():
        print(line(f"whamm instr CPU, {args.app.stem} + {name}", instr_cpu[name], "s", cpu_target))
    print(line("whamm --help CPU", help_cpu, "s", HELP_TARGET))
    for name in MONITORS:
        print(line(f"wasmtime compile time, {args.app.stem} + {name} / input", compile_ratio[name], "x",
                   COMPILE_RATIO_TARGET))
    return 0


if __name__ == "__main__":
    sys.exit(main())
