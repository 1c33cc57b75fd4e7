"""Tab completion for the shell (SHELL.md "Interaction quality"), as prompt_toolkit completers.

:class:`ShellCompleter` is the one the prompt uses.  It completes command words from the
:class:`~whamm_shell.commands.Registry` (first words, then a group's sub-commands: ``probe a`` →
``add``), hands whamm text typed directly to a :class:`ProbeCompleter`, and otherwise hands the
*argument text* of the resolved command to that command's own ``complete`` completer, which sees a
document holding only the arguments.  The building blocks for those per-command completers live here too:

* :class:`ProbeCompleter` — probes (``probe add``, ``match``, ``info`` and typed probes): rule parts one
  at a time (``wasm:``/``wasi:`` → packages → the 310 opcode events or the 45 ``wasi:p1`` WASI
  functions → modes valid for the events the earlier
  parts match, globs allowed there), then inside ``/ predicate /`` and ``{ body }`` the bound variables
  in scope for the rule being typed plus the declared globals; inside a string literal the application's
  function names (for ``fname == "…"``);
* :class:`WordsCompleter` — a word list from a callable plus ``--options`` (report variables, function
  names and indices);
* :class:`ProbeNumberCompleter` — the probe numbers a command can take (``probe enable`` → the disabled
  ones), with each probe's first line;
* :class:`ChoiceCompleter` — a keyword, then a completer chosen by it (``set stdin FILE``);
* :class:`HelpCompleter` — ``help`` topics (the registry's command words);
* :func:`paths` — file names.

Completers get *callables*, not state (STYLE.md §4): the session passes ``lambda: names`` and the
completer calls it on every keystroke, so completion always reflects the current session.

Bound variables for a rule with globs use the **intersection** over the matched (event, mode) pairs: the
checker checks every expansion of a probe separately, so a name is only offered when every matched event
binds it (``wasm:opcode:br*:before`` offers ``fid`` and ``pc`` but not ``arg0``, which ``br`` lacks).
``resN`` is left out of modes other than ``after``, and engine-only variables (``probe_id``) are left
out, both being errors for the rewriting target.  Families (``argN``, ``localN``) are shown as such and
insert their stem (``arg``), the index being the user's to type.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence, Union

from prompt_toolkit.completion import Completer, Completion, DummyCompleter, PathCompleter
from prompt_toolkit.document import Document

from compiler.api import rule_completions, rule_scope
from whamm_shell.commands import CommandError, Registry
from whamm_shell.splitting import looks_like_script, open_state

if TYPE_CHECKING:
    from prompt_toolkit.completion import CompleteEvent

__all__ = [
    "Word", "NO_VALUE", "ShellCompleter", "ProbeCompleter", "WordsCompleter", "ProbeNumberCompleter",
    "ChoiceCompleter", "HelpCompleter",
    "paths", "function_words", "rule_completions", "rule_scope",
]

#: The value completer of an option whose value cannot be completed (``--top K``, ``--around PC``).
NO_VALUE: Completer = DummyCompleter()

#: A completion candidate: its text, or (text, meta) where meta is shown beside it in the menu.
Word = Union[str, tuple[str, str]]


def _nothing() -> tuple:
    return ()


def _requested_or_typed(prefix: str, event: CompleteEvent) -> bool:
    """Offer a whole list only on Tab: while typing, an empty prefix would pop a menu at every blank."""
    return bool(prefix) or event.completion_requested


# --------------------------------------------------------------------------------- command words

def _command_word_completions(registry: Registry, before: str) -> list[Completion] | None:
    """Completions while the cursor is in the command words of ``before``; None once it is in the
    arguments (the caller resolves the command and completes them)."""
    words = before.split()
    trailing = before[-1:].isspace()
    if not words or (len(words) == 1 and not trailing):
        prefix = words[0] if words else ""
        out = []
        for word in registry.first_words():
            if word.startswith(prefix):
                out.append(Completion(word, -len(prefix), display_meta=_word_meta(registry, word)))
        return out
    w1 = words[0]
    exact = registry.get(w1)
    if exact is None or len(exact.words) == 2:
        groups = registry.groups_for(w1)
        typing_sub = (len(words) == 1 and trailing) or (len(words) == 2 and not trailing)
        if groups and typing_sub:
            prefix = words[1] if len(words) == 2 else ""
            out = []
            for g in groups:
                for sub in registry.subcommands(g):
                    if sub.startswith(prefix):
                        c = registry.get(f"{g} {sub}")
                        out.append(Completion(sub, -len(prefix), display_meta=c.summary if c else ""))
            return out
    return None


def _word_meta(registry: Registry, word: str) -> str:
    c = registry.get(word)
    if c is not None:
        return c.summary
    subs = registry.subcommands(word)
    return f"{word} {'|'.join(subs)}" if subs else ""


class ShellCompleter(Completer):
    """The prompt's completer: command words, then the resolved command's argument completer; whamm text
    typed directly goes to ``script`` (normally a :class:`ProbeCompleter`), which also offers ``wasm:``
    and the globals beside the command names for the first word."""

    def __init__(self, registry: Registry, script: Completer | None = None):
        self.registry = registry
        self.script = script

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        """Whamm text goes to the script completer, anything else to the command names or the command's own
        completer."""
        before = document.text_before_cursor
        if self.script is not None and looks_like_script(before):
            yield from self.script.get_completions(document, complete_event)
            return
        words = _command_word_completions(self.registry, before)
        if words is not None:
            if not _requested_or_typed(before.strip(), complete_event):
                return
            yield from words
            if self.script is not None and before.strip() and not any(c.isspace() for c in before.strip()) \
                    and not before[-1].isspace():
                yield from self.script.get_completions(document, complete_event)
            return
        try:
            res = self.registry.resolve(before)
        except CommandError:
            return
        if res.command.complete is None:
            return
        args = before[res.start:]
        yield from res.command.complete.get_completions(Document(args, len(args)), complete_event)


class HelpCompleter(Completer):
    """``help`` topics: the registry's command words (``help pro`` → ``probe``, ``probes``)."""

    def __init__(self, registry: Registry):
        self.registry = registry

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        """Command names, for ``help``'s argument."""
        return _command_word_completions(self.registry, document.text_before_cursor) or ()


