"""emulator.py: the engine's part (WEI.md §9) — parsing exports, matching, match-time callbacks, calls at
run time with the requested values, ``wasm:exit`` — checked with a hand-written monitor (so the
contract is tested independently of the compiler) and with compiled ones."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import wasmtime

from compiler.runner import Outcome, RunOptions
from compiler.wasm import read_module
from compiler.wei.emulator import EmulatorError, emulate

MIXED = (Path(__file__).parent / "apps" / "mixed.wat").read_text()

# A monitor written by hand: $1 attaches at calls in functions whose name has 4 bytes; the body
# counts calls, sums fid and keeps the last arg0; wasm:exit records that it ran.
HAND = r"""(module
  (memory (export "whamm_buffer") 1)
  (global (export "whamm_buffer:start") i32 (i32.const 1024))
  (global (export "whamm_buffer:max") i32 (i32.const 1024))
  (global $n (mut i32) (i32.const 0))
  (global $sum (mut i32) (i32.const 0))
  (global $last (mut i32) (i32.const -1))
  (global $exited (mut i32) (i32.const 0))
  (global $starts (mut i32) (i32.const 0))
  (func $get_n (export "get_n") (result i32) global.get $n)
  (func $pred (export "$1") (param i32 i32) (result i32) local.get 1 i32.const 4 i32.eq)
  (func $body (export "wasm:opcode:call / $1(fname) / (fid, pc, arg0)") (param i32 i32 i32)
    global.get $n i32.const 1 i32.add global.set $n
    global.get $sum local.get 0 i32.add global.set $sum
    local.get 2 global.set $last)
  (func (export "get_sum") (result i32) global.get $sum)
  (func (export "get_last") (result i32) global.get $last)
  (func (export "get_exited") (result i32) global.get $exited)
  (func (export "wasm:exit") global.get $exited i32.const 1 i32.add global.set $exited))"""


def _emulate(monitor_wasm: bytes, app, tmp_path: Path, libs=(), **kw):
    wasm = app.read_bytes() if isinstance(app, Path) else wasmtime.wat2wasm(app)
    out = tmp_path / "stdout"
    e = emulate(monitor_wasm, wasm, libs, RunOptions(("app.wasm",), stdout=str(out), **kw),
                app_module=read_module(wasm))
    return e, out.read_text()


def _get(e, name: str) -> int:
    return e.result.instance.exports(e.result.store)[name](e.result.store)


def test_hand_written_monitor(DEMO, tmp_path):
    e, out = _emulate(wasmtime.wat2wasm(HAND), DEMO, tmp_path)
    assert e.result.outcome is Outcome.RETURNED and "==== COLLATZ ====" in out
    assert [(a.fid, a.probe_id) for a in e.attachments] == [(2, 0)] + [(7, k) for k in range(1, 8)]
    assert (_get(e, "get_n"), _get(e, "get_sum"), _get(e, "get_exited")) == (13, 6 * 2 + 7 * 7, 1)
    assert _get(e, "get_last") == 27  # main's last call: show_collatz(27)
    assert all(a.results == () for a in e.attachments)


@pytest.mark.parametrize("export, message", [
    ("wasm:opcode:nope  ()", "malformed probe export name 'wasm:opcode:nope  ()': unknown event"),
    ("wasm:opcode:call / $9() / ()", "names callback $9, which the monitor does not export"),
    ("wasm:opcode:call  (fid)", "its function takes 0 parameters, the name describes 1"),
])
def test_bad_exports(DEMO, tmp_path, export, message):
    wat = f"""(module (memory (export "whamm_buffer") 1)
      (global (export "whamm_buffer:start") i32 (i32.const 0)) (global (export "whamm_buffer:max") i32 (i32.const 8))
      (func (export "{export}")))"""
    with pytest.raises(EmulatorError) as info:
        _emulate(wasmtime.wat2wasm(wat), DEMO, tmp_path)
    assert message in str(info.value)


def test_missing_buffer(DEMO, tmp_path):
    with pytest.raises(EmulatorError, match="does not export whamm_buffer"):
        _emulate(wasmtime.wat2wasm('(module (func (export "wasm:opcode:call  ()")))'), DEMO, tmp_path)


def test_predicate_and_static_callbacks_run_once_per_site(DEMO, Lib, monitor, tmp_path):
    lib = Lib(tmp_path)
    m = monitor("use lib; wasm:opcode:call:before / @static lib.hot(fid as i32, pc as i32) as bool / {"
                " report var v: i32; v = @static lib.val(pc as i32); }", (lib,))
    e, out = _emulate(m.wasm, DEMO, tmp_path, (lib.linked,))
    assert e.attachments and all(a.pc % 2 == 0 for a in e.attachments)
    for a in e.attachments:
        base, value = a.results
        assert base > 0 and value == a.pc + 100
    assert len({a.results[0] for a in e.attachments}) == len(e.attachments)


def test_operand_and_local_types_decide_attachment(run_wei):
    out, e = run_wei("var s: i64; wasm:opcode:call(arg0: i64):before { s = s + arg0; }"
                     "wasm(local2: i64):func:entry { s = s + local2; }", MIXED)
    calls = [a for a in e.attachments if a.export.startswith("wasm:opcode:call")]
    entries = [a for a in e.attachments if a.export.startswith("wasm:func:entry")]
    assert [a.fid for a in calls] == [9, 9]            # the two calls of wide(i32, i64)
    assert [a.fid for a in entries] == [4]             # wide's local 2 is its i64 local


def test_probe_ids_are_distinct(DEMO, run_wei):
    out, e = run_wei("report var ids: map<i32, u32>; wasm:opcode:call:before { ids[probe_id]++; }", DEMO)
    ids = [a.probe_id for a in e.attachments]
    assert ids == list(range(len(ids)))
    row = [line for line in out.splitlines() if ", map_id, ids," in line][0]
    assert row.endswith(";".join(f"{k}->" for k in ids[:1]) + row.split("0->", 1)[1]) and "23->" in row


def test_merged_probes_report_every_site(DEMO, run_wei):
    """WEI.md §8: a merged probe's variables exist at every site of the export; the clashing name is
    renamed; member predicates are evaluated at run time."""
    out, e = run_wei('wasm:opcode:call:before / fname == "calc" / { report var n: u32; n++; }\n'
                     'wasm:opcode:call:before / fname == "main" / { report var n: u32; n = n + 10; }', DEMO)
    (export,) = {a.export for a in e.attachments}
    assert re.fullmatch(r"wasm:opcode:call  \(\$\d+\(fname, fid, pc\), fname\)", export)
    rows = [line.split(", ") for line in out.splitlines() if ", memaddr, " in line]
    assert [(r[2], r[-2], r[-1]) for r in rows if r[6] == "calc"] == [
        ("n", "0_wasm:opcode:call", "6"), ("n_1", "1_wasm:opcode:call", "0")]
    assert [(r[2], r[-1]) for r in rows if r[6] == "main"][:2] == [("n", "0"), ("n_1", "10")]


def test_begin_output_comes_first_and_exit_after_proc_exit(run_wei):
    out, e = run_wei("use whamm_core; report var c: u32; wasm:begin { whamm_core.putc(66); whamm_core.putc(10); }"
                     "wasm:opcode:call:before { c++; }", MIXED)
    assert e.result.outcome is Outcome.EXITED and e.result.status == 0
    assert out.startswith("B\nmixed done\n") and out.rstrip().endswith("global_id, c, u32, i32, script0, , , , , 13")


def test_trap_means_no_exit(monitor, tmp_path):
    app = """(module (func (export "_start") call 1) (func unreachable))"""
    m = monitor("report var c: u32; wasm:opcode:call:before { c++; }")
    e, out = _emulate(m.wasm, app, tmp_path)
    assert e.result.outcome is Outcome.TRAPPED and e.result.status == 134
    assert e.result.message.startswith("wasm trap: ") and "unreachable" in e.result.message
    assert out == ""


def test_string_arguments_go_through_the_buffer(DEMO, run_wei, tmp_path):
    """A string parameter stored beyond the call is copied out of the buffer, which later calls reuse."""
    out, e = run_wei('report var last: str; var names: map<str, u32>;'
                     'wasm:opcode:call:before { names[target_fn_name]++; if (fid == 2) { last = fname; } }', DEMO)
    assert out.rstrip().endswith("(global_id; global_id), last, str, (i32; i32), script0, , , , , calc")


def test_resolved_fid_is_looked_up_in_the_table(run_wei):
    out, e = run_wei("report var seen: map<i32, u32>; wasm:opcode:call_indirect:before { seen[resolved_fid]++; }",
                     MIXED)
    assert "map_id, seen, map<i32,u32>, i32, script0, , , , , 2->2;3->1" in out


def test_invoke_and_missing_entry(monitor, tmp_path):
    m = monitor("var c: u32; wasm:opcode:call:before { c++; }")
    app = '(module (func (export "f") (result i32) call 1 call 1 i32.add) (func (result i32) i32.const 20))'
    e, _ = _emulate(m.wasm, app, tmp_path, invoke="f")
    assert e.result.results == ("40",)
    assert _get(e, "get_c") == 2


def test_static_calls_outside_probes_use_the_engine_instance(DEMO, Lib, run_wei, tmp_path):
    """WEI.md §5.4: the library instance is the engine's, so state set by a script-level ``@static``
    call at instantiation is visible at run time (unlike rewriting, where it is a compile-time instance)."""
    lib = Lib(tmp_path)
    out, _ = run_wei("use lib; report var t: i32; var v: i32 = @static lib.val(1); @static lib.note(5);"
                     "wasm:opcode:call:before { shared var s: i32 = @static lib.val(2); t = lib.total() + v + s; }"
                     "wasm:end { t = t + @static lib.val(0); }", DEMO, (lib,))
    assert out.rstrip().endswith(", global_id, t, i32, i32, script0, , , , , 308")


def test_backtraces_use_input_indices(monitor, tmp_path):
    """A trap in the application or the monitor is reported with input function indices / the monitor's
    function names, not the woven module's."""
    app = """(module (func $main (export "_start") call $boom) (func $boom unreachable))"""
    m = monitor("var c: u32; wasm:opcode:call:before { c++; } wasm:opcode:unreachable:before { c = 1 / (c - 1); }")
    e, _ = _emulate(m.wasm, app, tmp_path)
    assert e.result.message == "wasm trap: integer divide by zero"
    frames = [str(f) for f in e.result.frames]
    assert frames[0].startswith("  at whamm:monitor:wei:body:wasm:opcode:unreachable")
    assert frames[1:] == ["  at boom (function 1)", "  at main (function 0)"]


def test_table_get_slots_are_resolved(run_wei):
    script = "report var got: map<i32, u32>; wasm:opcode:table.get:before { got[resolved_fid]++; got[100 + table_entry_idx]++; }"
    app = """(module (table 3 funcref) (elem (i32.const 1) $a $b) (func $a) (func $b)
      (func (export "_start") (drop (table.get (i32.const 2))) (drop (table.get (i32.const 0)))))"""
    out, _ = run_wei(script, app)
    assert out.rstrip().endswith(", map_id, got, map<i32,u32>, i32, script0, , , , , -1->1;1->1;100->1;102->1")
