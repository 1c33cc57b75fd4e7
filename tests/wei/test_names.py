"""names.py: export-name encoding and parsing (WEI.md §4)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from compiler.events.catalog import opcode_events
from compiler.wei.names import (
    FIXED_PARAMS, CallbackRef, ExportName, ExportNameError, is_param_name, is_probe_export, parse_export_name,
)

SPEC_NAMES = [
    "wasm:opcode:call  ()",
    "wasm:opcode:call  ($5(fname, fid, pc), )",
    "wasm:opcode:br_if / $3(fname) / ($4(fname, fid, pc), arg0)",
    "wasm:opcode:i32.load  (arg0, fid)",
    "wasm:opcode:i64.load8_u  (arg0, offset)",
    "wasm:opcode:i32.load / $6(fid, pc) / ($7(pc), )",
    "wasm:func:entry  (local0)",
    "wasm:opcode:i32.load  (arg0, fid, pc)",
    "wasm:opcode:br_if  (pc, arg0)",
]


@pytest.mark.parametrize("text", SPEC_NAMES)
def test_spec_names_round_trip(text):
    assert str(parse_export_name(text)) == text


def test_parts():
    name = parse_export_name("wasm:opcode:br_if / $3(fname) / ($4(fname, fid, pc), $9(), arg0)")
    assert name == ExportName("wasm:opcode:br_if", CallbackRef(3, ("fname",)),
                              (CallbackRef(4, ("fname", "fid", "pc")), CallbackRef(9, ())), ("arg0",))
    assert (name.package, name.event) == ("opcode", "br_if")
    assert parse_export_name("wasm:block:end  (instr_count)").event == "end"


def test_no_predicate_means_two_spaces():
    assert str(ExportName("wasm:func:exit", None, (), ())) == "wasm:func:exit  ()"
    assert str(ExportName("wasm:func:exit", None, (CallbackRef(1, ()),), ())) == "wasm:func:exit  ($1(), )"


@pytest.mark.parametrize("text, reason", [
    ("wasm:opcode:nope  ()", "unknown event 'wasm:opcode:nope'"),
    ("wasm:func:middle  ()", "unknown event 'wasm:func:middle'"),
    ("wasm:opcode:call:before  ()", "unknown event"),
    ("wasm:opcode:call ()", "expected ' ('"),
    ("wasm:opcode:call  (foo)", "unknown parameter 'foo'"),
    ("wasm:opcode:call  (arg0, arg0)", "parameter 'arg0' repeated"),
    ("wasm:opcode:call  (arg01)", "unknown parameter 'arg01'"),
    ("wasm:opcode:call  ($5(fname), fid", "expected ')'"),
    ("wasm:opcode:call  ($5(fname))", "expected ', '"),
    ("wasm:opcode:call / $x() / ()", "expected a callback '$N('"),
    ("wasm:opcode:call  () ", "unexpected text after the parameter list"),
    ("wasm:opcode:call", "expected ' ' after the rule"),
])
def test_malformed(text, reason):
    with pytest.raises(ExportNameError) as info:
        parse_export_name(text)
    assert reason in info.value.reason
    assert str(info.value).startswith(f"malformed probe export name {text!r}: ")


def test_param_names():
    assert all(is_param_name(n) for n in FIXED_PARAMS)
    assert is_param_name("arg12") and is_param_name("imm0") and is_param_name("local3")
    assert not is_param_name("res0") and not is_param_name("opname") and not is_param_name("argN")


def test_probe_exports():
    assert is_probe_export("wasm:opcode:call  ()") and is_probe_export("wasm:block:end  ()")
    assert not is_probe_export("wasm:exit") and not is_probe_export("$5") and not is_probe_export("memory")


_EVENTS = [f"wasm:opcode:{e.name}" for e in opcode_events()] + ["wasm:func:entry", "wasm:func:exit",
                                                                  "wasm:block:start", "wasm:block:end"]
_PARAM = st.sampled_from(sorted(FIXED_PARAMS)) | st.builds(
    lambda p, n: f"{p}{n}", st.sampled_from(["arg", "imm", "local"]), st.integers(0, 40))
_PARAMS = st.lists(_PARAM, unique=True, max_size=5).map(tuple)
_CALL = st.builds(CallbackRef, st.integers(0, 10_000), _PARAMS)


@given(st.builds(ExportName, st.sampled_from(_EVENTS), st.none() | _CALL, st.lists(_CALL, max_size=3).map(tuple),
                 _PARAMS))
def test_any_name_round_trips(name):
    assert parse_export_name(str(name)) == name
