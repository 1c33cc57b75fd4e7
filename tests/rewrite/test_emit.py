"""The emit pipeline end to end (compiler/rewrite/emit.py): small apps are instrumented, validated, run on
wasmtime + WASI, and their complete output is compared with values worked out by hand from the app.

The helpers (``instrument``, ``run``, ``report``) are fixtures of ``conftest.py``, shared
with the other emitter tests.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import wasmtime

from compiler.options import Options
from compiler.rewrite.emit import EmitError
from compiler.wasm import read_module
from compiler.wasm.model import ExternKind
from compiler.wasm.validate import engine

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo" / "app.wasm"
DEMO_OUTPUT = """==== CALC ====
calc(9, 0) -> 9
calc(3, 2) -> 6
calc(4, 4) -> 14
==== COLLATZ ====
collatz(6) -> 8 steps
collatz(27) -> 111 steps
"""


# ------------------------------------------------------------------------------------------------
# the seed demo and basic guarantees


def test_seed_demo_call_counter(instrument, run, report):
    # calc (fid 2) is called with b == 0 exactly once per top-level calc: calc(9,0), calc(6,0) after
    # two recursive steps of calc(3,2), and calc(14,0) at the bottom of calc(4,4).
    script = "report var count: u32;\nwasm:opcode:call(arg0: i32):before / imm0 == 2 && arg0 == 0 / { count++; }"
    out = instrument(script, DEMO)
    status, stdout, _ = run(out.wasm)
    assert status == 0
    g = out.layout.globals["count"][0]
    assert stdout == DEMO_OUTPUT + report(f"{g}, global_id, count, u32, i32, script0, , , , , 3")


def test_call_statements_discard_results(instrument, run, report):
    # A value-returning user function called as a statement (in a probe, in another function, at
    # script level) has its result dropped.  calc (fid 2) runs 9 times: 3 top-level calls, 6 recursive.
    script = """report var n: u32;
fn bump() -> u32 { n++; return n; }
fn twice() { bump(); bump(); }
bump();
wasm:opcode:call:before / imm0 == 2 / { bump(); }
wasm:opcode:call:before / imm0 == 4 / { twice(); }"""
    out = instrument(script, DEMO)
    status, stdout, _ = run(out.wasm)
    g = out.layout.globals["n"][0]
    assert (status, stdout) == (0, DEMO_OUTPUT + report(f"{g}, global_id, n, u32, i32, script0, , , , , 14"))


def test_app_output_and_memory_unchanged_by_borrowed_writes(instrument):
    # the demo exports its memory as "memory": every report write borrows its top bytes and restores them
    out = instrument("report var n: u32; wasm:opcode:call:before { n++; }", DEMO)
    module = read_module(out.wasm)
    assert [e.name for e in module.exports if e.kind == ExternKind.MEMORY] == ["memory", "whamm:memory"]
    store = wasmtime.Store(engine())
    cfg = wasmtime.WasiConfig()
    with tempfile.TemporaryDirectory() as d:
        cfg.stdout_file = os.path.join(d, "out")
        store.set_wasi(cfg)
        linker = wasmtime.Linker(store.engine)
        linker.define_wasi()
        inst = linker.instantiate(store, wasmtime.Module(store.engine, out.wasm))
        mem = inst.exports(store)["memory"]
        size = mem.data_len(store)
        before = bytes(mem.read(store, size - 8192, size))
        inst.exports(store)["_start"](store)
        assert bytes(mem.read(store, size - 8192, size)) == before
        text = Path(d, "out").read_text()
    assert text.startswith(DEMO_OUTPUT)
    # calls: each show_calc 17 + its calc chain (1, 3, 5), each show_collatz 13, main 9
    assert text.endswith(", n, u32, i32, script0, , , , , 95\n")


NO_MEMORY_APP = """
(module
  (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "main") (result i32) (call $f (call $f (i32.const 1)))))
