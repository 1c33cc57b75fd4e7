"""whamm_shell.render: the output funnel's text, with and without colour."""
from __future__ import annotations

import io
import re

import pytest
import wasmtime

from compiler.errors import WhammError
from compiler.lang.parser import parse_probe
from compiler.wasm import Instr, read_module, validate, write_module
from compiler.wasm.wat import Line, function_lines
from whamm_shell.render import Renderer, format_bars, format_table, format_wat, truncate, window

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

APP = """(module
  (func $calc (param i32) (result i32) local.get 0 i32.const 2 i32.add)
  (func $main (export "main") (result i32)
    i32.const 1 call $calc
    i32.const 3 call $calc
    i32.add))"""


def _renderer(color: bool = False, **kw) -> tuple[Renderer, io.StringIO]:
    out = io.StringIO()
    return Renderer(out, color, **kw), out


@pytest.fixture(scope="module")
def instrumented():
    """The app with a counter-like sequence injected before the first call of $main (offset -1
    instructions are injected), validated and run."""
    module = read_module(bytes(wasmtime.wat2wasm(APP)))
    body = module.code[1]
    instrs = list(body.instrs)
    instrs[1:1] = [Instr.of("i32.const", 7), Instr.of("drop")]
    body.instrs = instrs
    wasm = write_module(module)
    validate(wasm)
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    inst = wasmtime.Instance(store, wasmtime.Module(engine, wasm), [])
    assert inst.exports(store)["main"](store) == 8
    return module


def test_injected_lines_are_marked(instrumented) -> None:
    lines = list(function_lines(instrumented, 1))
    assert format_wat(lines) == [
        "     (func $main (type 1) (result i32)",
        "  1    i32.const 1",
        "+      i32.const 7",
        "+      drop",
        "  3    call $calc",
        "  5    i32.const 3",
        "  7    call $calc",
        "  9    i32.add",
        "     )",
    ]


def test_current_instruction_and_window(instrumented) -> None:
    lines = list(function_lines(instrumented, 1))
    assert format_wat(lines, current=7)[6] == "> 7    call $calc"
    # --around: the anchor is the instruction at the pc, or the one whose immediates hold it
    assert [ln.text.strip() for ln in window(lines, 6, context=1)] == ["call $calc", "i32.const 3", "call $calc"]
    assert [ln.text.strip() for ln in window(lines, 0, context=1)] == ["(func $main (type 1) (result i32)",
                                                                       "i32.const 1", "i32.const 7"]


def test_coloured_wat_keeps_the_text(instrumented) -> None:
    lines = list(function_lines(instrumented, 1))
    coloured = format_wat(lines, color=True, current=3)
    assert [_ANSI.sub("", c) for c in coloured] == format_wat(lines, current=3)
    injected = [c for c, ln in zip(coloured, lines) if ln.injected]
    original = [c for c, ln in zip(coloured, lines) if ln.offset is not None]
    assert all(c.startswith("\x1b[32m+") for c in injected)          # one distinct colour
    assert all("\x1b[32m" not in c for c in original)
    assert all(len(_ANSI.findall(c)) > 2 for c in original)           # syntax-highlighted


def test_a_comment_spanning_lines_is_highlighted_as_one() -> None:
    lines = [Line("(; a"), Line("   b ;)"), Line("  nop", 1)]
    assert [_ANSI.sub("", c) for c in format_wat(lines, color=True)] == format_wat(lines)


def test_long_wat_is_truncated_with_a_hint() -> None:
    lines = [Line("  nop", i) for i in range(1, 1236)]
    out = format_wat(lines, limit=1)
    assert out == ["  1    nop", "… 1234 more lines; use --all"]
    r, text = _renderer(limit=2)
    r.wat(lines)
    assert text.getvalue().splitlines()[-1] == "… 1233 more lines; use --all"
    r, text = _renderer(limit=2)
    r.wat(lines, limit=None)
    assert len(text.getvalue().splitlines()) == 1235


