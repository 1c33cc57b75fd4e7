"""Incremental re-instrumentation (compiler/build.py, the shell's through compiler.api): per-probe match cache, merged site order,
re-emitting only changed functions, whole-build and compiled-module reuse — and outputs identical to a
fresh compilation."""
from __future__ import annotations

import dataclasses

import pytest

from compiler import api
from compiler.build import Instrumenter, merge
from compiler.sites.matching import AltConflictError, match, order_keys
from whamm_shell.session import Session

OPTIONS = api.Options(no_report=True)

#: Probes of every site-bearing package, several at the same instructions (§8 ordering matters).
MIXED = [
    "wasm:opcode:call:before { report var c: u32; c++; }",
    "wasm:func:entry { report var e: u32; e++; }",
    "wasm:block:start { report var b: u32; b++; }",
    "wasm:opcode:call:after { report var a: u32; a++; }",
    "wasm:opcode:local.get:before / fname == \"calc\" / { report var g: u32; g++; }",
    "wasm:func:exit { report var x: u32; x++; }",
    "wasm:opcode:call:before / imm0 == 2 / { report var c2: u32; c2++; }",
]


@pytest.fixture(scope="module")
def demo(DEMO) -> api.App:
    return api.load_app(DEMO)


def session_with(demo: api.App, probes: list[str]) -> Session:
    session = Session(demo)
    for text in probes:
        session.add_probe(text)
    return session


def sites(matches) -> list[tuple]:
    return [(s.fid, s.index, s.probe.number, s.placement, s.pc) for s in matches.sites]


def test_merged_order_is_the_one_pass_order(demo: api.App) -> None:
    session = session_with(demo, MIXED)
    matched = session.matched()
    assert sites(matched.matches) == sites(match(demo.module, matched.program))
    assert len(matched.matches.sites) > 40


def test_builds_are_byte_identical_to_fresh_compilations(DEMO_OUTPUT, run_wasm, demo: api.App) -> None:
    session = session_with(demo, MIXED[:3])
    session.build()
    for text in MIXED[3:]:
        session.add_probe(text)
        build = session.build()
        fresh = api.instrument(demo, session.compose().source, options=OPTIONS)
        assert build.wasm == fresh.wasm
    session.set_enabled([2, 5], False)
    assert session.build().wasm == api.instrument(demo, session.compose().source, options=OPTIONS).wasm
    status, out = run_wasm(session.build().wasm)
    assert (status, out) == (0, DEMO_OUTPUT)


def test_adding_a_probe_matches_only_that_probe(demo: api.App, monkeypatch) -> None:
    session = session_with(demo, MIXED[:4])
    session.build()
    import compiler.build as build
    seen: list[list[int]] = []
    real = build.match

    def spy(module, program, **kw):
        seen.append([cp.number for cp in program.probes])
        return real(module, program, **kw)

    monkeypatch.setattr(build, "match", spy)
    session.add_probe(MIXED[4])
    assert seen == [[4]]                       # one pass, over the new probe's expansion only
    session.set_enabled([5], False)
    session.set_enabled([5], True)
    assert seen == [[4]]                       # toggling back finds every probe in the cache


def test_only_functions_whose_sites_changed_are_re_emitted(demo: api.App) -> None:
    session = session_with(demo, ["wasm:opcode:br_if:before { report var t: u32; t++; }",
                                  "wasm:opcode:if:before { report var u: u32; u++; }"])
    first = session.build()
    cache = session.instrumenter.functions
    misses, hits = cache.misses, cache.hits
    session.add_probe('wasm:opcode:call:before / fname == "calc" / { report var n: u32; n++; }')
    build = session.build()
    assert {s.fid for s in build.matched.sites_of(3)} == {2}
    # calc alone is rewritten: the new probe's slots come after the earlier ones, which keep their
    # addresses, so the other functions' code is unchanged and comes from the cache
    assert cache.misses - misses == 1
    candidates = {s.fid for s in build.matched.matches.sites} | {7}    # + main, the flush point
    assert cache.hits - hits == len(candidates) - 1
    old = {(v.name, v.fid, v.pc): v.location for v in first.result.layout.report}
    assert all(old[(v.name, v.fid, v.pc)] == v.location for v in build.result.layout.report if v.name != "n")


def test_toggling_back_reuses_the_whole_build(demo: api.App) -> None:
    session = session_with(demo, MIXED[:2])
    first = session.build()
    session.add_probe(MIXED[2])
    second = session.build()
    assert second.wasm != first.wasm
    session.set_enabled([3], False)
    again = session.build()
    assert again.reused and again.wasm is first.wasm
    assert all(t == 0.0 for t in again.timings.values())


def test_compiled_modules_are_cached_by_content_hash(demo: api.App) -> None:
    session = session_with(demo, MIXED[:1])
    chunks: list[bytes] = []
    session.run(stdout=chunks.append)
    compiled = session.instrumenter.compiled
    assert len(compiled) == 1
    [key] = compiled
    session.run(stdout=chunks.append)
    assert list(compiled) == [key]             # the second run deserialized, it did not recompile
    session.add_probe(MIXED[1])
    session.run(stdout=chunks.append)
    assert len(compiled) == 2
    session.set_enabled([2], False)
    record = session.run(stdout=chunks.append)
    assert len(compiled) == 2 and record.build.reused and record.ok


def test_alt_conflicts_are_found_when_merging(demo: api.App) -> None:
    ins = Instrumenter(demo)
    source = "wasm:opcode:call:alt { }\nwasm:opcode:call:alt { }\n"
    program = ins.check(source)
    parts = [match(demo.module, dataclasses.replace(program, probes=[cp])) for cp in program.probes]
    with pytest.raises(AltConflictError, match="multiple alt probes") as merged:
        merge(program, parts)
    with pytest.raises(AltConflictError) as one_pass:
        match(demo.module, program)
    assert str(merged.value) == str(one_pass.value)     # one check (check_alt_conflicts), one message


def test_order_keys_group_by_first_appearance(demo: api.App) -> None:
    program = Instrumenter(demo).check("wasm:func:entry { }\nwasm:opcode:call:before { }\n"
                                       "wasm:opcode:br_if:before { }\nwasm:opcode:call:after { }\n")
    keys = order_keys(program)
    func, call_before, br_if, call_after = (keys[cp.number] for cp in program.probes)
    assert call_before < call_after < br_if < func      # pass 1 first, then by package/event/mode


def test_timings_cover_every_compiler_phase(demo: api.App) -> None:
    session = session_with(demo, MIXED[:1])
    record = session.run(stdout=lambda data: None)
    assert set(record.timings) == {"check", "match", "emit", "encode", "validate", "compile", "execute"}
    assert record.timings["emit"] > 0 and record.timings["match"] > 0
