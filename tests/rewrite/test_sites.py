"""sites.py: pc values, static bindings, basic-block state machines, function entry/exit sites."""
from __future__ import annotations

import struct

import pytest
import wasmtime

from compiler.sites.finding import SLOT_TABLE_IMMEDIATE, FunctionSites, ModuleSites, Placement, slot_table
from compiler.wasm import read_module


def sites_of(wat: str) -> ModuleSites:
    return ModuleSites(read_module(wasmtime.wat2wasm(wat)))


def first_function(wat: str) -> FunctionSites:
    ms = sites_of(wat)
    return ms.function(ms.num_imported)


def index_of(fs: FunctionSites, name: str, nth: int = 0) -> int:
    return [i for i, ins in enumerate(fs.instrs) if ins.op.name == name][nth]


# ------------------------------------------------------------------------------------------------ pc

@pytest.mark.parametrize("locals_, first_pc", [
    ("", 1),                                  # 00: no locals
    ("(local i32)", 3),                       # 01 01 7f
    ("(local i32) (local i64 i64 i64)", 5),   # 02 01 7f 03 7e
])
def test_pc_counts_the_locals_header(locals_, first_pc):
    fs = first_function(f"(module (func {locals_} call 0 call 0))")
    assert fs.provider(0)["pc"] == first_pc
    assert [ins.offset for ins in fs.instrs] == [first_pc, first_pc + 2, first_pc + 4]
    assert fs.opcode_bindings(1)["pc"] == first_pc + 2


def test_pc_keeps_non_minimal_leb_padding():
    # body 00 | 41 80 80 00 (i32.const 0 with a 3-byte LEB) | 1a (drop) | 0b
    header = b"\0asm\1\0\0\0" + bytes([1, 4, 1, 0x60, 0, 0]) + bytes([3, 2, 1, 0])
    body = bytes([0x00, 0x41, 0x80, 0x80, 0x00, 0x1A, 0x0B])
    code = bytes([10, len(body) + 2, 1, len(body)]) + body
    ms = ModuleSites(read_module(header + code))
    fs = ms.function(0)
    assert [fs.provider(i)["pc"] for i in range(3)] == [1, 5, 6]


# ----------------------------------------------------------------------------------- basic blocks

BASIC_BR = """(module
  (func $basic_br (param i64) (result i32)
    block
      block
        local.get 0
        i64.const 5
        i64.eq
        br_if 0
        br 1
      end
      i32.const 1
      return
    end
    i32.const 2
    return))"""


def test_basic_br_pcs():
    fs = first_function(BASIC_BR)
    assert [ins.offset for ins in fs.instrs] == [1, 3, 5, 7, 9, 10, 12, 14, 15, 17, 18, 19, 21, 22]
    assert fs.fname == "basic_br"


def test_block_end_worked_check():
    """EVENTS.md §6: sites at 10 (6), 12 (1), 17 (2), 18 after the inner end (0), 21 (2), 22 (0)."""
    sites = first_function(BASIC_BR).block_sites("end")
    assert [(s.pc, s.bindings["instr_count"], s.placement) for s in sites] == [
        (10, 6, Placement.BEFORE), (12, 1, Placement.BEFORE), (17, 2, Placement.BEFORE),
        (18, 0, Placement.AFTER), (21, 2, Placement.BEFORE), (22, 0, Placement.BEFORE)]
    assert all(s.pc == s.bindings["pc"] for s in sites)
    assert [s.bindings["opidx"] for s in sites] == [5, 6, 9, 10, 12, 13]
    assert [s.bindings["at_func_end"] for s in sites] == [False] * 5 + [True]


def test_block_start_has_its_own_machine():
    sites = first_function(BASIC_BR).block_sites("start")
    assert [(s.pc, s.placement) for s in sites] == [
        (1, Placement.BEFORE), (10, Placement.BEFORE), (12, Placement.BEFORE), (17, Placement.BEFORE),
        (18, Placement.AFTER), (21, Placement.BEFORE), (22, Placement.BEFORE)]
    assert all("instr_count" not in s.bindings for s in sites)


