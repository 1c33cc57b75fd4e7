"""Run-time overhead of whamm's generated instrumentation against hand-written instrumentation.

    python3 benchmarks/overhead.py [--app benchmarks/apps/compute.wasm] [--repeat 3]

Three analyses, each applied to the same compute-bound program twice — once by ``whamm`` from a script,
once by hand with :mod:`compiler.wasm` (the code a careful person would insert):

* **calls**: a global counter incremented before every ``call`` (``global.get; i32.const 1; i32.add;
  global.set``);
* **branches**: per-site ``taken``/``not_taken`` counters for every ``br_if`` and ``if``, in memory at
  constant addresses (the condition is kept in a local, ``if/else`` picks the counter);
* **instructions**: a 64-bit global incremented before every instruction.

Every variant is compiled once and run in this process on the same runner (wasmtime, WASI, output to
a file) ``--repeat`` times, the variants interleaved; the best CPU time of the running thread counts.  Printed: the uninstrumented time, each variant's time, and the ratio
generated / hand-written (target ≤ 1.10).  The program's output is checked to be unchanged first.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compiler import api  # noqa: E402
from compiler.runner import Execution, RunOptions  # noqa: E402
from compiler.wasm import (  # noqa: E402
    BY_NAME, Export, ExternKind, Global, GlobalType, Instr, Limits, MemArg, Module, read_module, write_module,
)

APP = Path(__file__).resolve().parent / "apps" / "compute.wasm"

SCRIPTS = {
    "calls": "report var calls: u32;\nwasm:opcode:call:before { calls++; }\n",
    "branches": """
wasm:opcode:br_if:before {
    report var taken: u32;
    report var not_taken: u32;
    if (arg0 != 0) { taken++; } else { not_taken++; }
}
wasm:opcode:if:before {
    report var taken: u32;
    report var not_taken: u32;
    if (arg0 != 0) { taken++; } else { not_taken++; }
}
""",
    "instructions": "report var executed: u64;\nwasm:opcode:*:before { executed++; }\n",
}


def _op(name: str, *imms: object) -> Instr:
    return Instr(BY_NAME[name], imms)


def _add_global(module: Module, valtype: str, name: str) -> int:
    module.globals.append(Global(GlobalType(valtype, True), (_op(f"{valtype}.const", 0), _op("end"))))
    index = len(module.global_types()) - 1
    module.exports.append(Export(name, ExternKind.GLOBAL, index))
    return index


def hand_calls(module: Module) -> None:
    g = _add_global(module, "i32", "calls")
    bump = (_op("global.get", g), _op("i32.const", 1), _op("i32.add"), _op("global.set", g))
    for body in module.code:
        instrs = body.instrs
        if any(i.op.name == "call" for i in instrs):
            out: list[Instr] = []
            for instr in instrs:
                if instr.op.name == "call":
                    out.extend(bump)
                out.append(instr)
            body.instrs = out


def hand_branches(module: Module) -> None:
    mem = len(module.memory_limits())
    module.memories.append(Limits(1))
    load, store = MemArg(2, 0, mem), MemArg(2, 0, mem)
    site = 0
    for fidx, body in enumerate(module.code):
        instrs = body.instrs
        if not any(i.op.name in ("br_if", "if") for i in instrs):
            continue
        n_params = len(module.func_type(module.num_imported_funcs + fidx).params)
        cond = n_params + len(body.local_types())
        out: list[Instr] = []
        for instr in instrs:
            if instr.op.name in ("br_if", "if"):
                taken, not_taken = 8 * site, 8 * site + 4
                site += 1
                out += [_op("local.tee", cond), _op("if", None),
                        _op("i32.const", taken), _op("i32.const", taken), _op("i32.load", load),
                        _op("i32.const", 1), _op("i32.add"), _op("i32.store", store),
                        _op("else"),
                        _op("i32.const", not_taken), _op("i32.const", not_taken), _op("i32.load", load),
                        _op("i32.const", 1), _op("i32.add"), _op("i32.store", store),
                        _op("end"), _op("local.get", cond)]
            out.append(instr)
        body.locals = (*body.locals, (1, "i32"))
        body.instrs = out
    if site * 8 > 65536:
        raise SystemExit("too many branch sites for one page")


def hand_instructions(module: Module) -> None:
    g = _add_global(module, "i64", "executed")
    bump = (_op("global.get", g), _op("i64.const", 1), _op("i64.add"), _op("global.set", g))
    for body in module.code:
        out: list[Instr] = []
        for instr in body.instrs:
            out.extend(bump)
            out.append(instr)
        body.instrs = out


HAND: dict[str, Callable[[Module], None]] = {
    "calls": hand_calls, "branches": hand_branches, "instructions": hand_instructions,
}


def hand_written(app: bytes, analysis: str) -> bytes:
    module = read_module(app)
    HAND[analysis](module)
    wasm = write_module(module)
    from compiler.wasm import validate
    validate(wasm)
    return wasm


def _time(execution: Execution) -> float:
    """CPU seconds of one run (instantiation + execution) in this thread, where wasmtime runs the
    program: unlike wall time it does not count other processes' turns on a busy machine."""
    start = time.thread_time()
    result = execution.run()
    elapsed = time.thread_time() - start
    if result.status != 0:
        raise SystemExit(f"the program failed: {result.error_text or result.status}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", type=Path, default=APP)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = args.app.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "stdout")
        options = RunOptions(argv=("app.wasm",), stdout=out)
        base = Execution(app, options)
        _time(base)
        expected = Path(out).read_bytes()
        variants: dict[str, tuple[Execution, Execution]] = {}
        for analysis, script in SCRIPTS.items():
            generated = Execution(api.instrument(app, script, script_name=f"{analysis}.mm").wasm, options)
            hand = Execution(hand_written(app, analysis), options)
            _time(generated)
            if not Path(out).read_bytes().startswith(expected):
                raise SystemExit(f"{analysis}: the generated module changed the program's output")
            _time(hand)
            if Path(out).read_bytes() != expected:
                raise SystemExit(f"{analysis}: the hand-written module changed the program's output")
            variants[analysis] = (generated, hand)
        # Interleave the runs so that load changes on the machine hit every variant alike.
        best = {name: float("inf") for name in ("base", *(f"{a}/{k}" for a in variants for k in "gh"))}
        for _ in range(args.repeat):
            best["base"] = min(best["base"], _time(base))
            for analysis, (generated, hand) in variants.items():
                best[f"{analysis}/g"] = min(best[f"{analysis}/g"], _time(generated))
                best[f"{analysis}/h"] = min(best[f"{analysis}/h"], _time(hand))
    t_base = best["base"]
    print(f"{args.app.name}: uninstrumented {t_base:.3f} s CPU (best of {args.repeat}, runs interleaved)")
    print(f"{'analysis':<14}{'generated':>11}{'hand':>11}{'ratio':>8}   (slowdown vs uninstrumented)")
    for analysis in variants:
        t_gen, t_hand = best[f"{analysis}/g"], best[f"{analysis}/h"]
        print(f"{analysis:<14}{t_gen:>10.3f}s{t_hand:>10.3f}s{t_gen / t_hand:>8.3f}   "
              f"(generated x{t_gen / t_base:.2f}, hand x{t_hand / t_base:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
