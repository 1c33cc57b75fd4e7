"""Independent readers of an instrumented module's DWARF, offered to the output-DWARF tests by
``tests/rewrite/conftest.py``: LLVM's tools (llvm-symbolizer, llvm-dwarfdump) read the DWARF, wasmtime
with debug info prints DWARF backtraces, and the instruction alignment between input and output is
made from the decoded bodies alone — not from the rewriter's plans that the compiler's address map
is built from.
"""
from __future__ import annotations

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
                      func_shift: int) -> tuple[dict[int, int], list[tuple[int, int | None, int | None]]]:
    """Input code address → output code address of every input instruction, body start and body end,
    found by matching each output body's instructions against its input body's in order (the rest
    is injected); and each injected instruction's output address with those of the input
    instructions before and after it in its body (None at either end).  Fails if an input
    instruction is not found."""
    src, out = read_module(input_wasm), read_module(output_wasm)
    nimp = src.num_imported_funcs
    in_bodies, out_bodies = code_bodies(src), code_bodies(out)
    mapped: dict[int, int] = {}
    injected: list[tuple[int, int | None, int | None]] = []
    for k, (in_start, in_end) in enumerate(in_bodies):
        j = k + nimp + func_shift - out.num_imported_funcs
        out_start, out_end = out_bodies[j]
        mapped[in_start] = out_start
        mapped[in_end] = out_end
        wanted = src.code[k].instrs
        i = 0
        previous = None
        pending: list[int] = []                 # injected since the last input instruction
        for ins in out.code[j].instrs:
            here = out_start + ins.offset
            if i < len(wanted) and _key(ins, 0, 0) == _key(wanted[i], nimp, func_shift):
                mapped[in_start + wanted[i].offset] = here
                injected += [(a, previous, here) for a in pending]
                pending, previous = [], here
                i += 1
            else:
                pending.append(here)
        injected += [(a, previous, None) for a in pending]
        assert i == len(wanted), f"function {k + nimp}: input instruction {i} not found in the output"
    return mapped, injected


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
