"""Pygments lexers for the whamm DSL (LANGUAGE.md §2–§12), shell input lines, and WAT.

The shell colours what the user types with :class:`ShellLexer` (a :class:`WhammLexer` that also knows
a leading shell command word) and what it prints with :class:`WatLexer`.  Both are tables of data fed to
pygments' ``RegexLexer``: the keyword sets come from the same places the compiler reads them (the
parser's keywords, the event catalog's bound variables and functions, the opcode table, all through
:mod:`compiler.api`), so a new opcode or bound variable is coloured without touching this module.

Design points:

* **Probe rules are recognised by shape**, as the parser does (LANGUAGE.md §4.1 "Recognising a probe"):
  at the start of a top-level item, 2–4 rule parts separated by ``:`` (each optionally followed by type
  bounds) and followed by ``/``, ``{`` or the end of the input (the user is still typing).  The whole
  rule is one token family — :data:`RULE` for the names and separators, :data:`GLOB` for the glob
  characters — so ``wasm:opcode:br*:before`` reads as one unit.  Inside a statement ``x: u32`` is never
  taken for a rule, because only item starts are tried.
* **States follow the grammar's nesting**: ``root`` (item start), ``statement`` (until ``;`` or a block),
  ``rule`` → ``predicate`` (``/ … /``, where the closing ``/`` is the one followed by ``{``, §4.3) →
  ``block`` (nested ``{ … }``), ``string`` (escapes of §2.4) and ``comment`` (nesting block comments,
  §2.1).  Anything the language cannot contain (a backtick, ``#``, a bad escape) is an ``Error`` token,
  which the tests use to prove every spec example lexes cleanly.
* **WAT**: every instruction name of the opcode table (:func:`compiler.api.instruction_names`) is a ``Keyword``; module
  fields are ``Keyword.Declaration``, value/heap/reference types ``Keyword.Type``; ``$names``, numbers
  (hex floats, ``nan:0x…``), strings, ``;;`` and nested ``(; ;)`` comments.  An unknown bare word is an
  ``Error`` so a test over printed WAT proves the lexer keeps up with the printer.
"""
from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups, default, include, words
from pygments.token import (
    Comment, Error, Keyword, Name, Number, Operator, Punctuation, String, Whitespace,
)

from compiler.api import KEYWORDS, bound_function_names, bound_variable_names, instruction_names
from whamm_shell.splitting import looks_like_script

__all__ = [
    "WhammLexer", "ShellLexer", "WatLexer", "RULE", "GLOB", "BOUND_VAR", "COMMAND",
    "RULE_PART", "RULE_PATTERN", "OPCODE_NAMES",
]

#: Token of probe-rule names and ``:`` separators (one colour for the whole rule).
RULE = Name.Tag
#: Token of the glob characters inside a rule part (``* ? [ ] ! |``).
GLOB = String.Regex
#: Token of compiler-provided (bound) variable names: ``fid``, ``arg0``, ``imm1``, ``effective_addr``.
BOUND_VAR = Name.Builtin.Pseudo
#: Token of the shell command word at the start of a shell line (``run``, ``probe add``).
COMMAND = Keyword.Namespace

#: One rule part (LANGUAGE.md §4.1 part syntax); may be empty (``wasm::br_if:before``).
RULE_PART = r"(?:\[[A-Za-z0-9_.*?!|+\\-]*\]|[A-Za-z0-9_.*?\[\]!|+\\])*"
_BOUNDS = r"(?:\s*\([^()]*\))?"
#: A probe rule: 2–4 parts with optional type bounds after each.
RULE_PATTERN = rf"{RULE_PART}{_BOUNDS}(?:\s*:\s*{RULE_PART}{_BOUNDS}){{1,3}}"

_TYPES = ("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "bool", "str", "funcref",
          "map")
_CONSTANTS = ("true", "false")
_DECLARATIONS = ("var", "fn", "use", "report", "unshared", "shared", "frame")
_RESERVED = ("while",)
_OTHER_KEYWORDS = tuple(sorted(set(KEYWORDS) - set(_TYPES) - set(_CONSTANTS) - set(_DECLARATIONS)
                               - set(_RESERVED)))


def _lookahead(lexer: RegexLexer, match: re.Match[str]):
    """Callback of the zero-width patterns that only switch state: yields no (empty) token."""
    return iter(())


_ESCAPE = r'\\(?:x[0-9A-Fa-f]{2}|u\{[0-9A-Fa-f]{1,6}\}|[nrt"\'\\0])'