"""


def test_numeric_global_needs_no_memory_and_no_import(instrument):
    out = instrument("var count: u32; wasm:opcode:call:before { count++; }", NO_MEMORY_APP)
    module = read_module(out.wasm)
    assert module.memories == [] and module.imports == []
    # count++ compiles to global.get; i32.const 1; i32.add; global.set (REWRITING.md: lean code)
    body = module.code[1].instrs
    names = [i.op.name for i in body]
    assert names[:6] == ["i32.const", "global.get", "i32.const", "i32.add", "global.set", "call"]
    store = wasmtime.Store(engine())
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, out.wasm), [])
    assert inst.exports(store)["main"](store) == 3
    assert inst.exports(store)["get_count"](store) == 2


def test_static_predicate_false_injects_nothing(instrument):
    out = instrument("var count: u32; wasm:opcode:call:before / fid == 99 / { count++; }", NO_MEMORY_APP)
    module = read_module(out.wasm)
    original = read_module(wasmtime.wat2wasm(NO_MEMORY_APP))
    assert [b.instrs for b in module.code[:2]] == [b.instrs for b in original.code]


def test_residual_predicate_guards_the_body(instrument):
    # calls in main: f(1) then f(2); arg0 == 2 holds once
    out = instrument("var hits: u32; wasm:opcode:call(arg0: i32):before / arg0 == 2 / { hits++; }", NO_MEMORY_APP)
    store = wasmtime.Store(engine())
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, out.wasm), [])
    assert inst.exports(store)["main"](store) == 3
    assert inst.exports(store)["get_hits"](store) == 1


PRINT_APP = """
(module
  (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "_start") (drop (call $f (call $f (i32.const 1))))))
"""


def test_own_memory_exported_when_app_exports_none(instrument, run, report):
    out = instrument("report var calls: u32; wasm:opcode:call:before { calls++; }", PRINT_APP)
    module = read_module(out.wasm)
    mems = [e for e in module.exports if e.kind == ExternKind.MEMORY]
    assert {e.name for e in mems} == {"memory", "whamm:memory"}
    assert [imp.name for imp in module.imports] == ["fd_write"]
    status, stdout, _ = run(out.wasm)
    g = out.layout.globals["calls"][0]
    assert (status, stdout) == (0, report(f"{g}, global_id, calls, u32, i32, script0, , , , , 2"))


def test_non_memory_export_named_memory_cannot_print(instrument):
    app = '(module (global (export "memory") i32 (i32.const 0)) (func (export "_start") (nop)))'
    with pytest.raises(EmitError, match='cannot print: the application exports a non-memory item named "memory"'):
        instrument("report var n: u32; wasm:opcode:nop:before { n++; }", app)


def test_no_flush_point_is_no_warning_without_a_report(instrument):
    """With --no-report nothing would be printed at a flush point: no warning (it used to warn that the
    report would not be printed, which was asked for)."""
    app = '(module (func (export "work") (nop) (nop)))'
    out = instrument("report var n: u32; wasm:opcode:nop:before { n++; }", app,
                     options=Options(no_report=True))
    assert out.warnings == ()


def test_an_input_instrumented_already_is_refused_clearly(instrument):
    """whamm's output as the input: its whamm:memory export clashed with the new one, and the message
    was the validator's (``duplicate export name``)."""
    once = instrument("report var n: u32; wasm:opcode:nop:before { n++; }",
                      '(module (func (export "_start") (nop)))').wasm
    with pytest.raises(EmitError, match="the application already exports .*`whamm:memory`.* \\(is it whamm's "
                                        "output\\? instrument the original module\\)"):
        instrument("report var m: u32; wasm:opcode:nop:before { m++; }", once)


def test_no_flush_point_warns_and_exports_whamm_flush(instrument, run, report):
    app = '(module (func (export "work") (nop) (nop)))'
    out = instrument("report var n: u32; wasm:opcode:nop:before { n++; }", app)
    assert [w.message for w in out.warnings] == [
        "no flush point: the report will not be printed unless the host calls whamm_flush"]
    status, stdout, _ = run(out.wasm, "work")
    assert stdout == ""
    store = wasmtime.Store(engine())
    cfg = wasmtime.WasiConfig()
    with tempfile.TemporaryDirectory() as d:
        cfg.stdout_file = os.path.join(d, "out")
        store.set_wasi(cfg)
        linker = wasmtime.Linker(store.engine)
        linker.define_wasi()
        inst = linker.instantiate(store, wasmtime.Module(store.engine, out.wasm))
        inst.exports(store)["work"](store)
        inst.exports(store)["work"](store)
        inst.exports(store)["whamm_flush"](store)
        inst.exports(store)["whamm_flush"](store)  # guarded: runs once
        g = out.layout.globals["n"][0]
        assert Path(d, "out").read_text() == report(f"{g}, global_id, n, u32, i32, script0, , , , , 4")


PROC_EXIT_APP = """
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func $work (nop))
  (func (export "_start") (call $work) (call $work) (call $exit (i32.const 3)) (call $work)))
"""


