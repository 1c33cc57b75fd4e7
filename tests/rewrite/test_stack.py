"""compiler/wasm/{control,stack,type_rules}.py: control structure, static signatures and the typed walk.

The strongest check is a round trip through wasmtime: around every instruction of every corpus program
the test saves the operands the walk reports into fresh locals and pushes them back (and the same for
results after the instruction).  That module validates only if every reported type is exactly right,
and it must still compute the same results.
"""
from __future__ import annotations

import pytest
import wasmtime

from compiler.wasm.control import EXIT_LABEL, TargetPoint, control
from compiler.wasm.stack import STACK_DEPENDENT, FunctionTypes, ModuleTypes
from compiler.wasm import Instr, RefType, read_module, write_module
from compiler.wasm.opcodes import RULES
from compiler.wasm.type_rules import RULES as TYPE_RULES
from compiler.wasm.validate import validate
from tests.corpus.catalog import C_PROGRAMS, WAT_PROGRAMS, check_runs

I32, I64, F32, F64 = "i32", "i64", "f32", "f64"


def types_of(wat: str, func: int = 0) -> FunctionTypes:
    module = read_module(wasmtime.wat2wasm(wat))
    return FunctionTypes(ModuleTypes(module), module.num_imported_funcs + func)


def at(ft: FunctionTypes, name: str, nth: int = 0) -> int:
    """The index of the ``nth`` instruction called ``name``."""
    found = [i for i, ins in enumerate(ft.instrs) if ins.op.name == name]
    return found[nth]


# ------------------------------------------------------------------------------------------ control

NESTED = """(module
  (tag $e (param i32))
  (func (param i32) (result i32)
    block $a                      ;; 0
      loop $l                     ;; 1
        local.get 0               ;; 2
        if                        ;; 3
          br $l                   ;; 4
        else                      ;; 5
          br $a                   ;; 6
        end                       ;; 7
        local.get 0               ;; 8
        br_table $a $l 2          ;; 9   (2 = the function label)
      end                         ;; 10
    end                           ;; 11
    block $h (result i32)         ;; 12
      try_table (catch $e $h)     ;; 13
        local.get 0               ;; 14
        throw $e                  ;; 15
      end                         ;; 16
      i32.const 0                 ;; 17
    end                           ;; 18
  )                               ;; 19
)"""


def test_control_matches_openers_middles_and_ends():
    ft = types_of(NESTED)
    ctl = ft.control
    assert [ins.op.name for ins in ft.instrs][:4] == ["block", "loop", "local.get", "if"]
    assert ctl.end[0] == 11 and ctl.end[1] == 10 and ctl.end[3] == 7 and ctl.end[12] == 18
    assert ctl.end[13] == 16
    assert ctl.middle[3] == 5 and ctl.end[5] == 7
    assert ctl.opener[7] == 3 and ctl.opener[5] == 3 and ctl.opener[10] == 1 and ctl.opener[18] == 12
    assert ctl.opener[19] == -1 and ctl.final_end == 19
    assert ctl.kinds[1] == "loop" and ctl.kinds[13] == "try_table" and ctl.kinds[2] == ""


def test_branch_labels_and_target_points():
    ctl = types_of(NESTED).control
    assert ctl.labels[4] == (1,) and ctl.labels[6] == (0,)
    assert ctl.labels[9] == (0, 1, EXIT_LABEL)
    assert ctl.labels[13] == (12,)          # catch labels resolve outside the try_table
    assert ctl.target_point(1) == TargetPoint("loop_start", 1)
    assert ctl.target_point(0) == TargetPoint("after_end", 11)
    assert ctl.target_point(EXIT_LABEL) == TargetPoint("exit", 19)
    assert ctl.targets(9) == (TargetPoint("after_end", 11), TargetPoint("loop_start", 1),
                              TargetPoint("exit", 19))


def test_br_table_target_points_are_distinct():
    ft = types_of("(module (func (param i32) block local.get 0 br_table 0 0 1 0 end))")
    i = at(ft, "br_table")
    assert ft.control.labels[i] == (0, 0, EXIT_LABEL, 0)
    assert ft.control.targets(i) == (TargetPoint("after_end", 3), TargetPoint("exit", 4))


# ------------------------------------------------------------------------------------------ types

CALLS = """(module
  (type $t (func (param i32 f32) (result i64)))
  (import "env" "f" (func $f (param i32 i32 i32 i32 i64) (result i32 f64)))
  (table 1 funcref)
  (global $g (mut f64) (f64.const 0))
  (func $h (type $t) i64.const 0)
  (func (param i32) (result i32) (local i64 f32)
    i32.const 1 i32.const 2 i32.const 3 i32.const 4 i64.const 5 call $f
    global.set $g drop
    i32.const 1 f32.const 2 i32.const 0 call_indirect (type $t) local.set 1
    i32.const 1 f32.const 2 ref.func $h call_ref $t drop
    local.get 2 local.tee 2 drop
    i32.const 7)
)"""


