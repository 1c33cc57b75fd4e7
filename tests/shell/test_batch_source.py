"""Batch mode: ``source FILE`` (and ``-x FILE`` at start-up) run shell commands from a file."""
import re

from shellrun import DEMO_OUTPUT, SEED_PROBE, shell

COMMANDS = f"""// the seed demo
report var count: u32
{SEED_PROBE.replace('{ count++; }', '{')}
    count++;
}}
run; report
"""


def test_source_runs_every_command(tmp_path) -> None:
    path = tmp_path / "cmds.txt"
    path.write_text(COMMANDS)
    r = shell("-c", f"source {path}")
    assert r.status == 0, r.err
    assert "probe 1 added: 2 sites in 2 functions" in r.out and DEMO_OUTPUT in r.out
    assert r.out.splitlines()[-1].split() == ["count", "3"]
    same = shell("-x", path)
    assert re.sub(r"· .*]", "", same.out) == re.sub(r"· .*]", "", r.out)


def test_source_stops_at_the_first_failure(tmp_path) -> None:
    path = tmp_path / "cmds.txt"
    path.write_text("var n: u32\nwasm:opcode:call:before { m++; }\nprobes\n")
    r = shell("-c", f"source {path}; probes")
    assert r.status == 1
    assert "error: unknown variable `m`" in r.err
    assert f"error: {path}:2: stopped at this failed command: wasm:opcode:call:before {{ m++; }}" in r.err
    assert "no probes yet" not in r.out


def test_source_errors(tmp_path) -> None:
    assert "error: cannot read" in shell("-c", f"source {tmp_path / 'nope.txt'}").err
    loop = tmp_path / "loop.txt"
    loop.write_text(f"source {loop}\n")
    assert "would read itself again" in shell("-c", f"source {loop}").err
