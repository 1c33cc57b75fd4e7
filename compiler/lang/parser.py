"""Parse whamm source text into the AST (LANGUAGE.md §2–§12): ``parse_script`` and friends.

Three pieces, one boundary:

* :func:`_tokens` — a hand-written lexer (one master regex plus a little state) for what a regex
  lexer cannot decide alone: nested block comments, string escapes, negative literals (``-1`` is a
  literal unless it follows an operand, §2.3), ``t.1.0`` (tuple indices, not the float ``1.0``),
  ``map<K, map<..>>`` closing angles, probe-rule parts (recognised by their shape at the start of a
  top-level item, §4.1) and the ``/ predicate /`` delimiters (§4.3).
* ``whamm.lark`` — the LALR(1) grammar.  lark analyses it once per process (tables cached on disk);
  :func:`_drive` runs the automaton and calls :class:`_Builder` on every reduction, so AST nodes are
  built directly, with no intermediate parse tree (``benchmarks/parse.py``).
* :func:`_to_diagnostic` — the one place where lexer, builder and automaton errors become
  :class:`~compiler.lang.diagnostics.Diagnostic` values, raised as
  :class:`~compiler.lang.diagnostics.ScriptError` by the public functions.
"""
from __future__ import annotations

import bisect
import itertools
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from compiler.lang import ast, values
from compiler.lang.diagnostics import Diagnostic, ScriptError, Span, span_at
from compiler.lang.types import UNIT, MapType, Prim, TupleType

__all__ = [
    "parse_script", "structure_errors", "parse_probe", "parse_statement", "parse_expression", "parse_items", "is_complete",
    "STRING_METHODS", "decode_string",
]

#: Methods of ``str`` values (§9.2).  ``x.m(...)`` with a plain name ``x`` is a library call
#: ``Call("x.m")`` unless ``m`` is one of these (then a :class:`~compiler.lang.ast.MethodCall`).
STRING_METHODS = frozenset({"len", "addr", "starts_with", "ends_with", "contains"})

# ------------------------------------------------------------------------------------------- tokens

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
  | (?P<op>&&|\|\||==|!=|<=|>=|<<|>>|\+\+|--|->|[-+*/%&|^~!<>=?:;,.(){}\[\]@])
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
_RULE_PART = re.compile(r"[A-Za-z0-9_.*?\[\]!|+\\]*", re.ASCII)
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


class _Problem(ValueError):
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
class _Input:
    """What the parser hands the lexer: the text, whether probe rules may start items, and the
    delimiters still open when lexing stopped (for the end-of-file message)."""

    text: str
    rules: bool
    line_starts: list[int]
    open_delims: list[tuple[str, int]]


def _line_starts(text: str) -> list[int]:
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
            raise _Problem("unterminated string literal", pos, pos + 1, at_eof=True)
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
                raise _Problem(f"invalid escape \\x{digits.split(chr(34))[0]}", i, i + 2 + len(digits))
            out.append(int(digits, 16))
            i += 4
        elif esc == "u":
            m = _UNICODE_ESCAPE.match(text, i + 2)
            value = int(m.group(1), 16) if m else -1
            if m is None or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                stop = text.find("}", i, i + 12)
                end = stop + 1 if stop >= 0 else i + 2
                raise _Problem(f"invalid escape {text[i:end]}", i, end)
            out += chr(value).encode("utf-8")
            i = m.end()
        elif esc == "":
            raise _Problem("unterminated string literal", pos, pos + 1, at_eof=True)
        else:
            raise _Problem(f"invalid escape \\{esc}", i, i + 2)


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


class _Tok:
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
        starts = self.line_starts
        start, end = self.start, self.end
        line = bisect.bisect_right(starts, start)
        col = start - starts[line - 1] + 1
        if "\n" in self.value:
            end_line = bisect.bisect_right(starts, end)
            return Span(start, end, line, col, end_line, end - starts[end_line - 1] + 1)
        return Span(start, end, line, col, line, col + (end - start))

    def __repr__(self) -> str:
        return f"_Tok({self.type}, {self.value!r})"