def test_block_machine_on_loops_and_a_leading_loop():
    fs = first_function("""(module (func (param i32)
        loop                ;; k=0: a loop at k == 0
          local.get 0
          br_if 0
        end
        nop))""")
    start = [(s.index, s.placement) for s in fs.block_sites("start")]
    end = [(s.index, s.placement, s.bindings["instr_count"]) for s in fs.block_sites("end")]
    # start: k=0 loop → site, end=1; k=2 br_if → end=3, site; k=3 end → start(3) == k: none;
    # k=5 final end → start != k → site before
    assert start == [(0, Placement.BEFORE), (2, Placement.BEFORE), (5, Placement.BEFORE)]
    # end: k=0 loop with start == k → nothing, end stays 0; k=2 br_if → end=2, count 2; k=3 end:
    # start(2) != k → a site after it (count 0); k=5 final end → count 1, before it
    assert end == [(2, Placement.BEFORE, 2), (3, Placement.AFTER, 0), (5, Placement.BEFORE, 1)]


def test_block_end_before_proc_exit_calls():
    fs = first_function("""(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (func i32.const 1 i32.const 0 call $exit drop))""")
    end = [(s.index, s.placement, s.bindings["instr_count"]) for s in fs.block_sites("end")]
    assert end == [(2, Placement.BEFORE, 3), (4, Placement.BEFORE, 4)]
    assert [s.index for s in fs.block_sites("start")] == [0, 4]


# -------------------------------------------------------------------------------- func entry/exit

PROC_EXIT = """(module
  (import "wasi_unstable" "proc_exit" (func $old_exit (param i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "other" "proc_exit" (func $not_exit (param i32)))
  (func $main (param i32) (local i64)
    block
      local.get 0
      br_if 1
      i32.const 1
      call $exit
      i32.const 2
      call $old_exit
      i32.const 3
      call $not_exit
    end
    local.get 0
    if unreachable end
    i32.const 0
    return_call $exit))"""


def test_func_entry_and_exit_sites():
    fs = first_function(PROC_EXIT)
    entry = fs.entry_site()
    assert (entry.index, entry.pc, entry.placement) == (0, 3, Placement.FUNC_ENTRY)
    assert entry.bindings["pc"] == 0 and entry.bindings["opidx"] == 0 and not entry.bindings["at_func_end"]
    assert entry.bindings["fid"] == 3 and entry.bindings["fname"] == "main"
    exits = fs.exit_sites()
    calls = [4, 6, 15]          # call $exit, call $old_exit, return_call $exit (not other.proc_exit)
    assert fs.proc_exit_calls() == calls
    assert [(s.index, s.placement, s.pc) for s in exits] == [(0, Placement.FUNC_EXIT, 3)] + [
        (i, Placement.PROC_EXIT, fs.instrs[i].offset) for i in calls]
    assert [s.bindings["pc"] for s in exits] == [3] + [fs.instrs[i].offset for i in calls]
    assert [s.bindings["opidx"] for s in exits] == [0] + calls


def test_exit_points():
    fs = first_function(PROC_EXIT)
    names = [fs.instrs[i].op.name for i in fs.exit_points()]
    # br_if 1 targets the function label; unreachable; return_call; the final end
    assert names == ["br_if", "unreachable", "return_call", "end"]
    assert fs.exit_points()[-1] == len(fs.instrs) - 1


def test_func_entry_of_an_empty_function_is_at_its_end():
    fs = first_function("(module (func))")
    assert fs.entry_site().bindings["at_func_end"] is True
    assert fs.exit_points() == [0]


# ---------------------------------------------------------------------------------- opcode bindings

BINDINGS = """(module
  (type $t (func (param i32) (result i32)))
  (type $s (struct (field $a (mut i32)) (field $b (mut i64))))
  (import "env" "ext" (func $ext (param i32) (result i32)))
  (memory 1)
  (table 2 funcref)
  (func $callee (type $t) local.get 0)
  (func $nameless (type $t) local.get 0)
  (func (param i32) (result i32)
    i32.const -7 call $ext
    call $callee
    f32.const 1.5 drop f64.const -0.25 drop i64.const -3 drop
    i32.const 8 i32.load16_u offset=12 align=1
    i32.const 4 i64.load offset=3 drop drop
    block block block
      local.get 0 br_table 0 2 1 2
    end end end
    i32.const 0 ref.func $callee table.set 0
    i32.const 0 ref.null func table.set 0
    ref.func $nameless i32.const 1 call_ref $t drop
    i32.const 1 i32.const 2 i32.const 3 select
    i32.const 1 i64.const 2 struct.new $s struct.get $s $b drop
    local.get 0)
  (elem declare func $callee $nameless))"""


def bindings_at(name: str, nth: int = 0) -> dict:
    ms = sites_of(BINDINGS)
    fs = ms.function(3)
    return fs.opcode_bindings(index_of(fs, name, nth))


