"""static_calls.py: static built-ins from the module and @static calls in a compile-time instance."""
from __future__ import annotations

import pytest
import wasmtime

from compiler.lang import ast
from compiler.lang.frontend import check_source
from compiler.lang.libraries import Library, library_from_bytes
from compiler.sites.matching import SiteError, match
from compiler.sites.static_calls import StaticCallError, StaticCalls, const_offset, memory_ids
from compiler.wasm import read_module

TOGGLE = """(module
  (global $state (mut i32) (i32.const 1))
  (func (export "should_inject") (param i32 i32) (result i32)
    global.get $state i32.const 1 i32.xor global.set $state global.get $state))"""

COUNTER = """(module
  (global $n (mut i32) (i32.const 0))
  (func (export "next") (result i32)
    global.get $n global.get $n i32.const 1 i32.add global.set $n))"""


def library(tmp_path, name: str, wat: str) -> Library:
    data = wasmtime.wat2wasm(wat)
    path = tmp_path / f"{name}.wasm"
    path.write_bytes(data)
    return library_from_bytes(name, data, str(path))


def matched(app_wat: str, script: str, libraries: dict[str, Library] | None = None):
    module = read_module(wasmtime.wat2wasm(app_wat))
    program = check_source(script, libraries=libraries or {})
    calls = StaticCalls(module, program)
    try:
        return match(module, program, static_call=calls)
    finally:
        calls.close()


TWO_LOADS = "(module (memory 1) (func nop nop nop nop nop nop nop i32.const 0 i32.load i32.load drop))"


def test_toggle_decides_site_by_site(tmp_path):
    """LANGUAGE.md §13.3: loads at pc 10 and 13; the call returns 0 then 1."""
    script = """use toggle;
    wasm:opcode:i32.load:before / addr == 0 && @static toggle.should_inject(fid as i32, pc as i32) as bool / {
        report var val: i32;
        val++;
    }"""
    ms = matched(TWO_LOADS, script, {"toggle": library(tmp_path, "toggle", TOGGLE)})
    assert [s.pc for s in ms.sites] == [13]
    pred = ms.sites[0].folded.predicate
    assert isinstance(pred, ast.Binary) and pred.op == "==" and pred.left.id == "addr"


def test_counter_numbers_sites_in_traversal_order(tmp_path):
    script = """use lib;
    wasm:opcode:nop:before { report var v: i32 = @static lib.next(); }"""
    ms = matched("(module (func nop nop) (func nop))", script, {"lib": library(tmp_path, "lib", COUNTER)})
    assert [s.folded.inits["v"].value for s in ms.sites] == [0, 1, 2]
    assert [s.fid for s in ms.sites] == [0, 0, 1]


def test_each_compilation_gets_a_fresh_instance(tmp_path):
    lib = {"lib": library(tmp_path, "lib", COUNTER)}
    script = "use lib; wasm:opcode:nop:before { report var v: i32 = @static lib.next(); }"
    assert [s.folded.inits["v"].value for s in matched("(module (func nop))", script, lib).sites] == [0]
    assert [s.folded.inits["v"].value for s in matched("(module (func nop))", script, lib).sites] == [0]


def test_library_with_non_wasi_imports_is_rejected(tmp_path):
    bad = library(tmp_path, "bad", """(module (import "env" "get" (func $g (result i32)))
        (func (export "f") (result i32) call $g))""")
    with pytest.raises(SiteError) as info:
        matched("(module (func nop))", "use bad; wasm:opcode:nop:before / @static bad.f() == 1 / { }",
                {"bad": bad})
    text = str(info.value)
    assert "library bad imports env.get, which is not available at instrumentation time" in text
    assert "= note: at #0 (fid 0), pc 1" in text


def test_a_trap_is_a_compile_error_naming_call_and_site(tmp_path):
    boom = library(tmp_path, "boom", """(module
        (func (export "f") (param i32) (result i32) local.get 0 i32.const 2 i32.eq if unreachable end
          i32.const 1))""")
    with pytest.raises(SiteError) as info:
        matched("(module (func $main nop nop))",
                "use boom;\nwasm:opcode:nop:before / @static boom.f(pc as i32) == 1 / { }", {"boom": boom})
    text = str(info.value)
    assert "@static boom.f(2) trapped" in text
    assert "= note: at main (fid 0), pc 2" in text
    assert "--> <script>:2:1" in text


def test_wasi_output_at_instrumentation_time(tmp_path, capfd):
    hello = library(tmp_path, "hello", """(module
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "hello\\n")
        (func (export "greet") (result i32)
          i32.const 0 i32.const 16 i32.store
          i32.const 4 i32.const 6 i32.store
          i32.const 1 i32.const 0 i32.const 1 i32.const 8 call $w drop
          i32.const 7))""")
    ms = matched("(module (func nop))", "use hello; wasm:opcode:nop:before / @static hello.greet() == 7 / { }",
                 {"hello": hello})
    assert len(ms.sites) == 1 and ms.sites[0].folded.predicate is True
    assert "hello\n" in capfd.readouterr().out


# ------------------------------------------------------------------------------------- built-ins

MEMORIES = """(module
  (import "env" "shared" (memory 1))
  (memory $m 1 (pagesize 1))
  (data (memory $m) (i32.const 100) "xy")
  (data (memory $m) (i32.const 16) "abcd")
  (data "passive")
  (func nop))"""


def lib_with_memory(name: str) -> Library:
    return Library(name, None, name, (), True)