def _tokens(inp: _Input) -> Iterator[_Tok]:
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
                yield _Tok(kind, text[start:end], start, end, starts)
                prev = kind
                pos = max(pos, end)
                continue
        if pos >= n:
            return
        m = match(text, pos)
        if m is None:
            raise _Problem(f"unexpected character `{text[pos]}`", pos, pos + 1)
        kind = m.lastgroup
        end = m.end()
        if kind == "ws" or kind == "line_comment":
            pos = end
            continue
        if kind == "block_comment":
            close = _block_comment_end(text, pos)
            if close < 0:
                raise _Problem("unterminated block comment", pos, pos + 2, at_eof=True)
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
                    yield _Tok(tok_type, text[pos:lit.end()], pos, lit.end(), starts)
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
                        raise _Problem(f"unexpected closing delimiter `{op}`", pos, end)
                    if delims[-1][0] == _CLOSERS[op]:
                        delims.pop()
                    if op == "}" and not delims:
                        item_start = inp.rules
                elif op == ";" and not delims:
                    item_start = inp.rules
            yield _Tok(tok_type, text[pos:end], pos, end, starts)
            prev = tok_type
            pos = end
            continue
        if kind == "word":
            word = m.group()
            if len(word) > MAX_IDENTIFIER:
                raise _Problem(f"identifier too long: {len(word)} characters (at most {MAX_IDENTIFIER})", pos, end)
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
                raise _Problem("tuple index too large", pos, end)
            tok_type = "INT"
        else:
            tok_type = _number_type(text, pos, end)
        yield _Tok(tok_type, text[pos:end], pos, end, starts)
        prev = tok_type
        pos = end


def _number_type(text: str, start: int, end: int) -> str:
    """Validate the numeric literal ``text[start:end]`` (§2.3) and return its token type."""
    tail = _IDENT_TAIL.match(text, end)
    if tail is not None:
        raise _Problem("invalid numeric literal", start, tail.end())
    lit = text[start:end]
    body = lit[1:] if lit[0] == "-" else lit
    radix = body[:2].lower()
    if radix == "0x" or radix == "0b":
        pattern = _HEX if radix == "0x" else _BIN
        ok = lit[0] != "-" and pattern.fullmatch(body) is not None
    elif body[0].isalpha() or "." in body or "e" in body or "E" in body:
        if values.float_literal_overflows(lit):
            raise _Problem("float literal out of range (its magnitude exceeds the largest f64)", start, end)
        return "FLOAT"
    else:
        ok = True
    if not ok:
        raise _Problem("invalid numeric literal", start, end)
    if not _INT_MIN <= _int_value(lit) <= _INT_MAX:
        raise _Problem("integer literal out of range (-2^63 to 2^64-1)", start, end)
    return "INT"


#: More significant decimal digits than 2^64 has (20) means out of range; checking the length first
#: keeps a 5000-digit literal away from Python's int-from-string digit limit.
_MAX_DECIMAL_DIGITS = 20


def _int_value(lit: str) -> int:
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


# ------------------------------------------------------------------------------------ AST building

def _cover(first: ast.Node | _Tok, last: ast.Node | _Tok) -> Span:
    a = first.span
    b = last.span
    return Span(a.start, b.end, a.line, a.column, b.end_line, b.end_column)


def _fail(message: str, span: Span) -> _Problem:
    return _Problem(message, span.start, span.end, span=span)


_PRIMS = {p.value: p for p in Prim}


