"""Exported getters ``get_<name>`` (REWRITING.md §14), wast-style: invoke the application's exports,
then assert what each getter returns.  Also the ``whamm_flush`` export of an application without a
flush point (§10), which these library-like apps are."""
from __future__ import annotations

import pytest
import wasmtime

from compiler import api
from compiler.wasm.validate import engine

APP = """(module
  (func $leaf (param i64) (result i64) (i64.mul (local.get 0) (i64.const 2)))
  (func $mid (param i32) (result i32)
    (i32.wrap_i64 (call $leaf (i64.extend_i32_s (local.get 0)))))
  (func (export "once") (result i32) (call $mid (i32.const 5)))
  (func (export "twice") (result i32) (i32.add (call $mid (i32.const 1)) (call $mid (i32.const -3))))
  (func (export "branchy") (param i32) (result i32)
    (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 0)))))"""


class Instance:
    """The instrumented app instantiated with WASI; ``invoke`` an export, ``get`` a getter."""

    def __init__(self, script: str, app: str = APP) -> None:
        self.result = api.instrument(wasmtime.wat2wasm(app), script, script_name="getters.mm")
        self.store = wasmtime.Store(engine())
        wasi = wasmtime.WasiConfig()
        wasi.inherit_stdout()
        self.store.set_wasi(wasi)
        linker = wasmtime.Linker(engine())
        linker.define_wasi()
        self.instance = linker.instantiate(self.store, wasmtime.Module(engine(), self.result.wasm))
        self.exports = self.instance.exports(self.store)

    def invoke(self, name: str, *args: object) -> object:
        return self.exports[name](self.store, *args)

    def get(self, name: str) -> object:
        return self.exports[f"get_{name}"](self.store)


def run_script(instance: Instance, commands: list[tuple]) -> None:
    """``("invoke", export, args...)`` and ``("assert_return", getter, value)``, in order."""
    for command, name, *rest in commands:
        if command == "invoke":
            instance.invoke(name, *rest)
        else:
            assert instance.get(name) == rest[0], f"get_{name}"


def test_call_counter_counts_every_call_of_every_invocation():
    inst = Instance("var calls: u32;\nwasm:opcode:call:before { calls++; }\n")
    run_script(inst, [
        ("assert_return", "calls", 0),
        ("invoke", "once"), ("assert_return", "calls", 2),
        ("invoke", "twice"), ("assert_return", "calls", 6),
        ("invoke", "branchy", 1), ("assert_return", "calls", 6),
    ])


def test_getter_types_follow_the_variable_types():
    script = """
var total: i64;
var last: f64;
var seen: bool;
var small: i8;
var tiny: u8;
var wide: u64;
var ratio: f32;
wasm:opcode:call(arg0: i64):before {
    total = total + arg0;
    last = arg0 as f64 / 4.0;
    seen = true;
    small--;
    tiny--;
    wide = wide - 1;
    ratio = 0.5;
}
"""
    inst = Instance(script)
    run_script(inst, [
        ("assert_return", "seen", 0),
        ("invoke", "twice"),                 # $leaf(1) and $leaf(-3)
        ("assert_return", "total", -2),
        ("assert_return", "last", -0.75),
        ("assert_return", "seen", 1),
        ("assert_return", "small", -2),      # i8: sign-extended into the i32 result
        ("assert_return", "tiny", 254),      # u8: zero-extended
        ("assert_return", "wide", -2),       # u64 in an i64: wasmtime shows the signed view
        ("assert_return", "ratio", 0.5),
    ])
    assert inst.exports["get_ratio"].type(inst.store).results[0].__str__() == "f32"


def test_branch_counters_per_direction():
    script = """
var taken: u32;
var skipped: u32;
wasm:opcode:if:before { if (arg0 != 0) { taken++; } else { skipped++; } }
"""
    inst = Instance(script)
    run_script(inst, [
        ("invoke", "branchy", 7), ("invoke", "branchy", 0), ("invoke", "branchy", -1),
        ("assert_return", "taken", 2), ("assert_return", "skipped", 1),
    ])


def test_map_getter_returns_the_map_id_and_str_tuple_have_none():
    script = """
var zeta: map<u32, u32>;
var alpha: map<u32, u32>;
var name: str = "x";
var pair: (u32, u32);
wasm:opcode:call:before { zeta[imm0]++; }
"""
    inst = Instance(script)
    assert (inst.get("alpha"), inst.get("zeta")) == (0, 1)   # ids by name order (LANGUAGE.md §8)
    assert "get_name" not in inst.exports and "get_pair" not in inst.exports


def test_existing_export_wins_with_a_warning():
    app = APP.replace('(func (export "once")', '(func (export "get_calls")')
    inst = Instance("var calls: u32;\nwasm:opcode:call:before { calls++; }\n", app)
    assert inst.invoke("get_calls") == 10  # the application's own function
    assert "get_calls" in inst.result.render_warnings()


def test_no_flush_point_exports_whamm_flush(capfd):
    inst = Instance("report var calls: u32;\nwasm:opcode:call:before { calls++; }\n")
    assert "no flush point: the report will not be printed unless the host calls whamm_flush" \
        in inst.result.render_warnings()
    inst.invoke("once")
    assert capfd.readouterr().out == ""
    inst.invoke("whamm_flush")
    out = capfd.readouterr().out
    assert out.endswith(", calls, u32, i32, script0, , , , , 2\n")
    inst.invoke("whamm_flush")  # the exit sequence runs at most once
    assert capfd.readouterr().out == ""


@pytest.mark.parametrize("start", [0, 1, 4294967295])
def test_initialisers_run_at_start_and_counts_wrap(start):
    inst = Instance(f"var n: u32 = {start};\nwasm:opcode:call:before {{ n++; }}\n")
    run_script(inst, [("assert_return", "n", start if start < 2**31 else start - 2**32),
                      ("invoke", "once"), ("assert_return", "n", (start + 2) % 2**32)])