# ----------------------------------------------------------------------------------- probe rules

_PART = re.compile(r"[A-Za-z0-9_.*?\[\]!|+\\]*")
_SEP = re.compile(r"\s*:\s*")
_IDENT_END = re.compile(r"(?<![\w.])[A-Za-z_]\w*$|(?<![\w.])$")


def _scan_rule(text: str, pos: int) -> tuple[int, bool, bool]:
    """From ``pos``, the end of a (partial) rule, whether it has a ``:``, and whether it ends inside
    an unclosed type bound."""
    colon = False
    while True:
        pos = _PART.match(text, pos).end()  # type: ignore[union-attr]
        k = pos
        while k < len(text) and text[k] in " \t":
            k += 1
        if k < len(text) and text[k] == "(":
            close = text.find(")", k)
            if close < 0:
                return len(text), colon, True
            pos = close + 1
        m = _SEP.match(text, pos)
        if m is None:
            return pos, colon, False
        colon = True
        pos = m.end()


def _predicate_end(text: str, pos: int) -> int | None:
    """Index of the ``/`` that closes a predicate starting at ``pos`` (the one followed by ``{``)."""
    for m in re.finditer(r"/\s*\{", text[pos:]):
        end = pos + m.start()
        if not open_state(text[pos:end]).is_open:
            return end
    return None