def test_call_operands_are_top_first_and_results_too():
    ft = types_of(CALLS, 1)
    call = at(ft, "call")
    assert ft.signature(call) == ((I64, I32, I32, I32, I32), (F64, I32))
    ci = at(ft, "call_indirect")
    assert ft.signature(ci) == ((I32, F32, I32), (I64,))
    cr = at(ft, "call_ref")
    assert ft.signature(cr) == ((RefType(True, 0), F32, I32), (I64,))
    assert ft.signature(at(ft, "global.set")) == ((F64,), ())
    assert ft.signature(at(ft, "local.set")) == ((I64,), ())
    assert ft.signature(at(ft, "local.tee")) == ((F32,), (F32,))
    assert ft.signature(at(ft, "local.get")) == ((), (F32,))
    assert ft.signature(at(ft, "ref.func")) == ((), (RefType(False, 0),))
    assert ft.signature(at(ft, "i32.const")) == ((), (I32,))


BLOCKS = """(module
  (type $bt (func (param i32 i64) (result f32)))
  (func (result f32)
    i32.const 1 i64.const 2
    block (type $bt)              ;; params i32 i64 -> f32
      drop drop f32.const 1
    end
    i32.const 0
    if (result f32) f32.const 2 else f32.const 3 end
    f32.add
    loop (result f32) f32.const 4 end
    f32.add)
)"""


def test_block_signatures_with_type_index_block_types():
    ft = types_of(BLOCKS)
    block = at(ft, "block")
    assert ft.signature(block) == ((I64, I32), (I64, I32))
    end = ft.control.end[block]
    assert ft.signature(end) == ((F32,), (F32,))
    i = at(ft, "if")
    assert ft.signature(i) == ((I32,), ())
    assert ft.signature(at(ft, "else")) == ((F32,), ())
    assert ft.signature(ft.control.final_end) == ((F32,), (F32,))
    walked = ft.walk()
    assert walked.operands[at(ft, "drop", 0)] == (I64,)
    assert walked.operands[at(ft, "drop", 1)] == (I32,)


SELECTS = """(module
  (func (param f64 i64) (result i64)
    local.get 0 local.get 0 i32.const 1 select drop
    local.get 1 local.get 1 i32.const 0 select (result i64)
    ref.null func ref.is_null drop)
)"""


def test_select_and_drop_take_the_actual_operand_types():
    ft = types_of(SELECTS)
    select = at(ft, "select")
    assert ft.signature(select) == ((I32, None, None), (None,))      # not known without the walk
    assert ft.operands(select) == (I32, F64, F64) and ft.results(select) == (F64,)
    assert ft.operands(at(ft, "drop")) == (F64,)
    assert ft.signature(at(ft, "typed_select")) == ((I32, I64, I64), (I64,))
    assert ft.operands(at(ft, "ref.is_null")) == (RefType(True, "func"),)
    assert ft.operands(at(ft, "drop", 1)) == (I32,)


def test_unreachable_code_is_polymorphic():
    ft = types_of("""(module (func (result i32)
        block (result i32)
          i32.const 1 br 0
          drop                              ;; pops from the polymorphic stack: unknown
          i64.const 1 drop
          i32.const 0 select drop           ;; only the condition is known
          i32.const 3 i32.const 4 select    ;; one value known: so is the other
        end))""")
    walked = ft.walk()
    first, second = at(ft, "drop", 0), at(ft, "drop", 1)
    assert walked.operands[first] == (None,) and walked.operands[second] == (I64,)
    assert not walked.reachable[first] and walked.reachable[at(ft, "br")]
    assert walked.operands[at(ft, "select")] == (I32, None, None)
    assert walked.results[at(ft, "select")] == (None,)
    assert walked.operands[at(ft, "drop", 2)] == (None,)
    assert walked.operands[at(ft, "select", 1)] == (I32, I32, I32)
    assert walked.results[at(ft, "select", 1)] == (I32,)
    assert walked.reachable[ft.control.final_end]


GC = """(module
  (type $p (struct (field $x (mut i32)) (field $c (mut i8)) (field $r (ref null $p))))
  (type $a (array (mut i16)))
  (func (param (ref null $p)) (result i32)
    i32.const 1 i32.const 2 ref.null $p struct.new $p
    struct.get $p $r
    struct.get_s $p $c
    local.get 0 i32.const 9 struct.set $p $x
    i32.const 3 i32.const 4 array.new $a
    i32.const 0 array.get_u $a
    i32.add
    local.get 0 ref.as_non_null ref.test (ref $p)
    i32.add)
)"""


