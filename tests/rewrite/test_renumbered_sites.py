"""Bound functions at sites of a module whose instrumented output gains imports (REWRITING.md §3, §6.3).

Placement reads the function's instructions as the output numbers them: an added ``fd_write`` shifts
every defined function by one, a ``memid`` library memory every defined memory.  What a bound function
reads from its instruction's immediates must therefore be taken as an output index — never looked up
again in the input module, nor renumbered twice.
"""
from __future__ import annotations

import os
import tempfile

import pytest
import wasmtime

from compiler.errors import WhammError
from compiler.lang.frontend import check_source
from compiler.lang.libraries import library_from_bytes
from compiler.rewrite.emit import instrument
from compiler.wasm import read_module
from compiler.wasm.validate import engine, validate

# No imports: a report printed at exit adds fd_write, and every defined function moves up by one.
# 0 $add, 1 $neg, 2 $sub, 3 _start.  The call to $add (type (i32 i32) → i32) sits in _start; after the
# shift its output index, 1, is $neg's input index — a function of another type.
CALLS = """
(module
  (global $r (mut i32) (i32.const 0))
  (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func $neg (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func $sub (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
  (func (export "_start") (global.set $r (call $add (i32.const 10) (i32.const 3))))
  (func (export "result") (result i32) (global.get $r)))
"""

# A library whose memory the script reaches with memid(lib): imported before the app's own memory,
# which moves from index 0 to 1 in the output.
LIB = """
(module
  (memory (export "mem") 1)
  (func (export "hit")))
"""

# memory.copy within the app's memory: bytes 0..3 to 8..11.
COPY = """
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "ABCD")
  (func (export "_start") (memory.copy (i32.const 8) (i32.const 0) (i32.const 4))))
"""


def emitted(script: str, app: str, libraries: dict[str, bytes] | None = None):
    signatures = {name: library_from_bytes(name, data) for name, data in (libraries or {}).items()}
    program = check_source(script, "test.mm", signatures or None)
    out = instrument(read_module(wasmtime.wat2wasm(app)), program, libraries=libraries)
    validate(out.wasm)
    return out


def instantiate(wasm: bytes, libraries: dict[str, bytes] | None = None):
    store = wasmtime.Store(engine())
    linker = wasmtime.Linker(store.engine)
    linker.define_wasi()
    cfg = wasmtime.WasiConfig()
    cfg.stdout_file = os.path.join(tempfile.mkdtemp(), "out")
    store.set_wasi(cfg)
    for name, data in (libraries or {}).items():
        linker.define_instance(store, name, linker.instantiate(store, wasmtime.Module(store.engine, data)))
    return store, linker.instantiate(store, wasmtime.Module(store.engine, wasm)).exports(store)


def test_alt_call_compares_the_types_of_the_original_callee_not_of_its_renumbered_index():
    script = "report var n: u32;\nwasm:opcode:call:alt / imm0 == 0 / { n++; alt_call_by_id(2); }"
    out = emitted(script, CALLS)
    assert out.func_shift == 1                      # fd_write was added
    store, exports = instantiate(out.wasm)
    exports["_start"](store)
    assert exports["result"](store) == 7            # $sub(10, 3) replaced $add(10, 3)


def test_alt_call_still_refuses_a_function_of_another_type_after_the_shift():
    script = "report var n: u32;\nwasm:opcode:call:alt / imm0 == 0 / { n++; alt_call_by_id(1); }"
    with pytest.raises(WhammError, match="does not have the type of the original callee"):
        emitted(script, CALLS)                      # $neg (i32) → i32 in place of $add (i32 i32) → i32


def test_dup_at_copies_from_the_app_memory_when_a_library_memory_is_imported_before_it():
    lib = wasmtime.wat2wasm(LIB)
    script = "use lib;\nwasm:opcode:memory.copy:after { dup_at(APP_MEMID, 100); }\n" \
             "wasm:begin { write_str(memid(lib), 0, \"lib!\"); }"
    out = emitted(script, COPY, {"lib": lib})
    module = read_module(out.wasm)
    assert [i.name for i in module.imports if i.kind.name == "MEMORY"] == ["mem"]   # before the app's memory
    store, exports = instantiate(out.wasm, {"lib": lib})
    exports["_start"](store)
    assert bytes(exports["memory"].read(store, 8, 12)) == b"ABCD"
    assert bytes(exports["memory"].read(store, 100, 104)) == b"ABCD"    # from the app's memory, not lib's
