"""The session model (whamm_shell/session.py): numbering, enabling, composition, checking before
changing, running, and report values read from the live instance."""
from __future__ import annotations

import pytest

from compiler import api
from compiler.errors import WhammError
from compiler.runner import Outcome
from whamm_shell.session import (
    ScriptErrors, Session, SessionError, Settings, demo_app, read_report, report_csv,
)

BR_IF = "wasm:opcode:br_if:before { report var taken: u32; if (arg0 != 0) { taken++; } }"


@pytest.fixture(scope="module")
def demo(DEMO) -> api.App:
    return api.load_app(DEMO)


@pytest.fixture
def session(demo: api.App) -> Session:
    return Session(demo)


def quiet(session: Session, **kw):
    chunks: list[bytes] = []
    record = session.run(stdout=chunks.append, **kw)
    return record, b"".join(chunks).decode()


def test_probe_numbers_are_stable_and_not_reused(session: Session) -> None:
    assert session.add_probe("wasm:func:entry { }").number == 1
    assert session.add_probe(BR_IF).number == 2
    assert session.add_probe("wasm:opcode:call:before { }").number == 3
    assert session.remove([2]) == [2]
    assert list(session.probes) == [1, 3]
    assert session.add_probe(BR_IF).number == 4


def test_added_probe_reports_sites_and_functions(SEED_PROBE, session: Session) -> None:
    session.add_item("report var count: u32")
    added = session.add_probe(SEED_PROBE)
    assert (added.number, added.sites, added.functions, added.has_sites) == (1, 2, 2, True)
    nothing = session.add_probe('wasm:opcode:call:before / fname == "nowhere" / { count++; }')
    assert (nothing.sites, nothing.has_sites) == (0, True)
    end = session.add_probe("wasm:end { }")
    assert end.has_sites is False


def test_composition_is_items_then_enabled_probes_in_order(session: Session) -> None:
    session.add_item("var n: u32")
    session.add_probe("wasm:opcode:call:before { n++; }")
    session.add_probe("wasm:opcode:br_if:before { n++; }")
    session.add_probe("wasm:func:entry { n++; }")
    session.set_enabled([2], False)
    assert session.script_text() == ("var n: u32;\nwasm:opcode:call:before { n++; }\n"
                                     "wasm:func:entry { n++; }\n")
    composition = session.compose()
    assert [p.number for p in composition.probes] == [1, 3]
    assert composition.probe_at(composition.probes[1].start) == 3


def test_probe_ids_follow_enabled_probes_in_session_order(session: Session) -> None:
    session.add_probe("wasm:opcode:call:before { report var a: u32; a++; }")
    session.add_probe("wasm:opcode:br_if:before { report var b: u32; b++; }")
    session.set_enabled([1], False)
    matched = session.matched()
    assert [cp.probe_id for cp in matched.expansions[2]] == ["0_wasm:opcode:br_if:before"]
    assert matched.session_number("0_wasm:opcode:br_if:before") == 2


def test_global_statement_semicolon_may_be_omitted(session: Session) -> None:
    assert session.add_item("report var count: u32").text == "report var count: u32;"
    assert session.add_item("var limit: u32 = 10;").kind == "var"
    assert session.add_item("fn twice(x: u32) -> u32 { return x + x; }").kind == "fn"
    assert [i.kind for i in session.items] == ["var", "var", "fn"]


def test_a_probe_is_not_a_global(session: Session) -> None:
    with pytest.raises(SessionError, match="that is a probe"):
        session.add_item("wasm:func:entry { }")


def test_bad_probe_leaves_the_session_unchanged(SEED_PROBE, session: Session) -> None:
    session.add_item("report var count: u32")
    session.add_probe(SEED_PROBE)
    before = (dict(session.probes), list(session.items), session.compose())
    with pytest.raises(ScriptErrors) as info:
        session.add_probe("wasm:opcode:call:before { cnt++; }")
    text = str(info.value)
    assert "error: unknown variable `cnt`" in text
    assert " --> <input>:1:27" in text and "^^^" in text
    assert (dict(session.probes), list(session.items), session.compose()) == before
    assert session.add_probe("wasm:func:entry { count++; }").number == 2


