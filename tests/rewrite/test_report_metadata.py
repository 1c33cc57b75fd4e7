"""The ``whamm.report`` section (REWRITING.md §17, binary version 2 of :mod:`compiler.report.metadata`):
every list of rows survives encoding exactly, every emit's section decodes to the emitter's layout rows,
and anything but a well-formed section is a clear error."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from compiler.errors import WhammError
from compiler.lang.types import MapType, Prim, TupleType
from compiler.report.metadata import KINDS, MetadataError, decode, encode, read_metadata
from compiler.report.rows import GlobalLocation, MapLocation, MemoryLocation, ReportVar
from compiler.wasm import read_module

ROOT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------------------------------------
# round trip of generated rows

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)   # any UTF-8-encodable text
_types = st.recursive(
    st.sampled_from(list(Prim)),
    lambda inner: st.one_of(st.lists(inner, max_size=3).map(lambda es: TupleType(tuple(es))),
                            st.builds(MapType, inner, inner)),
    max_leaves=5)
_index = st.integers(0, 2**32)


@st.composite
def _tables(draw):
    """Rows plus the output name section and import shift they are encoded against.  Names and
    offsets are drawn from small pools so that rows share shapes and functions, names agree with the
    name section or not, memory offsets run in regular strides or jump, and memory rows read their
    value from their own slot or (coalesced per-site counters) another one."""
    function_names = draw(st.dictionaries(st.integers(0, 40), _text, max_size=8))
    func_imports, func_shift = draw(st.integers(0, 10)), draw(st.integers(0, 5))
    names, probes = draw(st.lists(_text, min_size=1, max_size=4)), draw(st.lists(_text, min_size=1, max_size=3))
    types = draw(st.lists(_types, min_size=1, max_size=3))
    stride = draw(st.sampled_from([0, 1, 4, 8, -4, 12]))
    offset = draw(_index)
    rows = []
    for _ in range(draw(st.integers(0, 30))):
        fid = draw(st.none() | st.integers(0, 40))
        out_fid = None if fid is None else fid + func_shift if fid >= func_imports else fid
        fname = draw(st.none() | _text | st.just(function_names.get(out_fid, "")))
        which = draw(st.sampled_from(["memory", "memory", "memory", "map", "global"]))
        if which == "memory":
            offset = max(draw(st.just(offset + stride) | _index), 0)
            value = draw(st.none() | st.none() | st.sampled_from([0, offset - 8]) | _index)   # coalesced: elsewhere
            location: object = MemoryLocation(offset, None if value is None else max(value, 0))
        elif which == "map":
            location = MapLocation(draw(_index))
        else:
            location = GlobalLocation(tuple(draw(st.lists(_index, max_size=3))), draw(st.none() | _text))
        rows.append(ReportVar(draw(st.sampled_from(names)), draw(st.sampled_from(KINDS)),
                              draw(st.sampled_from(types)), draw(st.none() | st.sampled_from(probes)),
                              fid, fname, draw(st.none() | st.integers(0, 2**20)), location))
    return rows, function_names, func_imports, func_shift


@settings(max_examples=150, deadline=None)
@given(_tables(), st.none() | _text)
def test_every_row_list_round_trips(table, memory_export):
    rows, function_names, func_imports, func_shift = table
    data = encode(rows, memory_export, function_names, func_imports, func_shift)
    meta = decode(data, function_names)
    assert meta.rows == rows and meta.memory_export == memory_export
    assert [type(v.location) for v in meta.rows] == [type(v.location) for v in rows]


@settings(max_examples=60, deadline=None)
@given(_tables())
def test_every_truncation_is_an_error(table):
    rows, function_names, func_imports, func_shift = table
    data = encode(rows, "whamm:memory", function_names, func_imports, func_shift)
    for end in range(len(data)):
        with pytest.raises(MetadataError, match="truncated|empty"):
            decode(data[:end], function_names)


def test_other_sections_are_refused_with_a_reason():
    data = encode([ReportVar("n", "global", Prim.U32, None, None, None, None, GlobalLocation((3,), "get_n"))],
                  None, {}, 0, 0)
    with pytest.raises(MetadataError, match="trailing bytes"):
        decode(data + b"\0", {})
    with pytest.raises(MetadataError, match=r"JSON \(version 1\)"):
        decode(b'{"version":1,"memory_export":null,"vars":[]}', {})
    with pytest.raises(MetadataError, match="version 3"):
        decode(b"\x03", {})
    # the row is head 0 (shape 0), function step 0, one global (3), export string 2 ("get_n"): point it at shape 1
    assert data.endswith(b"\x00\x00\x01\x03\x03")
    with pytest.raises(MetadataError, match="shape 1 out of range"):
        decode(data[:-5] + b"\x04" + data[-4:], {})
    assert issubclass(MetadataError, WhammError)


def test_a_probe_at_many_sites_costs_a_few_bytes_a_row():
    """The case the table is designed for: two counters per branch site, in site order."""
    rows = []
    for site in range(1000):
        fid, pc = 5 + site // 50, 3 + (site % 50) * 7
        for k, name in enumerate(("taken", "not_taken")):
            rows.append(ReportVar(name, "site", Prim.U32, "0_wasm:opcode:br_if:before", fid, f"f{fid}", pc,
                                  MemoryLocation(1024 + 8 * site + 4 * k)))
    names = {fid: f"f{fid}" for fid in range(5, 30)}
    data = encode(rows, "whamm:memory", names, 1, 0)
    assert decode(data, names).rows == rows
    assert len(data) <= 2.5 * len(rows)


# ------------------------------------------------------------------------------------------------
# real emits

C_PROGRAMS = sorted((ROOT / "tests" / "corpus" / "c").glob("*.wasm"))
EXAMPLES = ["branches", "hotness", "callgraph", "memtrace", "instr_count"]

# every row kind, tuple and str globals, a map; the app imports one function that is not fd_write, so
# printing adds an import and shifts the defined functions (their names move in the name section)
EVERY_KIND = """
report var zeta: map<u32, u32>;
report var words: str = "hello global";
report var count: u32;
report var pair: (i32, (i32, i32)) = (1, (12, 13));
wasm:opcode:local.set:before {
    report var n: u8 = 250;
    report var where: (u32, str) = (pc, fname);
    n++;
    shared report var sets: u64;
    sets++;
    count++;
    zeta[pc] = zeta[pc] + 1;
}
wasm:func:entry { frame report var calls_here: i32; calls_here = calls_here - 1; }
"""
SHIFTED_APP = """
(module
  (import "env" "tick" (func $tick))
  (memory 1)
  (func $work (param $n i32) (result i32) (local.set $n (i32.add (local.get $n) (i32.const 1))) (local.get $n))
  (func (export "_start") (local i32) (local.set 0 (call $work (i32.const 2))) (call $tick)))