def test_truncate() -> None:
    assert truncate(["a", "b", "c"], 2) == ["a", "b", "… 1 more lines; use --all"]
    assert truncate(["a", "b"], 2) == ["a", "b"]
    assert truncate(["a", "b", "c"], None) == ["a", "b", "c"]
    assert truncate(["a"] * 5, 1, what="sites", hint="match --all") == ["a", "… 4 more sites; use match --all"]


def test_table_alignment() -> None:
    rows = [["count", "0_wasm:opcode:call:before", "main", 2, 12, 100],
            ["edges", "0_wasm:opcode:call:before", "", None, 3, 5.5],
            ["flag", "", "calc", 1, 1, True]]
    assert format_table(["name", "probe", "fname", "fid", "pc", "value"], rows) == [
        "name   probe                      fname  fid  pc  value",
        "-----  -------------------------  -----  ---  --  -----",
        "count  0_wasm:opcode:call:before  main     2  12  100",
        "edges  0_wasm:opcode:call:before               3  5.5",
        "flag                              calc     1   1  true",
    ]
    assert format_table(["n", "v"], [["a", 1], ["b", 22], ["c", 3]], limit=2) == [
        "n   v", "-  --", "a   1", "b  22", "… 1 more rows; use --all"]
    assert format_table(["n"], []) == ["n", "-"]


def test_coloured_table_only_adds_escapes() -> None:
    plain = format_table(["a", "b"], [[1, "x"]])
    coloured = format_table(["a", "b"], [[1, "x"]], color=True)
    assert coloured != plain and [_ANSI.sub("", c) for c in coloured] == plain


def test_bars() -> None:
    out = format_bars([("calc", 10), ("main", 3), ("idle", 0), ("neg", -1), ("tiny", 0.01)], width=40)
    assert out == [
        "calc  ████████████████████████████    10",
        "main  ████████▍                        3",
        "idle                                   0",
        "neg                                   -1",
        "tiny  ▏                             0.01",
    ]
    assert format_bars([], width=40) == []
    assert format_bars([("a", 1), ("b", 2), ("c", 3)], width=30, limit=2)[-1] == "… 1 more bars; use --top K"
    coloured = format_bars([("a", 2), ("b", 1)], width=30, color=True)
    assert [_ANSI.sub("", c) for c in coloured] == format_bars([("a", 2), ("b", 1)], width=30)


def test_messages_errors_and_warnings() -> None:
    out, err = io.StringIO(), io.StringIO()
    r = Renderer(out, err=err)
    r.message("added probe 1")
    r.error("cannot read 'x.wasm'")
    r.error(WhammError("invalid Wasm module"))
    r.warning("probe matched no sites")
    assert out.getvalue() == "added probe 1\n"
    assert err.getvalue() == ("error: cannot read 'x.wasm'\nerror: invalid Wasm module\n"
                              "warning: probe matched no sites\n")


def test_script_errors_keep_their_caret() -> None:
    with pytest.raises(WhammError) as e:
        parse_probe("wasm:opcode:call:before { n++ }")
    r, out = _renderer()
    r.error(e.value)
    assert out.getvalue() == str(e.value) + "\n"
    assert "^" in out.getvalue() and out.getvalue().startswith("error: expected `;`")
    r, out = _renderer(color=True)
    r.error(e.value)
    assert _ANSI.sub("", out.getvalue()) == str(e.value) + "\n" and "\x1b[" in out.getvalue()


def test_colour_is_off_unless_asked() -> None:
    r, out = _renderer()
    r.error("x")
    r.warning("y")
    r.table(["a"], [[1]])
    r.bars([("a", 1)])
    assert "\x1b" not in out.getvalue()


def test_renderer_lines_use_the_default_limit() -> None:
    r, out = _renderer(limit=3)
    r.lines([str(i) for i in range(10)], what="sites", hint="--all")
    assert out.getvalue().splitlines() == ["0", "1", "2", "… 7 more sites; use --all"]
    r, out = _renderer(limit=3)
    r.lines([str(i) for i in range(10)], limit=False)
    assert len(out.getvalue().splitlines()) == 10