class _Builder:
    """lark callbacks, one per grammar rule/alias; each builds one AST node from its children.

    Children are tokens (every terminal is kept) and already-built nodes; ``[optional]`` parts
    arrive as None.  Only shape is built here; meaning is the checker's business.
    """

    # ---- entry points
    def script(self, c: list) -> list:
        return c

    def probe_start(self, c: list) -> ast.Probe:
        return c[0]

    def stmt_start(self, c: list) -> ast.Stmt:
        return c[0]

    def expr_start(self, c: list) -> ast.Expr:
        return c[0]

    # ---- script level
    def use_decl(self, c: list) -> ast.Use:
        return ast.Use(c[1].value, c[1].span, _cover(c[0], c[2]))

    def params(self, c: list) -> tuple:
        return tuple(c[0::2])

    def param(self, c: list) -> ast.Param:
        return ast.Param(c[0].value, c[2], c[0].span, _cover(c[0], c[2]))

    def fn_def(self, c: list) -> ast.FnDef:
        # FN ID LPAR params? RPAR [ARROW type] block
        return ast.FnDef(c[1].value, c[3] or (), c[6], c[7], c[1].span, _cover(c[0], c[7]))

    # ---- probes
    def probe(self, c: list) -> ast.Probe:
        # probe_rule [PRED_OPEN expr PRED_CLOSE] block
        return ast.Probe(c[0], c[2], c[4], _cover(c[0], c[4]))

    def probe_rule(self, c: list) -> ast.ProbeRule:
        parts = tuple(p for p, _ in c[0::2])
        span = _cover(c[0][0], c[-1][1])
        if len(parts) > 4:
            raise _fail("a probe rule has at most 4 parts (provider:package:event:mode)", span)
        if len(parts) == 2 and not (parts[0].pattern and parts[1].pattern):
            raise _fail("both parts of a 2-part probe rule must be present", span)
        return ast.ProbeRule(parts, span)

    def rule_part(self, c: list) -> tuple[ast.RulePart, object]:
        tok, bounds = c
        part = ast.RulePart(tok.value, bounds[0] if bounds else (), tok.span)
        return part, (bounds[1] if bounds else tok)

    def bounds(self, c: list) -> tuple[tuple[ast.TypeBound, ...], _Tok]:
        return tuple(c[1:-1:2]), c[-1]

    def bound(self, c: list) -> ast.TypeBound:
        return ast.TypeBound(c[0].value, c[2], _cover(c[0], c[2]))

    # ---- statements
    def block(self, c: list) -> ast.Block:
        return ast.Block(tuple(c[1:-1]), _cover(c[0], c[-1]))

    def var_decl(self, c: list) -> ast.VarDecl:
        k = 0
        while c[k].type != "VAR":
            k += 1
        name = c[k + 1]
        return ast.VarDecl(tuple(t.value for t in c[:k]), name.value, c[k + 3], c[k + 5],
                           name.span, _cover(c[0], c[-1]))

    def assign(self, c: list) -> ast.Assign:
        target = c[0]
        if not _is_target(target, tuples=True):
            raise _fail("invalid assignment target (expected a variable, `m[k]` or `t.N`)", target.span)
        return ast.Assign(target, c[2], _cover(target, c[-1]))

    def incdec(self, c: list) -> ast.IncDec:
        target = c[0]
        if not _is_target(target, tuples=False):
            raise _fail(f"`{c[1].value}` needs a variable or a map element `m[k]`", target.span)
        return ast.IncDec(target, c[1].value, _cover(target, c[-1]))

    def call_stmt(self, c: list) -> ast.CallStmt:
        call = c[0]
        if isinstance(call, (ast.Call, ast.MethodCall)):
            return ast.CallStmt(call, _cover(call, c[1]))
        if _is_target(call, tuples=True):
            raise _fail("expected `=`, `++` or `--`, found `;`", c[1].span)
        raise _fail("expected a statement, found an expression (only calls can stand alone)", call.span)

    def return_stmt(self, c: list) -> ast.Return:
        return ast.Return(c[1], _cover(c[0], c[2]))

    def if_stmt(self, c: list) -> ast.If:
        # IF LPAR expr RPAR block elif_branch* [ELSE block]
        elifs = tuple(c[5:-2])
        orelse = c[-1]
        return ast.If(c[2], c[4], elifs, orelse, _cover(c[0], orelse or (elifs[-1] if elifs else c[4])))

    def elif_branch(self, c: list) -> ast.Elif:
        return ast.Elif(c[2], c[4], _cover(c[0], c[4]))

    # ---- types
    def prim_type(self, c: list) -> ast.TypeRef:
        tok = c[0]
        prim = _PRIMS.get(tok.value)
        if prim is None:
            raise _fail(f"unknown type `{tok.value}`", tok.span)
        return ast.TypeRef(prim, tok.span)

    def map_type(self, c: list) -> ast.TypeRef:
        return ast.TypeRef(MapType(c[2].type, c[4].type), _cover(c[0], c[5]))

    def unit_type(self, c: list) -> ast.TypeRef:
        return ast.TypeRef(UNIT, _cover(c[0], c[1]))

    def tuple_type(self, c: list) -> ast.TypeRef:
        elems = c[1:-1:2]
        if len(elems) == 1:       # `(T)` is just T in parentheses
            return ast.TypeRef(elems[0].type, _cover(c[0], c[-1]))
        return ast.TypeRef(TupleType(tuple(e.type for e in elems)), _cover(c[0], c[-1]))

    # ---- expressions
    def ternary(self, c: list) -> ast.Ternary:
        return ast.Ternary(c[0], c[2], c[4], _cover(c[0], c[4]))

    def binary(self, c: list) -> ast.Binary:
        left, op, right = c
        return ast.Binary(op.value, left, right, _cover(left, right))

    def unary(self, c: list) -> ast.Unary:
        return ast.Unary(c[0].value, c[1], _cover(c[0], c[1]))

    def cast(self, c: list) -> ast.Cast:
        return ast.Cast(c[0], c[2], _cover(c[0], c[2]))

    def field(self, c: list) -> ast.Field:
        return ast.Field(c[0], int(c[2].value), _cover(c[0], c[2]))

    def method_call(self, c: list) -> ast.Expr:
        # postfix DOT ID LPAR [args] RPAR
        receiver, method, args = c[0], c[2].value, c[4] or ()
        span = _cover(receiver, c[5])
        if isinstance(receiver, ast.Name) and method not in STRING_METHODS:
            return ast.Call(f"{receiver.id}.{method}", args, None, span)
        return ast.MethodCall(receiver, method, args, span)

    def index(self, c: list) -> ast.Index:
        return ast.Index(c[0], c[2], _cover(c[0], c[3]))

    def int_lit(self, c: list) -> ast.IntLit:
        tok = c[0]
        text = tok.value
        value = -_int_value(text[1:]) if text[0] == "-" else _int_value(text)
        return ast.IntLit(value, text, tok.span)

    def float_lit(self, c: list) -> ast.FloatLit:
        tok = c[0]
        return ast.FloatLit(float(tok.value.replace("_", "")), tok.value, tok.span)

    def str_lit(self, c: list) -> ast.StrLit:
        tok = c[0]
        return ast.StrLit(decode_string(tok.value)[0], tok.span)

    def true_lit(self, c: list) -> ast.BoolLit:
        return ast.BoolLit(True, c[0].span)

    def false_lit(self, c: list) -> ast.BoolLit:
        return ast.BoolLit(False, c[0].span)

    def name(self, c: list) -> ast.Name:
        return ast.Name(c[0].value, c[0].span)

    def call(self, c: list) -> ast.Call:
        return ast.Call(c[0].value, c[2] or (), None, _cover(c[0], c[3]))

    def annotated_call(self, c: list) -> ast.Call:
        # AT ID ID [DOT ID] LPAR [args] RPAR
        at, ann = c[0], c[1]
        if ann.value not in ast.ANNOTATIONS:
            raise _fail(f"unknown annotation @{ann.value} (expected @static or @init)", _cover(at, ann))
        target = f"{c[2].value}.{c[4].value}" if c[3] is not None else c[2].value
        return ast.Call(target, c[6] or (), ann.value, _cover(at, c[7]))

    def paren(self, c: list) -> ast.Expr:
        return c[1]

    def unit_lit(self, c: list) -> ast.TupleLit:
        return ast.TupleLit((), _cover(c[0], c[1]))

    def tuple_lit(self, c: list) -> ast.TupleLit:
        return ast.TupleLit(tuple(c[1:-1:2]), _cover(c[0], c[-1]))

    def args(self, c: list) -> tuple:
        return tuple(c[0::2])


