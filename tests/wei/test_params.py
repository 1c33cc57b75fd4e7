"""params.py: which names an occurrence requests, first-occurrence order, parameter types (WEI.md §5.1)."""
from __future__ import annotations

import pytest

from compiler.events.catalog import find_event, lookup, scope
from compiler.lang.frontend import check_source
from compiler.lang.types import Prim
from compiler.wasm.model import FUNCREF
from compiler.wei.params import Requests, param_type, param_valtypes, requested


def _var(event: str, name: str):
    return lookup(scope("opcode", event, "before"), name)


@pytest.mark.parametrize("event, name, names", [
    ("i32.load", "addr", ("arg0",)),
    ("i32.store", "addr", ("arg1",)),
    ("i32.store", "effective_addr", ("arg1", "offset")),
    ("memory.atomic.wait32", "addr", ("arg2",)),
    ("br_table", "target", ("arg0", "num_targets")),
    ("call_indirect", "table_entry_idx", ("arg0",)),
    ("call_indirect", "resolved_fid", ("resolved_fid",)),
    ("call_ref", "resolved_fid", ("resolved_fid",)),
    ("struct.get", "tid", ("imm0",)),
    ("struct.get", "field_idx", ("imm1",)),
    ("call", "fname", ("fname",)),
    ("call", "opname", ()),
    ("i32.load", "data_size", ()),
])
def test_requested(event, name, names):
    assert requested(_var(event, name), find_event("opcode", event)) == names


def _body_requests(script: str) -> tuple[str, ...]:
    program = check_source(script, wei=True)
    cp = program.probes[0]
    req = Requests()
    req.scan(cp.body, cp.event)
    return tuple(req.names)


def test_first_occurrence_order():
    """The §5.1 example: ``{ x = addr + fid; y = pc; z = fid; }`` on i32.load."""
    assert _body_requests("var x: u32; var y: u32; var z: u32;"
                          "wasm:opcode:i32.load:before { x = addr + fid; y = pc; z = fid; }") == ("arg0", "fid", "pc")


def test_left_to_right_and_nested():
    assert _body_requests("var m: map<u32, u32>; wasm:opcode:i32.store:before {"
                          " if (pc > 3) { m[effective_addr] = fid; } else { m[arg0 as u32] = opidx; } }") == \
        ("pc", "arg1", "offset", "fid", "arg0", "opidx")


def test_initial_names_are_kept_first():
    req = Requests(("fname", "fid", "pc"))
    req.add("pc")
    req.add("imm0")
    assert req.names == ["fname", "fid", "pc", "imm0"]


def test_param_types():
    program = check_source("var x: i64; wasm:opcode:call(arg1: i64):before { x = arg1; }"
                           "wasm:opcode:call_indirect:before { x = arg0 as i64; }"
                           "wasm:opcode:i64.store:before { x = arg0; }", wei=True)
    call, indirect, store = program.probes
    assert param_type("arg1", call) is Prim.I64
    assert param_valtypes("fname", call) == ("i32", "i32")
    assert param_valtypes("offset", store) == ("i64",)
    assert param_valtypes("arg0", store) == ("i64",)
    assert param_valtypes("arg1", store) == ("i32",)
    assert param_valtypes("target_funcref", indirect) == (FUNCREF,)
    with pytest.raises(KeyError):
        param_type("arg0", call)  # argN:? without a bound has no type
