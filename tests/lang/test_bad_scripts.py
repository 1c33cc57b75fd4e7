"""Snapshot tests: every ``bad_scripts/*.mm`` goes through the front end (``check_source``, the same
entry ``whamm check`` uses) and its rendered diagnostics must equal ``<name>.expected`` byte for byte.

Run with ``WHAMM_UPDATE_SNAPSHOTS=1`` to (re)write the expected files after reviewing a change.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import wasmtime

from compiler.lang.diagnostics import ScriptError
from compiler.lang.frontend import check_source
from compiler.lang.libraries import library_from_bytes

HERE = Path(__file__).with_name("bad_scripts")
SCRIPTS = sorted(HERE.glob("*.mm"))
UPDATE = os.environ.get("WHAMM_UPDATE_SNAPSHOTS") == "1"

#: The one user library the bad scripts may use.
TOGGLE_WAT = """(module
  (func (export "should_inject") (param i32 i32) (result i32) i32.const 1)
  (func (export "next") (result i32) i32.const 0)
  (func (export "pair") (result i32 i32) i32.const 0 i32.const 0))"""


@pytest.fixture(scope="module")
def libraries():
    return {"toggle": library_from_bytes("toggle", wasmtime.wat2wasm(TOGGLE_WAT), "toggle.wasm")}


def test_there_are_at_least_40_bad_scripts():
    assert len(SCRIPTS) >= 40


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_bad_script(script: Path, libraries):
    text = script.read_text(encoding="utf-8")
    name = f"bad_scripts/{script.name}"
    with pytest.raises(ScriptError) as info:
        check_source(text, name, libraries)
    got = str(info.value) + "\n"
    expected_path = script.with_suffix(".expected")
    if UPDATE:
        expected_path.write_text(got, encoding="utf-8")
    assert got == expected_path.read_text(encoding="utf-8")
