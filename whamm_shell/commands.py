"""The command registry: one table that drives dispatch, ``help`` and completion (STYLE.md §4).

``cmd`` finds ``do_<name>`` by ``getattr``; pdb adds aliases by assignment and builds its help from
docstrings.  Here a :class:`Command` is a value — name, aliases, usage, summary, help text, the function
that runs it and the completer of its arguments — and a :class:`Registry` holds them in the order
``help`` lists them, so dispatch, help and completion cannot drift apart.

Names (SHELL.md "Commands"):

* a command is one word (``run``) or two (``probe add``, ``show settings``); the first word of a
  two-word command is a *group*;
* **unique prefixes** work word by word: ``pr a`` is ``probe add``, ``ru`` is ``run``; an exact name wins
  over a longer one it prefixes (``probe`` vs ``probes``), two-word matches win over one-word ones (``pr
  a`` is not ``probes a``); several candidates raise :class:`AmbiguousCommandError` listing them;
* aliases are exact alternative spellings (``exit`` for ``quit``) and never take part in prefix matching.

:meth:`Registry.dispatch` is the body of the session's ``onecmd(line) -> bool``: an empty line does
nothing, whamm text typed directly (:func:`~whamm_shell.splitting.looks_like_script`) goes to the
session's *default* handler, anything else to its command's ``run(args)``, whose true result means
"stop" (``quit``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

from compiler.api import WhammError
from whamm_shell.splitting import looks_like_script

if TYPE_CHECKING:
    from prompt_toolkit.completion import Completer

__all__ = [
    "Command", "Resolution", "Registry", "CommandError", "UnknownCommandError", "AmbiguousCommandError",
    "IncompleteCommandError",
]

#: What a command's ``run`` receives: the argument text after the command words (stripped of the
#: separating blanks); a true result stops the shell.
RunFn = Callable[[str], "bool | None"]


@dataclass(frozen=True, slots=True)
class Command:
    """One shell command.

    ``usage`` is the synopsis ``help`` shows (``probe rm N…``), ``summary`` one line for the command
    list, ``help_text`` the paragraphs of ``help CMD`` (examples welcome).  ``complete`` is a
    prompt_toolkit completer for the *arguments* (it sees a document holding only the text after the
    command words), or None.
    """

    name: str
    aliases: tuple[str, ...] = ()
    usage: str = ""
    summary: str = ""
    help_text: str = ""
    run: RunFn | None = field(default=None, compare=False)
    complete: Completer | None = field(default=None, compare=False)

    @property
    def words(self) -> tuple[str, ...]:
        """``("probe", "add")`` for a two-word command, ``("run",)`` otherwise."""
        return tuple(self.name.split())


@dataclass(frozen=True, slots=True)
class Resolution:
    """A command found in a line: the command, its argument text, and where that text starts in the
    line (completion builds the argument document from it)."""

    command: Command
    args: str
    start: int


class CommandError(WhammError):
    """A line that names no command the registry can run (rendered as ``error: …`` by the session)."""


class UnknownCommandError(CommandError):
    """No command has that name or prefix."""


class AmbiguousCommandError(CommandError):
    """A prefix that several commands share; ``candidates`` are their full names."""

    def __init__(self, word: str, candidates: list[str]):
        self.word = word
        self.candidates = candidates
        super().__init__(f"ambiguous command `{word}`: could be {', '.join(candidates)}")


class IncompleteCommandError(CommandError):
    """A group word without (or with an unknown) sub-command: ``probe`` alone, ``probe frob``."""

    def __init__(self, group: str, given: str | None, subcommands: list[str]):
        self.group = group
        self.subcommands = subcommands
        what = f"unknown sub-command `{group} {given}`" if given else f"`{group}` needs a sub-command"
        super().__init__(f"{what}: expected one of {', '.join(subcommands)}")


_WORDS = re.compile(r"\s*(\S+)(?:(\s+)(\S+))?")
_USAGE_WIDTH = 30


class Registry:
    """The shell's commands in the order ``help`` lists them."""

    def __init__(self, commands: tuple[Command, ...] | list[Command] = ()):
        self._commands: list[Command] = []
        self._by_name: dict[str, Command] = {}
        for c in commands:
            self.add(c)

    def add(self, command: Command) -> Command:
        """Register ``command``; a clash of names, aliases or a group with a one-word command is a
        programming error (``ValueError``)."""
        words = command.words
        if not 1 <= len(words) <= 2:
            raise ValueError(f"a command name has one or two words: {command.name!r}")
        for name in (command.name, *command.aliases):
            if name in self._by_name:
                raise ValueError(f"command name {name!r} registered twice")
        groups = {c.words[0] for c in self._commands if len(c.words) == 2}
        singles = {c.name for c in self._commands if len(c.words) == 1}
        if (len(words) == 2 and words[0] in singles) or (len(words) == 1 and words[0] in groups):
            raise ValueError(f"{words[0]!r} cannot be both a command and a command group")
        self._commands.append(command)
        self._by_name[command.name] = command
        for alias in command.aliases:
            self._by_name[alias] = command
        return command

    def __iter__(self) -> Iterator[Command]:
        """The commands in the order they were added (``help`` lists them so)."""
        return iter(self._commands)

    def __len__(self) -> int:
        """How many commands there are."""
        return len(self._commands)

    def get(self, name: str) -> Command | None:
        """The command with this exact name or alias."""
        return self._by_name.get(name)

    # ------------------------------------------------------------------------------- resolution

    def resolve(self, line: str) -> Resolution:
        """The command a line names and its arguments.

        Raises :class:`UnknownCommandError`, :class:`AmbiguousCommandError` or
        :class:`IncompleteCommandError`.
        """
        m = _WORDS.match(line)
        if m is None:
            raise UnknownCommandError("no command given")
        w1, w2 = m[1], m[3]
        after1 = m.end(1)
        after2 = m.end(3) if w2 is not None else None
        if w2 is not None and (c := self._by_name.get(f"{w1} {w2}")) is not None:
            return self._resolution(line, c, after2)
        c = self._by_name.get(w1)
        if c is not None and len(c.words) == 1:
            return self._resolution(line, c, after1)
        groups = self._groups(w1)
        if w2 is not None:
            pairs = [c for c in self._commands
                     if len(c.words) == 2 and c.words[0] in groups and c.words[1].startswith(w2)]
            if len(pairs) == 1:
                return self._resolution(line, pairs[0], after2)
            if pairs:
                raise AmbiguousCommandError(f"{w1} {w2}", [c.name for c in pairs])
        if w1 in groups:            # an exact group word beats the one-word commands it prefixes
            raise IncompleteCommandError(w1, w2, self.subcommands(w1))
        singles = [c for c in self._commands if len(c.words) == 1 and c.name.startswith(w1)]
        if len(singles) == 1 and not groups:
            return self._resolution(line, singles[0], after1)
        if not singles and len(groups) == 1:
            raise IncompleteCommandError(groups[0], w2, self.subcommands(groups[0]))
        if not singles and not groups:
            raise UnknownCommandError(f"unknown command `{w1}` (type `help` for the list)")
        names = [c.name for c in self._commands
                 if (len(c.words) == 1 and c in singles) or (len(c.words) == 2 and c.words[0] in groups)]
        raise AmbiguousCommandError(w1, names)

    def _resolution(self, line: str, command: Command, end: int) -> Resolution:
        rest = line[end:]
        start = end + len(rest) - len(rest.lstrip())
        return Resolution(command, line[start:].rstrip(), start)

    def _groups(self, prefix: str) -> list[str]:
        """The group words ``prefix`` names: itself if it is one, else every group it prefixes."""
        groups = list(dict.fromkeys(c.words[0] for c in self._commands if len(c.words) == 2))
        if prefix in groups:
            return [prefix]
        return [g for g in groups if g.startswith(prefix)]

    def subcommands(self, group: str) -> list[str]:
        """The second words of a group, in registration order."""
        return [c.words[1] for c in self._commands if len(c.words) == 2 and c.words[0] == group]

    def first_words(self) -> list[str]:
        """Every word a line may start with: one-word names, group words, aliases (registration order)."""
        out: dict[str, None] = {}
        for c in self._commands:
            out[c.words[0]] = None
            out.update((a, None) for a in c.aliases if " " not in a)
        return list(out)

    def groups_for(self, prefix: str) -> list[str]:
        """Group words that ``prefix`` names (exactly, or as a prefix), for sub-command completion."""
        return self._groups(prefix)

    # --------------------------------------------------------------------------------- dispatch

    def dispatch(self, line: str, default: Callable[[str], "bool | None"] | None = None) -> bool:
        """Run one line: nothing for a blank line, ``default(line)`` for whamm text typed directly,
        else the command's ``run(args)``.  Returns True when the shell should stop.

        Raises :class:`CommandError` for a line that names no runnable command (and whatever the
        command raises — the session renders :class:`~compiler.errors.WhammError`).
        """
        if not line.strip():
            return False
        if default is not None and looks_like_script(line) and not self._spaced_command(line):
            return bool(default(line.strip()))
        res = self.resolve(line)
        if res.command.run is None:
            raise CommandError(f"`{res.command.name}` cannot be run")
        return bool(res.command.run(res.args))

    def _spaced_command(self, line: str) -> bool:
        """Whether ``line`` starts with a command word and a space, as ``list :5`` does: whamm allows
        spaces around a rule's colons, so it also reads as the rule ``list:5``, but no provider is named
        like a command, so the user meant the command (whose error is then about its argument)."""
        first, rest = re.match(r"\s*(\S*)(.*)", line).groups()  # type: ignore[union-attr]
        return rest[:1].isspace() and rest.lstrip().startswith(":") and any(c.words[0] == first for c in self._commands)

    # ------------------------------------------------------------------------------------- help

    def help(self, topic: str | None = None) -> str:
        """The text of ``help`` (every command's usage and summary) or ``help TOPIC`` (one command, or a
        group's sub-commands).  ``TOPIC`` resolves like a command line (prefixes work); an unknown topic
        raises :class:`CommandError`."""
        if topic is None or not topic.strip():
            lines = ["Commands (unique prefixes work: `pr a` = `probe add`):", ""]
            lines += self._listing(self._commands)
            lines += ["", "Type a probe or a global statement directly to add it.",
                      "`help CMD` shows a command's usage and examples."]
            return "\n".join(lines)
        try:
            command = self.resolve(topic).command
        except IncompleteCommandError as exc:
            members = [c for c in self._commands if len(c.words) == 2 and c.words[0] == exc.group]
            return "\n".join([f"`{exc.group}` sub-commands:", ""] + self._listing(members))
        except UnknownCommandError:
            raise CommandError(f"no help for `{topic.strip()}` (type `help` for the list)") from None
        out = [f"usage: {command.usage or command.name}"]
        if command.summary:
            out += ["", command.summary]
        if command.help_text:
            out += ["", command.help_text.strip("\n")]
        if command.aliases:
            out += ["", "aliases: " + ", ".join(command.aliases)]
        return "\n".join(out)

    @staticmethod
    def _listing(commands: list[Command]) -> list[str]:
        width = min(max((len(c.usage or c.name) for c in commands), default=0), _USAGE_WIDTH)
        out = []
        for c in commands:
            usage = c.usage or c.name
            out.append(f"  {usage:<{width}}  {c.summary}".rstrip())
        return out
