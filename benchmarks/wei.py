"""The engine target: monitor compilation time, match time, and run time on the emulated engine
against the rewriting target.

    python3 benchmarks/wei.py [--app benchmarks/apps/compute.wasm] [--repeat 3]

For each analysis (the scripts of ``overhead.py`` plus a ``fname``-keyed map, whose string argument
goes through the engine buffer and a host trampoline), printed:

* ``build``: ``build_monitor`` (plan, layout, emit, encode, validate) — best of ``--repeat``;
* ``rewrite``: the rewriting target's ``instrument`` on the same script and app, for scale;
* ``wei run`` / ``rewritten run``: a complete run (instantiation, matching and weaving for wei, the
  program, the report), best wall time of ``--repeat``; and their ratio.

Output goes to a temporary file.  pytest never collects this script; nothing here is asserted.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compiler import api  # noqa: E402
from compiler.lang.frontend import check_source  # noqa: E402
from compiler.runner import RunOptions  # noqa: E402
from compiler.wei.emulator import emulate  # noqa: E402
from compiler.wei.monitor import build_monitor  # noqa: E402

APP = Path(__file__).resolve().parent / "apps" / "compute.wasm"

SCRIPTS = {
    "calls": "report var calls: u32;\nwasm:opcode:call:before { calls++; }\n",
    "branches": """
wasm:opcode:br_if:before { report var taken: u32; report var not_taken: u32;
    if (arg0 != 0) { taken++; } else { not_taken++; } }
wasm:opcode:if:before { report var taken: u32; report var not_taken: u32;
    if (arg0 != 0) { taken++; } else { not_taken++; } }
""",
    "instructions": "report var executed: u64;\nwasm:opcode:*:before { executed++; }\n",
    "calls by name": "report var by: map<str, u32>;\nwasm:opcode:call:before { by[fname]++; }\n",
}


def _best(fn, repeat: int) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=APP)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    app = api.load_app(args.app)
    print(f"app: {args.app} ({len(app.wasm)} bytes, {len(app.module.code)} functions)")
    print(f"{'analysis':<15} {'build':>9} {'rewrite':>9} {'wei run':>9} {'rewritten':>10} {'ratio':>6} {'sites':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "stdout")
        options = RunOptions((args.app.name,), stdout=out)
        for name, script in SCRIPTS.items():
            program = check_source(script, f"{name}.mm", wei=True)
            build, monitor = _best(lambda: build_monitor(program), args.repeat)
            rewrite, result = _best(lambda: api.instrument(app, script), args.repeat)
            wei_run, emulation = _best(lambda: emulate(monitor.wasm, app.wasm, (), options, app_module=app.module),
                                       args.repeat)
            rw_run, _ = _best(lambda: api.run(result, options), args.repeat)
            print(f"{name:<15} {build * 1e3:8.1f}ms {rewrite * 1e3:8.1f}ms {wei_run:8.3f}s {rw_run:9.3f}s "
                  f"{wei_run / rw_run:6.2f} {len(emulation.attachments):>6}")


if __name__ == "__main__":
    main()