def _is_target(node: ast.Node, tuples: bool) -> bool:
    """§5 targets: ``ID``, ``ID[expr]`` and (for ``=``) ``ID(.INT)+``."""
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Index):
        return isinstance(node.map, ast.Name)
    if tuples and isinstance(node, ast.Field):
        while isinstance(node, ast.Field):
            node = node.tuple
        return isinstance(node, ast.Name)
    return False


# --------------------------------------------------------------------------------- the lark parser

_STARTS = ("script", "probe_start", "stmt_start", "expr_start")


class _Unexpected(Exception):
    """The LALR driver met a token no action accepts; ``states`` is the automaton's stack then."""

    def __init__(self, token: _Tok, previous: _Tok | None, states: list[int], end_state: int):
        super().__init__(token.type)
        self.token = token
        self.previous = previous
        self.states = states
        self.end_state = end_state

    def expected(self) -> set[str]:
        """The terminals that the parser would really accept here.

        LALR merges lookaheads of similar states and reduces by default, so the row of the state
        where the error surfaced lists terminals that only fit in *other* contexts (after ``x = 1``
        it would offer `)` and `]`).  Simulating each terminal on a copy of the stack gives the exact
        set, which is what "expected ..." must name.
        """
        tables = _get_tables()
        return {t for t in tables.terminals
                if _accepts(tables.actions, self.states, self.end_state, t)}


