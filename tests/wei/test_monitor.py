"""monitor.py: golden export names and signatures, module contents, validation (WEI.md §3–§8).

Golden files: ``golden/<name>.mm`` → ``golden/<name>.txt`` (:func:`wei_fixtures.describe`: callback
indices relative to the first probe function, so rebuilding the runtime does not change them).
``WHAMM_UPDATE_GOLDEN=1`` rewrites the files; review the diff.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import wasmtime

from compiler.lang.diagnostics import ScriptError
from compiler.wasm import ExternKind, read_module
from compiler.wei.layout import BUFFER_SIZE
from compiler.runner import RunOptions
from compiler.wei.emulator import emulate


GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("WHAMM_UPDATE_GOLDEN") == "1"
SCRIPTS = sorted(p.stem for p in GOLDEN.glob("*.mm"))


def test_enough_golden_scripts():
    assert len(SCRIPTS) >= 15


@pytest.mark.parametrize("name", SCRIPTS)
def test_golden(Lib, describe, monitor, tmp_path, name):
    script = (GOLDEN / f"{name}.mm").read_text()
    libs = (Lib(tmp_path),) if "use lib;" in script else ()
    text = describe(monitor(script, libs))
    expected = GOLDEN / f"{name}.txt"
    if UPDATE:
        expected.write_text(text)
    assert text == expected.read_text()


# Every example of WEI.md §4, §5.1 and §6: the spec's names verbatim, up to the numbering of callbacks
# (upstream's indices are those of its own module layout).
SPEC = [
    ("var count: u32; wasm:opcode:call:before { count++; }", ["wasm:opcode:call  ()"]),
    ("wasm:opcode:call:before { report var n: u32; n++; }", ["wasm:opcode:call  ($5(fname, fid, pc), )"]),
    ('wasm:opcode:br_if:before / fname == "calc" / { report var t: u32; if (arg0 != 0) { t++; } }',
     ["wasm:opcode:br_if / $3(fname) / ($4(fname, fid, pc), arg0)"]),
    ("var x: u32; wasm:opcode:i32.load:before / addr == 0 / { x = fid; }", ["wasm:opcode:i32.load  (arg0, fid)"]),
    ("var a: map<u32, u32>; wasm:opcode:*load*:before { a[effective_addr]++; }",
     ["wasm:opcode:i64.load8_u  (arg0, offset)"]),
    ("use lib; var v: i32; wasm:opcode:i32.load:before / @static lib.hot(fid as i32, pc as i32) as bool / "
     "{ v = @static lib.val(pc as i32); }", ["wasm:opcode:i32.load / $6(fid, pc) / ($7(pc), )"]),
    ("var y: i32; wasm(local0: i32):func:entry { y = local0; }", ["wasm:func:entry  (local0)"]),
    ("var x: u32; var y: u32; var z: u32; wasm:opcode:i32.load:before { x = addr + fid; y = pc; z = fid; }",
     ["wasm:opcode:i32.load  (arg0, fid, pc)"]),
    ("var c: u32; wasm:opcode:br_if:before / pc == 25 && arg0 == 1 / { c++; }", ["wasm:opcode:br_if  (pc, arg0)"]),
]


def _masked(name: str) -> str:
    return re.sub(r"\$\d+\(", "$N(", name)


@pytest.mark.parametrize("script, names", SPEC)
def test_spec_examples(Lib, monitor, tmp_path, script, names):
    m = monitor(script, (Lib(tmp_path),) if "use lib;" in script else ())
    got = [_masked(n) for n in m.export_names]
    for name in names:
        assert _masked(name) in got
    module = read_module(m.wasm)
    exported = {e.name: e.index for e in module.exports}
    for name in m.export_names:  # every $N names an exported function with that index
        for index in re.findall(r"\$(\d+)\(", name):
            assert exported[f"${index}"] == int(index)


def test_opname_folds_per_event(monitor):
    """WEI.md §6: ``opname == "call"`` is true for ``call`` only, so only it has an export."""
    m = monitor('var c: u32; wasm:opcode:*:before / opname == "call" / { c++; }')
    assert m.export_names == ("wasm:opcode:call  ()",)


def test_buffer_and_exit_exports(monitor):
    m = monitor("wasm:opcode:call:before { report var n: u32; n++; }")
    module = read_module(m.wasm)
    exports = {e.name: e for e in module.exports}
    assert exports["whamm_buffer"].kind == ExternKind.MEMORY and exports["memory"].index == exports["whamm_buffer"].index
    assert exports["wasm:exit"].kind == ExternKind.FUNC
    store = wasmtime.Store()
    linker = wasmtime.Linker(store.engine)
    linker.define_wasi()
    store.set_wasi(wasmtime.WasiConfig())
    inst = linker.instantiate(store, wasmtime.Module(store.engine, m.wasm))
    ex = inst.exports(store)
    start, size = ex["whamm_buffer:start"], ex["whamm_buffer:max"]
    assert size.value(store) == BUFFER_SIZE
    assert not size.type(store).mutable and not start.type(store).mutable
    assert start.value(store) + BUFFER_SIZE <= ex["whamm_buffer"].data_len(store)


def test_no_output_no_exit(monitor):
    """A script that cannot print has no wasm:exit, no WASI import and no ``memory`` export (§3, §7)."""
    m = monitor("var c: u32; wasm:opcode:call:before { c++; }")
    module = read_module(m.wasm)
    names = {e.name for e in module.exports}
    assert "wasm:exit" not in names and "memory" not in names and "get_c" in names
    assert not module.imports


def test_getters_and_start(monitor):
    m = monitor("var c: u32 = 5; wasm:begin { c = c + 1; } wasm:opcode:call:before { c++; }")
    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, m.wasm), [])
    assert inst.exports(store)["get_c"](store) == 6


def test_deterministic(monitor, tmp_path):
    script = (GOLDEN / "report_unshared.mm").read_text()
    assert monitor(script).wasm == monitor(script).wasm


def test_callbacks_of_merged_probe_are_reindexed(monitor):
    m = monitor("use whamm_core; wasm:opcode:call:before { report var a: u32; a++; }\n"
                "wasm:opcode:call:before { report var a: u32; a++; }")
    (name, probe), = m.exports
    assert len(probe.members) == 2
    assert [v.name for v in m.layout.blocks[0].vars] == ["a", "a_1"]


def test_merged_probes_must_agree_on_parameter_types(monitor):
    """One export passes one value per name: members of a merged probe cannot bound ``arg0`` differently."""
    with pytest.raises(ScriptError) as info:
        monitor("var a: i64; wasm:opcode:call(arg0: i32):before { a = arg0 as i64; }"
                "wasm:opcode:call(arg0: i64):before { a = arg0; }")
    assert str(info.value).startswith("error: probes 0 and 1 share the export wasm:opcode:call but request arg0 "
                                      "as i32 and i64\n --> test.mm:1:")


def test_knobs(DEMO, monitor, tmp_path):
    """REWRITING.md §16 knobs apply to monitors: no report, empty bodies, no pushed-down predicates."""
    script = "report var n: u32; wasm:opcode:call(arg0: i32):before / arg0 == 0 / { n++; }"
    for opts, want in (({"no_report": True}, None), ({"no_body": True}, "0"), ({"no_pred": True}, "95")):
        m = monitor(script, **opts)
        out = tmp_path / "out"
        e = emulate(m.wasm, DEMO.read_bytes(), (), RunOptions(stdout=str(out)), app_module=read_module(DEMO.read_bytes()))
        text = out.read_text()
        if want is None:
            assert "REPORT" not in text and not [i for i in read_module(m.wasm).imports if i.name == "fd_write"]
        else:
            assert text.rstrip().endswith(f", global_id, n, u32, i32, script0, , , , , {want}")
        assert e.result.message is None
