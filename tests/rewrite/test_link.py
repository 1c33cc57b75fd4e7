"""Linking (compiler/backend/link.py, REWRITING.md §3, §13): index renumbering when imports are added,
user libraries (run-time imports, ``memid`` memories, ``@init``, ``@static``), the merged runtime, and the
incremental function cache."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import wasmtime

from compiler.lang.frontend import check_source
from compiler.rewrite.emit import FunctionCache, emit, instrument as raw_instrument
from compiler.sites.matching import match
from compiler.wasm import read_module
from compiler.wasm.model import ExternKind
from compiler.wasm.validate import engine

# No fd_write import: printing adds one, which shifts every defined function by one.  Function indices:
# 0 $double, 1 $triple, 2 $apply (call_indirect), 3 $init (start), 4 _start.  A global holds ref.func.
SHIFTING = """
(module
  (type $unary (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $double $triple)
  (global $g funcref (ref.func $triple))
  (global $seen (mut i32) (i32.const 0))
  (memory 1)
  (func $double (type $unary) (i32.mul (local.get 0) (i32.const 2)))
  (func $triple (type $unary) (i32.mul (local.get 0) (i32.const 3)))
  (func $apply (param i32 i32) (result i32) (call_indirect (type $unary) (local.get 1) (local.get 0)))
  (func $init (global.set $seen (i32.const 5)))
  (func $main (export "_start")
    (i32.store (i32.const 0) (call $apply (i32.const 0) (global.get $seen)))
    (i32.store (i32.const 4) (call $apply (i32.const 1) (i32.const 7))))
  (export "apply" (func $apply))
  (start $init))
"""


def test_added_import_shifts_every_function_reference(instrument, run):
    script = "report var calls: u32; wasm:opcode:call:before { calls++; }\n" \
             "wasm:opcode:call_indirect:before { report var slot: i32; slot = arg0; }"
    out = instrument(script, SHIFTING)
    module = read_module(out.wasm)
    assert out.func_shift == 1
    assert [(i.module, i.name) for i in module.imports] == [("wasi_snapshot_preview1", "fd_write")]
    names = module.names.functions
    assert [names[i] for i in range(1, 6)] == ["double", "triple", "apply", "init", "main"]
    assert {e.name: e.index for e in module.exports if e.kind == ExternKind.FUNC}["apply"] == 3
    assert module.elements[0].items == (1, 2)
    assert out.input_function(3) == 2 and out.input_function(0) is None
    assert module.start == 4              # nothing to initialise: the app's own start, renumbered
    status, stdout, _ = run(out.wasm)
    rows = stdout.splitlines()[3:]
    # main calls apply twice (calls = 2); apply's call_indirect runs with slot 0, then 1 (the last value)
    assert status == 0
    assert [r.rsplit(", ", 1)[1] for r in rows] == ["1", "2"]
    # the app still computes what it did: 5 * 2 and 7 * 3
    store = wasmtime.Store(engine())
    linker = wasmtime.Linker(store.engine)
    linker.define_wasi()
    with tempfile.TemporaryDirectory() as d:
        cfg = wasmtime.WasiConfig()
        cfg.stdout_file = os.path.join(d, "out")
        store.set_wasi(cfg)
        inst = linker.instantiate(store, wasmtime.Module(store.engine, out.wasm))
        assert inst.exports(store)["apply"](store, 1, 4) == 12


LIB = """
(module
  (memory (export "mem") 1)
  (global $hits (mut i32) (i32.const 0))
  (global $resets (mut i32) (i32.const 0))
  (global $next (mut i32) (i32.const 0))
  (func (export "hit") (param i32) (global.set $hits (i32.add (global.get $hits) (local.get 0))))
  (func (export "hits") (result i32) (global.get $hits))
  (func (export "reset") (global.set $resets (i32.add (global.get $resets) (i32.const 1))))
  (func (export "resets") (result i32) (global.get $resets))
  (func (export "next") (result i32) (global.get $next) (global.set $next (i32.add (global.get $next) (i32.const 1))))
  (func (export "unused") (result f64) (f64.const 1)))
"""

APP = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $a (nop))
  (func $b (nop) (nop))
  (func $main (export "_start") (call $a) (call $b) (call $b)))
"""


def run_with_lib(wasm: bytes, lib: bytes, module_name: str = "lib") -> tuple[str, wasmtime.Store, object]:
    store = wasmtime.Store(engine())
    linker = wasmtime.Linker(store.engine)
    linker.define_wasi()
    with tempfile.TemporaryDirectory() as d:
        cfg = wasmtime.WasiConfig()
        cfg.stdout_file = os.path.join(d, "out")
        store.set_wasi(cfg)
        lib_inst = linker.instantiate(store, wasmtime.Module(store.engine, lib))
        linker.define_instance(store, module_name, lib_inst)
        inst = linker.instantiate(store, wasmtime.Module(store.engine, wasm))
        inst.exports(store)["_start"](store)
        return Path(d, "out").read_text(), store, lib_inst


def test_library_functions_called_at_run_time_are_imported_by_name(instrument):
    lib = wasmtime.wat2wasm(LIB)
    script = "use lib;\nwasm:opcode:nop:before { lib.hit(fid as i32); }"
    out = instrument(script, APP, libraries={"lib": lib})
    module = read_module(out.wasm)
    assert [(i.module, i.name) for i in module.imports] == [("wasi_snapshot_preview1", "fd_write"), ("lib", "hit")]
    _, store, lib_inst = run_with_lib(out.wasm, lib)
    assert lib_inst.exports(store)["hits"](store) == 1 * 1 + 2 * 4   # fid 1 ($a): one nop; fid 2 ($b): 2 x 2


def test_init_runs_once_per_site_and_static_folds_per_site(instrument):
    lib = wasmtime.wat2wasm(LIB)
    script = """
    use lib;
    wasm:opcode:nop:before {
        report var order: i32 = @static lib.next();
        @init lib.reset();
    }
    """
    out = instrument(script, APP, libraries={"lib": lib})
    module = read_module(out.wasm)
    # only reset is called at run time; next ran while instrumenting (no import)
    assert [i.name for i in module.imports] == ["fd_write", "reset"]
    text, store, lib_inst = run_with_lib(out.wasm, lib)
    assert lib_inst.exports(store)["resets"](store) == 3          # three nop sites
    assert [line.rsplit(", ", 1)[1] for line in text.splitlines()[3:]] == ["0", "1", "2"]


def test_memid_imports_the_library_memory(instrument):
    lib = wasmtime.wat2wasm(LIB)
    script = "use lib;\nwasm:begin { write_str(memid(lib), 16, \"from whamm\"); }\nwasm:opcode:nop:before {}"
    out = instrument(script, APP, libraries={"lib": lib})
    module = read_module(out.wasm)
    assert [(i.name, i.kind) for i in module.imports][-1] == ("mem", ExternKind.MEMORY)
    _, store, lib_inst = run_with_lib(out.wasm, lib)
    assert bytes(lib_inst.exports(store)["mem"].read(store, 16, 26)) == b"from whamm"


def test_runtime_functions_are_named_and_attributed(instrument):
    out = instrument("report var n: u32; wasm:opcode:nop:before { n++; }", APP)
    module = read_module(out.wasm)
    added = {module.names.functions[i] for i in out.added_functions}
    assert {"whamm:write", "whamm:start", "whamm:exit", "whamm:rt:whamm_print_value"} <= added
    assert all(out.input_function(i) is None for i in out.added_functions)
    assert [out.input_function(i) for i in range(4)] == [0, 1, 2, 3]


def test_function_cache_reuses_unchanged_bodies(run):
    module = read_module(wasmtime.wat2wasm(APP))
    cache = FunctionCache()
    p1 = check_source("report var n: u32; wasm:opcode:nop:before / fname == \"a\" / { n++; }")
    matches = match(module, p1)
    first = emit(module, p1, matches, cache=cache)
    assert (cache.hits, cache.misses) == (0, 2)      # $a and the flush point $main
    again = emit(module, p1, matches, cache=cache)   # the same site objects: the shell keeps them
    assert again.wasm == first.wasm and cache.hits == 2
    raw_instrument(module, p1, cache=cache)          # matched anew: new site objects, equal plans
    assert (cache.hits, cache.misses) == (4, 2)
    p2 = check_source("report var n: u32; wasm:opcode:nop:before / fname == \"a\" || fname == \"b\" / { n++; }")
    third = raw_instrument(module, p2, cache=cache)
    status, stdout, _ = run(third.wasm)
    assert stdout.endswith(", n, u32, i32, script0, , , , , 5\n")     # 1 nop in a + 2 x 2 in b
    fresh = raw_instrument(module, p2)
    assert third.wasm == fresh.wasm


def test_knobs_no_body_no_pred_no_bundle(report, instrument):
    from compiler.options import Options
    script = "var n: u32; var m: u32;\nwasm:opcode:nop:before / fname == \"b\" / { n++; }\n" \
             "wasm:opcode:call:before { m++; }"
    app = APP.replace('(export "_start")', '(export "run")')
    for options, expected in ((Options(), (4, 3)), (Options(no_body=True), (0, 0)),
                              (Options(no_body=True, no_pred=True, no_bundle=True), (0, 0))):
        out = instrument(script, app, options=options)
        store = wasmtime.Store(engine())
        linker = wasmtime.Linker(store.engine)
        linker.define_wasi()
        store.set_wasi(wasmtime.WasiConfig())
        inst = linker.instantiate(store, wasmtime.Module(store.engine, out.wasm))
        inst.exports(store)["run"](store)
        ex = inst.exports(store)
        assert (ex["get_n"](store), ex["get_m"](store)) == expected
    assert report  # (imported for its side effect of sharing the helpers)


def test_cached_bodies_keep_their_strings_and_block_types(run):
    from compiler import api
    from whamm_shell.session import Session
    session = Session(api.load_app(wasmtime.wat2wasm(APP)))
    session.add_item("report var s: str; report var t: (u32, str);")
    session.add_probe('wasm:opcode:nop:before / fname == "b" / '
                      '{ s = "in b"; t = (s.len() > 2) ? (1, "yes") : (0, "no"); }')
    cache = session.instrumenter.functions
    session.instrumenter.build(session.compose(), api.Options())
    session.add_probe('wasm:opcode:call:before / fname == "main" / { s = "main"; }')
    warm = session.instrumenter.build(session.compose(), api.Options())
    assert cache.hits >= 1                            # $b: its sites and its reads are unchanged
    cold = api.instrument(session.app, session.compose().source)
    assert warm.wasm == cold.wasm
    text = run(warm.wasm)[1]
    assert text == run(cold.wasm)[1]
    assert [line.split(", script0, , , , , ")[1] for line in text.splitlines()[3:]] == ["in b", "(1; yes)"]


def test_script_level_static_calls_run_first_and_fold(instrument):
    lib = wasmtime.wat2wasm(LIB)
    # §13.4: script-level @static calls precede the per-site ones (next() = 0, then 1, 2, 3 at the sites)
    script = """
    use lib;
    report var first: i32 = @static lib.next();
    @static lib.next();
    wasm:opcode:nop:before { report var order: i32 = @static lib.next(); }
    """
    out = instrument(script, APP, libraries={"lib": lib})
    assert [i.name for i in read_module(out.wasm).imports] == ["fd_write"]
    text, _, _ = run_with_lib(out.wasm, lib)
    assert [line.rsplit(", ", 1)[1] for line in text.splitlines()[3:]] == ["2", "3", "4", "0"]
