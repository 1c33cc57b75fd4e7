"""``nsecs``, ``callstack`` and ``stack_depth`` (ANALYSIS.md §3) in the rewriting target: the shadow stack
through recursion (against a Python model of the calls), ``return_call``, exceptions, traps and
``proc_exit``, the 256-frame cap, a C program's calls; the clock's import added only when used and the
application's memory untouched by it.  Every module run here is validated by wasm-tools
(tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from compiler import api
from compiler.wasm import read_module
from compiler.wasm.model import ExternKind
from compiler.wasm.validate import engine

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "c"
ELLIPSIS = "\u2026"

#: Prints one line per function entry: depth, then the stack.
ENTRY_LINES = 'wasm:func:entry { printf("@@ %u %s\\n", stack_depth, callstack); }'

FIB = """
(module
  (func $fib (param i32) (result i32)
    local.get 0 i32.const 2 i32.lt_u
    if (result i32) local.get 0
    else
      local.get 0 i32.const 1 i32.sub call $fib
      local.get 0 i32.const 2 i32.sub call $fib
      i32.add
    end)
  (func $main (export "_start") i32.const 7 call $fib drop))
"""


def entry_lines(stdout: str) -> list[tuple[int, str]]:
    """The ``@@ depth stack`` lines printed by :data:`ENTRY_LINES` (one may follow the application's
    output of a line whose newline has not been written yet)."""
    out = []
    for line in stdout.splitlines():
        if "@@ " in line:
            depth, _, stack = line[line.index("@@ ") + 3:].partition(" ")
            out.append((int(depth), stack))
    return out


def fib_model(n: int) -> list[list[str]]:
    """The call stack at every function entry of FIB's ``main``, computed independently."""
    entries: list[list[str]] = []

    def fib(k: int, stack: list[str]) -> int:
        stack = stack + ["fib"]
        entries.append(stack)
        return k if k < 2 else fib(k - 1, stack) + fib(k - 2, stack)

    entries.append(["main"])
    fib(n, ["main"])
    return entries


def test_recursion_matches_a_model_of_the_calls(instrument, run):
    out = instrument(ENTRY_LINES, FIB)
    status, stdout, _ = run(out.wasm)
    assert status == 0
    lines = entry_lines(stdout)
    model = fib_model(7)
    assert [s for _, s in lines] == [";".join(frames) for frames in model]
    assert [d for d, _ in lines] == [len(frames) for frames in model]
    assert all(d == s.count(";") + 1 for d, s in lines)


def test_a_profile_keyed_by_callstack(instrument, run):
    script = "report var prof: map<str, u32>; " + \
             "wasm:func:entry { prof[callstack]++; }"
    status, stdout, _ = run(instrument(script, FIB).wasm)
    assert status == 0
    counts: dict[str, int] = {}
    for frames in fib_model(7):
        key = ";".join(frames)
        counts[key] = counts.get(key, 0) + 1
    cell = ";".join(f"{k}->{v}" for k, v in sorted(counts.items()))
    assert f"map<str,u32>, i32, script0, , , , , {cell}\n" in stdout


TAIL = """
(module
  (type $t (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $leaf)
  (func $leaf (type $t) local.get 0)
  (func $count (type $t)
    local.get 0 i32.eqz
    if (result i32)
      i32.const 5 i32.const 0 return_call_indirect (type $t)
    else
      local.get 0 i32.const 1 i32.sub return_call $count
    end)
  (func $main (export "_start")
    i32.const 3 call $count drop
    i32.const 1 call $leaf drop
    nop))
"""


def test_return_call_replaces_the_frame(instrument, run):
    script = ENTRY_LINES + ' wasm:opcode:nop:before { printf("@@ %u %s\\n", stack_depth, callstack); }'
    status, stdout, _ = run(instrument(script, TAIL).wasm)
    assert status == 0
    assert entry_lines(stdout) == [
        (1, "main"),
        (2, "main;count"), (2, "main;count"), (2, "main;count"), (2, "main;count"),   # count(3) … count(0)
        (2, "main;leaf"),                        # count(0)'s return_call_indirect replaced its frame
        (2, "main;leaf"),                        # main's own call
        (1, "main"),                             # back in main: every frame popped
    ]


