"""The whamm tokenizer (LANGUAGE.md §2): source text to the grammar's terminals.

A hand-written lexer (one master regex plus a little state), because a regex lexer cannot decide alone:
nested block comments, string escapes, negative literals (``-1`` is a literal unless it follows an
operand, §2.3), ``t.1.0`` (tuple indices, not the float ``1.0``), ``map<K, map<..>>`` closing angles,
probe-rule parts (recognised by their shape at the start of a top-level item, §4.1) and the
``/ predicate /`` delimiters (§4.3).  Its own module because it is the one stage that looks at
characters: the grammar driver (:mod:`compiler.lang.lalr`) only sees :class:`Token` values, and the
shell's highlighter mirrors the rules written here.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterator

from compiler.lang import values
from compiler.lang.diagnostics import Span

__all__ = ["KEYWORDS", "OPERATORS", "MAX_IDENTIFIER", "SyntaxProblem", "LexInput", "Token", "line_starts", "tokenize",
           "decode_string", "int_value"]


KEYWORDS = {
    "var": "VAR", "use": "USE", "fn": "FN", "if": "IF", "elif": "ELIF", "else": "ELSE",
    "return": "RETURN", "report": "REPORT", "unshared": "UNSHARED", "shared": "SHARED",
    "frame": "FRAME", "true": "TRUE", "false": "FALSE", "as": "AS", "map": "MAP", "while": "WHILE",
}

OPERATORS = {
    "&&": "ANDAND", "||": "OROR", "==": "EQ", "!=": "NE", "<=": "LE", ">=": "GE", "<<": "SHL",
    ">>": "SHR", "++": "INC", "--": "DEC", "->": "ARROW", "+": "PLUS", "-": "MINUS", "*": "STAR",
    "/": "SLASH", "%": "PERCENT", "&": "AND", "|": "OR", "^": "XOR", "~": "TILDE", "!": "BANG",
    "<": "LT", ">": "GT", "=": "ASSIGN", "?": "QMARK", ":": "COLON", ";": "SEMI", ",": "COMMA",
    ".": "DOT", "(": "LPAR", ")": "RPAR", "{": "LBRACE", "}": "RBRACE", "[": "LSQB", "]": "RSQB",
    "@": "AT",
    "+=": "COMPOUND", "-=": "COMPOUND", "*=": "COMPOUND", "/=": "COMPOUND", "%=": "COMPOUND",
    "&=": "COMPOUND", "|=": "COMPOUND", "^=": "COMPOUND", "<<=": "COMPOUND", ">>=": "COMPOUND",
}

_MASTER = re.compile(r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*)
  | (?P<string>")
  | (?P<radix>0[xXbB][0-9A-Za-z_]*)
  | (?P<float>\d[\d_]*(?:\.[\d_]*(?:[eE][+-]?\d+)?|[eE][+-]?\d+))
  | (?P<int>\d[\d_]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><<=|>>=|[-+*/%&|^]=|&&|\|\||==|!=|<=|>=|<<|>>|\+\+|--|->|[-+*/%&|^~!<>=?:;,.(){}\[\]@])
""", re.VERBOSE | re.ASCII)
_NUMBER = re.compile(r"0[xXbB][0-9A-Za-z_]*|\d[\d_]*(?:\.[\d_]*(?:[eE][+-]?\d+)?|[eE][+-]?\d+)?",
                     re.ASCII)
_FLOAT_WORD = re.compile(r"(?:inf(?:inity)?|nan)(?![A-Za-z0-9_])", re.IGNORECASE | re.ASCII)
_FLOAT_WORDS = frozenset({"inf", "infinity", "nan"})
_IDENT_TAIL = re.compile(r"[A-Za-z0-9_]+", re.ASCII)
_DIGITS = re.compile(r"\d+", re.ASCII)
_HEX = re.compile(r"0[xX][0-9A-Fa-f]+", re.ASCII)
_BIN = re.compile(r"0[bB][01]+", re.ASCII)
_TRIVIA = re.compile(r"(?:[ \t\r\n]+|//[^\n]*)*", re.ASCII)
#: A rule part (LANGUAGE.md §4.1); ``-`` only inside a bracketed class, where it makes a range (``[a-c]``).
_RULE_PART = re.compile(r"(?:\[[A-Za-z0-9_.*?!|+\\-]*\]|[A-Za-z0-9_.*?\[\]!|+\\])*", re.ASCII)
_STRING_CHUNK = re.compile(r'[^"\\]*')
_UNICODE_ESCAPE = re.compile(r"\{([0-9A-Fa-f]{1,6})\}")
_SIMPLE_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", '"': b'"', "'": b"'", "\\": b"\\", "0": b"\0"}

