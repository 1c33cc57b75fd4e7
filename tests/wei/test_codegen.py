"""codegen.py: the monitor's functions — parameters as bound variables, site-block storage, $S results,
returns in bodies — run directly (the test plays the engine by hand)."""
from __future__ import annotations

import wasmtime

from .wei_fixtures import monitor


def _instance(script: str):
    m = monitor(script)
    store = wasmtime.Store()
    linker = wasmtime.Linker(store.engine)
    linker.define_wasi()
    store.set_wasi(wasmtime.WasiConfig())
    inst = linker.instantiate(store, wasmtime.Module(store.engine, m.wasm))
    exports = inst.exports(store)
    return m, store, exports


def test_derived_values_from_parameters():
    """``effective_addr`` = argK + offset (wrapped); ``target`` clamps arg0 to num_targets."""
    m, store, ex = _instance("var e: u32; var t: u32; wasm:opcode:i32.store:before { e = effective_addr; }"
                             "wasm:opcode:br_table:before { t = target; }")
    store_export, table_export = m.export_names
    assert store_export == "wasm:opcode:i32.store  (arg1, offset)"
    assert table_export == "wasm:opcode:br_table  (arg0, num_targets)"
    ex[store_export](store, 0x10, 0x100000004)
    assert ex["get_e"](store) == 0x14
    for arg, n, want in ((1, 3, 1), (7, 3, 3), (-1, 0, 0xFFFFFFFF)):
        ex[table_export](store, arg, n)
        assert ex["get_t"](store) & 0xFFFFFFFF == want


def test_small_types_are_normalised():
    m, store, ex = _instance("var v: i32; wasm:opcode:call(arg0: u8):before { v = arg0 as i32; }")
    (name,) = m.export_names
    ex[name](store, 0x1FF)
    assert ex["get_v"](store) == 0xFF


def test_site_blocks_are_independent():
    m, store, ex = _instance("var last: u32; wasm:opcode:call:before { report var n: u32 = pc; n++; last = n; }")
    (name,) = m.export_names
    alloc = int(name.split("$")[1].split("(")[0])
    buf = ex["whamm_buffer"]
    start = ex["whamm_buffer:start"].value(store)
    buf.write(store, b"f", start)
    a = ex[f"${alloc}"](store, start, 1, 0, 10)
    b = ex[f"${alloc}"](store, start, 1, 0, 20)
    assert a != b
    for base, want in ((a, 11), (a, 12), (b, 21)):
        ex[name](store, base)
        assert ex["get_last"](store) == want


def test_return_leaves_the_body():
    m, store, ex = _instance("var c: u32; wasm:opcode:call:before { if (fid == 7) { return; } c++; }")
    (name,) = m.export_names
    for fid in (1, 7, 2):
        ex[name](store, fid)
    assert ex["get_c"](store) == 2
