"""Robustness of the front end: seeded random byte and token mutations of the example scripts through
the ``whamm`` command's entry point — exit 0 or 1 with a message, never an internal error (exit 3), a
traceback or a hang.  A failure prints the mutated script."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from compiler.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = [p.read_text() for p in sorted(EXAMPLES.glob("*/*.mm"))]
LIBS = ["-u", f"cache={EXAMPLES / 'cache' / 'cache.wasm'}"]
APP = EXAMPLES / "demo" / "app.wasm"

# Fragments of the language (and of near-misses) to splice in.
TOKENS = [
    "(", ")", "{", "}", "[", "]", ";", ":", "/", "*", "?", "!", "&&", "||", "==", "=", "+", "-", "++", "as",
    "u32", "i64", "f32", "str", "map<u32, u32>", "(u32, str)", "var", "report", "unshared", "shared", "frame",
    "if", "elif", "else", "return", "fn", "use", "@static", "@init", '"s"', '"\\u{1F600}"', '"\\q"', "0x", "0b2",
    "1e5", "1e400", "-1", "18446744073709551616", "1.5", "inf", "nan", "arg0", "res0", "imm0", "local0", "fid",
    "pc", "fname", "wasm:opcode:call:before", "wasm:opcode:*x:alt", "wasm:begin", "wasm:end", "wasm:func:entry",
    "wasm:block:start", ".", ",", "0", "true", "false", "/*", "*/", "//", "\n", "t.1", "t.99999999999", "m[0]",
    "strcmp", "read_str", "mem_size", "memid", "whamm_core", "probe_id", "targets", "dup_at", "cache.check",
]


def _mutate(rng: random.Random) -> str:
    text = list(rng.choice(SCRIPTS))
    for _ in range(rng.randint(1, 4)):
        roll, pos = rng.random(), rng.randint(0, len(text))
        if roll < 0.25:
            del text[pos:pos + rng.randint(1, 8)]
        elif roll < 0.6:
            text[pos:pos] = rng.choice(TOKENS) + rng.choice(["", " "])
        elif roll < 0.75 and text:
            text[min(pos, len(text) - 1)] = chr(rng.randint(0, 127))
        else:
            a = rng.randint(0, len(text))
            text[pos:pos] = text[a:a + rng.randint(0, 40)]
    return "".join(text)


def _fuzz(command: list[str], seed: int, count: int, tmp_path: Path, capfd) -> None:
    rng = random.Random(seed)
    script = tmp_path / "fuzzed.mm"
    for k in range(count):
        text = _mutate(rng)
        script.write_text(text)
        status = main([*command, "-s", str(script), *LIBS])
        _, err = capfd.readouterr()
        assert status in (0, 1) and "internal compiler error" not in err and "Traceback" not in err, (
            f"seed {seed}, mutation {k}: exit {status}\n--- script ---\n{text}\n--- stderr ---\n{err[-2000:]}")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mutated_examples_check_cleanly(seed: int, tmp_path: Path, capfd) -> None:
    _fuzz(["check"], seed, 150, tmp_path, capfd)


def test_mutated_examples_instrument_cleanly(tmp_path: Path, capfd) -> None:
    """Through the folder and both code generators too (``instr`` to a file, and ``--wei``)."""
    _fuzz(["instr", "-a", str(APP), "-o", str(tmp_path / "out.wasm")], 4, 100, tmp_path, capfd)
    _fuzz(["instr", "--wei", "-o", str(tmp_path / "mon.wasm")], 5, 100, tmp_path, capfd)
