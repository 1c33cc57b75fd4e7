"""Batch mode: the rough edges of issue 12 item 7 — a file that is no Wasm at all is said to be so (not
reported as a WAT parse error); the ``probes`` source column is whole; an app without a name section
says once why its functions show as ``#index``."""
from __future__ import annotations

from pathlib import Path

C_SOURCE = Path(__file__).resolve().parents[2] / "tests" / "corpus" / "c" / "interp.c"


def test_a_c_file_is_not_a_wat_parse_error(shell) -> None:
    r = shell(C_SOURCE, "-c", "info")
    assert r.status == 1
    assert r.err.startswith(f"error: invalid Wasm module {C_SOURCE}: not a WebAssembly module or WAT text "
                            "(a module starts with \\0asm, WAT text with `(`; this starts with `/* A small")
    assert "expected" not in r.err


def test_load_of_binary_junk(shell, tmp_path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x7fELF\x02\x01\x01\0\xff\xfe")
    r = shell("-c", f"load {junk}")
    assert r.status == 1
    assert (f"error: invalid Wasm module {junk}: not a WebAssembly module or WAT text (no \\0asm magic "
            "number, and not UTF-8 text)") in r.err


def test_probes_shows_the_source_whole_and_v_the_whole_text(shell) -> None:
    long_probe = "wasm:opcode:call:before { report var calls_to_anything: u32; calls_to_anything++; }"
    r = shell("-c", f"{long_probe}; probes")
    assert r.status == 0, r.err
    assert r.out.splitlines()[-1].endswith(long_probe)
    r = shell("-c", "wasm:func:entry { report var n: u32;\n  n++;\n}; probes; probes -v")
    assert r.status == 0, r.err
    lines = r.out.splitlines()
    assert lines[3].endswith("wasm:func:entry { report var n: u32; …")
    assert lines[-4:] == ["probe 1:", "  wasm:func:entry { report var n: u32;", "    n++;", "  }"]


NAMELESS = '(module (func (export "_start") (call 1)) (func))'


def test_an_app_without_names_says_why_once(shell, tmp_path) -> None:
    app = tmp_path / "stripped.wat"
    app.write_text(NAMELESS)
    r = shell(app, "-c", "wasm:opcode:call:before { }; match wasm:opcode:call:before")
    assert r.status == 0, r.err
    note = ("warning: stripped.wat has no name section, so functions show as #index; to keep names, link "
            "without stripping")
    assert r.err.count(note) == 1
    assert "#0" in r.out
    r = shell("-c", f"load {app}")
    assert r.err.count(note) == 1
    named = tmp_path / "named.wat"
    named.write_text("(module (func $main))")
    assert "name section" not in shell(named, "-c", "probes").err


def test_numbers_that_are_digits_but_not_decimals_are_not_internal_errors(shell) -> None:
    """``²`` is a digit to ``str.isdigit`` but no number to ``int``: each command used to crash on it
    (``internal error: ValueError``); now they read it as a name or refuse it."""
    for command, message in (("history ²", "usage: history [N]"), ("sites ²", "usage: sites N"),
                             ("wat ²", "²"), ("report ²", "²"), ("report --diff ²", "²")):
        r = shell("-c", f"report var n: u32; wasm:func:entry {{ n++; }}; run; run; {command}")
        assert r.status == 1, command
        assert "internal error" not in r.err and message in r.err, (command, r.err)
    r = shell("--module", "-1", "-c", "modules")
    assert r.status == 2 and "invalid --module value '-1': expected a core module index (0, 1, ...)" in r.err
