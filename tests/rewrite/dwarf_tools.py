"""Independent readers of an instrumented module's DWARF, offered to the output-DWARF tests by
``tests/rewrite/conftest.py``: LLVM's tools (llvm-symbolizer, llvm-dwarfdump) read the DWARF, wasmtime
with debug info prints DWARF backtraces, and the instruction alignment between input and output is
made from the decoded bodies alone — not from the rewriter's plans that the compiler's address map
is built from.
"""
from __future__ import annotations

import bisect
import json
import os
import re
import subprocess
import tempfile
from functools import lru_cache

import wasmtime

from compiler.wasm import read_module
from compiler.wasm.dwarf import code_bodies

#: Branch depths change inside wrapped or replaced code; the instruction is still the input's.
_DEPTHS = frozenset({"br", "br_if", "br_table"})
_CALLS = frozenset({"call", "return_call", "ref.func"})


def aligned_addresses(input_wasm: bytes, output_wasm: bytes,
                      func_shift: int) -> tuple[dict[int, list[int]], list[tuple[int, int | None, int | None]]]:
    """Where each input instruction can be in the output, from the decoded bodies alone.

    The input body is a subsequence of the output body (the rest is injected), but not always in one
    way: injected code may hold an instruction equal to an input one next to it (an ``end`` closing an
    injected ``if`` before the function's ``end``).  Matching greedily from the front gives every input
    instruction its earliest possible output position, from the back its latest; its true position is
    one of the equal instructions between the two.  Returns, per input code address (instruction
    starts, body starts and ends), those candidate output addresses; and each output instruction that
    is no input instruction's candidate (certainly injected), with the nearest candidates before and
    after it in its body (None at either end)."""
    src, out = read_module(input_wasm), read_module(output_wasm)
    nimp = src.num_imported_funcs
    in_bodies, out_bodies = code_bodies(src), code_bodies(out)
    candidates: dict[int, list[int]] = {}
    injected: list[tuple[int, int | None, int | None]] = []
    for k, (in_start, in_end) in enumerate(in_bodies):
        j = k + nimp + func_shift - out.num_imported_funcs
        out_start, out_end = out_bodies[j]
        candidates[in_start], candidates[in_end] = [out_start], [out_end]
        wanted = [_key(ins, nimp, func_shift) for ins in src.code[k].instrs]
        have = [_key(ins, 0, 0) for ins in out.code[j].instrs]
        first, last = _embedding(wanted, have), _embedding(wanted[::-1], have[::-1])
        assert first is not None and last is not None, f"function {k + nimp}: input instructions missing"
        last = [len(have) - 1 - p for p in reversed(last)]
        offsets = [ins.offset for ins in out.code[j].instrs]
        somebody = set()
        for ins, key, lo, hi in zip(src.code[k].instrs, wanted, first, last):
            spots = [p for p in range(lo, hi + 1) if have[p] == key]
            candidates[in_start + ins.offset] = [out_start + offsets[p] for p in spots]
            somebody.update(spots)
        marked = sorted(somebody)
        for p in range(len(have)):
            if p not in somebody:
                n = bisect.bisect_left(marked, p)
                before = out_start + offsets[marked[n - 1]] if n > 0 else None
                after = out_start + offsets[marked[n]] if n < len(marked) else None
                injected.append((out_start + offsets[p], before, after))
    return candidates, injected


def _embedding(wanted: list[tuple], have: list[tuple]) -> list[int] | None:
    """The leftmost positions of ``wanted`` as a subsequence of ``have`` (None if it is not one)."""
    out = []
    p = 0
    for key in wanted:
        while p < len(have) and have[p] != key:
            p += 1
        if p == len(have):
            return None
        out.append(p)
        p += 1
    return out


def _key(ins, nimp: int, shift: int) -> tuple:
    name = ins.op.name
    if name in _DEPTHS:
        return (name,)
    if name in _CALLS and ins.imms[0] >= nimp:
        return (name, ins.imms[0] + shift, *ins.imms[1:])
    return (name, *ins.imms)


def symbolize(wasm: bytes, addresses: list[int]) -> list[list[tuple]]:
    """llvm-symbolizer's frames (inlined ones included) for each code address: (function, file,
    line, column, discriminator, the function's declaration file and line)."""
    with tempfile.NamedTemporaryFile(suffix=".wasm") as f:
        f.write(wasm)
        f.flush()
        proc = subprocess.run(["llvm-symbolizer", f"--obj={f.name}", "--output-style=JSON"],
                              input="".join(f"0x{a:x}\n" for a in addresses), capture_output=True,
                              text=True, check=True)
    out = []
    for line in proc.stdout.splitlines():
        entry = json.loads(line)
        out.append([(s["FunctionName"], s["FileName"], s["Line"], s["Column"], s["Discriminator"],
                     s["StartFileName"], s["StartLine"]) for s in entry["Symbol"]])
    assert len(out) == len(addresses)
    return out


def dwarfdump(wasm: bytes, *args: str) -> subprocess.CompletedProcess:
    """llvm-dwarfdump ARGS on the module (exit status and output kept)."""
    with tempfile.NamedTemporaryFile(suffix=".wasm") as f:
        f.write(wasm)
        f.flush()
        return subprocess.run(["llvm-dwarfdump", *args, f.name], capture_output=True, text=True)


_ADDRESS_ATTR = re.compile(r"DW_AT_(low_pc|high_pc|call_return_pc|call_pc|entry_pc)\t\(0x([0-9a-f]+)\)")
_RANGE = re.compile(r"\[0x([0-9a-f]+), 0x([0-9a-f]+)\)")


def info_addresses(wasm: bytes) -> list[int]:
    """Every code address llvm-dwarfdump shows in .debug_info, in order: address attributes (a
    high_pc as the end it denotes; not the length after a discarded function's low_pc, shown as
    "dead code") and the ranges of range and location lists."""
    text = dwarfdump(wasm, "--debug-info").stdout
    out = []
    dead = False
    for line in text.splitlines():
        if "DW_AT_low_pc" in line:
            dead = "(dead code)" in line
        m = _ADDRESS_ATTR.search(line)
        if m and not (dead and m.group(1) == "high_pc"):
            out.append(int(m.group(2), 16))
        for a, b in _RANGE.findall(line):
            out += [int(a, 16), int(b, 16)]
    return out


@lru_cache(maxsize=1)
def _debug_engine() -> wasmtime.Engine:
    """An engine that reads DWARF for its backtraces (made on first use; the env variable is read when
    the configuration is made)."""
    old = os.environ.get("WASMTIME_BACKTRACE_DETAILS")
    os.environ["WASMTIME_BACKTRACE_DETAILS"] = "1"
    try:
        config = wasmtime.Config()
        config.debug_info = True
        return wasmtime.Engine(config)
    finally:
        if old is None:
            del os.environ["WASMTIME_BACKTRACE_DETAILS"]
        else:
            os.environ["WASMTIME_BACKTRACE_DETAILS"] = old


def trap_frames(wasm: bytes) -> list[tuple[str, str]]:
    """Run ``_start`` under wasmtime with DWARF backtraces; the (function, ``file:line:col``) of each
    frame of the trap's backtrace that has a source position."""
    engine = _debug_engine()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, wasmtime.Module(engine, wasm))
    try:
        instance.exports(store)["_start"](store)  # type: ignore[operator]
    except wasmtime.Trap as exc:
        text = str(exc)
    else:
        raise AssertionError("the program did not trap")
    return re.findall(r"0x[0-9a-f]+ - (\S+)\n\s+at (\S+)", text)
