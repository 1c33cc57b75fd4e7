"""whamm_shell.completion: the completers driven directly, with exact result sets per context."""
from __future__ import annotations

from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from compiler.events.catalog import opcode_events
from whamm_shell.commands import Command, Registry
from whamm_shell.completion import (
    NO_VALUE, ChoiceCompleter, HelpCompleter, ProbeCompleter, ShellCompleter, WordsCompleter,
    function_words, paths, rule_scope,
)
from shellrun import SHELL_COMMANDS

FUNCTIONS = [(0, "main"), (1, None), (2, "calc"), (10, "call_me")]
GLOBALS = ["count", "calls"]
REPORT_VARS = ["count", "edges"]


def _probe() -> ProbeCompleter:
    return ProbeCompleter(lambda: GLOBALS, lambda: FUNCTIONS)


def _registry(tmp: Path | None = None) -> Registry:
    reg = Registry()
    probe = _probe()
    arg_completers = {
        "probe add": probe, "match": probe, "info": probe,
        "wat": WordsCompleter(function_words(lambda: FUNCTIONS), {"--around": NO_VALUE, "--diff": None}),
        "report": WordsCompleter(lambda: REPORT_VARS, {"--sort": WordsCompleter(lambda: ["name", "value"]),
                                                       "--top": NO_VALUE, "--csv": paths(), "--json": paths()}),
        "plot": WordsCompleter(lambda: REPORT_VARS, {"--top": NO_VALUE}),
        "set": ChoiceCompleter({"args": None, "env": None, "dir": paths(), "stdin": paths(),
                                "timeout": None, "fuel": None}),
        "load": paths(), "save": paths(), "source": paths(), "export": paths(),
        "help": HelpCompleter(reg),
    }
    for name in SHELL_COMMANDS:
        reg.add(Command(name, aliases=("exit",) if name == "quit" else (), usage=name,
                        summary=f"does {name}", complete=arg_completers.get(name)))
    return reg


def complete(text: str, *, tab: bool = True, completer=None) -> list[str]:
    completer = completer or ShellCompleter(_registry(), _probe())
    event = CompleteEvent(completion_requested=tab)
    return [c.text for c in completer.get_completions(Document(text, len(text)), event)]


def test_first_word_offers_commands_in_registry_order() -> None:
    assert complete("") == ["help", "load", "info", "match", "probe", "global", "probes", "run", "report",
                            "plot", "globals", "wat", "sites", "save", "source", "export", "set", "show",
                            "history", "quit", "exit"]
    assert complete("", tab=False) == []               # no menu at every keystroke on an empty line
    assert complete("pr") == ["probe", "probes"]
    assert complete("w") == ["wat", "wasm:", "wasi:"]   # a probe may be typed directly (either provider)
    assert complete("co") == ["count"]                  # ... and so may a global statement
    assert complete("glo") == ["global", "globals"]


def test_sub_commands() -> None:
    assert complete("probe ") == ["add", "rm", "disable", "enable", "edit"]
    assert complete("pr e") == ["enable", "edit"]
    assert complete("pr a") == ["add"]
    assert complete("show ") == ["settings"]


def test_completion_meta_is_the_summary() -> None:
    shell = ShellCompleter(_registry(), _probe())
    got = {c.text: c.display_meta_text for c in shell.get_completions(Document("ru"), CompleteEvent(completion_requested=True))}
    assert got == {"run": "does run"}


def test_rule_parts() -> None:
    assert complete("wasm:") == ["begin", "end", "report", "func:", "block:", "opcode:", "source:"]
    assert complete("wasm:op") == ["opcode:"]
    assert complete("wasm:func:") == ["entry", "exit"]
    assert complete("wasm:block:") == ["start", "end"]
    assert complete("WASM:OPCODE:BR") == ["br:", "br_if:", "br_table:", "br_on_cast:", "br_on_cast_fail:",
                                          "br_on_null:", "br_on_non_null:"]
    assert complete("wasm:opcode:*:af") == ["after"]   # earlier parts may be globs
    assert complete("wasm:opcode:br*") == []            # a glob is not completed


