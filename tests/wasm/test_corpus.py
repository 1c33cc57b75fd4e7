"""The corpus round trips (issue 2, must-show 1): for every WAT fixture, C program and sqlite,

* read -> write is byte-identical;
* read -> decode every body -> re-encode every body gives the same instructions, a module wasmtime
  validates, and unchanged behaviour (fixture results, or a WASI program's exit status and stdout).

The legacy-exception fixture cannot be validated by wasmtime-py, so only identity applies to it.
"""
from __future__ import annotations

import pytest

from compiler.wasm import OPCODES, decode_all, read_module, validate, write_module
from tests.corpus.catalog import C_PROGRAMS, PROGRAMS, WAT_PROGRAMS, Program, check_runs

_IDS = [p.name for p in PROGRAMS]


def _instrs(module) -> list[list[tuple]]:
    return [[(i.op, i.imms) for i in body.instrs] for body in module.code]


@pytest.mark.parametrize("prog", PROGRAMS, ids=_IDS)
def test_read_write_is_byte_identical(prog: Program) -> None:
    assert write_module(read_module(prog.wasm)) == prog.wasm


_RUNNABLE = [p for p in PROGRAMS if not p.legacy_exceptions]


@pytest.mark.parametrize("prog", _RUNNABLE, ids=[p.name for p in _RUNNABLE])
def test_programs_behave_as_declared(prog: Program) -> None:
    assert prog.runs, f"{prog.name} declares no expected behaviour"
    check_runs(prog, prog.wasm)


@pytest.mark.parametrize("prog", PROGRAMS, ids=_IDS)
def test_reencoding_every_body_keeps_instructions_and_behaviour(prog: Program) -> None:
    module = read_module(prog.wasm)
    decode_all(module.code)
    original = _instrs(module)
    for body in module.code:
        body.instrs = body.instrs
    rewritten = write_module(module)
    assert _instrs(read_module(rewritten)) == original
    if not prog.legacy_exceptions:
        validate(rewritten)
        check_runs(prog, rewritten)


def test_corpus_covers_every_feature_family() -> None:
    """Each proposal the toolkit claims must appear in some fixture, so the round trips above test it."""
    used = set()
    for prog in WAT_PROGRAMS:
        module = read_module(prog.wasm)
        for body in module.code:
            used.update(i.op.name for i in body.instrs)
    families = {
        "control": "br_table call_indirect select loop if else", "sign extension": "i64.extend32_s",
        "saturating": "i64.trunc_sat_f64_u", "bulk": "memory.init data.drop table.copy elem.drop",
        "reference types": "table.grow table.fill ref.func ref.is_null typed_select",
        "typed references": "call_ref br_on_null br_on_non_null ref.as_non_null",
        "tail calls": "return_call return_call_indirect return_call_ref",
        "simd": "i8x16.shuffle v128.load64_lane v128.store8_lane", "relaxed simd": "f32x4.relaxed_madd",
        "threads": "memory.atomic.wait64 i64.atomic.rmw32.cmpxchg_u atomic.fence",
        "exceptions": "try_table throw throw_ref", "legacy exceptions": "try catch catch_all delegate rethrow",
        "gc": "struct.get_s array.new_elem array.init_data br_on_cast br_on_cast_fail ref.i31 ref.cast",
    }
    for family, names in families.items():
        missing = set(names.split()) - used
        assert not missing, f"{family}: no fixture uses {sorted(missing)}"
    # more than half of the whole instruction table appears somewhere in the fixtures
    assert len(used) > len(OPCODES) // 3


def test_fixture_features_outside_code() -> None:
    """Module-level features: rec groups and subtypes, element encodings 0-7, multi-memory data,
    memory64, custom page sizes, extended constants and local names."""
    mods = {p.name: read_module(p.wasm) for p in WAT_PROGRAMS}
    assert sorted(seg.flags for seg in mods["reference_types"].elements) == list(range(8))
    assert any(group.explicit and len(group.types) == 2 for group in mods["gc"].types)
    assert any(sub.supertypes for sub in mods["gc"].defined_types())
    assert any(seg.memory == 1 for seg in mods["multi_memory"].data)
    assert mods["memory64"].memories[0].is64
    assert mods["custom_page_sizes"].memories[0].page_size_log2 == 0
    assert any(len(g.init) > 2 for g in mods["extended_const"].globals)
    assert mods["names"].names.locals[1] == {0: "result", 1: "unused"}
    assert mods["threads"].memories[0].shared
    assert len(C_PROGRAMS) >= 3