EXCEPTIONS = """
(module
  (tag $e)
  (func $thrower (throw $e))
  (func $middle call $thrower)
  (func $catcher
    (block $h (try_table (catch_all $h) call $middle))
    nop)
  (func $local_catch
    (block $h (try_table (catch_all $h) (throw $e)))
    nop)
  (func $main (export "_start") call $catcher call $local_catch nop))
"""


def test_frames_left_by_a_throw_are_popped(instrument, run):
    script = ENTRY_LINES + ' wasm:opcode:nop:before { printf("@@ %u %s\\n", stack_depth, callstack); }'
    status, stdout, _ = run(instrument(script, EXCEPTIONS).wasm)
    assert status == 0
    assert entry_lines(stdout) == [
        (1, "main"), (2, "main;catcher"), (3, "main;catcher;middle"), (4, "main;catcher;middle;thrower"),
        (2, "main;catcher"),               # the catch landing: thrower's and middle's frames are gone
        (2, "main;local_catch"), (2, "main;local_catch"),   # a throw caught in its own function
        (1, "main"),
    ]


DEEP = """
(module
  (func $rec (param i32)
    local.get 0
    if local.get 0 i32.const 1 i32.sub call $rec end)
  (func $main (export "_start") i32.const 299 call $rec))
"""


def test_deeper_than_256_frames_the_outermost_become_one_ellipsis(instrument, run):
    script = 'wasm:func:entry / fname == "rec" / { if (stack_depth >= 255 && stack_depth <= 258 || ' \
             'stack_depth == 300) { printf("@@ %u %s\\n", stack_depth, callstack); } }'
    status, stdout, _ = run(instrument(script, DEEP).wasm)
    assert status == 0
    lines = dict(entry_lines(stdout))
    assert sorted(lines) == [255, 256, 257, 258, 300]
    assert lines[255] == ";".join(["main"] + ["rec"] * 254)
    assert lines[256] == ";".join(["main"] + ["rec"] * 255)            # 256 frames: all shown
    for depth in (257, 258, 300):
        assert lines[depth] == ";".join([ELLIPSIS] + ["rec"] * 255)     # 256 frames, the first "…"


TRAPS = """
(module
  (func $inner unreachable)
  (func $boom (export "boom") call $inner)
  (func $ok (export "ok") nop))
"""


def test_after_a_trap_a_later_call_sees_the_abandoned_frames_below_its_own(instrument):
    """docs/CALLSTACK.md: a trap abandons the shadow stack; a later call into the same instance still
    gets a well-formed stack (the frames the trap left, then its own), and returning pops its frame."""
    out = instrument('report var last: u32; wasm:opcode:nop:before { last = stack_depth; '
                     'printf("@@ %u %s\\n", stack_depth, callstack); }', TRAPS)
    store = wasmtime.Store(engine())
    store.set_wasi(wasmtime.WasiConfig())
    linker = wasmtime.Linker(store.engine)
    linker.define_wasi()
    exports = linker.instantiate(store, wasmtime.Module(store.engine, out.wasm)).exports(store)
    with pytest.raises(wasmtime.Trap):
        exports["boom"](store)
    exports["ok"](store)
    assert exports["get_last"](store) == 3          # boom, inner (abandoned), ok
    exports["ok"](store)
    assert exports["get_last"](store) == 3          # ok's frame was popped: no growth per call


PROC_EXIT = """
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (func $leave (i32.const 3) (call $proc_exit))
  (func $work call $leave)
  (func $main (export "_start") call $work))
"""


def test_proc_exit_still_prints_the_report(instrument, run, report):
    script = "report var prof: map<str, u32>; wasm:func:entry { prof[callstack]++; }"
    status, stdout, _ = run(instrument(script, PROC_EXIT).wasm)
    assert status == 3
    assert stdout == report("0, map_id, prof, map<str,u32>, i32, script0, , , , , "
                            "main->1;main;work->1;main;work;leave->1")