def test_errors_in_existing_probes_point_into_them(session: Session) -> None:
    session.add_item("var n: u32")
    session.add_probe("wasm:opcode:call:before { n++; }")
    session.set_enabled([1], False)
    session.add_probe("wasm:func:entry { }")
    session.add_probe("wasm:opcode:call:alt { }")
    with pytest.raises(ScriptErrors) as info:
        session.add_probe("wasm:opcode:call:alt { }")
    assert "multiple alt probes match the same instruction" in str(info.value)
    assert "--> <input>:1:1" in str(info.value)
    assert list(session.probes) == [1, 2, 3]


def test_edit_replaces_text_keeps_number_and_rejects_bad_text(SEED_PROBE, session: Session) -> None:
    session.add_item("report var count: u32")
    session.add_probe("wasm:opcode:call:before { count++; }")
    added = session.edit_probe(1, SEED_PROBE)
    assert (added.number, added.sites) == (1, 2)
    with pytest.raises(WhammError, match="expected an expression"):
        session.edit_probe(1, "wasm:opcode:call:before { count = ; }")
    with pytest.raises(ScriptErrors, match="unknown variable"):
        session.edit_probe(1, "wasm:opcode:call:before { cnt++; }")
    assert session.probes[1].text == SEED_PROBE
    with pytest.raises(SessionError, match="no probe 9"):
        session.edit_probe(9, SEED_PROBE)


def test_probe_rule_and_predicate_as_typed(SEED_PROBE, session: Session) -> None:
    session.add_item("report var count: u32")
    session.add_probe(SEED_PROBE)
    probe = session.probes[1]
    assert probe.rule == "wasm:opcode:call(arg0: i32):before"
    assert probe.predicate == "imm0 == 2 && arg0 == 0"


def test_load_script_keeps_items_and_probes_as_written(CALLS, session: Session) -> None:
    assert session.load_script(CALLS.read_text(), str(CALLS)) == [1]
    assert [i.text for i in session.items] == ["report var count: u32;"]
    assert session.probes[1].text.startswith("wasm:opcode:call(arg0: i32):before / imm0 == 2")


def test_run_streams_output_and_reads_values_live(CALLS, DEMO_OUTPUT, session: Session) -> None:
    session.load_script(CALLS.read_text(), str(CALLS))
    record, out = quiet(session)
    assert out == DEMO_OUTPUT                      # the shell's build prints no report of its own
    assert record.status == "exit 0" and record.ok
    [value] = record.values()
    assert (value.var.name, value.value, value.text) == ("count", 3, "3")
    assert record.global_values() == [("count", "u32", "3")]


def test_report_csv_is_what_whamm_run_prints(DEMO, DEMO_OUTPUT, run_wasm, session: Session, tmp_path) -> None:
    session.add_item("report var calls: map<u32, u32>")
    session.add_probe("wasm:opcode:call:before { calls[imm0]++; }")
    session.add_probe(BR_IF)
    record, _ = quiet(session)
    script = tmp_path / "s.mm"
    session.save(script)
    result = api.instrument(api.load_app(DEMO), script.read_text())
    status, printed = run_wasm(result.wasm)
    assert status == 0
    assert printed == DEMO_OUTPUT + "\n" + report_csv(record.values())


def test_maps_and_site_values_are_read_from_the_instance(session: Session) -> None:
    session.add_item("report var calls: map<u32, u32>")
    session.add_probe("wasm:opcode:call:before { calls[imm0]++; }")
    session.add_probe(BR_IF)
    record, _ = quiet(session)
    values = {(v.var.name, v.var.fname, v.var.pc): v for v in record.values()}
    calls = values[("calls", None, None)]
    assert calls.value[2] == 9 and calls.text.startswith("0->")
    taken = [v.value for (name, _, _), v in values.items() if name == "taken"]
    assert sum(taken) > 0 and all(isinstance(t, int) for t in taken)
    # the same values again from a fresh read of the same instance
    assert [v.text for v in read_report(record.build, record.result)] == [v.text for v in record.values()]