def test_memory_ids_and_app_memid():
    module = read_module(wasmtime.wat2wasm(MEMORIES))
    program = check_source("use whamm_core; use a; use b; wasm:opcode:nop:before { }",
                           libraries={"a": lib_with_memory("a"), "b": lib_with_memory("b")})
    ids = memory_ids(module, program)
    assert (ids.app, ids.instrumentation, dict(ids.libraries), ids.app_memid) == (2, 2, {"a": 3, "b": 4}, 1)
    calls = StaticCalls(module, program)
    assert calls(None, "memid", ("whamm_core",)) == 2 and calls(None, "memid", ("b",)) == 4


def test_static_builtins_fold_in_predicates():
    script = """use whamm_core; use a;
    wasm:opcode:nop:before / memid(a) == 3 && memid(whamm_core) == 2 && page_size(1) == 1
        && page_size(0) == 65536 && page_size(memid(whamm_core)) == 65536
        && active_data_start(1) == 16 && active_data_len(1) == 86
        && active_data_start(0) == 0 && active_data_len(0) == 0 && APP_MEMID == 1 / { }"""
    ms = matched(MEMORIES, script, {"a": lib_with_memory("a")})
    assert len(ms.sites) == 1 and ms.sites[0].folded.predicate is True


def test_active_data_needs_constant_offsets():
    app = """(module (import "env" "base" (global $b i32)) (memory 1)
               (data (global.get $b) "x") (func nop))"""
    with pytest.raises(SiteError) as info:
        matched(app, "wasm:opcode:nop:before / active_data_len(0) == 1 / { }")
    assert "data segment 0 of memory 0 has a non-constant offset" in str(info.value)


def test_const_offset_evaluates_extended_constants():
    module = read_module(wasmtime.wat2wasm("""(module
        (global $k i32 (i32.const 8)) (global $m (mut i32) (i32.const 8)) (memory 1)
        (data (i32.add (global.get $k) (i32.const 4)) "a")
        (data (i32.const -16) "")
        (data (global.get $m) "b"))"""))
    offsets = [const_offset(seg.offset, module) for seg in module.data]
    assert offsets == [12, 0xFFFFFFF0, None]


def test_unknown_memory_ids_are_errors():
    module = read_module(wasmtime.wat2wasm(MEMORIES))
    calls = StaticCalls(module, check_source("wasm:opcode:nop:before { }"))
    with pytest.raises(StaticCallError, match="not an application memory"):
        calls(None, "active_data_start", (2,))
    with pytest.raises(StaticCallError, match="no memory with id 9"):
        calls(None, "page_size", (9,))


def test_void_static_calls_run_after_the_site_initialisers(tmp_path):
    """§13.4 rule 2: a site's initialisers fold before its body, so ``v`` sees the count before this
    site's ``bump()``; the void call statement disappears from the folded body."""
    lib = library(tmp_path, "lib", """(module (global $n (mut i32) (i32.const 0))
        (func (export "bump") global.get $n i32.const 1 i32.add global.set $n)
        (func (export "get") (result i32) global.get $n))""")
    script = "use lib; wasm:opcode:nop:before { @static lib.bump(); report var v: i32 = @static lib.get(); }"
    ms = matched("(module (func nop nop nop))", script, {"lib": lib})
    assert [s.folded.inits["v"].value for s in ms.sites] == [0, 1, 2]
    assert all(not any(isinstance(st, ast.CallStmt) for st in s.folded.body.stmts) for s in ms.sites)


EXTENDED_CONST_DATA = """(module
  (global $k i32 (i32.const 8)) (memory 1)
  (data (i32.add (global.get $k) (i32.const 4)) "abc")
  (data (i32.const 14) "xyz")
  (func (export "_start") nop))"""


def _report_of(wasm: bytes, tmp_path) -> str:
    store = wasmtime.Store()
    config = wasmtime.WasiConfig()
    config.stdout_file = str(tmp_path / "out")
    store.set_wasi(config)
    linker = wasmtime.Linker(store.engine)
    linker.define_wasi()
    instance = linker.instantiate(store, wasmtime.Module(store.engine, wasm))
    instance.exports(store)["_start"](store)
    return (tmp_path / "out").read_text()


def test_static_builtins_agree_when_folded_and_when_compiled(tmp_path):
    """``active_data_*`` had two implementations: the folder's (``StaticCalls``) evaluated any constant
    offset expression, the code generator's (used when nothing folded the call) accepted only a bare
    ``i32.const``/``i64.const`` and refused ``global.get``/extended-const offsets with "needs constant
    data segment offsets".  Both paths now give start 12, length 5 (LANGUAGE.md §11.2)."""
    from compiler.rewrite.emit import instrument
    script = """wasm:opcode:nop:before {
        report var start: u32 = active_data_start(0);
        report var len: u32 = active_data_len(0);
        report var page: u32 = page_size(0);
    }"""
    module = read_module(wasmtime.wat2wasm(EXTENDED_CONST_DATA))
    calls = StaticCalls(module, check_source(script))
    assert (calls(None, "active_data_start", (0,)), calls(None, "active_data_len", (0,)),
            calls(None, "page_size", (0,))) == (12, 5, 65536)
    reports = []
    for folder_evaluates in (True, False):
        program = check_source(script)
        static_call = StaticCalls(module, program) if folder_evaluates else (lambda lib, fn, args: None)
        wasm = instrument(module, program, static_call=static_call).wasm
        reports.append(_report_of(wasm, tmp_path))
    assert reports[0] == reports[1]
    assert ", 12\n" in reports[0] and ", 5\n" in reports[0] and ", 65536\n" in reports[0]