def test_gc_field_and_element_types_are_unpacked():
    ft = types_of(GC)
    assert ft.signature(at(ft, "struct.new")) == ((RefType(True, 0), I32, I32), (RefType(False, 0),))
    assert ft.signature(at(ft, "struct.get")) == ((RefType(True, 0),), (RefType(True, 0),))
    assert ft.signature(at(ft, "struct.get_s")) == ((RefType(True, 0),), (I32,))
    assert ft.signature(at(ft, "struct.set")) == ((I32, RefType(True, 0)), ())
    assert ft.signature(at(ft, "array.new")) == ((I32, I32), (RefType(False, 1),))
    assert ft.signature(at(ft, "array.get_u")) == ((I32, RefType(True, 1)), (I32,))
    assert ft.operands(at(ft, "ref.as_non_null")) == (RefType(True, 0),)
    assert ft.results(at(ft, "ref.as_non_null")) == (RefType(False, 0),)
    assert ft.signature(at(ft, "ref.test")) == ((RefType(True, "any"),), (I32,))


def test_memory64_addresses():
    ft = types_of("""(module (memory i64 1) (memory 1)
        (func i64.const 0 i32.load drop i32.const 0 i64.load 1 drop
              i64.const 0 i32.const 0 i32.const 1 memory.copy 0 1 memory.size drop))""")
    assert ft.signature(at(ft, "i32.load")) == ((I64,), (I32,))
    assert ft.signature(at(ft, "i64.load")) == ((I32,), (I64,))
    assert ft.signature(at(ft, "memory.copy")) == ((I32, I32, I64), ())
    assert ft.signature(at(ft, "memory.size")) == ((), (I64,))


def test_every_computed_signature_rule_is_implemented():
    assert set(RULES) <= set(TYPE_RULES)


# ------------------------------------------------------------------------------- corpus round trip

def save_push(wasm: bytes, which: str) -> bytes:
    """Save and re-push, around every instruction, the operands (``which == "operands"``, before it)
    or results (after it) the walk reports, through fresh locals of exactly those types."""
    module = read_module(wasm)
    mt = ModuleTypes(module)
    for k, body in enumerate(module.code):
        ft = FunctionTypes(mt, module.num_imported_funcs + k)
        walked = ft.walk()
        first = len(ft.locals)
        extra: list = []
        out: list[Instr] = []
        last = len(ft.instrs) - 1
        for i, ins in enumerate(ft.instrs):
            types = walked.operands[i] if which == "operands" else walked.results[i]
            wrap = types and None not in types and (which == "operands" or i != last)
            if which == "results":
                out.append(ins)
            if wrap:
                slots = list(range(first + len(extra), first + len(extra) + len(types)))
                extra.extend(types)
                out += [Instr.of("local.set", s) for s in slots]
                out += [Instr.of("local.get", s) for s in reversed(slots)]
            if which == "operands":
                out.append(ins)
        body.locals = list(body.locals) + [(1, t) for t in extra]
        body.instrs = out
    return write_module(module)


@pytest.mark.parametrize("prog", [p for p in WAT_PROGRAMS if not p.legacy_exceptions] + list(C_PROGRAMS[:2]),
                         ids=lambda p: p.name)
@pytest.mark.parametrize("which", ["operands", "results"])
def test_reported_types_survive_save_and_push(prog, which):
    out = save_push(prog.wasm, which)
    assert out != prog.wasm
    validate(out)
    check_runs(prog, out)


@pytest.mark.parametrize("prog", [p for p in WAT_PROGRAMS if not p.legacy_exceptions] + list(C_PROGRAMS[:1]),
                         ids=lambda p: p.name)
def test_static_signatures_agree_with_the_walk(prog):
    """The walk only fills in what the static signature leaves unknown, and only for stack-dependent
    instructions, so matching gives the same types whether or not a function was walked."""
    module = read_module(prog.wasm)
    mt = ModuleTypes(module)
    for fid in range(module.num_imported_funcs, module.num_imported_funcs + len(module.code)):
        ft = FunctionTypes(mt, fid)
        walked = ft.walk()
        for i, ins in enumerate(ft.instrs):
            ops, res = ft.signature(i)
            if ins.op.name not in STACK_DEPENDENT:
                assert None not in ops + res, ins
            for static, full in ((ops, walked.operands[i]), (res, walked.results[i])):
                assert len(static) == len(full)
                assert all(s is None or s == f for s, f in zip(static, full)), (ins, static, full)
