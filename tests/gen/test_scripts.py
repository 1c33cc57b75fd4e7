"""The generator's own checks: every script it writes passes ``whamm check`` (for the wei profile, with
the engine target's rules), generation is deterministic per seed, hypothesis can drive it, and
shrinking keeps a property while making the script smaller."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from compiler.errors import WhammError
from compiler.lang.frontend import check_source
from gen.scripts import REWRITE, WEI, DrawChoices, from_seed, generate, shrink


def check(text: str, wei: bool) -> None:
    try:
        check_source(text, "gen.mm", {}, wei=wei)
    except WhammError as exc:
        raise AssertionError(f"the checker rejects a generated script:\n{text}\n{exc}") from None


@pytest.mark.parametrize("profile", [WEI, REWRITE], ids=lambda p: p.name)
def test_generated_scripts_pass_the_checker(profile):
    for seed in range(300):
        check(from_seed(seed, profile).text, profile is WEI)


def test_generation_is_deterministic():
    assert from_seed(7, REWRITE).text == from_seed(7, REWRITE).text
    assert from_seed(7, REWRITE).text != from_seed(8, REWRITE).text


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_hypothesis_drawn_scripts_pass_the_checker(data):
    check(generate(DrawChoices(data), REWRITE), False)


def test_shrinking_keeps_the_property_and_shrinks():
    big = next(s for s in map(lambda i: from_seed(i, REWRITE), range(100)) if " % " in s.text and len(s.text) > 1500)
    small = shrink(big, lambda text: " % " in text, REWRITE)
    assert " % " in small.text and len(small.text) < len(big.text) // 2
    check(small.text, False)
