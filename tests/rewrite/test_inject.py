"""Code placement for every mode (compiler/rewrite/inject.py, REWRITING.md §6–§8, §10, §15).

Each test instruments a tiny WAT app, calls its exports and reads the script's state back through the
exported getters ``get_<name>``; expected values are worked out by hand in the comments.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import wasmtime

from compiler.errors import WhammError
from compiler.rewrite.emit import Emitted
from compiler.wasm.validate import engine


class Live:
    """An instrumented module instantiated with WASI (stdout captured)."""

    def __init__(self, out: Emitted) -> None:
        self.out = out
        self.store = wasmtime.Store(engine())
        self.dir = tempfile.mkdtemp()
        cfg = wasmtime.WasiConfig()
        cfg.stdout_file = os.path.join(self.dir, "out")
        self.store.set_wasi(cfg)
        linker = wasmtime.Linker(self.store.engine)
        linker.define_wasi()
        self.inst = linker.instantiate(self.store, wasmtime.Module(self.store.engine, self.out.wasm))
        self.ex = self.inst.exports(self.store)

    def __call__(self, name: str, *args):
        return self.ex[name](self.store, *args)

    def get(self, name: str):
        return self.ex[f"get_{name}"](self.store)

    def stdout(self) -> str:
        return Path(self.dir, "out").read_text()


@pytest.fixture
def instantiate(instrument):
    """``instantiate(script, app, **kw)``: ``app`` instrumented with ``script``, as a :class:`Live`."""
    def instantiate(script: str, app: str, **kw) -> Live:
        return Live(instrument(script, app, **kw))
    return instantiate


SUB = """
(module
  (func $log (param i32))
  (func $other (param i32))
  (func $sub (export "sub") (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
  (func (export "logs") (param i32) (call $log (local.get 0)) (call $log (i32.const 2)))
  (func (export "via") (param i32 i32) (result i32) (call $sub (local.get 0) (local.get 1))))
"""


def test_before_reads_and_replaces_operands(instantiate):
    live = instantiate("var a: i32; var b: i32;\n"
                "wasm:opcode:i32.sub:before { a = arg1; b = arg0; arg0 = 1; }", SUB)
    assert live("sub", 10, 3) == 9           # 10 - 1: the assignment changed what i32.sub consumed
    assert (live.get("a"), live.get("b")) == (10, 3)


def test_bound_operand_types_convert(instantiate):
    live = instantiate("var low: u32; var nz: bool;\n"
                "wasm:opcode:i32.sub(arg0: u8, arg1: bool):before { low = arg0 as u32; nz = arg1; }", SUB)
    live("sub", 0, 300)
    assert (live.get("low"), live.get("nz")) == (44, 0)   # 300 read as u8; 0 as bool
    live("sub", -7, 256)
    assert (live.get("low"), live.get("nz")) == (0, 1)


def test_after_reads_operands_and_replaces_results(instantiate):
    live = instantiate("var seen: i32; var was: i32;\n"
                "wasm:opcode:call(res0: i32, arg1: i32):after { seen = res0; was = arg1; res0 = res0 * 2; }", SUB)
    assert live("via", 10, 3) == 14
    assert (live.get("seen"), live.get("was")) == (7, 10)


def test_alt_with_residual_predicate_keeps_the_original_otherwise(instantiate):
    live = instantiate("wasm:opcode:i32.sub:alt / arg0 == 0 / { return 42; }", SUB)
    assert live("sub", 10, 0) == 42
    assert live("sub", 10, 3) == 7


def test_alt_without_predicate_replaces_with_operands(instantiate):
    live = instantiate("wasm:opcode:i32.sub:alt { return arg1 + arg0; }", SUB)
    assert live("sub", 10, 3) == 13


def test_empty_alt_removes_the_instruction_and_consumes_operands(instantiate):
    script = "var n: u32;\nwasm:opcode:call:before / imm0 == 0 / { n++; }\n" \
             "wasm:opcode:call(arg0: i32):alt / imm0 == 0 && arg0 == 2 / {}\n" \
             "wasm:opcode:call:after / imm0 == 0 / { n = n + 10; }"
    live = instantiate(script, SUB)
    live("logs", 5)
    # before runs for both calls; the second call (arg0 == 2) is removed, and "after" code follows the
    # replacement (it runs in both cases: §6.3 replaces only the instruction)
    assert live.get("n") == 22


def test_alt_call_by_id_and_name_call_another_function(instantiate):
    script = "var n: u32;\nfn unused() {}\nwasm:opcode:call:alt / imm0 == 0 / { alt_call_by_name(\"other\"); }\n" \
             "wasm:opcode:call:before / imm0 == 1 / { n++; }"
    live = instantiate(script, SUB)
    live("logs", 1)
    assert live.get("n") == 0            # the before probe sits at the original calls only (imm0 == 1 never)
    script2 = "var n: u32;\nwasm:opcode:call:alt / imm0 == 0 / { n++; alt_call_by_id(1); }"
    live2 = instantiate(script2, SUB)
    live2("logs", 1)
    assert live2.get("n") == 2


def test_alt_errors_name_the_site(instrument):
    with pytest.raises(WhammError, match="alt probe must produce a value of type i32") as exc:
        instrument("var n: u32;\nwasm:opcode:i32.sub:alt { n++; }", SUB)
    assert "note: at sub (fid 2), pc" in str(exc.value) or "at #2 (fid 2)" in str(exc.value)
    with pytest.raises(WhammError, match="empty alt body"):
        instrument("wasm:opcode:i32.sub:alt {}", SUB)
    with pytest.raises(WhammError, match="does not have the type of the original callee"):
        instrument("wasm:opcode:call:alt / imm0 == 0 / { alt_call_by_id(2); }", SUB)


# classify(x): x < 0 → -1 (then-arm, leaves the block with br); else → 1 + 10 = 11
# pcs (locals header 3): 3 block, 5 local.get, 7 i32.const, 9 i32.lt_s, 10 if, 12 i32.const,
# 14 local.set, 16 br, 18 else, 19 i32.const, 21 local.set, 23 end, 24 local.get, 26 i32.const,
# 28 i32.add, 29 local.set, 31 end, 32 local.get, 34 end
CLASSIFY = """
(module
  (func (export "classify") (param i32) (result i32) (local i32)
    (block $out
      (if (i32.lt_s (local.get 0) (i32.const 0))
        (then (local.set 1 (i32.const -1)) (br $out))
        (else (local.set 1 (i32.const 1))))
      (local.set 1 (i32.add (local.get 1) (i32.const 10))))
    (local.get 1)))
"""


def test_block_modes_if_else(instantiate):
    script = """
    var if_entry: u32; var if_exit: u32; var else_entry: u32; var else_exit: u32; var if_after: u32;
    var block_after: u32; var if_before: u32; var else_before: u32; var cond: u32;
    wasm:opcode:if:before { if_before++; cond = cond + arg0; }
    wasm:opcode:if:entry { if_entry++; }
    wasm:opcode:if:exit { if_exit++; }
    wasm:opcode:else:before { else_before++; }
    wasm:opcode:else:entry { else_entry++; }
    wasm:opcode:else:exit { else_exit++; }
    wasm:opcode:if:after { if_after++; }
    wasm:opcode:block:after { block_after++; }
    """
    live = instantiate(script, CLASSIFY)
    assert [live("classify", x) for x in (-5, 5, 6)] == [-1, 11, 11]
    got = {n: live.get(n) for n in ("if_before", "cond", "if_entry", "if_exit", "else_before", "else_entry",
                                    "else_exit", "if_after", "block_after")}
    # the then-arm never falls through (br), so if:exit and else:before never run
    assert got == {"if_before": 3, "cond": 1, "if_entry": 1, "if_exit": 0, "else_before": 0,
                   "else_entry": 2, "else_exit": 2, "if_after": 2, "block_after": 3}


def test_else_alt_replaces_only_the_else_arm(instantiate):
    live = instantiate("wasm(local1: i32):opcode:else:alt / local1 == 0 / { local1 = 2; }", CLASSIFY)
    assert [live("classify", x) for x in (-5, 5)] == [-1, 12]


# f(x): the inner block leaves both blocks when x == 1 (result 0), else sets 5; then + 100
# pcs: 3 block $outer, 5 block $inner, 7 local.get, …
NESTED = """
(module
  (func (export "f") (param i32) (result i32) (local i32)
    (block $outer
      (block $inner
        (br_if $outer (i32.eq (local.get 0) (i32.const 1)))
        (local.set 1 (i32.const 5)))
      (local.set 1 (i32.add (local.get 1) (i32.const 100))))
    (local.get 1)))
"""


def test_block_alt_with_residual_keeps_branch_depths_right(instantiate):
    live = instantiate("wasm(local0: i32, local1: i32):opcode:block:alt / pc == 5 && local0 == 7 / { local1 = 1; }", NESTED)
    # f(7): inner block replaced → 1 + 100; f(1): original inner block, its br_if still leaves $outer
    assert [live("f", x) for x in (7, 1, 0)] == [101, 0, 105]


def test_block_alt_without_predicate_removes_the_construct(instantiate):
    live = instantiate("wasm:opcode:block:alt / pc == 5 / {}", NESTED)
    assert [live("f", x) for x in (1, 0)] == [100, 100]


# count(n): loop incrementing local 1 while local1 < n (runs at least once)
COUNT = """
(module
  (func $count (export "count") (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func (export "early") (param i32) (result i32)
    (br_if 0 (i32.const 7) (local.get 0))
    (drop)
    (i32.const 8))
  (func (export "pick") (param i32) (result i32)
    (block $a
      (block $b
        (br_table $b $a $b (local.get 0)))
      (return (i32.const 20)))
    (i32.const 30)))
"""


def test_at_target_runs_once_at_the_loop_start_or_the_fallthrough(instantiate):
    live = instantiate("var n: u32; var s: i32;\nwasm(local1: i32):opcode:br_if:at_target / fname == \"count\" / "
                "{ n++; s = s + local1; }", COUNT)
    assert live("count", 3) == 3
    # the br_if runs 3 times: taken twice (the body sees local1 = 1, 2 at the loop start), falls through once (3)
    assert (live.get("n"), live.get("s")) == (3, 6)


def test_at_target_at_the_function_exit_and_br_table_targets(instantiate):
    live = instantiate("var hits: u32; var sel: u32;\nwasm:opcode:br_if:at_target { hits++; }\n"
                "wasm:opcode:br_table:at_target { sel = sel + arg0 + 1; }", COUNT)
    assert (live("early", 1), live("early", 0)) == (7, 8)
    assert live.get("hits") == 2
    assert [live("pick", x) for x in (0, 1, 2, 9)] == [20, 30, 20, 20]
    assert live.get("sel") == 1 + 2 + 3 + 10


# g(x): returns 1 through `return` when x != 0, else falls off with 2
EXITS = """
(module
  (func $g (export "g") (param i32) (result i32)
    (if (local.get 0) (then (return (i32.const 1))))
    (i32.const 2))
  (func $fact (export "fact") (param i32) (result i32)
    (if (result i32) (i32.le_s (local.get 0) (i32.const 1))
      (then (i32.const 1))
      (else (i32.mul (local.get 0) (call $fact (i32.sub (local.get 0) (i32.const 1))))))))
"""


def test_func_entry_exit_cover_return_and_fall_off_and_order_before_first_instruction(instantiate):
    script = """
    var entries: u32; var exits: u32; var order: u32;
    wasm:opcode:local.get:before / fname == "g" && pc == 1 / { order = order * 10 + 1; }
    wasm:func:entry / fname == "g" / { entries++; order = order * 10 + 2; }
    wasm:func:exit / fname == "g" / { exits++; }
    """
    live = instantiate(script, EXITS)
    assert (live("g", 1), live("g", 0)) == (1, 2)
    assert (live.get("entries"), live.get("exits"), live.get("order")) == (2, 2, 1212)


def test_frame_variables_are_per_activation(instantiate):
    script = """
    var last: i32;
    wasm(local0: i32):func:entry / fname == "fact" / { frame var n: i32; n = local0; }
    wasm:func:exit / fname == "fact" / { frame var n: i32; last = n; }
    """
    live = instantiate(script, EXITS)
    assert live("fact", 4) == 24
    assert live.get("last") == 4          # the outermost activation exits last with its own n


def test_probe_locals_are_zero_on_every_visit(instantiate):
    script = """
    var last: u32; var also: u32;
    wasm:opcode:i32.sub:before {
        var x: u32;
        x++;
        if (arg0 == 99) { var y: u32 = 5; }
        var z: u32;
        z = z + 1;
        last = x;
        also = z;
    }
    """
    live = instantiate(script, SUB)
    for _ in range(3):
        live("sub", 1, 2)
    assert (live.get("last"), live.get("also")) == (1, 1)


def test_local_assignment_writes_the_application_local(instantiate):
    live = instantiate("wasm(local0: i32):func:entry / fname == \"g\" / { local0 = 0; }", EXITS)
    assert live("g", 1) == 2


def test_block_end_sites_run_with_instr_count(instantiate):
    live = instantiate("var total: u32; var runs: u32;\nwasm:block:end / fname == \"g\" / { total = total + instr_count; runs++; }",
                EXITS)
    live("g", 0)
    live("g", 1)
    # g = local.get, if, i32.const, return, end, i32.const, end.  Sites (EVENTS.md §6): before `if`
    # (instr_count 2), before `return` (2), before the final end (1).  g(0) runs the first and the last,
    # g(1) the first two.
    assert (live.get("runs"), live.get("total")) == (4, 7)


def test_begin_end_report_order_and_proc_exit_flush(instrument, run):
    app = """
    (module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (func $work (nop))
      (func $_start (export "_start") (call $work) (call $exit (i32.const 0))))
    """
    script = """
    use whamm_core;
    report var n: u32;
    wasm:begin { whamm_core.putc(66); }
    wasm:opcode:nop:before { n++; }
    wasm:end { whamm_core.putc(69); }
    wasm:report { whamm_core.putc(82); whamm_core.putu32(n as i32); }
    wasm:func:exit / fname == "_start" / { report var ex: u32; ex++; }
    """
    out = instrument(script, app)
    status, stdout, _ = run(out.wasm)
    assert (status, stdout) == (0, "BER1")
    # func:exit has a function site and a proc_exit site (pc of the call: call 1, i32.const 3, call 5)
    assert [(v.name, v.pc) for v in out.layout.report if v.name == "ex"] == [("ex", 1), ("ex", 5)]


def test_dup_at_repeats_bulk_memory_operations(instantiate):
    app = """
    (module (memory (export "memory") 1)
      (func (export "_start")
        (memory.fill (i32.const 0) (i32.const 65) (i32.const 4))
        (memory.copy (i32.const 8) (i32.const 0) (i32.const 2))))
    """
    script = "wasm:opcode:memory.fill:before { dup_at(APP_MEMID, 100); }\n" \
             "wasm:opcode:memory.copy:after { dup_at(APP_MEMID, 200); }"
    live = instantiate(script, app)
    live("_start")
    mem = live.ex["memory"]
    assert bytes(mem.read(live.store, 100, 104)) == b"AAAA"
    assert bytes(mem.read(live.store, 200, 203)) == b"AA\0"


TABLE = """
(module
  (type $t (func (result i32)))
  (table $tab 4 funcref)
  (elem (i32.const 0) $one $two)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
  (func (export "swap") (table.set (i32.const 2) (ref.func $two)) (table.fill (i32.const 0) (ref.null func) (i32.const 1))))
"""


def test_resolved_fid_follows_the_table_shadow(instantiate):
    live = instantiate("var last: i32; var sum: i32;\nwasm:opcode:call_indirect:before { last = resolved_fid; "
                "sum = sum + resolve_funcref(target_funcref, table_entry_idx); }", TABLE)
    assert live("call", 1) == 2 and live.get("last") == 1
    live("swap")                          # slot 2 := $two (index 1); slot 0 := null (-1)
    assert live("call", 2) == 2 and live.get("last") == 1
    with pytest.raises(wasmtime.Trap):
        live("call", 0)
    assert live.get("last") == -1
    assert live.get("sum") == 1 + 1 - 1


MULTI = """
(module
  (func $pair (param i32) (result i32 i64) (local.get 0) (i64.const 5))
  (func (export "sum") (param i32) (result i64) (local i64)
    (call $pair (local.get 0))
    (local.set 1)
    (i64.extend_i32_u)
    (local.get 1)
    (i64.add)))
"""


def test_alt_returns_a_tuple_for_several_results(instantiate):
    # sum(x) = (x as i64) + 5 normally; the alt makes $pair return (x + 1, 100)
    live = instantiate("wasm:opcode:call(arg0: i32):alt / imm0 == 0 / { return (arg0 + 1, 100); }", MULTI)
    assert live("sum", 3) == 104
    original = instantiate("wasm:opcode:call(arg0: i32):alt / imm0 == 0 && arg0 == 99 / { return (0, 0); }", MULTI)
    assert original("sum", 3) == 8


COPY_TABLE = """
(module
  (type $t (func (result i32)))
  (table $tab 4 funcref)
  (elem $seg func $two $one)
  (elem (i32.const 0) $one $two)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
  (func (export "copy") (table.copy (i32.const 2) (i32.const 0) (i32.const 2)))
  (func (export "init") (table.init $seg (i32.const 1) (i32.const 0) (i32.const 2))))
"""


def test_shadow_follows_table_copy_and_init(instantiate):
    live = instantiate("var last: i32;\nwasm:opcode:call_indirect:before { last = resolved_fid; }", COPY_TABLE)
    live("copy")                  # slots 2, 3 := slots 0, 1 → functions 0, 1
    assert live("call", 3) == 2 and live.get("last") == 1
    live("init")                  # slots 1, 2 := $two, $one; the shadow says unknown (-1), as upstream
    assert live("call", 2) == 1 and live.get("last") == -1
    assert live("call", 3) == 2 and live.get("last") == 1


def test_alt_that_breaks_its_function_is_a_site_error(instrument):
    # removing the `return` leaves i32.add without operands (the code after it was unreachable)
    app = '(module (func $f (export "f") (result i32) (return (i32.const 1)) (i32.add)))'
    with pytest.raises(WhammError, match="the alt replacement leaves the function invalid") as exc:
        instrument("wasm:opcode:return:alt {}", app)
    assert "at f (fid 0), pc 3" in str(exc.value)
