"""Applications with 64-bit memories (memory64): probes that read a 64-bit address, length or page count
are refused up front with a message naming the feature (EVENTS.md types them ``u32``; the rewritten
module would not validate, and narrowing would be a wrong answer); every other probe works."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from compiler.cli import main

WHAMM = Path(sys.executable).with_name("whamm")

# Stores 42 at 8, loads it back, grows by one page, reads the size, copies and fills a few bytes.
APP = """(module
  (memory i64 1)
  (data (i64.const 16) "abcd")
  (func (export "_start")
    (i32.store (i64.const 8) (i32.const 42))
    (drop (i32.load offset=4 (i64.const 4)))
    (drop (memory.grow (i64.const 1)))
    (drop (memory.size))
    (memory.copy (i64.const 0) (i64.const 8) (i64.const 4))
    (memory.fill (i64.const 0) (i32.const 0) (i64.const 4))))"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("m64") / "app64.wasm"
    path.write_bytes(wasmtime.wat2wasm(APP))
    return path


def _run(app: Path, probe: str, tmp_path: Path, capfd) -> tuple[int, str, str]:
    (tmp_path / "p.mm").write_text(f"use whamm_core;\nreport var n: u32;\n{probe}\n")
    status = main(["run", "-s", str(tmp_path / "p.mm"), "-a", str(app)])
    out, err = capfd.readouterr()
    return status, out, err


@pytest.mark.parametrize("probe, value", [
    ("wasm:opcode:i32.load:before { n++; }", "1"),
    ("wasm:opcode:i32.store:before { n = arg0 as u32; }", "42"),                  # the value, not the address
    ("wasm:opcode:i32.load:after { n = res0 as u32; }", "42"),
    ("wasm:opcode:memory.grow:after { n++; }", "1"),
    ("wasm:opcode:*:before { n++; }", "20"),                                    # 19 + the final end
    ("wasm:opcode:i32.load:before { n = page_size(0) + active_data_len(0) + active_data_start(0) + offset as u32; }",
     str(65536 + 4 + 16 + 4)),
])
def test_probes_that_keep_their_catalog_types_work(app: Path, probe: str, value: str, tmp_path: Path,
                                                      capfd) -> None:
    status, out, err = _run(app, probe, tmp_path, capfd)
    assert (status, err) == (0, "")
    assert out.splitlines()[-1].endswith(f", n, u32, i32, script0, , , , , {value}")


@pytest.mark.parametrize("probe, message", [
    ("wasm:opcode:i32.load:before { n = n + addr; }", "arg0 of `i32.load` is i64 here, not i32 as EVENTS.md "
     "gives it (read by `addr`)"),
    ("wasm:opcode:i32.load:before / addr == 8 / { n++; }", "(read by `addr`)"),
    ("wasm:opcode:i32.store:before { n = effective_addr; }", "arg1 of `i32.store` is i64 here"),
    ("wasm:opcode:memory.grow:before { n = arg0; }", "arg0 of `memory.grow` is i64 here"),
    ("wasm:opcode:memory.grow:after { n = res0 as u32; }", "res0 of `memory.grow` is i64 here"),
    ("wasm:opcode:memory.size:after { n = res0 as u32; }", "res0 of `memory.size` is i64 here"),
    ("wasm:opcode:memory.fill:before { n = arg0 as u32; }", "arg0 of `memory.fill` is i64 here"),
    ("wasm:opcode:memory.copy:before { dup_at(0, 100); }", "(read by `dup_at`)"),
    ("wasm:opcode:i32.load:alt { n++; }", "(read by an alt probe)"),
    ("wasm:opcode:i32.load:before { n = mem_size(0); }", "application memory 0 has 64-bit addresses"),
    ("wasm:end { memcpy(0, 0, memid(whamm_core), 0, 4); }", "application memory 0 has 64-bit addresses"),
    ("wasm:end { var s: str = read_str(0, 0, 4); }", "application memory 0 has 64-bit addresses"),
])
def test_probes_reading_64_bit_values_are_refused_naming_memory64(app: Path, probe: str, message: str,
                                                                    tmp_path: Path, capfd) -> None:
    status, out, err = _run(app, probe, tmp_path, capfd)
    assert status == 1 and out == ""
    assert err.startswith("error: memory64 is not supported: ") and message in err.splitlines()[0]
    assert " --> " in err and "validation" not in err


def test_the_real_command_exits_1_and_writes_no_output(app: Path, tmp_path: Path) -> None:
    (tmp_path / "p.mm").write_text("report var n: u32;\nwasm:opcode:i32.load:before { n = n + addr; }\n")
    proc = subprocess.run([str(WHAMM), "instr", "-s", str(tmp_path / "p.mm"), "-a", str(app), "-o",
                           str(tmp_path / "out.wasm")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.startswith("error: memory64 is not supported")
    assert "= note: at #0 (fid 0), pc " in proc.stderr and not (tmp_path / "out.wasm").exists()
