"""The LALR(1) automaton for ``whamm.lark``, run by our own loop.

lark analyses the grammar once per process (tables cached on disk) and wraps :class:`Builder`'s
callbacks; :func:`drive` runs the automaton over the lexer's tokens.  It is a module of its own because
it is the parser's named fast path (about twice lark's own loop, ``benchmarks/parse.py``) and because
error messages need the automaton's state: :class:`UnexpectedToken` can say exactly which terminals
would have been accepted.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Iterator

from compiler.lang.ast_builder import Builder
from compiler.lang.lexer import Token

__all__ = ["STARTS", "UnexpectedToken", "parser_tables", "drive"]


STARTS = ("script", "probe_start", "stmt_start", "expr_start")


class UnexpectedToken(Exception):
    """The LALR driver met a token no action accepts; ``states`` is the automaton's stack then."""

    def __init__(self, token: Token, previous: Token | None, states: list[int], end_state: int):
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
        tables = parser_tables()
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
    """lark's LALR tables and rule callbacks, re-keyed for :func:`drive`.

    lark builds and analyses the grammar (and wraps our :class:`Builder` methods with its
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
                         start=list(STARTS), transformer=Builder(), maybe_placeholders=True,
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


def parser_tables() -> _Tables:
    """The parser tables, built on first use (building costs more than parsing a long script)."""
    global _tables
    if _tables is None:
        _tables = _Tables()
    return _tables


def drive(tokens: Iterator[Token], start: str, eof: Token) -> object:
    """Run the LALR(1) automaton over ``tokens``, calling the builder on every reduction."""
    tables = parser_tables()
    actions = tables.actions
    gotos = tables.gotos
    chains = tables.chains
    end_state = tables.end_states[start]
    states = [tables.start_states[start]]
    values: list[object] = []
    prev: Token | None = None
    for tok in itertools.chain(tokens, (eof,)):
        ttype = tok.type
        while True:
            top = states[-1]
            act = actions[top].get(ttype)
            if act is None or (act[0] and tok is eof):
                raise UnexpectedToken(tok, prev, states, end_state)
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
