"""support.py: every feature the engine interface cannot express is one clear error (WEI.md §2)."""
from __future__ import annotations

import pytest

from compiler.lang.frontend import check_source
from compiler.wei.support import UnsupportedError, check_supported

REJECTED = [
    ("var c: u32; wasm:opcode:call:after { c++; }", "mode `after`", "after"),
    ("wasm:opcode:call(arg0: i32):alt { return 1; }", "mode `alt`", "alt"),
    ("var c: u32; wasm:opcode:block:entry { c++; }", "mode `entry`", "entry"),
    ("var c: u32; wasm:opcode:loop:exit { c++; }", "mode `exit`", "exit"),
    ("var c: u32; wasm:opcode:br:at_target { c++; }", "mode `at_target`", "at_target"),
    ("var r: i32; wasm:opcode:i32.load:after { r = res0; }", "mode `after`", "after"),
    ("wasm:opcode:call(arg0: i32):before { arg0 = 5; }", "assignment to the bound variable `arg0`", "arg0 = 5;"),
    ("wasm(local0: i32):func:entry { local0++; }", "assignment to the bound variable `local0`", "local0++;"),
    ("wasm:opcode:call:alt { alt_call_by_id(1); }", "`alt_call_by_id`", "alt_call_by_id(1)"),
    ('wasm:opcode:call:alt { alt_call_by_name("f"); }', "`alt_call_by_name`", 'alt_call_by_name("f")'),
    ("wasm:opcode:memory.copy:before { dup_at(0, 16); }", "`dup_at`", "dup_at(0, 16)"),
    ("var x: i32; wasm:opcode:call_indirect:before { x = resolve_funcref(target_funcref, table_entry_idx); }",
     "`resolve_funcref`", "resolve_funcref(target_funcref, table_entry_idx)"),
    ("wasm:opcode:call:before { frame var depth: u32; depth++; }", "frame variables", "frame var depth: u32;"),
    ("var t: u32; wasm:opcode:br_table:before { t = targets[0]; }", "the br_table variable `targets`", "targets"),
    ("var m: u32; wasm:opcode:call:before { m = mem_size(APP_MEMID); }", "`APP_MEMID` (application memory access)",
     "APP_MEMID"),
    # the id space starts with the application's memories: mem_size(0) read the monitor's own memory
    ("var m: u32; wasm:end { m = mem_size(0); }", "a memory id other than `memid(LIB)`", "0"),
    ("var m: u32; fn f() -> u32 { return page_size(1); } wasm:end { m = f(); }",
     "a memory id other than `memid(LIB)`", "1"),
    ("var m: u32 = mem_size(2); wasm:end { m++; }", "a memory id other than `memid(LIB)`", "2"),
]


def test_memid_of_a_library_is_a_memory_id_the_monitor_has(monitor):
    assert monitor("var m: u32; wasm:end { m = mem_size(memid(whamm_core)); }")


@pytest.mark.parametrize("script, feature, at", REJECTED)
def test_rejected(monitor, script, feature, at):
    with pytest.raises(UnsupportedError) as info:
        monitor(script)
    (diag,) = [d for d in info.value.diagnostics if d.message == f"{feature} is not supported by the wei target"]
    assert script[diag.span.start:diag.span.end] == at
    assert f"error: {feature} is not supported by the wei target\n --> test.mm:1:" in str(info.value)


def test_targets_has_a_hint(monitor):
    with pytest.raises(UnsupportedError) as info:
        monitor("var t: u32; wasm:opcode:br_table:before { t = targets[0]; }")
    assert "= help: use immN, num_targets and default_target" in str(info.value)


def test_alt_probe_reports_mode_and_call(monitor):
    with pytest.raises(UnsupportedError) as info:
        monitor("wasm:opcode:call:alt { alt_call_by_id(1); }")
    assert [d.message for d in info.value.diagnostics] == [
        "mode `alt` is not supported by the wei target", "`alt_call_by_id` is not supported by the wei target"]


def test_each_feature_once_per_source_position():
    """A glob expanding to many events reports its unsupported mode once per mode written."""
    script = "var c: u32; wasm:opcode:*load*:after { c++; } wasm:opcode:call:before { frame var f: u32; f++; }"
    with pytest.raises(UnsupportedError) as info:
        check_supported(check_source(script, wei=True))
    assert [d.message for d in info.value.diagnostics] == [
        "mode `after` is not supported by the wei target", "frame variables is not supported by the wei target"]


def test_supported_script_passes():
    check_supported(check_source("var c: u32; wasm:opcode:call:before { c = fid + pc; } wasm:begin { c = 1; }",
                                 wei=True))
