"""The table of bad snippets and the exact messages the parser gives for them (LANGUAGE.md §14.1).

Each row: source, message, line and column of the reported span.  The table is the specification of
the parser's error wording: change it deliberately, together with the parser.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.lang.diagnostics import ScriptError
from compiler.lang.parser import parse_expression, parse_probe, parse_script, parse_statement

BAD_SNIPPETS = [
    ('wasm:end { x = 1 }',
     'expected `;`, found `}`', 1, 18),
    ('wasm:end { x = 1 x = 2; }',
     'expected `;`, found `x`', 1, 18),
    ('var x: u32\nwasm:end {}',
     'expected `;` or `=`, found `wasm`', 1, 11),
    ('use cache\nwasm:end {}',
     'expected `;`, found `wasm`', 1, 10),
    ('wasm:end { f(1, ); }',
     'expected an expression, found `)`', 1, 17),
    ('wasm:end { f(1 2); }',
     'expected `)` or `,`, found `2`', 1, 16),
    ('wasm:end { var x: u32 = ; }',
     'expected an expression, found `;`', 1, 25),
    ('wasm:end { x = (1 + 2; }',
     'expected `)` or `,`, found `;`', 1, 22),
    ('wasm:end { x = m[1; }',
     'expected `]`, found `;`', 1, 19),
    ('wasm:end { x = 1;',
     'unexpected end of file', 1, 18),
    ('wasm:end {\n  if (x) {\n    y = 1;\n  \n}\n',
     'unexpected end of file', 5, 2),
    ('wasm:end { } }',
     'unexpected closing delimiter `}`', 1, 14),
    ('wasm:end { x = 1; }\n}',
     'unexpected closing delimiter `}`', 2, 1),
    ('wasm:end { x = (1)); }',
     'expected `;`, found `)`', 1, 19),
    ('wasm:end { x = "abc; }',
     'unterminated string literal', 1, 16),
    ('wasm:end {\n  s = "abc;\n}\n',
     'unterminated string literal', 2, 7),
    ('wasm:end { /* never closed }',
     'unterminated block comment', 1, 12),
    ('/* a /* b */ wasm:end { }',
     'unterminated block comment', 1, 1),
    ('wasm:end { x = "a\\qb"; }',
     'invalid escape \\q', 1, 18),
    ('wasm:end { x = "\\u{110000}"; }',
     'invalid escape \\u{110000}', 1, 17),
    ('wasm:end { x = "\\u{}"; }',
     'invalid escape \\u{}', 1, 17),
    ('wasm:end { x = "\\x4"; }',
     'invalid escape \\x4', 1, 17),
    ('wasm:end { x = 18446744073709551616; }',
     'integer literal out of range (-2^63 to 2^64-1)', 1, 16),
    ('wasm:end { x = -9223372036854775809; }',
     'integer literal out of range (-2^63 to 2^64-1)', 1, 16),
    ('wasm:end { x = ' + '9' * 5000 + '; }',
     'integer literal out of range (-2^63 to 2^64-1)', 1, 16),
    ('wasm:end { x = -' + '0' * 5000 + '9223372036854775809; }',
     'integer literal out of range (-2^63 to 2^64-1)', 1, 16),
    ('wasm:end { x = 0x1_0000_0000_0000_0000; }',
     'invalid numeric literal', 1, 16),
    ('wasm:end { x = 0x10000000000000000; }',
     'integer literal out of range (-2^63 to 2^64-1)', 1, 16),
    ('wasm:end { x = 0b1' + '0' * 64 + '; }',
     'integer literal out of range (-2^63 to 2^64-1)', 1, 16),
    ('wasm:end { x = t.' + '1' * 5000 + '; }',
     'tuple index too large', 1, 18),
    ('wasm:end { x = 1e400; }',
     'float literal out of range (its magnitude exceeds the largest f64)', 1, 16),
    ('wasm:end { x = -1e9999999; }',
     'float literal out of range (its magnitude exceeds the largest f64)', 1, 16),
    ('wasm:end { x = 1.7976931348623159e308; }',
     'float literal out of range (its magnitude exceeds the largest f64)', 1, 16),
    ('wasm:end { x = 1e' + '9' * 5000 + '; }',
     'float literal out of range (its magnitude exceeds the largest f64)', 1, 16),
    ('wasm:end { x = ' + '9' * 5000 + '.0; }',
     'float literal out of range (its magnitude exceeds the largest f64)', 1, 16),
    ('wasm:end { x = 0xFG; }',
     'invalid numeric literal', 1, 16),
    ('wasm:end { x = 0x; }',
     'invalid numeric literal', 1, 16),
    ('wasm:end { x = 0xF_F; }',
     'invalid numeric literal', 1, 16),
    ('wasm:end { x = 0b102; }',
     'invalid numeric literal', 1, 16),
    ('wasm:end { x = 12abc; }',
     'invalid numeric literal', 1, 16),
    ('wasm:end { x = -0x1; }',
     'invalid numeric literal', 1, 16),
    ('wasm:end { @foo lib.f(); }',
     'unknown annotation @foo (expected @static or @init)', 1, 12),
    ('wasm:end { x = @stat lib.f(); }',
     'unknown annotation @stat (expected @static or @init)', 1, 16),
    ('wasm:end { var if: u32; }',
     'expected an identifier, found keyword `if`', 1, 16),
    ('wasm:end { var map: u32; }',
     'expected an identifier, found keyword `map`', 1, 16),
    ('wasm:end { var inf: f32; }',
     'expected an identifier, found `inf`', 1, 16),
    ('fn while() {}\nwasm:end {}',
     'expected an identifier, found keyword `while`', 1, 4),
    ('wasm:end { x; }',
     'expected `=`, `++` or `--`, found `;`', 1, 13),
    ('wasm:end { m[k]; }',
     'expected `=`, `++` or `--`, found `;`', 1, 16),
    ('wasm:end { 5; }',
     'expected a statement, found an expression (only calls can stand alone)', 1, 12),
    ('wasm:end { x + 1; }',
     'expected `;`, `=`, `++`, `--` or `OP=`, found `+`', 1, 14),
    ('wasm:end { f() = 3; }',
     'invalid assignment target (expected a variable, `m[k]` or `t.N`)', 1, 12),
    ('wasm:end { t.0++; }',
     '`++` needs a variable or a map element `m[k]`', 1, 12),
    ('wasm:end { if (x) { } ; }',
     'expected `}`, `elif`, `else` or a statement, found `;`', 1, 23),
    ('wasm:end { if x { } }',
     'expected `(`, found `x`', 1, 15),
    ('wasm:end { if (x) { } else if (y) { } }',
     'expected `{`, found keyword `if`', 1, 28),
    ('wasm:end { while (x) { } }',
     'expected `}` or a statement, found keyword `while`', 1, 12),
    ('wasm:end / x > 1 { }',
     'expected `/`, found `{`', 1, 18),
    ('wasm:end / / { }',
     'expected an expression, found `/`', 1, 12),
    ('wasm:end { x = -y; }',
     'expected an expression, found `-`', 1, 16),
    ('wasm:opcode:call:before:x:y { }',
     'a probe rule has at most 4 parts (provider:package:event:mode)', 1, 1),
    ('wasm: { }',
     'both parts of a 2-part probe rule must be present', 1, 1),
    (':wasm { }',
     'both parts of a 2-part probe rule must be present', 1, 1),
    ('wasm:op code:call:before {}',
     'expected `:`, `{` or `/`, found `code`', 1, 9),
    ('wasm:opcode:call:before x {}',
     'expected `:`, `{` or `/`, found `x`', 1, 25),
    ('wasm:opcode:call(arg0: i32:before {}',
     'expected `)` or `,`, found `:`', 1, 27),
    ('wasm:opcode:call(arg0: i32, ):before {}',
     'expected an identifier, found `)`', 1, 29),
    ('wasm:opcode:call:before / x / y {}',
     'expected `/`, found `{`', 1, 33),
    ('report wasm:end {}',
     'expected `var`, `frame`, `report`, `shared` or `unshared`, found `wasm`', 1, 8),
    ('wasm:end { var x: foo; }',
     'unknown type `foo`', 1, 19),
    ('wasm:end { var x: map<u32, u32 = 1; }',
     'expected `>`, found `=`', 1, 32),
    ('wasm:end { var x: map<u32> ; }',
     'expected `,`, found `>`', 1, 26),
    ('wasm:end { var x u32; }',
     'expected `:`, found `u32`', 1, 18),
    ('fn f(a u32) {}\nwasm:end {}',
     'expected `:`, found `u32`', 1, 8),
    ('fn f(a: u32) -> {}\nwasm:end {}',
     'expected a type, found `{`', 1, 17),
    ('wasm:opcode:call(arg0 i32):before { }',
     'expected `:`, found `i32`', 1, 23),
    ('wasm:end { x = 1; } else',
     'expected a probe, `fn`, `use` or a statement, found keyword `else`', 1, 21),
    ("wasm:end { x = 'a'; }",
     "unexpected character `'`", 1, 16),
    ('wasm:end { x = 1 $ 2; }',
     'unexpected character `$`', 1, 18),
    ('wasm:end { x = a ? b; }',
     'expected `:`, found `;`', 1, 21),
    ('wasm:end { x = .5; }',
     'expected an expression, found `.`', 1, 16),
    ('wasm:end { return 1 }',
     'expected `;`, found `}`', 1, 21),
    ('wasm:end',
     'unexpected end of file', 1, 9),
    ('wasm:end { x = 1 +',
     'unexpected end of file', 1, 19),
    ('var x: u32;',
     'a script must contain at least one probe', 1, 12),
    ('',
     'a script must contain at least one probe', 1, 1),
    ('wasm:end {}\nuse foo;',
     "'use' must appear before the first probe", 2, 1),
    ('if (x) { y = 1; }\nwasm:end {}',
     'only declarations, assignments and calls are allowed at script level', 1, 1),
    ('return;\nwasm:end {}',
     'only declarations, assignments and calls are allowed at script level', 1, 1),
    ('wasm:end {}\nwasm:begin { use x; }',
     'expected `}` or a statement, found keyword `use`', 2, 14),
    ('wasm:end { fn f() {} }',
     'expected `}` or a statement, found keyword `fn`', 1, 12),
]


@pytest.mark.parametrize(("source", "message", "line", "column"), BAD_SNIPPETS,
                         ids=[f"{i:02d}" for i in range(len(BAD_SNIPPETS))])
def test_bad_snippet(source: str, message: str, line: int, column: int) -> None:
    with pytest.raises(ScriptError) as info:
        parse_script(source, "t.mm")
    assert len(info.value.diagnostics) == 1
    diag = info.value.diagnostics[0]
    assert (diag.message, diag.span.line, diag.span.column) == (message, line, column)
    assert diag.severity == "error"


def test_at_least_sixty_snippets() -> None:
    assert len(BAD_SNIPPETS) >= 60


def _render(source: str) -> str:
    with pytest.raises(ScriptError) as info:
        parse_script(source, "m.mm")
    return str(info.value)


def test_render_missing_semicolon() -> None:
    assert _render("wasm:end {\n    report var n: u32\n    n++;\n}\n") == (
        "error: expected `;` or `=`, found `n`\n"
        " --> m.mm:2:22\n"
        "  |\n"
        "2 |     report var n: u32\n"
        "  |                      ^\n"
        "\n"
        "error: aborting due to 1 previous error"
    )


def test_render_unexpected_end_of_file_with_unclosed_brace() -> None:
    assert _render("wasm:end {\n    if (x) {\n        y = 1;\n    }\n\n") == (
        "error: unexpected end of file\n"
        " --> m.mm:4:6\n"
        "  |\n"
        "4 |     }\n"
        "  |      ^\n"
        "  = note: unclosed `{` opened at 1:10\n"
        "\n"
        "error: aborting due to 1 previous error"
    )


def test_render_unterminated_string_points_at_opening_quote() -> None:
    assert _render('wasm:end {\n    s = "abc;\n}\n') == (
        "error: unterminated string literal\n"
        " --> m.mm:2:9\n"
        "  |\n"
        '2 |     s = "abc;\n'
        "  |         ^\n"
        "\n"
        "error: aborting due to 1 previous error"
    )


def test_render_bad_escape_points_at_escape() -> None:
    assert _render('wasm:end { s = "ok\\q"; }') == (
        "error: invalid escape \\q\n"
        " --> m.mm:1:19\n"
        "  |\n"
        '1 | wasm:end { s = "ok\\q"; }\n'
        "  |                   ^^\n"
        "\n"
        "error: aborting due to 1 previous error"
    )


def test_unary_minus_has_help() -> None:
    text = _render("wasm:end { x = -y; }")
    assert "= help: there is no unary minus: write `0 - x`" in text


def test_else_if_has_help() -> None:
    assert "= help: write `elif (...)` instead of `else if`" in _render("wasm:end { if (a) {} else if (b) {} }")


def test_structural_errors_are_all_reported() -> None:
    with pytest.raises(ScriptError) as info:
        parse_script("wasm:end {}\nuse a;\nif (x) {}\nuse b;\n", "m.mm")
    assert [(d.message, d.span.line) for d in info.value.diagnostics] == [
        ("'use' must appear before the first probe", 2),
        ("only declarations, assignments and calls are allowed at script level", 3),
        ("'use' must appear before the first probe", 4),
    ]
    assert str(info.value).endswith("error: aborting due to 3 previous errors")


@pytest.mark.parametrize(("parse", "source", "message"), [
    (parse_expression, "a +", "unexpected end of file"),
    (parse_expression, "a b", "expected end of file, found `b`"),
    (parse_statement, "x = 1", "unexpected end of file"),
    (parse_statement, "x = 1; y = 2;", "expected end of file, found `y`"),
    (parse_probe, "x = 1;", "expected a probe rule, found `x`"),
    (parse_probe, "wasm:end {} wasm:begin {}", "expected end of file, found `wasm`"),
])
def test_entry_points_report_errors(parse, source: str, message: str) -> None:  # noqa: ANN001
    with pytest.raises(ScriptError) as info:
        parse(source)
    assert info.value.diagnostics[0].message == message
    assert str(info.value).startswith("error: ")


# ---------------------------------------------------------------- never a traceback (fuzzing)

_PIECES = st.sampled_from([
    "wasm", ":", "opcode", "call", "before", "end", "(", ")", "{", "}", "[", "]", "/", "*", "?", "|",
    "!", "\\", ".", "+", "-", "1", "0x", "0b", "1.", "e5", "_", "inf", "var", "x", ":", "u32", "map",
    "<", ">", ">>", ",", ";", "=", "==", "&&", "@", "static", "init", "if", "elif", "else", "return",
    "fn", "use", "report", "\"", "\\u{", "\\x", "'", "/*", "*/", "//", "\n", " ", "\t", "é", "$", "as",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_any_text_parses_or_raises_script_error(text: str) -> None:
    try:
        parse_script(text, "fuzz.mm")
    except ScriptError as err:
        rendered = str(err)
        assert rendered.startswith("error: ") and "aborting due to" in rendered
    for parse in (parse_expression, parse_statement, parse_probe):
        try:
            parse(text)
        except ScriptError:
            pass
