"""Fixtures of the rewriting target's tests: the wei tests' runners (``run_wei``, ``run_rewritten``) and
``masked``, for the tests that compare the two targets, offered as session fixtures of the same name
instead of being imported by test modules (issue 10; ``tests/test_import_tests_tree.py``).
"""
from __future__ import annotations

from typing import Callable

import pytest

from tests.wei import wei_fixtures

#: What ``wei_fixtures`` offers these tests.
OFFERED = ("run_wei", "run_rewritten", "masked")


def _offer(name: str) -> Callable[[], object]:
    """A session fixture named ``name`` whose value is ``wei_fixtures.<name>``."""
    def fixture() -> object:
        return getattr(wei_fixtures, name)
    fixture.__doc__ = f"``wei_fixtures.{name}``"
    return pytest.fixture(scope="session", name=name)(fixture)


globals().update({f"_{name}_fixture": _offer(name) for name in OFFERED})