def test_flush_before_proc_exit_runs_once(instrument, run, report):
    out = instrument("report var calls: u32; wasm:opcode:call:before { calls++; }", PROC_EXIT_APP)
    status, stdout, _ = run(out.wasm)
    g = out.layout.globals["calls"][0]
    # the proc_exit call itself is counted before the flush (probe code first, §8)
    assert (status, stdout) == (3, report(f"{g}, global_id, calls, u32, i32, script0, , , , , 3"))


def test_deterministic_output(instrument):
    script = "report var count: u32; wasm:opcode:call:before { count++; }"
    assert instrument(script, DEMO).wasm == instrument(script, DEMO).wasm


def test_options_no_report_keeps_state_but_prints_nothing(instrument, run):
    out = instrument("report var count: u32; wasm:opcode:call:before { count++; }", DEMO,
                     options=Options(no_report=True))
    assert run(out.wasm)[1] == DEMO_OUTPUT


def tiny_memory_app(size: int) -> str:
    return f"""
    (module
      (memory (export "memory") {size} (pagesize 1))
      (data (i32.const 0) "{'x' * min(size, 8)}")
      (func $work (nop) (nop))
      (func (export "_start") (call $work) (call $work)))
    """


def test_borrowed_region_of_a_tiny_memory_writes_in_chunks_and_restores_it(instrument):
    # 100 bytes of app memory: chunks of (100 - 16) & ~7 = 80 bytes; the report is much longer
    app = tiny_memory_app(100)
    out = instrument("report var nops: u32; wasm:opcode:nop:before { report var at: u32; at++; nops++; }", app)
    store = wasmtime.Store(engine())
    cfg = wasmtime.WasiConfig()
    with tempfile.TemporaryDirectory() as d:
        cfg.stdout_file = os.path.join(d, "out")
        store.set_wasi(cfg)
        linker = wasmtime.Linker(store.engine)
        linker.define_wasi()
        inst = linker.instantiate(store, wasmtime.Module(store.engine, out.wasm))
        mem = inst.exports(store)["memory"]
        before = bytes(mem.read(store, 0, 100))
        inst.exports(store)["_start"](store)
        assert bytes(mem.read(store, 0, 100)) == before
        text = Path(d, "out").read_text()
    rows = text.splitlines()[3:]
    assert len(text) > 300 and [r.rsplit(", ", 1)[1] for r in rows] == ["2", "2", "4"]


def test_memory_under_24_bytes_drops_output(instrument, run):
    out = instrument("report var nops: u32; wasm:opcode:nop:before { nops++; }", tiny_memory_app(20))
    assert run(out.wasm) == (0, "", "")


def test_start_function_program_flushes_during_instantiation(instrument, run, report):
    app = "(module (func $main (nop) (nop)) (start $main))"
    out = instrument("report var nops: u32; wasm:opcode:nop:before { nops++; }", app)
    status, stdout, _ = run(out.wasm, None)       # instantiating runs everything
    g = out.layout.globals["nops"][0]
    assert (status, stdout) == (0, report(f"{g}, global_id, nops, u32, i32, script0, , , , , 2"))


def test_getter_not_emitted_when_the_name_is_taken(instrument):
    app = '(module (func (export "get_n") (result i32) (i32.const 7)) (func (export "_start") (nop)))'
    out = instrument("var n: u32; var m: u32; wasm:opcode:nop:before { n++; m++; }", app)
    assert [w.message for w in out.warnings] == [
        "getter get_n not exported: the application already exports that name"]
    store = wasmtime.Store(engine())
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, out.wasm), [])
    inst.exports(store)["_start"](store)
    assert (inst.exports(store)["get_n"](store), inst.exports(store)["get_m"](store)) == (7, 1)


def test_report_flushed_before_proc_exit_with_padded_call_indices(run, instrument, report):
    # clang pads call indices to 5-byte LEB128s; matrix.c exits through proc_exit(3)
    app = ROOT / "tests" / "corpus" / "c" / "matrix.wasm"
    base_status, base_out, _ = run(app.read_bytes())
    out = instrument("report var calls: u64; wasm:opcode:call:before { calls++; }", app)
    status, stdout, _ = run(out.wasm)
    assert status == base_status == 3
    assert stdout.startswith(base_out)
    tail = stdout[len(base_out):]
    assert tail.startswith(report()) and tail.count("\n") == 4 and ", calls, u64, i64, script0, , , , , " in tail
