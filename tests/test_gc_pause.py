"""compiler/gc_pause.py: both doors into the compiler — ``api.instrument`` and the shell's
``Instrumenter`` — match and emit with the cyclic garbage collector paused, and leave it as they found it."""
from __future__ import annotations

import gc

import pytest

from compiler import api, build
from compiler.gc_pause import collector_paused
from compiler.rewrite import emit as rewrite_emit

APP = "(module (func $main (export \"_start\") call $f) (func $f))"
SCRIPT = "wasm:opcode:call:before { report var n: u32; n++; }\n"


@pytest.fixture
def gc_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_within_restored_after_even_on_error(gc_enabled):
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()                # the outer pause is still on
    assert gc.isenabled()
    with pytest.raises(ValueError):
        with collector_paused():
            raise ValueError("boom")
    assert gc.isenabled()
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()                    # a caller's own pause is left alone


def test_both_doors_match_with_the_collector_paused(gc_enabled, monkeypatch):
    seen: list[tuple[str, bool]] = []

    def spy(door, real):
        def wrapped(*args, **kwargs):
            seen.append((door, gc.isenabled()))
            return real(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(rewrite_emit, "match", spy("api.instrument", rewrite_emit.match))
    monkeypatch.setattr(build, "match", spy("Instrumenter.match", build.match))
    monkeypatch.setattr(build, "emit", spy("Instrumenter.build", build.emit))
    app = api.load_app(APP.encode())
    api.instrument(app, SCRIPT)
    source = SCRIPT
    composition = build.Composition(source, 0, (build.ProbeSlice(1, 0, len(source)),))
    build.Instrumenter(app).build(composition)
    assert seen == [("api.instrument", False), ("Instrumenter.match", False), ("Instrumenter.build", False)]
    assert gc.isenabled()