def test_all_310_opcode_events() -> None:
    names = complete("wasm:opcode:")
    assert len(names) == 310
    assert names == [e.name + ":" for e in opcode_events()]


def test_modes_valid_for_the_matched_events() -> None:
    assert complete("wasm:opcode:br*:") == ["before", "after", "alt", "at_target"]
    assert complete("wasm:opcode:block:") == ["before", "after", "alt", "entry", "exit"]
    assert complete("wasm:opcode:unreachable:") == ["before", "alt"]
    assert complete("wasm:opcode:call|block:e") == ["entry", "exit"]
    assert complete("wasm::br_if:a") == ["after", "alt", "at_target"]
    assert complete("wasm:func:entry:") == []           # mode-less events
    assert complete("wasm:bogus:") == []


def test_rules_after_commands() -> None:
    assert complete("probe add wasm:fu") == ["func:"]
    assert complete("pr a wasm:func:ex") == ["exit"]
    assert complete("match wasm:opcode:i32.ad") == ["i32.add:"]
    assert complete("info wasm:b") == ["begin", "block:"]


CALL_BEFORE = ["APP_MEMID", "fid", "fname", "pc", "opidx", "at_func_end", "local", "nsecs",
               "callstack", "stack_depth", "src_file", "src_line", "src_col", "opname", "bytecode",
               "category_id", "category_name", "arg", "imm0", "target_fn_type", "target_fn_name",
               "target_imp_module", "count", "calls"]


def test_bound_variables_in_predicates_and_bodies() -> None:
    assert complete("wasm:opcode:call:before / ") == CALL_BEFORE
    assert complete("wasm:opcode:call:before { ") == CALL_BEFORE
    assert complete("wasm:opcode:call:before / fid == 1 / { x = 1; ") == CALL_BEFORE
    assert complete("wasm:opcode:call:before / fid == 1 && f") == ["fid", "fname"]
    assert complete("wasm:opcode:call:before { if (a) { c") == ["callstack", "category_id", "category_name", "count",
                                                                "calls"]
    assert complete("wasm:opcode:call:before / ", tab=False) == []
    assert complete("match wasm:opcode:call / im") == ["imm0"]


def test_bound_variables_depend_on_the_rule() -> None:
    assert complete("wasm:opcode:i32.load:before { e") == ["effective_addr"]
    assert complete("wasm:opcode:i32.store:before { is_") == ["is_write"]
    assert complete("wasm:opcode:i32.add:before { e") == []
    assert complete("wasm:block:end { i") == ["instr_count"]
    assert complete("wasm:end { ") == ["APP_MEMID", "count", "calls"]     # no site: no provider vars
    # resN only in after probes
    assert complete("wasm:opcode:call:after { re") == ["res"]
    assert complete("wasm:opcode:call:before { re") == []


def test_globs_take_the_intersection_of_scopes() -> None:
    # br has no operands, br_if/br_table have arg0: only the common names remain
    assert complete("wasm:opcode:br*:before { a") == ["at_func_end"]
    assert complete("wasm:opcode:br_if|br_table:before { a") == ["at_func_end", "arg0"]
    assert complete("wasm:opcode:*load*:before { effective") == ["effective_addr"]


def test_type_bounds_add_names() -> None:
    assert complete("wasm:opcode:call(arg0: i32):before { ar") == ["arg", "arg0"]
    assert complete("wasm(local0: i32):func:entry { loc") == ["local", "local0"]
    assert complete("wasm:opcode:call(arg0: ") == []        # inside the bounds: nothing


def test_rule_scope_meta() -> None:
    scope = {display: meta for _, display, meta in rule_scope("wasm:opcode:call:before")}
    assert scope["fid"] == "u32 (static)" and scope["argN"] == "? (dynamic)"
    assert "probe_id" not in scope                       # engine-only
    assert rule_scope("wasm:nothing:here:before") == ()


def test_function_names_inside_strings() -> None:
    assert complete('wasm:opcode:call:before / fname == "ca') == ["calc", "call_me"]
    assert complete('wasm:func:entry { if (fname == "') == ["main", "calc", "call_me"]