class WhammLexer(RegexLexer):
    """The whamm DSL: scripts, probes, statements and expressions as the shell and editors show them."""

    name = "whamm"
    aliases = ["whamm", "mm"]
    filenames = ["*.mm"]
    mimetypes = ["text/x-whamm"]

    #: What may follow a probe rule at an item start for it to count as one.
    _rule_end = r"(?=\s*(?:/|\{|\Z))"

    tokens = {
        "root": [
            include("trivia"),
            (rf"(?={RULE_PATTERN}{_rule_end})", _lookahead, "rule"),
            (r"\{", Punctuation, "block"),
            (r"[;}]", Punctuation),
            default("statement"),
        ],
        "statement": [
            include("trivia"),
            (r";", Punctuation, "#pop"),
            (r"\{", Punctuation, ("#pop", "block")),
            (r"\}", Punctuation, "#pop"),
            include("code"),
        ],
        "rule": [
            (r"[ \t\r\n]+", Whitespace),
            (r"[A-Za-z0-9_.+\\]+", RULE),
            (r"[*?\[\]!|]", GLOB),
            (r":", RULE),
            (r"\(", Punctuation, "bounds"),
            (r"/", Punctuation, ("#pop", "predicate")),
            (r"\{", Punctuation, ("#pop", "block")),
            default("#pop"),
        ],
        "bounds": [
            include("trivia"),
            (r"\)", Punctuation, "#pop"),
            (r"[,:]", Punctuation),
            include("code"),
        ],
        "predicate": [
            include("trivia"),
            (r"/(?=\s*\{)", Punctuation, "#pop"),
            include("code"),
        ],
        "block": [
            include("trivia"),
            (r"\{", Punctuation, "#push"),
            (r"\}", Punctuation, "#pop"),
            include("code"),
        ],
        "trivia": [
            (r"[ \t\r\n]+", Whitespace),
            (r"//[^\n]*", Comment.Single),
            (r"/\*", Comment.Multiline, "comment"),
        ],
        "comment": [
            (r"/\*", Comment.Multiline, "#push"),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"[^/*]+", Comment.Multiline),
            (r"[/*]", Comment.Multiline),
        ],
        "string": [
            (r'"', String.Double, "#pop"),
            (_ESCAPE, String.Escape),
            (r"\\.?", Error),
            (r'[^"\\]+', String.Double),
        ],
        "code": [
            (r'"', String.Double, "string"),
            (r"@[A-Za-z_]\w*", Name.Decorator),
            (r"(fn)(\s+)([A-Za-z_]\w*)", bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (words(_CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(_DECLARATIONS, suffix=r"\b"), Keyword.Declaration),
            (words(_TYPES, suffix=r"\b"), Keyword.Type),
            (words(_RESERVED, suffix=r"\b"), Keyword.Reserved),
            (words(_OTHER_KEYWORDS, suffix=r"\b"), Keyword),
            (r"0[xX][0-9A-Fa-f]+\b", Number.Hex),
            (r"0[bB][01]+\b", Number.Bin),
            (r"\d[\d_]*(?:\.[\d_]*(?:[eE][+-]?\d+)?|[eE][+-]?\d+)", Number.Float),
            (r"\d[\d_]*", Number.Integer),
            (r"(?i)(?:inf(?:inity)?|nan)\b", Number.Float),
            (words(bound_variable_names(), suffix=r"\b"), BOUND_VAR),
            (r"(?:arg|res|imm|local)\d+\b", BOUND_VAR),
            (words(bound_function_names(), suffix=r"\b"), Name.Builtin),
            (r"[A-Za-z_]\w*", Name),
            (r"&&|\|\||==|!=|<=|>=|<<|>>|\+\+|--|->|[-+*/%&|^~!<>=?]", Operator),
            (r"[:;,.()\[\]{}]", Punctuation),
            (r".", Error),
        ],
    }


class ShellLexer(WhammLexer):
    """A shell input line: a command word in front of its arguments, or whamm text typed directly.

    Lines that :func:`~whamm_shell.splitting.looks_like_script` lex exactly as :class:`WhammLexer`.
    Otherwise the first word is :data:`COMMAND` and in the arguments a probe rule may start at any word
    (``probe add wasm:…``, ``match wasm:… / pred /``, ``info wasm:opcode:br*``) and ``--flags`` are
    attributes.
    """

    name = "whamm-shell"
    aliases = ["whamm-shell"]
    filenames = []
    mimetypes = []

    _command_rule_end = r"(?=\s*(?:/|\{|\Z|-))"

    tokens = {
        **WhammLexer.tokens,
        "command": [
            (r"([ \t]*)([A-Za-z_]\w*)", bygroups(Whitespace, COMMAND), "arguments"),
            default("arguments"),
        ],
        "arguments": [
            (r"[ \t\r\n]+", Whitespace),
            (rf"(?={RULE_PATTERN}{_command_rule_end})", _lookahead, "rule"),
            (r"--?[A-Za-z][\w-]*", Name.Attribute),
            include("code"),
        ],
    }

    def get_tokens_unprocessed(self, text: str, stack: tuple[str, ...] = ("root",)):  # type: ignore[override]
        """A line that is not whamm text starts in the ``command`` state, so a command's words are not lexed as
        whamm."""
        if stack == ("root",) and text.strip() and not looks_like_script(text):
            stack = ("command",)
        return super().get_tokens_unprocessed(text, stack)


# ---------------------------------------------------------------------------------------------- WAT

#: Every instruction name of the opcode table (incl. the catalog spellings ``typed_select``,
#: ``ref.test_null``, ``ref.cast_null``).
OPCODE_NAMES: frozenset[str] = instruction_names()

_WAT_FIELDS = (
    "module", "type", "func", "param", "result", "local", "global", "table", "memory", "elem", "data",
    "import", "export", "start", "offset", "item", "declare", "rec", "sub", "final", "struct", "array",
    "field", "tag", "mut", "then", "else", "shared", "pagesize", "definition", "binary", "quote",
)
_WAT_TYPES = (
    "i32", "i64", "f32", "f64", "v128", "i8", "i16",
    "funcref", "externref", "anyref", "eqref", "i31ref", "structref", "arrayref", "exnref", "nullref",
    "nullfuncref", "nullexternref", "nullexnref",
    "func", "extern", "any", "eq", "i31", "exn", "none", "nofunc", "noextern", "noexn",
    "ref", "null", "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2",
)
_WAT_CLAUSES = ("catch", "catch_ref", "catch_all", "catch_all_ref")
#: Placement words of ``(@custom "name" (after data) …)`` annotations (custom-sections proposal).
_WAT_PLACEMENT = ("before", "after", "first", "last", "code", "datacount")
_IDCHARS = r"[0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~]"
_WAT_END = r"(?=[\s()]|;;|\Z)"
_HEX = r"[0-9A-Fa-f](?:_?[0-9A-Fa-f])*"
_DEC = r"\d(?:_?\d)*"
_WAT_NUMBER = (
    rf"[+-]?(?:0x{_HEX}(?:\.(?:{_HEX})?)?(?:[pP][+-]?{_DEC})?"
    rf"|{_DEC}(?:\.(?:{_DEC})?)?(?:[eE][+-]?{_DEC})?"
    rf"|inf|nan(?::0x{_HEX})?)"
)


def _alternation(names: frozenset[str] | tuple[str, ...]) -> str:
    """A regex matching any of ``names`` as a whole WAT word (longest names first)."""
    return "(?:" + "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n))) + ")" + _WAT_END


