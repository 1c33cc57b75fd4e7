"""Bugs the script generator found, each as a focused regression test."""
from __future__ import annotations

import subprocess
import sys

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