def test_no_completion_after_a_dot_in_comments_or_after_the_probe() -> None:
    assert complete("wasm:opcode:call:before { t.") == []
    assert complete("wasm:opcode:call:before { // f") == []
    assert complete("wasm:opcode:call:before { /* f") == []
    assert complete("wasm:opcode:call:before { n++; } ") == []


def test_global_statements() -> None:
    assert complete("x = c") == ["count", "calls"]
    assert complete("count") == ["count"]


def test_wat_functions_and_indices() -> None:
    assert complete("wat ") == ["main", "calc", "call_me", "0", "1", "2", "10"]
    assert complete("wat c") == ["calc", "call_me"]
    assert complete("wat 1") == ["1", "10"]
    assert complete("wat --") == ["--around", "--diff"]
    assert complete("wat main --around ") == []
    assert complete("wat main --diff ") == ["main", "calc", "call_me", "0", "1", "2", "10"]
    shell = ShellCompleter(_registry(), _probe())
    metas = {c.text: c.display_meta_text for c in shell.get_completions(Document("wat "), CompleteEvent(completion_requested=True))}
    assert metas["calc"] == "function 2" and metas["2"] == "calc" and metas["1"] == ""


def test_report_and_plot_variables() -> None:
    assert complete("report ") == ["count", "edges"]
    assert complete("report e") == ["edges"]
    assert complete("report count --s") == ["--sort"]
    assert complete("report --sort v") == ["value"]
    assert complete("report --top ") == []
    assert complete("plot ") == ["count", "edges"]
    assert complete("plot --") == ["--top"]


def test_set_sub_settings() -> None:
    assert complete("set ") == ["args", "env", "dir", "stdin", "timeout", "fuel"]
    assert complete("set t") == ["timeout"]
    assert complete("set fuel ") == []


def test_file_paths(tmp_path: Path) -> None:
    (tmp_path / "app.wasm").write_bytes(b"")
    (tmp_path / "apple.mm").write_text("")
    (tmp_path / "other.txt").write_text("")
    base = f"{tmp_path}/ap"
    for command in ("load", "save", "source", "export", "set stdin", "report --csv"):
        assert sorted(complete(f"{command} {base}")) == ["p.wasm", "ple.mm"], command


def test_help_topics() -> None:
    assert complete("help pro") == ["probe", "probes"]
    assert complete("help probe ") == ["add", "rm", "disable", "enable", "edit"]
    assert complete("help r") == ["run", "report"]


def test_commands_without_completer_offer_nothing() -> None:
    assert complete("history ") == []
    assert complete("frob ") == []
    assert complete("pr 3 ") == []                        # ambiguous command: no argument completion
    assert complete("s ") == ["settings"]                 # `s settings` is `show settings`


def test_callables_are_read_at_every_completion() -> None:
    names: list[str] = []
    probe = ProbeCompleter(lambda: names)
    assert complete("x = a", completer=probe) == []
    names.append("alpha")
    assert complete("x = a", completer=probe) == ["alpha"]


@pytest.mark.parametrize("text", ["wasm:opcode:call:before { ", "wasm:", "probe add ", "wat "])
def test_start_positions_replace_the_typed_prefix(text: str) -> None:
    shell = ShellCompleter(_registry(), _probe())
    for c in shell.get_completions(Document(text + "x"), CompleteEvent(completion_requested=True)):
        assert c.start_position == -1 or c.start_position == 0


def test_wasi_provider_rules_and_variables() -> None:
    assert complete("wasi:") == ["p1:"]
    assert complete("wasi:p1:path_o") == ["path_open:"]
    assert complete("wasi:p1:fd_w") == ["fd_write:"]
    assert complete("wasi:p1:path_open:") == ["before", "after", "alt"]
    # after-only variables (results, errno) are offered in after probes only
    assert complete("wasi:p1:fd_write:after { n") == ["nsecs", "nwritten", "nwritten_ptr"]
    assert complete("wasi:p1:fd_write:before { n") == ["nsecs", "nwritten_ptr"]
    assert sorted(complete("wasi:p1:path_open:alt / pa")) == ["path", "path_len", "path_ptr"]
    assert complete("wasi:p1:path_open:alt { return ERRNO_AC") == ["ERRNO_ACCES"]
