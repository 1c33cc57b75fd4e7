"""Generators of test inputs: :mod:`tests.gen.scripts` writes valid whamm scripts from the type rules of
LANGUAGE.md, for the differential tests in ``tests/differential``."""