def _accepts(actions: dict[int, dict[str, tuple[bool, object]]], states: list[int], end_state: int,
             terminal: str) -> bool:
    """Would the automaton with stack ``states`` shift ``terminal`` (or, for ``$END``, accept)?"""
    stack = list(states)
    while True:
        act = actions[stack[-1]].get(terminal)
        if act is None:
            return False
        if act[0]:
            return True
        size, _, origin = act[1]  # type: ignore[misc]
        del stack[len(stack) - (1 if size < 0 else size):]
        goto = actions[stack[-1]].get(origin)
        if goto is None:
            return False
        stack.append(goto[1])  # type: ignore[arg-type]
        if stack[-1] == end_state:
            return terminal == "$END"


class _Tables:
    """lark's LALR tables and rule callbacks, re-keyed for :func:`_drive`.

    lark builds and analyses the grammar (and wraps our :class:`_Builder` methods with its
    ``?rule``/``[optional]`` shaping); we run the automaton ourselves.  This is the named fast path of
    the parser: lark's own loop spends most of its time in ``Token``/``Rule`` equality on dictionary
    lookups, and our loop with plain-string keys and precomputed reductions runs about twice as fast
    (``benchmarks/parse.py``).
    """

    def __init__(self) -> None:
        from lark import Lark  # lazily: importing lark is most of the cost of building the tables
        from lark.parsers.lalr_analysis import Shift

        # cache=True: lark keeps the analysed tables in a temporary file keyed by the grammar's hash,
        # so later processes load them (~15 ms) instead of recomputing them (~70 ms).
        lark = Lark.open(str(Path(__file__).with_name("whamm.lark")), parser="lalr", lexer="basic",
                         start=list(_STARTS), transformer=_Builder(), maybe_placeholders=True,
                         cache=True)
        lalr = lark.parser.parser
        table = lalr._parse_table
        callbacks = lalr.parser.callbacks
        self.start_states: dict[str, int] = dict(table.start_states)
        self.end_states: dict[str, int] = dict(table.end_states)
        reductions: dict[int, tuple[int, object, str]] = {}
        self.actions: dict[int, dict[str, tuple[bool, object]]] = {}
        for state, row in table.states.items():
            out: dict[str, tuple[bool, object]] = {}
            for symbol, (action, arg) in row.items():
                if action is Shift:
                    out[str(symbol)] = (True, arg)
                else:
                    red = reductions.get(id(arg))
                    if red is None:
                        size = len(arg.expansion)
                        # `?rule: x` with one symbol just passes x up: no call, no stack shuffling.
                        passthrough = size == 1 and arg.options.expand1 and arg.alias is None
                        red = (-1 if passthrough else size, callbacks[arg], str(arg.origin.name))
                        reductions[id(arg)] = red
                    out[str(symbol)] = (False, red)
            self.actions[state] = out
        self.terminals = sorted({t for row in self.actions.values() for t in row if t.isupper()})
        self.gotos: dict[int, dict[str, int]] = {
            state: {sym: arg for sym, (_, arg) in row.items() if not sym.isupper()}  # type: ignore[misc]
            for state, row in self.actions.items()}
        #: Memo for runs of pass-through reductions: (state below, top state, lookahead) → new top.
        self.chains: dict[tuple[int, int, str], int] = {}

    def chain(self, below: int, top: int, lookahead: str) -> int:
        """The top state after every pass-through reduction (``?rule: x``) that ``lookahead``
        triggers from ``top``.  Each such reduction pops one state and pushes the goto from
        ``below``, so the run depends only on these three values: in an expression an operand climbs
        ten precedence levels this way, which the driver then does in one dictionary lookup."""
        cur = self.gotos[below][self.actions[top][lookahead][1][2]]  # type: ignore[index]
        while True:
            act = self.actions[cur].get(lookahead)
            if act is None or act[0] or act[1][0] >= 0:  # type: ignore[index]
                return cur
            cur = self.gotos[below][act[1][2]]  # type: ignore[index]


