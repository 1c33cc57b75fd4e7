"""Bugs the script generator found, each as a focused regression test."""
from __future__ import annotations

import subprocess
import sys

from wei.wei_fixtures import masked, monitor, run_rewritten, run_wei

from .harness import ROOT


def whamm_check(tmp_path, text: str) -> subprocess.CompletedProcess:
    script = tmp_path / "s.mm"
    script.write_text(text)
    return subprocess.run([sys.executable, "-m", "compiler.cli", "check", "-s", str(script)], cwd=ROOT,
                          capture_output=True, text=True)


def test_shared_initializer_reading_an_unshared_variable_is_a_diagnostic(tmp_path):
    """An unshared variable in a shared initializer is a per-site value (LANGUAGE.md §7.2): the checker
    recorded it under a combined flag and then looked it up by the single one (KeyError, exit 3)."""
    done = whamm_check(tmp_path, "wasm:opcode:call:before {\n    unshared var a: bool;\n"
                                 "    shared var b: u32 = a ? 1 : 2;\n}\n")
    assert done.returncode == 1, done.stderr
    assert "cannot initialize a shared variable with a per-site value" in done.stderr
    assert "s.mm:3:25" in done.stderr


LOCAL_SET_APP = """(module
  (func $f (param i32 i32) (local i32 i64)
    (local.set 3 (i64.const 5))
    (local.set 2 (i32.const 1)))
  (func (export "_start") (call $f (i32.const 1) (i32.const 2))))"""


def test_wei_type_bound_filters_sites_without_use():
    """LANGUAGE.md §4.2: a bound filters sites even when the body never reads the operand.  Rewriting
    counts only the i32 ``local.set`` (1); the monitor did not request ``arg0``, so the engine could not
    filter and the probe ran at the i64 ``local.set`` too (2).  Now the bounded operand is requested."""
    script = "report var n: u32; wasm:opcode:local.set(arg0: i32):before { n++; }"
    assert "global_id, n, u32, i32, script0, , , , , 1" in masked(run_rewritten(script, LOCAL_SET_APP))
    assert masked(run_wei(script, LOCAL_SET_APP)[0]) == masked(run_rewritten(script, LOCAL_SET_APP))
    script = "report var n: u32; wasm(local0: i32):func:entry { n++; }"
    assert masked(run_wei(script, LOCAL_SET_APP)[0]) == masked(run_rewritten(script, LOCAL_SET_APP))


def test_an_unread_bounded_operand_is_requested_after_the_read_ones():
    """The export names behind the test above: ``arg0`` is requested though the body never reads it,
    after the names the body reads; a probe without bounds requests nothing extra."""
    names = monitor("var n: u64; wasm:opcode:local.set(arg0: i32):before { n = n + (pc as u64); }").export_names
    assert names == ("wasm:opcode:local.set  (pc, arg0)",)
    assert monitor("var n: u32; wasm:opcode:local.set:before { n++; }").export_names == \
        ("wasm:opcode:local.set  ()",)


def test_probe_local_without_initializer_is_zero_on_the_wei_target():
    """D2: ``var l: u64;`` is zero on every visit.  The monitor's body took the local from the pool of
    temporaries after a map key had used it, so ``l`` read 2 (the rewriter zeroed it at body start)."""
    script = ("report var m: map<(u64, u32), u32>;\n"
              "wasm:opcode:call:before { m[(2, 5)]++; var l: u64; m[(l, 7)]++; }\n"
              "wasm:opcode:call:before { var a: (u32, i64); m[(a.1 as u64, a.0)]++; a = (9, 9); }\n")
    rewritten = masked(run_rewritten(script, LOCAL_SET_APP))
    assert "(0,0)->1;(0,7)->1;(2,5)->1" in rewritten
    assert masked(run_wei(script, LOCAL_SET_APP)[0]) == rewritten
