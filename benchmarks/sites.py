"""Benchmark: control structure, typed stack walk and probe matching on the sqlite module (~470k instructions).

Targets (issue 4 / the site-matching brief): walking every function well under 1 s; matching the branch
monitor must not walk at all (``br_if``'s ``arg0: u32`` is fixed by the catalog) and stay a small part of
the 1.5 s instrumentation budget.  Prints best and median CPU time of several runs (CPU time is
disturbed less than wall-clock time on a loaded machine).  Run from the repository root:
``python3 benchmarks/sites.py``.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = 5

SCRIPTS = {
    "branch monitor": (REPO / "examples" / "branches" / "branches.mm").read_text(),
    "call(arg0: i32) counter": "wasm:opcode:call(arg0: i32):before { report var n: u32; n++; }",
    "drop(arg0: i32) counter (walks)": "wasm:opcode:drop(arg0: i32):before { report var n: u32; n++; }",
    "global instruction counter": "var count: u64; wasm:opcode:*:before { count++; }",
}


def measure(fn) -> tuple[float, float]:
    times = []
    for _ in range(RUNS):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times), statistics.median(times)


def main() -> None:
    sys.path.insert(0, str(REPO))
    from compiler.lang.frontend import check_source
    from compiler.sites.matching import match
    from compiler.wasm.stack import FunctionTypes, ModuleTypes
    from compiler.wasm import read_module

    module = read_module((REPO / "tests" / "corpus" / "sqlite" / "sqlite.wasm").read_bytes())
    fids = range(module.num_imported_funcs, module.num_imported_funcs + len(module.code))
    count = sum(len(body.instrs) for body in module.code)       # decode once, outside the timings
    print(f"sqlite: {len(module.code)} functions, {count} instructions")

    def control() -> None:
        mt = ModuleTypes(module)
        for fid in fids:
            FunctionTypes(mt, fid).control

    def walk() -> None:
        mt = ModuleTypes(module)
        for fid in fids:
            FunctionTypes(mt, fid).walk()

    for name, fn in (("control structure", control), ("control + full walk", walk)):
        best, median = measure(fn)
        print(f"{name:34s} best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   "
              f"({best / count * 1e9:.0f} ns/instruction)")
    for name, text in SCRIPTS.items():
        program = check_source(text)
        result = match(module, program)
        walked = sum(t.walked for t in result.types.values())
        best, median = measure(lambda: match(module, program))
        print(f"match: {name:27s} best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   "
              f"{len(result.sites)} sites, {walked} functions walked")


if __name__ == "__main__":
    main()