def test_provider_and_per_event_constants():
    b = bindings_at("call")
    assert b["fid"] == 3 and b["fname"] == "" and b["opidx"] == 1
    assert (b["opname"], b["bytecode"], b["category_id"], b["category_name"]) == ("call", 0x10, 4, "control")
    b = bindings_at("select")
    assert b["opname"] == "select" and b["bytecode"] == 0x1B
    b = bindings_at("i32.load16_u")
    assert (b["data_size"], b["is_write"], b["category_name"]) == (2, False, "load")


def test_callee_data():
    imported = bindings_at("call", 0)
    assert (imported["imm0"], imported["target_fn_type"], imported["target_fn_name"],
            imported["target_imp_module"]) == (0, "import", "ext", "env")
    local = bindings_at("call", 1)
    assert (local["imm0"], local["target_fn_type"], local["target_fn_name"],
            local["target_imp_module"]) == (1, "local", "callee", "")


def test_constant_immediates_are_values():
    assert bindings_at("i32.const")["imm0"] == -7
    assert bindings_at("i64.const")["imm0"] == -3
    assert bindings_at("f32.const")["imm0"] == 1.5
    assert bindings_at("f64.const")["imm0"] == -0.25
    assert isinstance(bindings_at("f32.const")["imm0"], float)


def test_memory_access_data():
    b = bindings_at("i32.load16_u")
    assert (b["offset"], b["align"], b["memory"]) == (12, 0, 0)
    b = bindings_at("i64.load")
    assert (b["offset"], b["align"], b["data_size"]) == (3, 3, 8)
    assert not any(k.startswith("imm") for k in b)


def test_br_table_bindings():
    b = bindings_at("br_table")
    assert [b[f"imm{k}"] for k in range(4)] == [0, 2, 1, 2] and "imm4" not in b
    assert b["num_targets"] == 3 and b["default_target"] == 2
    assert b["targets"] == {0: 0, 1: 2, 2: 1}


def test_resolved_fid_lookback_and_ref_func():
    assert bindings_at("table.set", 0)["resolved_fid"] == 1
    assert bindings_at("table.set", 1)["resolved_fid"] == -1
    assert bindings_at("call_ref")["resolved_fid"] == -1           # i32.const 1 comes just before
    assert bindings_at("ref.func", 1)["resolved_fid"] == 2
    assert bindings_at("ref.func", 1)["imm0"] == 2
    assert bindings_at("call_ref")["imm0"] == 0 and bindings_at("table.set")["imm0"] == 0


def test_gc_indices():
    b = bindings_at("struct.get")
    assert (b["tid"], b["field_idx"], b["imm0"], b["imm1"]) == (1, 1, 1, 1)
    assert bindings_at("struct.new")["tid"] == 1


def test_no_dynamic_variables_are_bound():
    b = bindings_at("i32.load16_u")
    assert not {"addr", "effective_addr", "arg0", "res0"} & set(b)
    b = bindings_at("br_table")
    assert "target" not in b and "arg0" not in b


def test_opcode_sites_iterate_in_instruction_order():
    ms = sites_of(BINDINGS)
    fs = ms.function(3)
    sites = list(fs.sites("opcode", "drop"))
    assert [s.index for s in sites] == [i for i, ins in enumerate(fs.instrs) if ins.op.name == "drop"]
    assert all(s.package == "opcode" and s.placement is None and s.pc == fs.instrs[s.index].offset
               for s in sites)
    assert list(ms.defined) == [1, 2, 3]
    assert ms.function(3) is fs


def test_typed_select_is_named_select():
    fs = first_function("(module (func (result i64) i64.const 1 i64.const 2 i32.const 0 select (result i64)))")
    b = fs.opcode_bindings(3)
    assert fs.instrs[3].op.name == "typed_select"
    assert (b["opname"], b["bytecode"]) == ("select", 0x1C)


def test_slot_table_is_the_table_each_slot_reading_instruction_names():
    """One answer to "which table does this instruction read a slot of" (it was written three times):
    the emitter's shadow reservation, the site environment and the wei emulator all use it."""
    fs = first_function("""(module
      (type $v (func))
      (table $a 1 funcref) (table $b 2 funcref) (table $c 3 funcref)
      (func $f (param i32)
        (call_indirect $c (type $v) (local.get 0))
        (drop (table.get $b (local.get 0)))
        (return_call_indirect $a (type $v) (local.get 0))))""")
    assert [(i.op.name, slot_table(i)) for i in fs.instrs if i.op.name in SLOT_TABLE_IMMEDIATE] == \
        [("call_indirect", 2), ("table.get", 1), ("return_call_indirect", 0)]
