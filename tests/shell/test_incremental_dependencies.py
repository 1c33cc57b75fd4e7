"""The shell's incremental rebuild never reuses a stale function body (issue 9, item 5).

A cached body is keyed on its sites (by identity) and reused only when every fact it read from the
module context gives the same answer again (compiler/rewrite/bodycache.py).  Each test below changes
one kind of module-wide fact that a function body embeds while the function's own sites stay the same
objects — the case where a stale body could be reused — and checks that the incremental module equals
a from-scratch build of the saved script byte for byte, and, where it runs, that the report is right.
"""
from __future__ import annotations

import pytest

from compiler import api
from whamm_shell.session import Session


@pytest.fixture(scope="module")
def demo(DEMO) -> api.App:
    return api.load_app(DEMO)


def built(session: Session):
    build = session.build()
    assert build.wasm == session.from_scratch().wasm
    return build


def values(session: Session) -> dict[tuple[str, int | None], str]:
    record = session.run(stdout=lambda data: None)
    assert record.ok
    return {(v.var.name, v.var.pc): v.text for v in record.values()}


def sites_of(session: Session, number: int) -> list:
    return list(session.last_build.matched.sites_of(number))


def test_string_literal_addresses_after_a_probe_adds_memory(demo: api.App) -> None:
    """The exact scenario of the issue: the second probe's slots moved the string literals, and the call
    sites' unchanged functions kept the old addresses (the map's keys printed as NUL bytes)."""
    session = Session(demo)
    session.add_item("report var calls: map<str, u32>")
    session.add_probe("wasm:opcode:call:before { calls[target_fn_name]++; }")
    expected = "calc->9;collatz->2;fd_write->33;print->33;print_num->13;show_calc->3;show_collatz->2"
    assert values(session)[("calls", None)] == expected
    first = sites_of(session, 1)
    session.add_probe("wasm:opcode:br_if:before { report var taken: u32; taken++; }")
    got = values(session)
    assert sites_of(session, 1) == first and all(a is b for a, b in zip(first, sites_of(session, 1)))
    assert got[("calls", None)] == expected
    assert session.last_run.build.wasm == session.from_scratch().wasm


def test_global_indices_after_the_runtime_is_linked(demo: api.App) -> None:
    """Linking the runtime (first map) puts its globals before the script's: `count` moves."""
    session = Session(demo)
    session.add_item("var count: u32")
    session.add_probe("wasm:opcode:call:before { count++; }")
    before = built(session).result.layout.globals["count"]
    session.add_probe("wasm:opcode:br_if:before { report var m: map<u32, u32>; m[1]++; }")
    after = built(session).result.layout.globals["count"]
    assert before != after
    assert session.run(stdout=lambda data: None).global_values()[0] == ("count", "u32", "95")   # the 95 calls of the map in the first test


def test_per_site_map_ids_renumbered_by_an_earlier_site(demo: api.App) -> None:
    """Per-site map ids follow site order: a later probe with sites in earlier functions renumbers them."""
    session = Session(demo)
    session.add_probe("wasm:opcode:br_if:before { report var m: map<u32, u32>; m[1]++; }")
    old = dict(next(iter(built(session).result.layout.site_maps.values())))
    session.add_probe("wasm:opcode:call:before { report var k: map<u32, u32>; k[2]++; }")
    build = built(session)
    new = [ids for ids in build.result.layout.site_maps.values() if "m" in ids]
    assert new and new[0] != old
    got = values(session)
    assert {text for (name, _), text in got.items() if name == "m"} == {"1->17", "1->121"}


def test_slot_addresses_moved_by_a_later_probe(demo: api.App) -> None:
    """The first map reserves runtime memory before the probes' slots: the first probe's move."""
    session = Session(demo)
    session.add_probe("wasm:opcode:br_if:before { report var a: u32; a++; }")
    layout = built(session).result.layout
    old = {layout.site_base[id(s)] for s in sites_of(session, 1)}
    session.add_probe("wasm:opcode:call:before { report var b: map<u32, u32>; b[1]++; }")
    layout = built(session).result.layout
    new = {layout.site_base[id(s)] for s in sites_of(session, 1)}
    assert old != new
    assert {text for (name, _), text in values(session).items() if name == "a"} == {"17", "121"}


def test_the_exit_routine_appearing_and_the_options_changing(demo: api.App) -> None:
    """A `wasm:report` probe makes the shell build with the report (the flush point calls the exit
    routine); `export` builds with the default options through the same cache."""
    session = Session(demo)
    session.add_probe("wasm:opcode:call:before { report var a: u32; a++; }")
    built(session)
    session.add_probe("wasm:report { }")
    built(session)
    session.probes[2].enabled = False
    built(session)
    exported = session.build(api.Options())
    assert exported.wasm == session.from_scratch(api.Options()).wasm


SHADOW_WAT = """(module
  (type $t (func (result i32)))
  (table 2 funcref)
  (func $a (result i32) i32.const 1)
  (func $b (result i32) i32.const 2)
  (func $setup
    (drop (call $a))
    (table.set (i32.const 0) (ref.func $a))
    (table.set (i32.const 1) (ref.func $b)))
  (func $main (export "_start")
    (call $setup)
    (drop (call_indirect (type $t) (i32.const 0)))
    (drop (call_indirect (type $t) (i32.const 1))))
  (elem declare func $a $b))
"""


def test_table_shadows_reserved_by_a_later_probe() -> None:
    """`resolved_fid` reserves table shadows: `$setup`, whose sites did not change, must now update
    them at its `table.set`s (a reused body would leave every lookup at -1)."""
    session = Session(api.load_app(SHADOW_WAT.encode(), "shadow.wat"))
    session.add_probe('wasm:opcode:call:before / fname == "setup" / { report var n: u32; n++; }')
    built(session)
    session.add_probe("wasm:opcode:call_indirect:before { report var m: map<i32, u32>; m[resolved_fid]++; }")
    assert built(session).result.layout.shadows
    got = values(session)
    assert {text for (name, _), text in got.items() if name == "m"} == {"0->1", "1->1"}


def test_bodies_are_reused_when_nothing_they_read_changed(demo: api.App) -> None:
    """The other side of the contract: unchanged facts reuse the body (SHELL.md)."""
    session = Session(demo)
    session.add_probe("wasm:opcode:br_if:before { report var t: u32; t++; }")
    built(session)
    cache = session.instrumenter.functions
    hits = cache.hits
    session.add_probe('wasm:opcode:call:before / fname == "calc" / { report var n: u32; n++; }')
    built(session)
    assert cache.hits > hits