_tables: _Tables | None = None


def _get_tables() -> _Tables:
    """The parser tables, built on first use (building costs more than parsing a long script)."""
    global _tables
    if _tables is None:
        _tables = _Tables()
    return _tables


def _drive(tokens: Iterator[_Tok], start: str, eof: _Tok) -> object:
    """Run the LALR(1) automaton over ``tokens``, calling the builder on every reduction."""
    tables = _get_tables()
    actions = tables.actions
    gotos = tables.gotos
    chains = tables.chains
    end_state = tables.end_states[start]
    states = [tables.start_states[start]]
    values: list[object] = []
    prev: _Tok | None = None
    for tok in itertools.chain(tokens, (eof,)):
        ttype = tok.type
        while True:
            top = states[-1]
            act = actions[top].get(ttype)
            if act is None or (act[0] and tok is eof):
                raise _Unexpected(tok, prev, states, end_state)
            shift, arg = act
            if shift:
                states.append(arg)  # type: ignore[arg-type]
                values.append(tok)
                prev = tok
                break
            size, callback, origin = arg  # type: ignore[misc]
            if size < 0:
                key = (states[-2], top, ttype)
                nxt = chains.get(key)
                if nxt is None:
                    nxt = chains[key] = tables.chain(states[-2], top, ttype)
                states[-1] = nxt
                continue
            if size:
                children = values[-size:]
                del states[-size:]
                del values[-size:]
            else:
                children = []
            values.append(callback(children))
            states.append(gotos[states[-1]][origin])
            if states[-1] == end_state:
                return values[-1]
    raise AssertionError("the automaton ended without accepting")  # $END always resolves above