class WatLexer(RegexLexer):
    """The WebAssembly text format as the WAT printer writes it and as people write fixtures."""

    name = "WebAssembly text"
    aliases = ["wat", "wast"]
    filenames = ["*.wat", "*.wast"]
    mimetypes = ["text/x-wat"]

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r";;[^\n]*", Comment.Single),
            (r"\(;", Comment.Multiline, "comment"),
            (r"\(@" + _IDCHARS + r"+", Name.Decorator),
            (r"[()]", Punctuation),
            (r'\$"', Name.Variable, "quoted_id"),
            (r"\$" + _IDCHARS + r"+", Name.Variable),
            (r'"', String.Double, "string"),
            (r"(offset|align)(=)", bygroups(Name.Attribute, Operator), "attribute"),
            (_alternation(OPCODE_NAMES), Keyword),
            (_alternation(_WAT_CLAUSES), Keyword),
            (_alternation(_WAT_FIELDS), Keyword.Declaration),
            (_alternation(_WAT_TYPES), Keyword.Type),
            (_alternation(_WAT_PLACEMENT), Keyword.Pseudo),
            (_WAT_NUMBER + _WAT_END, Number),
            (_IDCHARS + r"+", Error),
            (r".", Error),
        ],
        "attribute": [
            (_WAT_NUMBER, Number, "#pop"),
            default("#pop"),
        ],
        "comment": [
            (r"\(;", Comment.Multiline, "#push"),
            (r";\)", Comment.Multiline, "#pop"),
            (r"[^(;]+", Comment.Multiline),
            (r"[(;]", Comment.Multiline),
        ],
        "string": [
            (r'"', String.Double, "#pop"),
            (r"\\(?:[0-9A-Fa-f]{2}|u\{[0-9A-Fa-f]+\}|[nrt\"'\\])", String.Escape),
            (r"\\", Error),
            (r'[^"\\]+', String.Double),
        ],
        "quoted_id": [
            (r'"', Name.Variable, "#pop"),
            (r"\\(?:[0-9A-Fa-f]{2}|u\{[0-9A-Fa-f]+\}|[nrt\"'\\])", Name.Variable),
            (r'[^"\\]+', Name.Variable),
            (r"\\", Error),
        ],
    }
