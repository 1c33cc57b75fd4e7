"""Fixtures of the differential tests: the harness's runners and report reader (``run_rewritten``,
``run_wei``, ``Report``, ``APPS``), the seed loop's ``check_seeds`` and the generator's ``REWRITE`` profile,
offered as session fixtures of the same name instead of being imported by test modules (issue 10;
``tests/test_import_tests_tree.py``).
"""
from __future__ import annotations

from typing import Callable

import pytest

from gen import scripts

from . import harness, loop

#: ``fixture name -> the helper module that holds it``.
OFFERED = {"run_rewritten": harness, "run_wei": harness, "Report": harness, "check_seeds": loop,
           "APPS": harness, "REWRITE": scripts}


def _offer(name: str, module) -> Callable[[], object]:
    """A session fixture named ``name`` whose value is ``module.<name>``."""
    def fixture() -> object:
        return getattr(module, name)
    fixture.__doc__ = f"``{module.__name__.rpartition('.')[2]}.{name}``"
    return pytest.fixture(scope="session", name=name)(fixture)


globals().update({f"_{name}_fixture": _offer(name, module) for name, module in OFFERED.items()})