# ------------------------------------------------------------------------------ errors, in words

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
}
# Listing order of single terminals in "expected ..." (closers and separators first).
_ORDER = {t: i for i, t in enumerate((
    "SEMI", "RPAR", "RBRACE", "RSQB", "COMMA", "COLON", "PRED_CLOSE", "GT", "ASSIGN", "INC", "DEC",
    "LBRACE", "PRED_OPEN", "ARROW", "LPAR", "ID", "ELIF", "ELSE", "VAR"))}


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


def _found_words(tok: _Tok) -> str:
    if tok.type in KEYWORDS.values():
        return f"keyword `{tok.value}`"
    if tok.type == "RULE_PART" and not tok.value:
        return "an empty rule part"
    text = tok.value if len(tok.value) <= 24 else tok.value[:21] + "..."
    return f"`{text}`"


def _eof_span(text: str) -> Span:
    """Where "unexpected end of file" points: just past the last non-blank character."""
    end = len(text.rstrip())
    return span_at(text, end, end)


def _to_diagnostic(exc: Exception, inp: _Input) -> tuple[Diagnostic, bool]:
    """Convert a lexer/builder problem or a lark error to one Diagnostic; the flag is "input ended
    too early" (more text could complete it)."""
    text = inp.text
    if isinstance(exc, _Problem):
        span = exc.span or span_at(text, exc.start, exc.end)
        return Diagnostic.error(exc.message, span), exc.at_eof
    assert isinstance(exc, _Unexpected)
    tok = exc.token
    if tok.type == "$END":
        note = None
        if inp.open_delims:
            ch, pos = inp.open_delims[-1]
            where = span_at(text, pos, pos + 1)
            note = f"unclosed `{ch}` opened at {where.line}:{where.column}"
        return Diagnostic.error("unexpected end of file", _eof_span(text), note=note), True
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


def _run(inp: _Input, start: str) -> object:
    end = len(inp.text)
    eof = _Tok("$END", "", end, end, inp.line_starts)
    return _drive(_tokens(inp), start, eof)


def _parse(text: str, start: str, rules: bool, filename: str) -> object:
    inp = _Input(text, rules, _line_starts(text), [])
    try:
        result = _run(inp, start)
    except (_Problem, _Unexpected) as exc:
        diag, _ = _to_diagnostic(exc, inp)
        raise ScriptError([diag], text, filename) from None
    too_deep = _nesting_errors(result if isinstance(result, (list, tuple)) else [result])
    if too_deep:
        raise ScriptError(too_deep, text, filename)
    return result


#: How many AST levels an item may nest (every block, statement, operator, cast, call and parenthesised
#: tuple is a level): 1000 terms in one `+` chain, ~500 nested `if`s.  Every stage after the parser (the
#: checker, folder, printer, both code generators) walks the tree recursively; the parser, being a loop,
#: is the one place that can refuse deeper input with a location.  tests/lang/test_limits.py runs scripts
#: exactly at the limit through `whamm run` and both targets, and :data:`RECURSION_LIMIT` is what they need.
MAX_NESTING = 1000
#: Python's default limit (1000 frames) is below what the tree walks need at :data:`MAX_NESTING`: the
#: deepest uses about 4 frames per level (a `+` chain through the checker), so twice that plus headroom
#: for the frames below the walk (CLI, API, runner).  Set when the parser is imported, i.e. before any
#: tree exists; Python 3.11 runs Python-to-Python calls without C recursion, so the C stack is not the
#: limit at this depth.
RECURSION_LIMIT = 8 * MAX_NESTING + 2000
sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))


def _nesting_errors(roots: Sequence[object]) -> list[Diagnostic]:
    """For each root nested more than :data:`MAX_NESTING` levels, a "nesting too deep" diagnostic at
    its first node past the limit (iterative: this check must not itself recurse)."""
    errors = []
    for root in roots:
        stack = [(root, 1)] if isinstance(root, ast.Node) else []
        while stack:
            node, depth = stack.pop()
            if depth > MAX_NESTING:
                at = node.span
                errors.append(Diagnostic.error(
                    f"nesting too deep: more than {MAX_NESTING} levels",
                    Span(at.start, at.start + 1, at.line, at.column, at.line, at.column + 1),
                    note=f"each block, statement and operator is a level; at most {MAX_NESTING} are allowed"))
                break
            stack.extend((child, depth + 1) for child in reversed(list(ast.children(node))))
    return errors


