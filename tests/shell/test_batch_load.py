"""Batch mode: ``load APP`` replaces the application and re-matches the probes."""


def test_load_rematches_probes(ARGC_WAT, DEMO, shell, wat_app, tmp_path) -> None:
    app = wat_app(tmp_path, "argc.wat", ARGC_WAT)
    r = shell(DEMO, "-c", f"wasm:opcode:call:before {{ }}; load {app}; run")
    assert r.status == 0, r.err
    lines = r.out.splitlines()
    assert lines[0] == "probe 1 added: 24 sites in 6 functions"
    assert lines[1] == f"loaded {app}: 3 functions (2 imported)"
    assert lines[2] == "probe 1: 2 sites in 1 function"
    assert lines[3] == "[exit status 1 · " + lines[3].split("· ")[1]


def test_load_of_a_missing_file_fails_and_keeps_the_app(shell, tmp_path) -> None:
    r = shell("-c", f"load {tmp_path / 'nope.wasm'}")
    assert r.status == 1
    assert f"error: cannot read application '{tmp_path / 'nope.wasm'}': No such file or directory" in r.err


def test_load_of_an_invalid_module_reports_where(shell, tmp_path) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asm\x01\0\0\0\x01\x04\x01\x60")
    r = shell("-c", f"load {bad}")
    assert r.status == 1
    assert f"error: invalid Wasm module {bad}" in r.err and "byte offset 0x" in r.err
