"""Fixtures of the shell tests: each public name of ``shellrun.py`` — the batch runners ``shell`` (in
process) and ``process`` (a real process), ``wat_app``, ``run_wasm``, the demo's paths and output, the
seed probe and the small WAT applications — as a session fixture of the same name, so that test modules
ask for what they use instead of importing a helper module (issue 10; ``tests/test_import_tests_tree.py``).
"""
from __future__ import annotations

from typing import Callable

import pytest

import shellrun

#: What ``shellrun`` offers: constants, and functions the tests call.
OFFERED = ("REPO", "DEMO", "CALLS", "SEED_PROBE", "DEMO_OUTPUT", "SHELL_COMMANDS", "ARGC_WAT", "ECHO_WAT",
           "TRAP_WAT", "LOOP_WAT",
           "shell", "process", "wat_app", "run_wasm")


def _offer(name: str) -> Callable[[], object]:
    """A session fixture named ``name`` whose value is ``shellrun.<name>``."""
    def fixture() -> object:
        return getattr(shellrun, name)
    fixture.__doc__ = f"``shellrun.{name}``"
    return pytest.fixture(scope="session", name=name)(fixture)


globals().update({f"_{name}_fixture": _offer(name) for name in OFFERED})