#: Token types after which ``-`` is the binary minus rather than the sign of a literal (§2.3).
_OPERAND_END = frozenset({"ID", "INT", "FLOAT", "STRING", "TRUE", "FALSE", "RPAR", "RSQB"})
_OPENERS = frozenset("([{")
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 64) - 1
#: Identifiers become Wasm names in the output (the getter export ``get_<name>`` of REWRITING.md §14,
#: ``whamm:global:<name>.<k>``, imports of ``use``d libraries), and engines reject names over 100,000
#: bytes (wasmparser's limit: a 100,000-character global gave an invalid module).  1000 leaves room
#: for every prefix and is far beyond what anyone writes.
MAX_IDENTIFIER = 1000


class SyntaxProblem(ValueError):
    """A syntax problem found while lexing or building, at ``[start, end)`` (becomes a Diagnostic).

    ``at_eof`` marks problems that more input could fix (an unterminated string or comment), which is
    what :func:`is_complete` needs to know.
    """

    def __init__(self, message: str, start: int, end: int, at_eof: bool = False,
                 span: Span | None = None):
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
        self.at_eof = at_eof
        self.span = span


@dataclass(slots=True)
class LexInput:
    """What the parser hands the lexer: the text, whether probe rules may start items, and the
    delimiters still open when lexing stopped (for the end-of-file message)."""

    text: str
    rules: bool
    line_starts: list[int]
    open_delims: list[tuple[str, int]]


def line_starts(text: str) -> list[int]:
    """The offset of the first character of every line (line 1 first): what spans are computed from."""
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def _skip_trivia(text: str, pos: int) -> int:
    """Skip whitespace and comments (block comments nest); an unterminated one stops the scan."""
    while True:
        pos = _TRIVIA.match(text, pos).end()
        if text.startswith("/*", pos):
            end = _block_comment_end(text, pos)
            if end < 0:
                return pos
            pos = end
        else:
            return pos


def _block_comment_end(text: str, pos: int) -> int:
    """End offset of the (nesting) block comment starting at ``pos``, or -1 if it never closes."""
    depth = 0
    i = pos
    while True:
        o = text.find("/*", i)
        c = text.find("*/", i)
        if c < 0:
            return -1
        if 0 <= o < c:
            depth += 1
            i = o + 2
        else:
            depth -= 1
            i = c + 2
            if depth == 0:
                return i


def decode_string(text: str, pos: int = 0) -> tuple[bytes, int]:
    """Decode the string literal whose opening quote is at ``text[pos]`` (§2.4).

    Returns the bytes and the offset just past the closing quote.  Raises ``ValueError`` (with
    ``start``/``end`` attributes) for a bad escape, located at the escape, or a missing closing quote,
    located at the opening one.
    """
    out = bytearray()
    i = pos + 1
    n = len(text)
    while True:
        end = _STRING_CHUNK.match(text, i).end()
        if end > i:
            out += text[i:end].encode("utf-8")
        i = end
        if i >= n:
            raise SyntaxProblem("unterminated string literal", pos, pos + 1, at_eof=True)
        if text[i] == '"':
            return bytes(out), i + 1
        esc = text[i + 1:i + 2]
        simple = _SIMPLE_ESCAPES.get(esc)
        if simple is not None:
            out += simple
            i += 2
        elif esc == "x":
            digits = text[i + 2:i + 4]
            if len(digits) != 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise SyntaxProblem(f"invalid escape \\x{digits.split(chr(34))[0]}", i, i + 2 + len(digits))
            out.append(int(digits, 16))
            i += 4
        elif esc == "u":
            m = _UNICODE_ESCAPE.match(text, i + 2)
            value = int(m.group(1), 16) if m else -1
            if m is None or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                stop = text.find("}", i, i + 12)
                end = stop + 1 if stop >= 0 else i + 2
                raise SyntaxProblem(f"invalid escape {text[i:end]}", i, end)
            out += chr(value).encode("utf-8")
            i = m.end()
        elif esc == "":
            raise SyntaxProblem("unterminated string literal", pos, pos + 1, at_eof=True)
        else:
            raise SyntaxProblem(f"invalid escape \\{esc}", i, i + 2)


