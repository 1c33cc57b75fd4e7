"""The recording view of compiler/rewrite/bodycache.py: what it logs, how a log replays, and that what it
cannot record is an internal error instead of a body reused on a guess."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from compiler.errors import InternalError
from compiler.rewrite.bodycache import Recording, UnrecordableRead, replay


@dataclass
class Pool:
    strings: dict = field(default_factory=dict)
    end: int = 100

    def string(self, data: bytes) -> int:
        if data not in self.strings:
            self.strings[data] = self.end
            self.end += len(data)
        return self.strings[data]


@dataclass
class Context:
    layout: Pool
    globals: dict
    no_body: bool = False
    objects: list = field(default_factory=list)
    module: object = None


def test_reads_replay_to_the_same_answers_and_redo_allocations() -> None:
    ctx = Context(Pool(), {"count": 3})
    rec = Recording(ctx, frozenset(), {})
    view = rec.view()
    assert view.layout.string(b"abc") == 100 and view.globals["count"] == 3 and not view.no_body
    assert "n" not in view.globals and isinstance(view.layout, Pool)
    fresh = Context(Pool(), {"count": 3})
    assert replay(fresh, rec.steps) and fresh.layout.strings == {b"abc": 100}   # allocated again
    moved = Context(Pool(end=200), {"count": 3})
    assert not replay(moved, rec.steps)                    # the literal would land elsewhere
    assert not replay(Context(Pool(), {"count": 4}), rec.steps)
    assert not replay(Context(Pool(), {"count": 3, "n": 1}), rec.steps)
    assert not replay(Context(Pool(), {"count": 3}, no_body=True), rec.steps)


def test_a_read_that_raises_is_an_answer_too() -> None:
    rec = Recording(Context(Pool(), {}), frozenset(), {})
    with pytest.raises(KeyError):
        rec.view().globals["x"]
    assert replay(Context(Pool(), {}), rec.steps)
    assert not replay(Context(Pool(), {"x": 0}), rec.steps)


def test_answers_compare_strictly() -> None:
    rec = Recording(Context(Pool(), {"g": 1}), frozenset(), {})
    assert rec.view().globals["g"] == 1
    assert not replay(Context(Pool(), {"g": True}), rec.steps)
    assert not replay(Context(Pool(), {"g": 1.0}), rec.steps)


def test_what_cannot_be_recorded_is_an_internal_error() -> None:
    ctx = Context(Pool(), {}, objects=[object()])
    view = Recording(ctx, frozenset(), {}).view()
    with pytest.raises(UnrecordableRead):
        list(view.objects)                      # non-plain objects: their reads could not be replayed
    with pytest.raises(UnrecordableRead):
        view.layout.string(object())            # an argument the cache key does not pin
    with pytest.raises(UnrecordableRead):
        view.no_body = True
    with pytest.raises(UnrecordableRead):
        _ = view.layout == ctx.layout
    assert issubclass(UnrecordableRead, InternalError)
    assert view.module is None                  # the module is pinned by the cache, not recorded
