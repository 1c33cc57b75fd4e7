"""Where counter coalescing splits straight-line runs (docs/COALESCING.md, "A run")."""
from compiler.rewrite.coalesce import run_numbers, runs
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


def _dead(instrs):
    """The indices of the instructions in dead runs."""
    run_of, dead = runs(instrs)
    return [i for i, r in enumerate(run_of) if r in dead]


def test_dead_after_br_up_to_a_targeted_end():
    body = [I("block", None), I("br", 0), I("nop"), I("end"), I("nop"), I("end")]
    assert _dead(body) == [2, 3]          # the end's own site runs only by falling through


def test_untargeted_block_and_loop_ends_stay_dead():
    body = [I("block", None), I("block", None), I("br", 1), I("end"), I("nop"), I("end"), I("nop"),
            I("loop", None), I("br", 0), I("end"), I("nop"), I("end")]
    assert _dead(body) == [3, 4, 5, 9, 10, 11]      # a branch to a loop enters its start, not its end


def test_return_unreachable_br_table_return_call():
    for stop in (I("return"), I("unreachable"), I("br_table", (0,)), I("return_call", 0), I("throw", 0)):
        assert _dead([I("nop"), stop, I("nop"), I("end")]) == [2, 3]


def test_else_and_if_without_else_are_entered():
    body = [I("i32.const", 1), I("if", None), I("return"), I("nop"), I("else"), I("br", 0), I("nop"),
            I("end"), I("nop"), I("end")]
    # then arm dead after return (up to the else), else arm dead after br; the if is targeted
    assert _dead(body) == [3, 4, 6, 7]
    body = [I("i32.const", 1), I("if", None), I("return"), I("end"), I("nop"), I("end")]
    assert _dead(body) == [3]


def test_constructs_inside_dead_code_stay_dead():
    body = [I("return"), I("i32.const", 1), I("if", None), I("nop"), I("else"), I("nop"), I("end"),
            I("block", None), I("br", 0), I("end"), I("nop"), I("end")]
    # a branch in dead code still counts as entering its target (an over-approximation)
    assert _dead(body) == [1, 2, 3, 4, 5, 6, 7, 8, 9]


def test_conditional_branches_do_not_kill():
    body = [I("block", None), I("i32.const", 0), I("br_if", 0), I("nop"), I("end"), I("end")]
    assert _dead(body) == []