def _scan_rule(text: str, pos: int) -> tuple[list[tuple[str, int, int]], int] | None:
    """If a probe rule starts at ``pos``, its plan: ``[(type, start, end)]`` for every part (possibly
    empty) and separating ``:``, plus the offset of the first character after the rule.

    The shape (§4.1): parts separated by ``:`` (at least one), each optionally followed by a
    parenthesised list of type bounds; comments and whitespace may surround the ``:`` and the bounds.
    The bounds themselves are lexed as ordinary tokens.  No statement starts with this shape.
    """
    plan: list[tuple[str, int, int]] = []
    colons = 0
    i = pos
    while True:
        end = _RULE_PART.match(text, i).end()
        plan.append(("RULE_PART", i, end))
        j = _skip_trivia(text, end)
        if text.startswith("(", j):
            close = _matching_paren(text, j)
            if close < 0:
                # Unbalanced bounds: after a `:` this is still a rule (the parser reports the bounds).
                return (plan, j) if colons else None
            j = _skip_trivia(text, close)
        if text.startswith(":", j):
            colons += 1
            plan.append(("COLON", j, j + 1))
            i = _skip_trivia(text, j + 1)
            continue
        if colons == 0:
            return None
        return plan, j


def _matching_paren(text: str, pos: int) -> int:
    """Offset just past the ``)`` matching the ``(`` at ``pos``, or -1."""
    depth = 0
    for i in range(pos, len(text)):
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c in "{};\"":
            return -1
    return -1


class Token:
    """A token: lark terminal name, source text and offsets.  Lighter than ``lark.Token``; the
    :class:`Span` (line/column) is computed only for the tokens a node or a message needs."""

    __slots__ = ("type", "value", "start", "end", "line_starts")

    def __init__(self, type_: str, value: str, start: int, end: int, line_starts: list[int]) -> None:
        self.type = type_
        self.value = value
        self.start = start
        self.end = end
        self.line_starts = line_starts

    @property
    def span(self) -> Span:
        """Where the token is, with line and column (computed on demand)."""
        starts = self.line_starts
        start, end = self.start, self.end
        line = bisect.bisect_right(starts, start)
        col = start - starts[line - 1] + 1
        if "\n" in self.value:
            end_line = bisect.bisect_right(starts, end)
            return Span(start, end, line, col, end_line, end - starts[end_line - 1] + 1)
        return Span(start, end, line, col, line, col + (end - start))

    def __repr__(self) -> str:
        return f"Token({self.type}, {self.value!r})"


