"""whamm_shell.lexers: the whamm, shell-line and WAT lexers know everything their languages contain."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from pygments.token import Comment, Error, Keyword, Name, Number, String, Token

from compiler.wasm import read_module
from compiler.wasm.opcodes import OPCODES
from compiler.wasm.wat import module_lines
from tests.corpus.catalog import PROGRAMS, Program
from whamm_shell.lexers import BOUND_VAR, COMMAND, GLOB, RULE, ShellLexer, WatLexer, WhammLexer

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path("/work/shared/spec/LANGUAGE.md")
if not SPEC.exists():
    SPEC = ROOT / "spec" / "LANGUAGE.md"

_BLOCK = re.compile(r"```[^\n]*\n(.*?)```", re.S)


def _spec_examples() -> list[str]:
    """Every fenced block of LANGUAGE.md except the compiler's error output (§14), which is not whamm."""
    return [b for b in _BLOCK.findall(SPEC.read_text()) if not b.lstrip().startswith("error:")]


def _tokens(lexer, text: str) -> list[tuple[object, str]]:
    return [(t, v) for _, t, v in lexer.get_tokens_unprocessed(text) if v.strip()]


def _errors(lexer, text: str) -> list[tuple[int, str]]:
    return [(pos, v) for pos, t, v in lexer.get_tokens_unprocessed(text) if t in Error]


# ------------------------------------------------------------------------------------------- whamm

@pytest.mark.parametrize("example", _spec_examples())
def test_every_language_md_example_lexes_without_errors(example: str) -> None:
    assert _errors(WhammLexer(), example) == []


def test_language_md_has_examples() -> None:
    assert len(_spec_examples()) >= 20


SCRIPTS = sorted((ROOT / "examples").glob("*/*.mm")) + sorted((ROOT / "tests").glob("**/*.mm"))


