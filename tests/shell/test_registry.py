"""whamm_shell.commands: resolution by unique prefix, two-word commands, dispatch and help."""
from __future__ import annotations

import pytest

from compiler.errors import WhammError
from whamm_shell.commands import (
    AmbiguousCommandError, Command, CommandError, IncompleteCommandError, Registry, UnknownCommandError,
)

@pytest.fixture
def calls() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def registry(calls: list[tuple[str, str]], SHELL_COMMANDS: list[str]) -> Registry:
    reg = Registry()
    for name in SHELL_COMMANDS:
        def run(args: str, name: str = name) -> bool:
            calls.append((name, args))
            return name == "quit"
        reg.add(Command(name, aliases=("exit",) if name == "quit" else (),
                        usage=f"{name} ARGS" if name == "probe rm" else name,
                        summary=f"does {name}", help_text=f"Example:\n  {name} x", run=run))
    return reg


@pytest.mark.parametrize("line,name,args", [
    ("pr a wasm:func:entry { }", "probe add", "wasm:func:entry { }"),
    ("probe add x", "probe add", "x"),
    ("probe e 3", None, None),                        # enable or edit: ambiguous
    ("probe en 3-5", "probe enable", "3-5"),
    ("probe   rm   2 4  ", "probe rm", "2 4"),
    ("probes", "probes", ""),
    ("ru a b", "run", "a b"),
    ("sh s", "show settings", ""),
    ("show settings", "show settings", ""),
    ("q", "quit", ""),
    ("exit", "quit", ""),
    ("glob var x: u32", None, None),                  # global or globals
    ("global var x: u32", "global", "var x: u32"),
    ("globals", "globals", ""),
    ("wa main --diff", "wat", "main --diff"),
    ("hi", "history", ""),
])
def test_resolve(registry: Registry, line: str, name: str | None, args: str | None) -> None:
    if name is None:
        with pytest.raises(AmbiguousCommandError):
            registry.resolve(line)
        return
    res = registry.resolve(line)
    assert (res.command.name, res.args) == (name, args)
    assert line[res.start:].rstrip() == args


def test_ambiguity_lists_candidates(registry: Registry) -> None:
    with pytest.raises(AmbiguousCommandError) as e:
        registry.resolve("s")
    assert e.value.candidates == ["sites", "save", "source", "set", "show settings"]
    assert str(e.value) == "ambiguous command `s`: could be sites, save, source, set, show settings"
    with pytest.raises(AmbiguousCommandError) as e:
        registry.resolve("pr")
    assert e.value.candidates == ["probe add", "probes", "probe rm", "probe disable", "probe enable",
                                  "probe edit"]
    assert isinstance(e.value, WhammError)


def test_group_without_sub_command(registry: Registry) -> None:
    with pytest.raises(IncompleteCommandError, match=r"^`probe` needs a sub-command: expected one of "
                                                     r"add, rm, disable, enable, edit$"):
        registry.resolve("probe")
    with pytest.raises(IncompleteCommandError, match="unknown sub-command `probe frob`"):
        registry.resolve("probe frob 3")
    with pytest.raises(IncompleteCommandError, match="`show` needs a sub-command"):
        registry.resolve("sho")


def test_unknown_command(registry: Registry) -> None:
    with pytest.raises(UnknownCommandError, match=r"unknown command `frob` \(type `help` for the list\)"):
        registry.resolve("frob 1 2")


def test_aliases_are_exact_only(registry: Registry) -> None:
    assert registry.resolve("ex").command.name == "export"      # not ambiguous with `exit`
    assert registry.resolve("exit").command.name == "quit"


def test_clashing_names_are_rejected(registry: Registry) -> None:
    with pytest.raises(ValueError):
        registry.add(Command("run"))
    with pytest.raises(ValueError):
        registry.add(Command("probe"))                  # a group word cannot be a command
    with pytest.raises(ValueError):
        registry.add(Command("run fast"))               # nor a command a group
    with pytest.raises(ValueError):
        registry.add(Command("a b c"))


def test_dispatch(registry: Registry, calls: list[tuple[str, str]]) -> None:
    typed: list[str] = []
    default = typed.append
    assert registry.dispatch("   ", default) is False
    assert registry.dispatch("pr a wasm:func:entry { n++; }", default) is False
    assert registry.dispatch("wasm:func:entry { n++; }", default) is False
    assert registry.dispatch("report var n: u32;", default) is False
    assert registry.dispatch("report n --top 3", default) is False
    assert registry.dispatch("q", default) is True
    assert calls == [("probe add", "wasm:func:entry { n++; }"), ("report", "n --top 3"), ("quit", "")]
    assert typed == ["wasm:func:entry { n++; }", "report var n: u32;"]
    with pytest.raises(CommandError):
        registry.dispatch("frob", default)


def test_help_lists_every_command_in_order(registry: Registry, SHELL_COMMANDS: list[str]) -> None:
    text = registry.help()
    lines = text.splitlines()
    assert lines[0] == "Commands (unique prefixes work: `pr a` = `probe add`):"
    listed = [line.split("  does ")[0].strip() for line in lines if "  does " in line]
    assert listed == [n if n != "probe rm" else "probe rm ARGS" for n in SHELL_COMMANDS]
    # summaries start in one column
    columns = {line.index("does ") for line in lines if "does " in line}
    assert len(columns) == 1


def test_help_for_one_command(registry: Registry) -> None:
    assert registry.help("pr r") == "usage: probe rm ARGS\n\ndoes probe rm\n\nExample:\n  probe rm x"
    assert registry.help("quit").endswith("aliases: exit")
    assert registry.help("probe").splitlines()[0] == "`probe` sub-commands:"
    assert "  edit" not in registry.help("probe") and "probe edit" in registry.help("probe")
    with pytest.raises(CommandError, match="no help for `frob`"):
        registry.help("frob")


def test_first_words_and_subcommands(registry: Registry) -> None:
    assert registry.first_words()[:6] == ["help", "load", "info", "match", "probe", "global"]
    assert "exit" in registry.first_words()
    assert registry.subcommands("probe") == ["add", "rm", "disable", "enable", "edit"]
    assert registry.groups_for("pro") == ["probe"]