def test_a_c_program_s_stacks_form_a_call_tree(tmp_path):
    """On a C program: each entry's caller path is a prefix of the stack before it (a preorder walk of the
    call tree), depths agree with the frames, and every entry printed one line."""
    app = str(CORPUS / "sort_hash.wasm")
    result = api.instrument(app, ENTRY_LINES + " report var n: u64; wasm:func:entry { n++; }")
    api.run(result, api.RunOptions((app,), stdout=str(tmp_path / "out")))
    stdout = (tmp_path / "out").read_text()
    lines = entry_lines(stdout)
    assert len(lines) > 100 and f"n, u64, i64, script0, , , , , {len(lines)}" in stdout
    previous: list[str] = []
    for depth, stack in lines:
        frames = stack.split(";")
        assert depth == len(frames) and ELLIPSIS not in frames
        assert frames[:-1] == previous[:len(frames) - 1]
        previous = frames


def _imports(wasm: bytes) -> list[tuple[str, str]]:
    return [(i.module, i.name) for i in read_module(wasm).imports if i.kind == ExternKind.FUNC]


CLOCKED = """
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func $f)
  (func $main (export "_start")
    ;; a value at the top of the memory, which the clock's borrowed bytes must give back
    (i64.store (i32.const 65528) (i64.const 0x1122334455667788))
    call $f call $f call $f
    (if (i64.ne (i64.load (i32.const 65528)) (i64.const 0x1122334455667788)) (then unreachable))))
"""


def test_nsecs_is_monotonic_and_imports_the_clock_only_when_used(instrument, run):
    script = 'wasm:func:entry { printf("@@ %u %s\\n", nsecs, fname); }'
    plain = instrument('wasm:func:entry { printf("@@ %u %s\\n", 1, fname); }', FIB)
    assert ("wasi_snapshot_preview1", "clock_time_get") not in _imports(plain.wasm)
    timed = instrument(script, FIB)
    assert _imports(timed.wasm).count(("wasi_snapshot_preview1", "clock_time_get")) == 1
    status, stdout, _ = run(timed.wasm)
    assert status == 0
    times = [t for t, _ in entry_lines(stdout)]
    assert len(times) == len(fib_model(7)) and times == sorted(times) and times[-1] > 0
    # the application's own import is reused, and the bytes the clock borrows are given back
    reused = instrument(script, CLOCKED)
    assert _imports(reused.wasm).count(("wasi_snapshot_preview1", "clock_time_get")) == 1
    status, stdout, _ = run(reused.wasm)
    assert status == 0
    times = [t for t, _ in entry_lines(stdout)]
    assert len(times) == 4 and times == sorted(times) and times[0] > 0


def test_nsecs_without_output_needs_no_instrumentation_memory_when_the_app_exports_one(instrument, run):
    out = instrument("var t: u64; wasm:func:entry { t = nsecs; }", CLOCKED)
    assert len(read_module(out.wasm).memories) == 1     # the application's only
    assert run(out.wasm)[0] == 0


def test_the_engine_target_reads_the_clock_and_refuses_the_call_stack(tmp_path, capsys):
    """WEI.md §2 + ANALYSIS.md §3: the monitor reads the clock itself (it imports clock_time_get and
    exports its memory for it); the engine interface passes no call stack, so callstack and stack_depth
    are refused with the documented message at each use."""
    from compiler.cli import main
    timed, stacked = tmp_path / "t.mm", tmp_path / "s.mm"
    timed.write_text("report var t: u64; wasm:func:entry { t = nsecs; }")
    stacked.write_text("report var d: u32; wasm:func:entry { d = stack_depth; }")
    assert main(["instr", "--wei", "-s", str(timed), "-o", str(tmp_path / "m.wasm")]) == 0
    monitor = read_module((tmp_path / "m.wasm").read_bytes())
    assert ("wasi_snapshot_preview1", "clock_time_get") in _imports((tmp_path / "m.wasm").read_bytes())
    assert "memory" in {e.name for e in monitor.exports}
    capsys.readouterr()
    assert main(["instr", "--wei", "-s", str(stacked), "-o", str(tmp_path / "n.wasm")]) == 1
    err = capsys.readouterr().err
    assert "`stack_depth` is not supported by the wei target" in err and "s.mm:1:42" in err
    assert not (tmp_path / "n.wasm").exists()
