"""A trap's frames name their ``file:line`` (ANALYSIS.md §5) in an instrumented -g program.

Oracle: the *uninstrumented* program run by wasmtime gives each frame's input pc (``func_offset``), and
``llvm-dwarfdump --lookup`` names the line of that code address; whamm's frames of the instrumented run
(probes before the trapping instruction and at the calls, so every frame's code moved) must name the
same lines.  An application without DWARF keeps the frames as they were.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import wasmtime

from compiler import api
from compiler.wasm.dwarf import code_bodies
from compiler.wasm.reader import read_module

TRAP = Path(__file__).parent / "corpus" / "dwarf" / "trap.wasm"
SCRIPT = ("wasm:opcode:i32.div_s:before { report var n: u32; n++; }\n"
          "wasm:opcode:call:before { report var c: u32; c++; }\n"
          "wasm:func:entry { report var e: u32; e++; }\n")


def _expected_frames() -> list[tuple[int, str]]:
    """(input fid, file:line) of each frame of the uninstrumented program's trap, via llvm-dwarfdump."""
    data = TRAP.read_bytes()
    module = read_module(data)
    bodies = code_bodies(module)
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, wasmtime.Module(engine, data))
    with pytest.raises(wasmtime.Trap) as trap:
        instance.exports(store)["_start"](store)
    out = []
    for frame in trap.value.frames:
        k = frame.func_index - module.num_imported_funcs
        if not 0 <= k < len(bodies):
            continue
        text = subprocess.run(["llvm-dwarfdump", f"--lookup=0x{bodies[k][0] + frame.func_offset:x}", str(TRAP)],
                              capture_output=True, text=True).stdout       # exit 1: no unit covers it
        m = re.search(r"Line info: file '([^']*)', line (\d+)", text)
        out.append((frame.func_index, f"{Path(m[1]).name}:{m[2]}" if m and m[2] != "0" else ""))
    return out


def test_trap_frames_of_an_instrumented_program_name_the_right_lines() -> None:
    expected = _expected_frames()
    assert [src for _, src in expected[:3]] == ["trap.c:7", "trap.c:12", "trap.c:20"]   # divide, average, main
    result = api.instrument(api.load_app(TRAP), SCRIPT)
    run = api.run(result)
    assert run.outcome is api.Outcome.TRAPPED and run.trap_code == "INTEGER_DIVISION_BY_ZERO"
    got = [(f.fid, f.src) for f in run.frames if f.fid is not None]
    assert got == expected
    assert "  at divide (function 8, trap.c:7)" in run.error_text.splitlines()


def test_frames_without_dwarf_are_unchanged() -> None:
    traps = b"""(module (func $work unreachable) (func $main (export "_start") (call $work)))"""
    run = api.run(api.instrument(api.load_app(traps, name="traps.wat"), SCRIPT))
    assert [str(f) for f in run.frames] == ["  at work (function 0)", "  at main (function 1)"]