def test_settings_reach_the_program(ARGC_WAT, ECHO_WAT, wat_app, tmp_path) -> None:
    session = Session(api.load_app(wat_app(tmp_path, "argc.wat", ARGC_WAT)))
    session.add_probe("wasm:func:entry { }")
    assert session.run(["a", "b"]).result.status == 3
    assert session.settings.args == ("a", "b")            # remembered, as gdb's `run ARGS`
    assert session.run().result.status == 3
    echo = Session(api.load_app(wat_app(tmp_path, "echo.wat", ECHO_WAT)), settings=Settings())
    (tmp_path / "in.txt").write_text("hello from stdin\n")
    echo.settings = Settings(stdin=str(tmp_path / "in.txt"))
    echo.add_probe("wasm:func:entry { }")
    _, out = quiet(echo)
    assert out == "hello from stdin\n"


def test_function_lookup_by_name_or_index(session: Session) -> None:
    assert session.function_index("calc") == 2
    assert session.function_index("$collatz") == 4
    assert session.function_index("7") == 7
    with pytest.raises(SessionError, match="no function named `nope`"):
        session.function_index("nope")
    with pytest.raises(SessionError, match="no function 99"):
        session.function_index("99")


def test_dry_match_shows_false_sites_and_residual_predicates(session: Session) -> None:
    rows = session.dry_match("wasm:opcode:call(arg0: i32):before / imm0 == 2 && arg0 == 0 /")
    assert len(rows) == 24
    injected = [(r.fname, r.pc, r.instruction, r.predicate) for r in rows if r.injected]
    assert injected == [("calc", 19, "call $calc", "arg0 == 0"), ("show_calc", 34, "call $calc", "arg0 == 0")]
    assert session.probes == {}                           # a dry run adds nothing


def test_site_rows_of_a_probe(SEED_PROBE, session: Session) -> None:
    session.add_item("report var count: u32")
    session.add_probe(SEED_PROBE)
    assert [(r.fid, r.pc, r.predicate) for r in session.site_rows(1)] == [(2, 19, "arg0 == 0"),
                                                                          (5, 34, "arg0 == 0")]
    session.set_enabled([1], False)
    with pytest.raises(SessionError, match="disabled"):
        session.site_rows(1)


def test_export_writes_a_valid_running_module(CALLS, DEMO_OUTPUT, run_wasm, session: Session, tmp_path) -> None:
    session.load_script(CALLS.read_text(), str(CALLS))
    size = session.export(tmp_path / "out.wasm")
    data = (tmp_path / "out.wasm").read_bytes()
    assert size == len(data)
    status, out = run_wasm(data)
    assert status == 0 and out.startswith(DEMO_OUTPUT)           # and then the report, as `whamm instr`
    assert out.endswith("count, u32, i32, script0, , , , , 3\n")
    assert data == session.from_scratch(api.Options()).wasm


def test_load_keeps_probes_and_rematches(ARGC_WAT, wat_app, session: Session, tmp_path) -> None:
    session.add_item("report var count: u32")
    session.add_probe("wasm:opcode:call:before { count++; }")
    outcome = session.load(wat_app(tmp_path, "argc.wat", ARGC_WAT))
    assert not isinstance(outcome, WhammError)
    assert outcome.sites_of(1) and {s.fid for s in outcome.sites_of(1)} == {2}
    assert session.last_run is None


def test_nothing_to_save_without_enabled_probes(DEMO_OUTPUT, session: Session, tmp_path) -> None:
    session.add_item("var n: u32")
    with pytest.raises(SessionError, match="no enabled probe"):
        session.save(tmp_path / "x.mm")
    record, out = quiet(session)                          # globals alone still run
    assert record.ok and out == DEMO_OUTPUT


def test_interrupted_run_keeps_values(LOOP_WAT, wat_app, tmp_path) -> None:
    import threading
    session = Session(api.load_app(wat_app(tmp_path, "loop.wat", LOOP_WAT)))
    session.add_probe("wasm:opcode:br_if:before { report var spins: u64; spins++; }")
    record = session.run(started=lambda execution: threading.Timer(0.2, execution.interrupt).start())
    assert record.result.outcome is Outcome.INTERRUPTED
    [value] = record.values()
    assert value.readable and value.value > 0


def test_the_demo_app_is_found(DEMO) -> None:
    assert demo_app().read_bytes() == DEMO.read_bytes()
