"""Batch mode: ``quit`` (alias ``exit``) ends the shell; later commands do not run."""


def test_quit_stops_the_batch(shell) -> None:
    r = shell("-c", "probes; quit; help")
    assert r.status == 0
    assert r.out == "no probes yet: type one, e.g. wasm:opcode:call:before { count++; }\n"
    assert shell("-c", "exit; probes").out == ""
    assert shell("-c", "qu; probes").out == ""


def test_quit_in_a_sourced_file_ends_the_shell(shell, tmp_path) -> None:
    path = tmp_path / "cmds.txt"
    path.write_text("quit\n")
    assert shell("-c", f"source {path}; probes").out == ""