class ProbeCompleter(Completer):
    """Probes and whamm statements: rule parts, then names inside the predicate and the body.

    ``globals`` gives the names of the session's script-level variables; ``functions`` the application's
    functions as ``(index, name or None)`` (offered inside string literals, for ``fname == "…"``).
    Outside a probe (a global statement typed directly) only the globals are offered.
    """

    def __init__(self, globals: Callable[[], Iterable[str]] = _nothing,
                 functions: Callable[[], Iterable[tuple[int, str | None]]] = _nothing):
        self.globals = globals
        self.functions = functions

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        """Rule parts while the rule is typed, then names inside the predicate and the body."""
        text = document.text_before_cursor
        start = len(text) - len(text.lstrip())
        end, has_colon, in_bounds = _scan_rule(text, start)
        if in_bounds:
            return
        if end == len(text) and (has_colon or start < end):
            # The cursor is in a rule-shaped run of text: complete its last part.  Without a `:` yet it
            # may as well be a global's name (a statement typed directly), so both are offered.
            rule = text[start:]
            prefix = _SEP.split(rule)[-1]
            for insert, display, meta in rule_completions(rule):
                yield Completion(insert, -len(prefix), display=display, display_meta=meta)
            if has_colon:
                return
        if not has_colon:
            yield from self._names(text, (), complete_event)
            return
        rule = text[start:end]
        rest = end + len(text[end:]) - len(text[end:].lstrip())
        if rest == len(text):
            return
        if text[rest] == "/":
            close = _predicate_end(text, rest + 1)
            if close is None:
                yield from self._code(text, rest + 1, rule, complete_event)
                return
            rest = text.index("{", close)
        if text[rest] == "{":
            state = open_state(text[rest:])
            if state.depth > 0:
                yield from self._code(text, rest, rule, complete_event)

    def _code(self, text: str, start: int, rule: str, event: CompleteEvent) -> Iterable[Completion]:
        state = open_state(text[start:])
        if state.comment_depth or state.in_line_comment:
            return
        if state.in_string:
            prefix = text[text.rfind('"') + 1:]
            for index, name in self.functions():
                if name and name.startswith(prefix):
                    yield Completion(name, -len(prefix), display_meta=f"function {index}")
            return
        yield from self._names(text, rule_scope(rule), event)

    def _names(self, text: str, bound: tuple[tuple[str, str, str], ...],
               event: CompleteEvent) -> Iterable[Completion]:
        m = _IDENT_END.search(text)
        if m is None:
            return
        prefix = m.group()
        if not _requested_or_typed(prefix, event):
            return
        seen: set[str] = set()
        for insert, display, meta in bound:
            if insert.startswith(prefix) or display.startswith(prefix):
                seen.add(display)
                yield Completion(insert, -len(prefix), display=display, display_meta=meta)
        for name in self.globals():
            if name.startswith(prefix) and name not in seen:
                seen.add(name)
                yield Completion(name, -len(prefix), display_meta="global")


# ------------------------------------------------------------------------------- argument words

def function_words(functions: Callable[[], Iterable[tuple[int, str | None]]]) -> Callable[[], list[Word]]:
    """Words for ``wat FUNC`` / ``match``: every function's name, then every index (as text), each with
    the other as its meta."""
    def words() -> list[Word]:
        funcs = list(functions())
        out: list[Word] = [(name, f"function {i}") for i, name in funcs if name]
        out += [(str(i), name or "") for i, name in funcs]
        return out
    return words