@pytest.mark.parametrize("path", [p for p in SCRIPTS if p.name != "bad_escape.mm"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_scripts_lex_without_errors(path: Path) -> None:
    assert _errors(WhammLexer(), path.read_text()) == []


def test_a_bad_escape_is_an_error_token() -> None:
    assert _errors(WhammLexer(), 'var s: str = "a\\q";') == [(15, "\\q")]


def test_probe_rule_is_one_coloured_unit_with_globs() -> None:
    toks = _tokens(WhammLexer(), "wasm:opcode:br*:before { n++; }")
    assert toks[:8] == [(RULE, "wasm"), (RULE, ":"), (RULE, "opcode"), (RULE, ":"), (RULE, "br"),
                        (GLOB, "*"), (RULE, ":"), (RULE, "before")]


def test_rule_with_type_bounds_and_predicate() -> None:
    toks = _tokens(WhammLexer(), "wasm:opcode:call(arg0: i32):before / imm0 == 2 / { c++; }")
    assert (BOUND_VAR, "arg0") in toks and (Keyword.Type, "i32") in toks
    assert (BOUND_VAR, "imm0") in toks
    assert [v for t, v in toks if t is RULE] == ["wasm", ":", "opcode", ":", "call", ":", "before"]
    # the predicate delimiters are punctuation, a division inside stays an operator
    div = _tokens(WhammLexer(), "wasm:opcode:call:before / fid / 2 > 4 / { }")
    assert [t for t, v in div if v == "/"] == [Token.Punctuation, Token.Operator, Token.Punctuation]


def test_statement_with_colon_is_not_a_rule() -> None:
    for text in ("var x: u32", "report var m: map<u32, u64>;", "x = c ? a : b;"):
        assert all(t is not RULE for t, _ in _tokens(WhammLexer(), text)), text


def test_nested_block_comments_and_strings() -> None:
    toks = _tokens(WhammLexer(), 'x = 1; /* a /* b */ still */ s = "t\\n\\u{1F600}\\x41";')
    comment = "".join(v for t, v in toks if t in Comment)
    assert comment == "/* a /* b */ still */"
    assert [v for t, v in toks if t is String.Escape] == ["\\n", "\\u{1F600}", "\\x41"]


@pytest.mark.parametrize("text,token", [
    ("0xFF", Number.Hex), ("0b1011", Number.Bin), ("1.5", Number.Float), ("1.", Number.Float),
    ("2.0e10", Number.Float), ("1e5", Number.Float), ("1_000_000", Number.Integer), ("inf", Number.Float),
    ("infinity", Number.Float), ("NaN", Number.Float),
])
def test_number_literals(text: str, token) -> None:
    assert _tokens(WhammLexer(), f"x = {text};")[2] == (token, text)


def test_keywords_types_annotations_and_functions() -> None:
    toks = dict((v, t) for t, v in _tokens(WhammLexer(),
                "use cache; fn f(a: u8) -> bool { return true; } @init cache.reset(); shared frame while"))
    assert toks["use"] in Keyword and toks["fn"] in Keyword and toks["return"] in Keyword
    assert toks["u8"] is Keyword.Type and toks["bool"] is Keyword.Type
    assert toks["true"] is Keyword.Constant and toks["while"] is Keyword.Reserved
    assert toks["f"] is Name.Function and toks["@init"] is Name.Decorator
    assert toks["shared"] in Keyword and toks["frame"] in Keyword
    # a keyword prefix is an identifier (LANGUAGE.md §2.2)
    assert _tokens(WhammLexer(), "iffy = 1;")[0] == (Name, "iffy")


def test_bound_variables_and_builtins() -> None:
    toks = dict((v, t) for t, v in _tokens(WhammLexer(),
                "wasm:opcode:*load*:before { x = effective_addr + arg12 + local3 + fid; strcmp(a, b); }"))
    for name in ("effective_addr", "arg12", "local3", "fid"):
        assert toks[name] is BOUND_VAR, name
    assert toks["strcmp"] is Name.Builtin and toks["x"] is Name


def test_shell_lines() -> None:
    assert _tokens(ShellLexer(), "report count --top 3") == [
        (COMMAND, "report"), (Name, "count"), (Name.Attribute, "--top"), (Number.Integer, "3")]
    toks = _tokens(ShellLexer(), "probe add wasm:opcode:call:before { n++; }")
    assert toks[0] == (COMMAND, "probe") and (RULE, "before") in toks
    info = _tokens(ShellLexer(), "info wasm:opcode:br* -v")
    assert [t for t, _ in info] == [COMMAND, RULE, RULE, RULE, RULE, RULE, GLOB, Name.Attribute]
    # whamm typed directly lexes as whamm
    assert _tokens(ShellLexer(), "report var n: u32;")[0] == (Keyword.Declaration, "report")
    assert _tokens(ShellLexer(), "wasm:func:entry { }")[0] == (RULE, "wasm")


# --------------------------------------------------------------------------------------------- WAT

@pytest.mark.parametrize("op", OPCODES, ids=lambda op: op.name)
def test_every_opcode_is_a_wat_keyword(op) -> None:
    assert list(WatLexer().get_tokens_unprocessed(op.name))[0][1:] == (Keyword, op.name)
    # also inside a line, followed by an immediate and a paren
    toks = _tokens(WatLexer(), f"({op.name} 0)")
    assert toks[1] == (Keyword, op.name)


def test_wat_tokens() -> None:
    toks = _tokens(WatLexer(), '(func $f (param i32) (result i64) ;; note\n'
                               '  i32.load offset=8 align=4 (; a(; nested ;);) f64.const -0x1.8p3\n'
                               '  f32.const nan:0x200000 v128.const i32x4 1 2 3 4 (data "\\00ab"))')
    kinds = dict((v, t) for t, v in toks)
    assert kinds["func"] is Keyword.Declaration and kinds["$f"] is Name.Variable
    assert kinds["i32"] is Keyword.Type and kinds["i32.load"] is Keyword
    assert kinds["offset"] is Name.Attribute and kinds["8"] is Number
    assert kinds["-0x1.8p3"] is Number and kinds["nan:0x200000"] is Number
    assert kinds["i32x4"] is Keyword.Type and kinds["\\00"] is String.Escape
    assert "".join(v for t, v in toks if t in Comment.Multiline) == "(; a(; nested ;);)"  # blanks dropped
    assert _errors(WatLexer(), "i32.frobnicate") == [(0, "i32.frobnicate")]


# Core-module WAT only: the shell's WatLexer colours what `wat` prints, a module's text; the component
# text of tests/corpus/component/ (nested.wat) is printed by no command.
WAT_FILES = sorted(p for p in (ROOT / "tests" / "corpus").glob("**/*.wat") if p.parent.name != "component") \
    + sorted((ROOT / "examples").glob("*/*.wat"))


@pytest.mark.parametrize("path", WAT_FILES, ids=lambda p: p.name)
def test_hand_written_wat_lexes_without_errors(path: Path) -> None:
    assert _errors(WatLexer(), path.read_text()) == []


# sqlite prints 19 MB of WAT (about 12 s to lex); the other programs cover the same printer paths.
PRINTED = [p for p in PROGRAMS if p.name != "sqlite"]


@pytest.mark.parametrize("prog", PRINTED, ids=[p.name for p in PRINTED])
def test_printed_wat_of_the_corpus_lexes_without_errors(prog: Program) -> None:
    text = "\n".join(line.text for line in module_lines(read_module(prog.wasm)))
    assert _errors(WatLexer(), text) == []
