"""Batch mode: ``save --session FILE`` writes a command file that ``source FILE`` replays exactly in a
fresh shell — run settings, globals, every probe with its number and enabled state — while plain
``save`` still writes the ``whamm run -s`` script."""
import re

SESSION = (
    "set args 7 'two words'\nset env LANG=C MODE=x\nset fuel 900000000\nset timeout 30\nset compiler optimized\n"
    "set unknown-imports trap\n"
    "report var calls: u32\nvar limit: u32 = 2 * 3\nfn big(n: u32) -> bool { return n > limit; }\n"
    "wasm:opcode:call:before { calls++; }\n"
    "wasm:opcode:br_if:before /\n    fid == 3\n/ {\n    report var taken: u32;\n    if (arg0 != 0) { taken++; }\n}\n"
    "wasm:func:entry { calls++; }\n"
    "probe disable 3\n"
    "wasm:opcode:call:after { }\n"
    "probe rm 1\n"
)

LOOK = "probes; globals; show settings; run; report; probe add wasm:func:exit { }"


def _without_declared(out: str) -> list[str]:
    """The output with the `declared` column of `globals` (where each item was typed) and the run's
    wall time cut off."""
    lines = [re.sub(r"\[exit status (\d+) · .*\]", r"[exit status \1]", line) for line in out.splitlines()]
    start = next(k for k, line in enumerate(lines) if line.startswith("name ") and "declared" in line)
    cut = lines[start].index("declared")
    return [line[:cut].rstrip() if start <= k < start + 6 else line for k, line in enumerate(lines)]


def test_source_of_a_saved_session_replays_it_exactly(shell, tmp_path) -> None:
    saved = tmp_path / "work.cmds"
    first = shell("-c", SESSION, "-c", f"save --session {saved}", "-c", LOOK)
    assert first.status == 0, first.err
    assert f"saved 3 probes, 3 globals and the run settings to {saved}" in first.out
    again = shell("-c", f"source {saved}", "-c", LOOK)
    assert again.status == 0, again.err
    look_first = first.out[first.out.index("id  enabled"):]
    look_again = again.out[again.out.index("id  enabled"):]
    assert "\n 2  yes  " in look_again and "\n 3  no   " in look_again and "\n 4  yes  " in look_again
    assert "probe 5 added" in look_again                     # numbering goes on after the highest number
    assert "taken" in look_again and "run-time" not in look_again
    assert _without_declared(look_again) == _without_declared(look_first)
    assert f"{saved}:12" in look_again                     # items come from the file now


def test_the_session_file_holds_commands_as_typed(shell, tmp_path) -> None:
    saved = tmp_path / "work.cmds"
    r = shell("-c", SESSION, "-c", f"save --session {saved}")
    assert r.status == 0, r.err
    text = saved.read_text()
    assert text.splitlines()[1:] == [
        "set args 7 'two words'", "set env", "set env LANG=C MODE=x", "set dir", "set stdin",
        "set timeout 30.0", "set fuel 900000000", "set compiler optimized", "set unknown-imports trap",
        "global report var calls: u32;", "global var limit: u32 = 2 * 3;",
        "global fn big(n: u32) -> bool { return n > limit; }",
        "probe add --number 2 wasm:opcode:br_if:before /", "    fid == 3", "/ {", "    report var taken: u32;",
        "    if (arg0 != 0) { taken++; }", "}",
        "probe add --number 3 --disabled wasm:func:entry { calls++; }",
        "probe add --number 4 wasm:opcode:call:after { }"]


def test_plain_save_still_writes_the_script(shell, tmp_path) -> None:
    script = tmp_path / "s.mm"
    r = shell("-c", SESSION, "-c", f"save {script}")
    assert r.status == 0, r.err
    assert script.read_text().startswith("report var calls: u32;\nvar limit: u32 = 2 * 3;\n")
    assert "probe add" not in script.read_text() and "wasm:func:entry" not in script.read_text()


def test_a_taken_probe_number_is_refused(shell) -> None:
    r = shell("-c", "wasm:func:entry { }; probe add --number 1 wasm:func:exit { }")
    assert r.status == 1 and "error: cannot number the new probe 1: that probe exists" in r.err
    r = shell("-c", "probe add --number 0 wasm:func:exit { }")
    assert r.status == 1 and "numbers start at 1" in r.err
    r = shell("-c", "probe add --disabled")
    assert r.status == 1 and "usage: probe add [--number N] [--disabled] RULE" in r.err


def test_a_disabled_probe_is_replayed_even_if_it_would_not_check_now(shell, tmp_path) -> None:
    saved = tmp_path / "work.cmds"
    r = shell("-c", "var n: u32; wasm:func:entry { n++; }; probe disable 1; global rm n; "
                    f"save --session {saved}")
    assert r.status == 0, r.err
    again = shell("-c", f"source {saved}; probes; probe enable 1")
    assert "probe 1 added (disabled)" in again.out
    assert again.status == 1 and "unknown variable `n`" in again.err
