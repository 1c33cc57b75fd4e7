"""Diagnostics rendering (LANGUAGE.md §14.1): exact text, spans, closing line, ``closest``."""
from __future__ import annotations

import pytest

from compiler.errors import WhammError
from compiler.lang.diagnostics import Diagnostic, ScriptError, Span, closest, render, span_at

MONITOR = "var count: u32;\n\nwasm:end {\n    cnt++;\n}\n"


def _at(source: str, needle: str, length: int | None = None) -> Span:
    start = source.index(needle)
    return span_at(source, start, start + (len(needle) if length is None else length))


def test_spec_example_exact() -> None:
    diag = Diagnostic.error("unknown variable `cnt`", _at(MONITOR, "cnt"), help="did you mean `count`?")
    assert render([diag], MONITOR, "monitor.mm") == (
        "error: unknown variable `cnt`\n"
        " --> monitor.mm:4:5\n"
        "  |\n"
        "4 |     cnt++;\n"
        "  |     ^^^\n"
        "  = help: did you mean `count`?\n"
        "\n"
        "error: aborting due to 1 previous error"
    )


def test_span_at_counts_lines_and_unicode_columns() -> None:
    src = "a\n\u00e9\u00e9x = 1;\n"
    span = _at(src, "x")
    assert (span.line, span.column, span.end_line, span.end_column) == (2, 3, 2, 4)
    assert str(span) == "2:3"
    multi = span_at(src, 0, src.index("x"))
    assert (multi.line, multi.column, multi.end_line, multi.end_column) == (1, 1, 2, 3)


def test_unicode_column_in_arrow_and_carets() -> None:
    src = 'var s: str = "\u00e9\u00e9"; x\n'
    diag = Diagnostic.error("boom", _at(src, "x"))
    text = render([diag], src, "u.mm")
    assert " --> u.mm:1:20\n" in text
    assert "  |                    ^\n" in text


def test_gutter_grows_with_line_number() -> None:
    src = "\n" * 11 + "x = 1;\n"
    diag = Diagnostic.warning("something odd", _at(src, "x = 1", 5), note="a note")
    assert render([diag], src, "w.mm") == (
        "warning: something odd\n"
        "  --> w.mm:12:1\n"
        "   |\n"
        "12 | x = 1;\n"
        "   | ^^^^^\n"
        "   = note: a note"
    )


def test_multiline_span_underlines_first_line_to_its_end() -> None:
    src = "wasm:end {\n    x = 1;\n}\n"
    diag = Diagnostic.error("probe problem", span_at(src, 5, len(src) - 1))
    lines = render([diag], src, "m.mm").splitlines()
    assert lines[3] == "1 | wasm:end {"
    assert lines[4] == "  |      ^^^^^"


def test_zero_width_span_gets_one_caret() -> None:
    src = "wasm:end"
    diag = Diagnostic.error("unexpected end of file", span_at(src, 8, 8))
    assert render([diag], src, "e.mm").splitlines()[4] == "  |         ^"


def test_tabs_are_copied_into_caret_line() -> None:
    src = "\tx = 1;\n"
    diag = Diagnostic.error("tabbed", _at(src, "x"))
    assert render([diag], src, "t.mm").splitlines()[4] == "  | \t^"


def test_several_diagnostics_sorted_and_counted() -> None:
    src = "a;\nb;\n"
    second = Diagnostic.error("second", _at(src, "b"))
    first = Diagnostic.error("first", _at(src, "a"))
    warn = Diagnostic.warning("careful", None)
    text = render([second, warn, first], src, "s.mm")
    blocks = text.split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == [
        "error: first", "error: second", "warning: careful", "error: aborting due to 2 previous errors"]


def test_warnings_only_have_no_closing_line() -> None:
    src = "wasm:end {}\n"
    diag = Diagnostic.warning("probe has an empty body", _at(src, "wasm:end"))
    assert "aborting" not in render([diag], src, "w.mm")


def test_diagnostic_without_span_renders_notes() -> None:
    diag = Diagnostic.error("library x is used by the script but was not provided", None,
                            help="pass --user-libs x=PATH")
    assert render([diag], "", "n.mm") == (
        "error: library x is used by the script but was not provided\n"
        "  = help: pass --user-libs x=PATH\n"
        "\n"
        "error: aborting due to 1 previous error"
    )


def test_with_note_appends() -> None:
    diag = Diagnostic.error("m", None).with_note("note", "at main (fid 1), pc 3")
    assert diag.notes == (("note", "at main (fid 1), pc 3"),)
    assert diag.is_error and not Diagnostic.warning("w", None).is_error


def test_color_uses_ansi_and_same_text_when_stripped() -> None:
    import re
    diag = Diagnostic.error("unknown variable `cnt`", _at(MONITOR, "cnt"), help="did you mean `count`?")
    colored = render([diag], MONITOR, "monitor.mm", color=True)
    assert "\x1b[" in colored
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == render([diag], MONITOR, "monitor.mm")


def test_script_error_is_a_whamm_error_printing_the_report() -> None:
    diag = Diagnostic.error("unknown variable `cnt`", _at(MONITOR, "cnt"))
    err = ScriptError([diag], MONITOR, "monitor.mm")
    assert isinstance(err, WhammError)
    assert str(err).startswith("error: unknown variable `cnt`\n --> monitor.mm:4:5")
    assert str(err) == err.render() == render([diag], MONITOR, "monitor.mm")
    assert err.diagnostics == (diag,) and err.filename == "monitor.mm"


def test_span_to_covers_both() -> None:
    src = "abc def"
    joined = _at(src, "abc").to(_at(src, "def"))
    assert (joined.start, joined.end, joined.column, joined.end_column) == (0, 7, 1, 8)


@pytest.mark.parametrize(("name", "candidates", "expected"), [
    ("cnt", ["count", "calls"], "count"),
    ("br_iff", ["br", "br_if", "br_table"], "br_if"),
    ("BR_IF", ["br_if", "br"], "br_if"),
    ("zzz", ["count", "calls"], None),
    ("x", [], None),
])
def test_closest(name: str, candidates: list[str], expected: str | None) -> None:
    assert closest(name, candidates) == expected