class WordsCompleter(Completer):
    """The current argument word from ``words``; a word starting with ``-`` from ``options``.

    ``options`` maps each option to the completer of its value, or to None for a flag; an option whose
    value has nothing to complete (``--top K``) maps to :data:`NO_VALUE`.
    """

    def __init__(self, words: Callable[[], Iterable[Word]] = _nothing,
                 options: Mapping[str, Completer | None] | Sequence[str] = ()):
        self.words = words
        self.options: Mapping[str, Completer | None] = (
            options if isinstance(options, Mapping) else dict.fromkeys(options))

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        """The words (or options, then their values) valid at the cursor."""
        text = document.text_before_cursor
        parts = text.split()
        typing = bool(text) and not text[-1].isspace()
        current = parts[-1] if typing else ""
        done = parts[:-1] if typing else parts
        previous = done[-1] if done else None
        value = self.options.get(previous) if previous is not None else None
        if value is not None:
            yield from value.get_completions(Document(current, len(current)), complete_event)
            return
        if current.startswith("-"):
            for opt in self.options:
                if opt.startswith(current):
                    yield Completion(opt, -len(current))
            return
        if not _requested_or_typed(current, complete_event):
            return
        for word in self.words():
            text_, meta = (word, "") if isinstance(word, str) else word
            if text_.startswith(current):
                yield Completion(text_, -len(current), display_meta=meta)


class ProbeNumberCompleter(Completer):
    """Probe numbers (``probe rm 2``, ``sites 3``) with each probe's first line as meta.

    ``probes`` gives ``(number, first line, enabled)``; ``enabled`` keeps only the probes in that state
    (``probe enable`` offers the disabled ones, ``probe disable`` and ``sites`` the enabled ones);
    numbers already on the line are not offered again.  ``single``: the command takes one number, and
    after it only ``options``.
    """

    def __init__(self, probes: Callable[[], Iterable[tuple[int, str, bool]]], *, enabled: bool | None = None,
                 single: bool = False, options: Sequence[str] = ()):
        self.probes = probes
        self.enabled = enabled
        self.single = single
        self.options = options

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        """The numbers (or, after the one number, the options) valid at the cursor."""
        text = document.text_before_cursor
        parts = text.split()
        typing = bool(text) and not text[-1].isspace()
        current = parts[-1] if typing else ""
        done = parts[:-1] if typing else parts
        if current.startswith("-") or (self.single and done):
            for opt in self.options:
                if opt.startswith(current) and opt not in done:
                    yield Completion(opt, -len(current))
            return
        if not _requested_or_typed(current, complete_event):
            return
        for number, first_line, enabled in self.probes():
            if str(number) in done or (self.enabled is not None and enabled != self.enabled):
                continue
            if str(number).startswith(current):
                state = "" if enabled else " (disabled)"
                yield Completion(str(number), -len(current), display_meta=f"{first_line[:40]}{state}")


class ChoiceCompleter(Completer):
    """A first word from ``choices``, then the rest by the completer that word maps to (if any):
    ``set`` → ``args env dir stdin timeout fuel``, ``set stdin`` → a file name."""

    def __init__(self, choices: Mapping[str, Completer | None]):
        self.choices = choices

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        """The choices matching the word under the cursor."""
        text = document.text_before_cursor
        m = re.match(r"\s*(\S*)(\s*)", text)
        assert m is not None
        word, blank = m[1], m[2]
        if not blank:
            for choice in self.choices:
                if choice.startswith(word):
                    yield Completion(choice, -len(word))
            return
        sub = self.choices.get(word)
        if sub is not None:
            rest = text[m.end():]
            yield from sub.get_completions(Document(rest, len(rest)), complete_event)


def paths() -> Completer:
    """File names (``~`` expanded), for ``load``, ``save``, ``source``, ``export``, ``set stdin``."""
    return PathCompleter(expanduser=True)


class ToolCompleter(Completer):
    """``trace NAME [ARG…]``: the tool names (with their summaries as meta) for the first word; the
    arguments after it are the user's (a path prefix, an errno name), so nothing is offered there."""

    def __init__(self, tools: Callable[[], Iterable[tuple[str, str]]]):
        self.tools = tools

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        """The tools whose names start with the word at the cursor, when it is the first word."""
        text = document.text_before_cursor
        if len(text.split()) > 1 or (text and text[-1].isspace()):
            return
        current = text.strip()
        for name, summary in self.tools():
            if name.startswith(current):
                yield Completion(name, -len(current), display_meta=summary)
