"""Syntax errors in words: lexer, builder and automaton problems become one Diagnostic each.

The one place that decides how a syntax error reads ("expected `;`, found keyword `var`", the note on
an unclosed delimiter, the help for ``else if`` and unary minus): wording is tested by the bad-script
snapshots, so it is kept apart from the machinery that detects the errors.
"""
from __future__ import annotations

from compiler.lang.diagnostics import Diagnostic, Span, span_at
from compiler.lang.lalr import UnexpectedToken
from compiler.lang.lexer import KEYWORDS, OPERATORS, LexInput, SyntaxProblem, Token

__all__ = ["to_diagnostic", "eof_span"]


_EXPR_START = frozenset({"ID", "INT", "FLOAT", "STRING", "TRUE", "FALSE", "LPAR", "BANG", "TILDE", "AT"})
_STMT_START = frozenset({"VAR", "REPORT", "UNSHARED", "SHARED", "FRAME", "IF", "RETURN"}) | _EXPR_START
_ITEM_START = frozenset({"USE", "FN", "RULE_PART"}) | _STMT_START
_TYPE_START = frozenset({"ID", "MAP", "LPAR"})
_CONTINUATIONS = frozenset({
    "OROR", "ANDAND", "OR", "XOR", "AND", "EQ", "NE", "LT", "LE", "GT", "GE", "SHL", "SHR", "PLUS",
    "MINUS", "STAR", "SLASH", "PERCENT", "QMARK", "AS", "DOT", "LSQB", "LPAR",
})
_WORDS = {
    "ID": "an identifier", "INT": "an integer", "FLOAT": "a float", "STRING": "a string",
    "RULE_PART": "a probe rule", "PRED_OPEN": "`/`", "PRED_CLOSE": "`/`", "$END": "end of file",
    **{t: f"`{op}`" for op, t in OPERATORS.items()},
    **{t: f"`{kw}`" for kw, t in KEYWORDS.items()},
    "COMPOUND": "`OP=`",
}
# Listing order of single terminals in "expected ..." (closers and separators first).
_ORDER = {t: i for i, t in enumerate((
    "SEMI", "RPAR", "RBRACE", "RSQB", "COMMA", "COLON", "PRED_CLOSE", "GT", "ASSIGN", "INC", "DEC",
    "COMPOUND", "LBRACE", "PRED_OPEN", "ARROW", "LPAR", "ID", "ELIF", "ELSE", "VAR"))}


def _expected_words(expected: set[str]) -> str:
    exp = set(expected) - {"$END"}
    phrases: list[str] = []
    if "RULE_PART" in exp and "VAR" in exp:
        phrases.append("a probe, `fn`, `use` or a statement")
        exp -= _ITEM_START
    if "VAR" in exp and "IF" in exp:
        phrases.append("a statement")
        exp -= _STMT_START
    if "INT" in exp and "STRING" in exp:
        phrases.append("an expression")
        exp -= _EXPR_START
    if "MAP" in exp and "ID" in exp:
        phrases.append("a type")
        exp -= _TYPE_START
    if exp & _CONTINUATIONS:
        if exp - _CONTINUATIONS or phrases:
            exp -= _CONTINUATIONS
        elif "$END" in expected:
            exp = {"$END"}
        elif len(exp) > 1:
            phrases.append("an operator")
            exp = set()
    singles = [_WORDS.get(t, t) for t in sorted(exp, key=lambda t: (_ORDER.get(t, 99), t))]
    items = list(dict.fromkeys(singles + phrases))
    if "RBRACE" in expected and "`}`" not in items and "a statement" in items:
        items.append("`}`")
    if not items:
        return "end of file"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _found_words(tok: Token) -> str:
    if tok.type in KEYWORDS.values():
        return f"keyword `{tok.value}`"
    if tok.type == "RULE_PART" and not tok.value:
        return "an empty rule part"
    text = tok.value if len(tok.value) <= 24 else tok.value[:21] + "..."
    return f"`{text}`"


def eof_span(text: str) -> Span:
    """Where "unexpected end of file" points: just past the last non-blank character."""
    end = len(text.rstrip())
    return span_at(text, end, end)


def to_diagnostic(exc: Exception, inp: LexInput) -> tuple[Diagnostic, bool]:
    """Convert a lexer/builder problem or a lark error to one Diagnostic; the flag is "input ended
    too early" (more text could complete it)."""
    text = inp.text
    if isinstance(exc, SyntaxProblem):
        span = exc.span or span_at(text, exc.start, exc.end)
        return Diagnostic.error(exc.message, span), exc.at_eof
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    if tok.type == "$END":
        note = None
        if inp.open_delims:
            ch, pos = inp.open_delims[-1]
            where = span_at(text, pos, pos + 1)
            note = f"unclosed `{ch}` opened at {where.line}:{where.column}"
        return Diagnostic.error("unexpected end of file", eof_span(text), note=note), True
    expected = _expected_words(exc.expected())
    message = f"expected {expected}, found {_found_words(tok)}"
    span = tok.span
    prev = exc.previous
    help = None
    if expected.startswith("`;`") and prev is not None and prev.span.end_line < span.line:
        # A missing `;` at the end of a line: point where it belongs, as rustc does.
        span = span_at(text, prev.end, prev.end)
    if tok.type == "MINUS" and "an expression" in expected:
        help = "there is no unary minus: write `0 - x` (a literal like `-1` is fine)"
    elif tok.type == "IF" and prev is not None and prev.type == "ELSE":
        help = "write `elif (...)` instead of `else if`"
    return Diagnostic.error(message, span, help=help), False
