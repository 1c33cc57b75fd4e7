"""start.py: the start function runs state initialisation, script-level statements, shared initialisers
and wasm:begin in that order (WEI.md §3)."""
from __future__ import annotations

import wasmtime


def test_start_order(monitor):
    m = monitor("var log: u64 = 1; log = log * 10 + 2;"
                "wasm:opcode:call:before { shared var s: u64 = log * 10 + 3; log = s; }"
                "wasm:begin { log = log * 10 + 4; } wasm:begin { log = log * 10 + 5; }")
    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, m.wasm), [])
    assert inst.exports(store)["get_log"](store) == 1245


def test_maps_exist_at_start(monitor):
    m = monitor("var m: map<u32, u32>; var k: u32; m[3] = 4; k = m[3]; wasm:opcode:call:before { m[1]++; }")
    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, m.wasm), [])
    assert (inst.exports(store)["get_k"](store), inst.exports(store)["get_m"](store)) == (4, 0)
