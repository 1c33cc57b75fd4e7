"""Fixtures of the rewriting target's tests, offered as session fixtures of the same name instead of
being imported by test modules (issue 10; ``tests/test_import_tests_tree.py``): the instrument-and-run
helpers of ``emit_helpers`` (``instrument``, ``run``, ``report``), the wei tests'
runners (``run_wei``, ``run_rewritten``) and ``masked``, for the tests that compare the two targets,
the differential harness's runners on its named apps (``stdout_rewritten``, ``stdout_wei``), and the
runtime instance class (``Runtime``), and the output-DWARF tests' independent DWARF readers
(``dwarf_tools``).
"""
from __future__ import annotations

from types import ModuleType
from typing import Callable

import pytest

from tests.rewrite import dwarf_tools, emit_helpers, runtime_instance
from tests.wei import wei_fixtures

#: ``helper module -> the names it offers these tests``.
OFFERED = {emit_helpers: ("instrument", "run", "report"),
           wei_fixtures: ("run_wei", "run_rewritten", "masked"),
           runtime_instance: ("Runtime",),
           dwarf_tools: ("aligned_addresses", "symbolize", "dwarfdump", "info_addresses", "trap_frames")}


def _offer(module: ModuleType, name: str) -> Callable[[], object]:
    """A session fixture named ``name`` whose value is ``<module>.<name>``."""
    def fixture() -> object:
        return getattr(module, name)
    fixture.__doc__ = f"``{module.__name__.rpartition('.')[2]}.{name}``"
    return pytest.fixture(scope="session", name=name)(fixture)


globals().update({f"_{name}_fixture": _offer(module, name) for module, names in OFFERED.items() for name in names})


@pytest.fixture(scope="session")
def stdout_rewritten():
    """``harness.run_rewritten``: standard output of the rewriting target on an app of ``harness.APPS``
    (named differently from wei_fixtures' ``run_rewritten``, which takes paths or bytes).  Imported
    when asked for: the harness sets up the differential machinery, which these tests mostly need not."""
    from tests.differential import harness
    return harness.run_rewritten


@pytest.fixture(scope="session")
def stdout_wei():
    """``harness.run_wei``: standard output of the wei emulator on an app of ``harness.APPS``."""
    from tests.differential import harness
    return harness.run_wei