"""


def _assert_section_is_the_layout(out) -> None:
    meta = read_metadata(read_module(out.wasm))
    assert meta is not None and meta.rows == out.layout.report
    assert meta.memory_export == ("whamm:memory" if out.layout.has_runtime else None)


@pytest.mark.parametrize("app", C_PROGRAMS, ids=lambda p: p.stem)
@pytest.mark.parametrize("example", EXAMPLES)
def test_emitted_section_decodes_to_the_layout_rows(instrument, app, example):
    out = instrument((ROOT / "examples" / example / f"{example}.mm").read_text(), app)
    _assert_section_is_the_layout(out)


def test_every_kind_with_shifted_and_unnamed_functions(instrument):
    out = instrument(EVERY_KIND, SHIFTED_APP)
    assert out.layout.func_shift > 0
    assert {v.kind for v in out.layout.report} == set(KINDS)
    assert {v.fname for v in out.layout.report if v.fid is not None} == {"work", ""}
    _assert_section_is_the_layout(out)


def test_coalesced_per_site_counters_keep_their_value_slots(instrument):
    """Per-site counters coalesced into shared slots (docs/COALESCING.md): the section says where
    every row's value is."""
    script = "wasm:opcode:*:before { report var n: u64; n++; }"
    out = instrument(script, C_PROGRAMS[0])
    assert sum(v.location.value_offset is not None for v in out.layout.report) * 2 > len(out.layout.report)
    _assert_section_is_the_layout(out)
