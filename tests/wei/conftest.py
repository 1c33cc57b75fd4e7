"""Fixtures of the wei tests: each public name of ``wei_fixtures.py`` that tests use — the demo app,
the ``Lib`` user-library builder, ``monitor``, the two runners ``run_wei`` and ``run_rewritten``,
``masked`` and ``describe`` — as a session fixture of the same name, so that test modules ask for what
they use instead of importing a helper module (issue 10; ``tests/test_import_tests_tree.py``).
"""
from __future__ import annotations

from typing import Callable

import pytest

from . import wei_fixtures

#: What ``wei_fixtures`` offers the tests.
OFFERED = ("DEMO", "EXAMPLES", "Lib", "monitor", "run_wei", "run_rewritten", "masked", "describe")


def _offer(name: str) -> Callable[[], object]:
    """A session fixture named ``name`` whose value is ``wei_fixtures.<name>``."""
    def fixture() -> object:
        return getattr(wei_fixtures, name)
    fixture.__doc__ = f"``wei_fixtures.{name}``"
    return pytest.fixture(scope="session", name=name)(fixture)


globals().update({f"_{name}_fixture": _offer(name) for name in OFFERED})
