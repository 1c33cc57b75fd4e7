"""Where counter coalescing splits straight-line runs (docs/COALESCING.md, "A run")."""
from compiler.rewrite.coalesce import run_numbers
from compiler.wasm.model import Catch, Instr

I = Instr.of


def _starts(instrs):
    runs = run_numbers(instrs)
    return [i for i in range(len(runs)) if i == 0 or runs[i] != runs[i - 1]]


def test_untargeted_block_does_not_split():
    body = [I("i32.const", 1), I("block", None), I("nop"), I("end"), I("drop"), I("end")]
    assert _starts(body) == [0]


def test_targeted_block_splits_after_its_end():
    body = [I("block", None), I("i32.const", 0), I("br_if", 0), I("nop"), I("end"), I("nop"), I("end")]
    assert _starts(body) == [0, 3, 5]


def test_br_table_and_outer_labels():
    body = [I("block", None), I("block", None), I("i32.const", 0), I("br_table", (1, 1)),
            I("end"), I("nop"), I("end"), I("nop"), I("end")]
    # the inner block is not targeted: its end falls through; the outer one is
    assert _starts(body) == [0, 4, 7]


def test_loop_splits_before_body_not_after_end():
    body = [I("nop"), I("loop", None), I("nop"), I("i32.const", 0), I("br_if", 0), I("end"), I("nop"), I("end")]
    assert _starts(body) == [0, 2, 5]


def test_if_else_and_end_always_split():
    body = [I("i32.const", 1), I("if", None), I("nop"), I("else"), I("nop"), I("end"), I("nop"), I("end")]
    assert _starts(body) == [0, 2, 4, 6]


def test_calls_return_unreachable_split():
    body = [I("call", 0), I("nop"), I("return"), I("unreachable"), I("nop"), I("end")]
    assert _starts(body) == [0, 1, 3, 4]


def test_try_table_catch_label_targets_enclosing_block():
    body = [I("block", None), I("try_table", None, [Catch(2, None, 0)]), I("nop"), I("end"),
            I("nop"), I("end"), I("nop"), I("end")]
    assert _starts(body) == [0, 2, 4, 6]
