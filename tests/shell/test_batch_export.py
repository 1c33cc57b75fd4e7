"""Batch mode: ``export OUT.wasm`` writes exactly what ``whamm instr -s`` writes for the session's saved
script (validated; it runs and prints its report at the flush point)."""
from compiler.cli import main as whamm


def test_export_writes_what_whamm_instr_writes_for_the_saved_script(DEMO, DEMO_OUTPUT, run_wasm, shell,
                                                                    tmp_path) -> None:
    """Issue 9, item 7: the export was the shell's own build (``--no-report``), which prints no report."""
    out, saved, instr = tmp_path / "out.wasm", tmp_path / "saved.mm", tmp_path / "instr.wasm"
    r = shell("-c", "report var calls: map<str, u32>; wasm:opcode:call:before { calls[target_fn_name]++; }; "
                    "run; wasm:opcode:br_if:before { report var taken: u32; taken++; }; run; "
                    f"save {saved}; export {out}")
    assert r.status == 0, r.err
    data = out.read_bytes()
    assert r.out.endswith(f"wrote {out} ({len(data)} bytes)\n")
    assert whamm(["instr", "-s", str(saved), "-a", str(DEMO), "-o", str(instr)]) == 0
    assert data == instr.read_bytes()
    status, printed = run_wasm(data)
    assert status == 0 and printed.startswith(DEMO_OUTPUT)
    report = printed[len(DEMO_OUTPUT):]
    assert "taken, u32, i32, script0, collatz, 4, 12, 1_wasm:opcode:br_if:before, 121" in report
    assert report.rstrip().endswith("calls, map<str,u32>, i32, script0, , , , , calc->9;collatz->2;fd_write->33;"
                                    "print->33;print_num->13;show_calc->3;show_collatz->2")


def test_export_of_a_loaded_script_reports(CALLS, DEMO_OUTPUT, run_wasm, shell, tmp_path) -> None:
    out = tmp_path / "out.wasm"
    r = shell("-s", CALLS, "-c", f"export {out}")
    data = out.read_bytes()
    assert r.out == f"wrote {out} ({len(data)} bytes)\n"
    status, printed = run_wasm(data)
    assert status == 0 and printed.startswith(DEMO_OUTPUT) and "count, u32" in printed[len(DEMO_OUTPUT):]


def test_export_without_an_enabled_probe_is_refused(shell, tmp_path) -> None:
    out = tmp_path / "out.wasm"
    r = shell("-c", f"report var n: u32; export {out}")
    assert r.status == 1 and "error: nothing to export: the session has no enabled probe" in r.err
    assert not out.exists()


def test_export_to_an_unwritable_place(CALLS, shell, tmp_path) -> None:
    r = shell("-s", CALLS, "-c", f"export {tmp_path / 'no' / 'out.wasm'}")
    assert r.status == 1 and "error: cannot write" in r.err


def test_export_and_save_replace_only_a_regular_file(CALLS, shell, tmp_path) -> None:
    """Issue 9 (the `-o` finding, in the shell): a symlink is neither followed nor replaced, a FIFO is
    not renamed over; a regular file, read-only or not, is replaced and keeps its permission bits."""
    import os
    target = tmp_path / "target.txt"
    target.write_text("keep\n")
    link = tmp_path / "link.wasm"
    link.symlink_to(target)
    fifo = tmp_path / "fifo.wasm"
    os.mkfifo(fifo)
    for command, path in (("export", link), ("export", fifo), ("save", fifo), ("save", link)):
        r = shell("-s", CALLS, "-c", f"{command} {path}")
        assert r.status == 1 and f"error: cannot write '{path}'" in r.err, (command, path, r.err)
    assert link.is_symlink() and target.read_text() == "keep\n" and fifo.is_fifo()
    for name, mode in (("out.wasm", 0o640), ("ro.wasm", 0o444)):
        regular = tmp_path / name
        regular.write_bytes(b"")
        regular.chmod(mode)
        assert shell("-s", CALLS, "-c", f"export {regular}").status == 0
        assert regular.stat().st_mode & 0o777 == mode and regular.read_bytes()[:4] == b"\0asm"
    ro = tmp_path / "ro.mm"
    ro.write_text("old\n")
    ro.chmod(0o444)
    assert shell("-s", CALLS, "-c", f"save {ro}").status == 0
    assert ro.stat().st_mode & 0o777 == 0o444 and "wasm:opcode:call" in ro.read_text()


def test_source_refuses_a_fifo_instead_of_blocking(shell, tmp_path) -> None:
    """Issue 9: a FIFO as input blocked forever; `source` reads only regular files."""
    import os
    fifo = tmp_path / "cmds.fifo"
    os.mkfifo(fifo)
    r = shell("-c", f"source {fifo}")
    assert r.status == 1 and "not a regular file (a FIFO)" in r.err
