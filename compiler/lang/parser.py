"""Parse whamm source text into the AST (LANGUAGE.md §2–§12): ``parse_script`` and friends.

The public entry points of the front end's first stage.  The work is done by four modules, one idea
each, in the order text flows through them:

* :mod:`compiler.lang.lexer` — characters to tokens (comments, strings, negative literals, rule parts);
* :mod:`compiler.lang.lalr` — the LALR(1) automaton for ``whamm.lark``, run by our own loop;
* :mod:`compiler.lang.ast_builder` — one callback per grammar rule, building AST nodes directly;
* :mod:`compiler.lang.syntax_errors` — every lexer, builder or automaton problem in words, as a
  :class:`~compiler.lang.diagnostics.Diagnostic`.

This module adds what concerns whole inputs: the nesting limit, the structural rules of §3, and
:func:`is_complete` for the shell's continuation lines.
"""
from __future__ import annotations

import sys
from typing import Sequence

from compiler.lang import ast
from compiler.lang.ast_builder import STRING_METHODS
from compiler.lang.diagnostics import Diagnostic, ScriptError, Span, span_at
from compiler.lang.lalr import UnexpectedToken, drive
from compiler.lang.lexer import MAX_IDENTIFIER, LexInput, SyntaxProblem, Token, decode_string, line_starts, tokenize
from compiler.lang.syntax_errors import eof_span, to_diagnostic

__all__ = [
    "parse_script", "structure_errors", "parse_probe", "parse_statement", "parse_expression", "parse_items", "is_complete",
    "STRING_METHODS", "decode_string", "MAX_IDENTIFIER", "MAX_NESTING",
]


def _run(inp: LexInput, start: str) -> object:
    """Tokenize and drive the automaton from ``start`` (lexer and automaton errors propagate)."""
    end = len(inp.text)
    eof = Token("$END", "", end, end, inp.line_starts)
    return drive(tokenize(inp), start, eof)


def _parse(text: str, start: str, rules: bool, filename: str) -> object:
    """Parse ``text`` from ``start``; a syntax or nesting error becomes a :class:`ScriptError`."""
    inp = LexInput(text, rules, line_starts(text), [])
    try:
        result = _run(inp, start)
    except (SyntaxProblem, UnexpectedToken) as exc:
        diag, _ = to_diagnostic(exc, inp)
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

_SCRIPT_LEVEL_STMTS = (ast.VarDecl, ast.Assign, ast.CompoundAssign, ast.IncDec, ast.CallStmt)


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
        diags.append(Diagnostic.error("a script must contain at least one probe", eof_span(text)))
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
    inp = LexInput(text, rules, line_starts(text), [])
    try:
        _run(inp, start)
    except (SyntaxProblem, UnexpectedToken) as exc:
        return not to_diagnostic(exc, inp)[1]
    return True