def tokenize(inp: LexInput) -> Iterator[Token]:
    """The tokens of ``inp.text``, lazily (the driver pulls them one at a time); raises
    :class:`SyntaxProblem` for text no token fits, recording the open delimiters in ``inp``."""
    text = inp.text
    starts = inp.line_starts
    n = len(text)
    match = _MASTER.match
    delims = inp.open_delims
    prev = ""               # type of the previous token
    item_start = inp.rules  # may a probe rule start here?
    plan: list[tuple[str, int, int]] = []
    pred_open_at = -1       # offset of the "/" opening a predicate
    in_pred = False
    angle = 0               # open "map<" angles, whose ">" must not be read as ">>"
    pos = 0

    while True:
        if plan:
            kind, start, end = plan[0]
            if start <= pos:
                del plan[0]
                yield Token(kind, text[start:end], start, end, starts)
                prev = kind
                pos = max(pos, end)
                continue
        if pos >= n:
            return
        m = match(text, pos)
        if m is None:
            raise SyntaxProblem(f"unexpected character `{text[pos]}`", pos, pos + 1)
        kind = m.lastgroup
        end = m.end()
        if kind == "ws" or kind == "line_comment":
            pos = end
            continue
        if kind == "block_comment":
            close = _block_comment_end(text, pos)
            if close < 0:
                raise SyntaxProblem("unterminated block comment", pos, pos + 2, at_eof=True)
            pos = close
            continue
        if item_start:
            item_start = False
            scanned = _scan_rule(text, pos) if not delims else None
            if scanned is not None:
                plan, after = scanned
                if text.startswith("/", after) and not text.startswith(("//", "/*"), after):
                    pred_open_at = after
                continue
        if kind == "op":
            op = m.group()
            if op == "-" and prev not in _OPERAND_END:
                lit = _NUMBER.match(text, end) or _FLOAT_WORD.match(text, end)
                if lit is not None:
                    tok_type = _number_type(text, pos, lit.end())
                    yield Token(tok_type, text[pos:lit.end()], pos, lit.end(), starts)
                    prev = tok_type
                    pos = lit.end()
                    continue
            if angle and op[0] == ">":
                op = ">"
                end = pos + 1
                angle -= 1
            elif op == "<" and prev == "MAP":
                angle += 1
            if op == "/":
                if pos == pred_open_at:
                    tok_type = "PRED_OPEN"
                    in_pred = True
                elif in_pred and text.startswith("{", _skip_trivia(text, end)):
                    tok_type = "PRED_CLOSE"
                    in_pred = False
                else:
                    tok_type = "SLASH"
            else:
                tok_type = OPERATORS[op]
                if op in _OPENERS:
                    delims.append((op, pos))
                elif op in _CLOSERS:
                    if not delims:
                        raise SyntaxProblem(f"unexpected closing delimiter `{op}`", pos, end)
                    if delims[-1][0] == _CLOSERS[op]:
                        delims.pop()
                    if op == "}" and not delims:
                        item_start = inp.rules
                elif op == ";" and not delims:
                    item_start = inp.rules
            yield Token(tok_type, text[pos:end], pos, end, starts)
            prev = tok_type
            pos = end
            continue
        if kind == "word":
            word = m.group()
            if len(word) > MAX_IDENTIFIER:
                raise SyntaxProblem(f"identifier too long: {len(word)} characters (at most {MAX_IDENTIFIER})", pos, end)
            tok_type = KEYWORDS.get(word, "ID")
            if tok_type == "ID" and word.lower() in _FLOAT_WORDS:
                tok_type = "FLOAT"
        elif kind == "string":
            _, end = decode_string(text, pos)
            tok_type = "STRING"
        elif prev == "DOT":
            # A tuple index: `t.1.0` is t . 1 . 0, never t . (1.0).
            end = _DIGITS.match(text, pos).end()
            if len(text[pos:end].lstrip("0")) > _MAX_DECIMAL_DIGITS:  # int() would refuse 5000 digits
                raise SyntaxProblem("tuple index too large", pos, end)
            tok_type = "INT"
        else:
            tok_type = _number_type(text, pos, end)
        yield Token(tok_type, text[pos:end], pos, end, starts)
        prev = tok_type
        pos = end


def _number_type(text: str, start: int, end: int) -> str:
    """Validate the numeric literal ``text[start:end]`` (§2.3) and return its token type."""
    tail = _IDENT_TAIL.match(text, end)
    if tail is not None:
        raise SyntaxProblem("invalid numeric literal", start, tail.end())
    lit = text[start:end]
    body = lit[1:] if lit[0] == "-" else lit
    radix = body[:2].lower()
    if radix == "0x" or radix == "0b":
        pattern = _HEX if radix == "0x" else _BIN
        ok = lit[0] != "-" and pattern.fullmatch(body) is not None
    elif body[0].isalpha() or "." in body or "e" in body or "E" in body:
        if values.float_literal_overflows(lit):
            raise SyntaxProblem("float literal out of range (its magnitude exceeds the largest f64)", start, end)
        return "FLOAT"
    else:
        ok = True
    if not ok:
        raise SyntaxProblem("invalid numeric literal", start, end)
    if not _INT_MIN <= int_value(lit) <= _INT_MAX:
        raise SyntaxProblem("integer literal out of range (-2^63 to 2^64-1)", start, end)
    return "INT"


#: More significant decimal digits than 2^64 has (20) means out of range; checking the length first
#: keeps a 5000-digit literal away from Python's int-from-string digit limit.
_MAX_DECIMAL_DIGITS = 20


def int_value(lit: str) -> int:
    """The literal's value, or one just past the range for a literal with too many digits to convert."""
    if lit[:2] in ("0x", "0X"):
        return int(lit[2:], 16)
    if lit[:2] in ("0b", "0B"):
        return int(lit[2:], 2)
    negative = lit.startswith("-")
    digits = lit.replace("_", "").lstrip("-").lstrip("0")
    if len(digits) > _MAX_DECIMAL_DIGITS:
        return _INT_MIN - 1 if negative else _INT_MAX + 1
    return -int(digits or "0") if negative else int(digits or "0")
