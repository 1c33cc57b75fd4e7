"""Library signatures from Wasm files and ``--user-libs`` specs (LANGUAGE.md §12, CLI.md §1)."""
from __future__ import annotations

import pytest
import wasmtime

from compiler.lang.libraries import (
    WHAMM_CORE, LibFunc, LibraryError, LibSpec, LibSpecError, library_from_bytes, parse_lib_specs,
    read_library,
)
from compiler.lang.types import Prim

P = Prim

LIB = """(module
  (type $s (struct (field i8) (field (mut i64))))
  (rec (type $a (array (mut i16))) (type $f (func (param i32) (result i32))))
  (import "env" "imported" (func (param f32)))
  (import "env" "mem" (memory 1 2))
  (import "env" "tab" (table 1 funcref))
  (import "env" "g" (global (mut i32)))
  (import "env" "tag" (tag (param i32)))
  (memory (export "memory") 1)
  (func (export "ints") (param i32 i64) (result i32) i32.const 0)
  (func (export "floats") (param f32 f64) (result f64) f64.const 0)
  (func (export "none"))
  (func (export "ref") (param externref))
  (func (export "simd") (param v128))
  (func (export "two") (result i32 i32) i32.const 0 i32.const 0)
  (func (export "typed") (type $f) local.get 0)
  (export "reexport" (func 0))
  (global (export "counter") i32 (i32.const 0)))"""


def test_signatures_and_unsupported_functions():
    lib = library_from_bytes("lib", wasmtime.wat2wasm(LIB), "lib.wasm")
    assert lib.has_memory and lib.import_module == "lib"
    assert lib.functions == (
        LibFunc("ints", (P.I32, P.I64), P.I32, True),
        LibFunc("floats", (P.F32, P.F64), P.F64, True),
        LibFunc("none", (), None, True),
        LibFunc("ref", (), None, False),
        LibFunc("simd", (), None, False),   # v128 must not crash the process (wasmtime-py would)
        LibFunc("two", (), None, False),
        LibFunc("typed", (P.I32,), P.I32, True),
        LibFunc("reexport", (P.F32,), None, True),
    )
    assert lib.function("typed").params == (P.I32,) and lib.function("nope") is None


def test_invalid_and_missing_libraries(tmp_path):
    with pytest.raises(LibraryError, match=r"^invalid library bad \(bad.wasm\): "):
        library_from_bytes("bad", b"\0asm\1\0\0\0\x01", "bad.wasm")
    with pytest.raises(LibraryError, match=r"^invalid library bad \(bad.wasm\): .*type mismatch"):
        library_from_bytes("bad", _invalid_module(), "bad.wasm")
    missing = tmp_path / "missing.wasm"
    with pytest.raises(LibraryError, match="No such file or directory"):
        read_library(LibSpec("m", "m", str(missing)))
    (tmp_path / "ok.wasm").write_bytes(wasmtime.wat2wasm("(module)"))
    assert read_library(LibSpec("ok", "mod:ok", str(tmp_path / "ok.wasm"))).import_module == "mod:ok"


def _invalid_module() -> bytes:
    """A well-formed binary that fails validation: a function declared ``-> i32`` returning nothing."""
    return bytes.fromhex("0061736d01000000" "010501600001" "7f" "03020100" "0a040102000b")


def test_parse_lib_specs():
    assert parse_lib_specs(["a=x.wasm,b(whamm:b)=lib/b.wasm", "c=c.wasm"]) == [
        LibSpec("a", "a", "x.wasm"), LibSpec("b", "whamm:b", "lib/b.wasm"), LibSpec("c", "c", "c.wasm")]
    for bad in ("a", "=x.wasm", "1a=x", "a(=x", "a()=x"):
        with pytest.raises(LibSpecError, match="expected NAME=PATH or NAME\\(MODULE\\)=PATH"):
            parse_lib_specs([bad])


def test_whamm_core_signatures():
    assert WHAMM_CORE.function("mem_alloc") == LibFunc("mem_alloc", (P.I32,), P.I32, True)
    assert WHAMM_CORE.function("putu64").params == (P.I64,)
    assert WHAMM_CORE.function("print_map_as_csv").result is None