# ------------------------------------------------------------------------------------- public API

_SCRIPT_LEVEL_STMTS = (ast.VarDecl, ast.Assign, ast.IncDec, ast.CallStmt)


def parse_script(text: str, filename: str = "<script>") -> ast.Script:
    """Parse a whole ``.mm`` script.  Raises :class:`ScriptError` with the first syntax error, or with
    every structural error of §3 (:func:`structure_errors`).
    """
    items = tuple(_parse(text, "script", True, filename))  # type: ignore[arg-type]
    diags = structure_errors(items, text)
    if diags:
        raise ScriptError(diags, text, filename)
    return ast.Script(items, span_at(text, 0, len(text)) if items else span_at(text, 0, 0))


def structure_errors(items: Sequence[ast.Item], text: str) -> list[Diagnostic]:
    """The structural rules of LANGUAGE.md §3 over a script's items: at least one probe, ``use``
    before the first probe, only declarations, assignments and calls at script level.  Shared by
    :func:`parse_script` and the checker, which also sees scripts the shell assembles item by item."""
    diags: list[Diagnostic] = []
    seen_probe = False
    for item in items:
        if isinstance(item, ast.Probe):
            seen_probe = True
        elif isinstance(item, ast.Use):
            if seen_probe:
                diags.append(Diagnostic.error("'use' must appear before the first probe", item.span))
        elif isinstance(item, ast.Stmt) and not isinstance(item, _SCRIPT_LEVEL_STMTS):
            diags.append(Diagnostic.error(
                "only declarations, assignments and calls are allowed at script level", item.span))
    if not seen_probe and not diags:
        diags.append(Diagnostic.error("a script must contain at least one probe", _eof_span(text)))
    return diags


def parse_items(text: str, filename: str = "<input>") -> tuple[ast.Item, ...]:
    """Parse a sequence of top-level items without the whole-script rules (for the shell, which builds
    a script piece by piece)."""
    return tuple(_parse(text, "script", True, filename))  # type: ignore[arg-type]


def parse_probe(text: str, filename: str = "<input>") -> ast.Probe:
    """Parse exactly one probe (rule, optional predicate, body)."""
    return _parse(text, "probe_start", True, filename)  # type: ignore[return-value]


def parse_statement(text: str, filename: str = "<input>") -> ast.Stmt:
    """Parse exactly one statement (including its ``;``, or an ``if`` chain)."""
    return _parse(text, "stmt_start", False, filename)  # type: ignore[return-value]


def parse_expression(text: str, filename: str = "<input>") -> ast.Expr:
    """Parse exactly one expression."""
    return _parse(text, "expr_start", False, filename)  # type: ignore[return-value]


_COMPLETE_STARTS: dict[str, tuple[str, bool]] = {
    "script": ("script", True), "probe": ("probe_start", True),
    "statement": ("stmt_start", False), "expression": ("expr_start", False),
}


def is_complete(text: str, kind: str = "script") -> bool:
    """False while ``text`` could still become valid by appending more (open braces or parentheses,
    an unterminated string or comment, input ending mid-construct); True when it parses or has an
    error that more input cannot fix.  ``kind`` is ``script`` (items), ``probe``, ``statement`` or
    ``expression``.  The shell uses this to decide whether to read a continuation line.
    """
    start, rules = _COMPLETE_STARTS[kind]
    inp = _Input(text, rules, _line_starts(text), [])
    try:
        _run(inp, start)
    except (_Problem, _Unexpected) as exc:
        return not _to_diagnostic(exc, inp)[1]
    return True
