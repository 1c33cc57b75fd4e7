"""The shell's commands (SHELL.md "Commands") and :class:`Shell`, which dispatches lines to them.

:class:`Shell` is the ``cmd.Cmd`` of the shell (STYLE.md §4): :meth:`Shell.onecmd` runs one line — a
command, or whamm text typed directly (a probe or a global statement) — and returns True to stop.  The
prompt, ``source FILE``, ``-c``/``-x`` batch mode and the tests all go through it.  Each command is a
:class:`~whamm_shell.commands.Command` in one :class:`~whamm_shell.commands.Registry`, which also drives
``help`` and completion, so they cannot drift apart.  Commands ask the :class:`~whamm_shell.session.Session`
to do things and show results through the :class:`~whamm_shell.render.Renderer`; failures are
:class:`~compiler.errors.WhammError`\\ s that the caller renders (the prompt goes on, batch mode stops).

This module holds the commands that change or drive the session (``load``, ``probe …``, ``global``,
``run``, ``save``, ``source``, ``export``, ``set …``/``show settings``, ``history``, ``help``,
``quit``); :mod:`whamm_shell.inspect_commands` those that look at it (``info``, ``match``, ``probes``,
``sites``, ``report``, ``plot``, ``globals``, ``wat``).
"""
from __future__ import annotations

import bisect
import codecs
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, TextIO

from compiler import api
from compiler.api import WhammError
from whamm_shell.commands import Command, Registry
from whamm_shell.session import Session, SessionError
from whamm_shell.splitting import split_commands

if TYPE_CHECKING:
    from whamm_shell.render import Renderer
    from whamm_shell.session import RunRecord
    from whamm_shell.ui import Status

__all__ = ["Shell", "UsageError", "parse_options", "parse_numbers", "seconds"]


class UsageError(SessionError):
    """A command given the wrong arguments; the message ends with the command's usage."""


def parse_options(args: str, usage: str, options: Mapping[str, type | None], *,
                  positional: tuple[int, int | None] = (0, None)) -> tuple[list[str], dict[str, object]]:
    """Split a command's arguments (shell quoting) into positional words and ``--options``.

    ``options`` maps each option to the type of its value (``int``, ``float``, ``str``) or None for a
    flag; ``positional`` is the (min, max) count of positional words.  ``--`` ends the options.
    Problems raise :class:`UsageError` quoting ``usage``.
    """
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise UsageError(f"{exc}\nusage: {usage}") from None
    out: list[str] = []
    values: dict[str, object] = {}
    i = 0
    while i < len(words):
        w = words[i]
        if w == "--":
            out.extend(words[i + 1:])
            break
        if w.startswith("--") and len(w) > 2:
            if w not in options:
                raise UsageError(f"unknown option `{w}`\nusage: {usage}")
            kind = options[w]
            if kind is None:
                values[w] = True
            else:
                if i + 1 >= len(words):
                    raise UsageError(f"`{w}` needs a value\nusage: {usage}")
                values[w] = _convert(words[i + 1], kind, w, usage)
                i += 1
        else:
            out.append(w)
        i += 1
    lo, hi = positional
    if len(out) < lo or (hi is not None and len(out) > hi):
        raise UsageError(f"usage: {usage}")
    return out, values


def _convert(text: str, kind: type, option: str, usage: str) -> object:
    try:
        value = kind(text)
    except ValueError:
        raise UsageError(f"invalid value `{text}` for {option}\nusage: {usage}") from None
    if isinstance(value, (int, float)) and value < 0:
        raise UsageError(f"invalid value `{text}` for {option}: must not be negative\nusage: {usage}")
    return value


_RANGE = re.compile(r"(\d+)(?:-(\d+))?\Z")


def parse_numbers(args: str, usage: str, existing: Iterable[int]) -> list[int]:
    """Probe numbers: ``2 4 7``, ``2,4``, ranges ``2-5`` (both ends included) in the order given.

    A range stands for the ``existing`` probe numbers inside it, so its size does not matter
    (``1-999999999999999999999`` is as quick as ``1-3``); a range that holds no existing probe is an
    error, and so is a single number that is not a probe (the caller's lookup says so)."""
    out: list[int] = []
    numbers = sorted(existing)
    for token in re.split(r"[\s,]+", args.strip()):
        if not token:
            continue
        m = _RANGE.match(token)
        if m is None:
            raise UsageError(f"invalid probe number `{token}`\nusage: {usage}")
        lo, hi = _probe_number(m[1]), _probe_number(m[2] or m[1])
        if m[2] is None:
            if lo not in numbers:
                raise SessionError(f"no probe {m[1]} (`probes` lists them)")
            out.append(lo)
            continue
        if hi < lo:
            raise UsageError(f"invalid range `{token}`: {lo} > {hi}")
        inside = numbers[bisect.bisect_left(numbers, lo):bisect.bisect_right(numbers, hi)]
        if not inside:
            raise SessionError(f"no probe in {token} (`probes` lists them)")
        out.extend(inside)
    return out


def _probe_number(digits: str) -> int | float:
    """A probe number; one longer than any number a session can reach is infinity (Python refuses to
    convert integers of more than 4300 digits, and none of them names a probe)."""
    return int(digits) if len(digits) <= 30 else float("inf")


def seconds(value: float) -> str:
    """A duration for people: ``0.42 ms``, ``12.3 ms``, ``1.25 s``."""
    if value < 0.001:
        return f"{value * 1000:.2f} ms"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


_RULE_HEAD = re.compile(r"\s*[A-Za-z0-9_.*?\[\]!|+\\]*\s*(?:\([^()]*\))?\s*:")
_NOT_RULE = re.compile(r"\s*(?:var|use|fn|report|shared|unshared|frame)\b")


class Shell:
    """Dispatches lines to the commands of one :class:`~whamm_shell.session.Session`.

    ``renderer`` is the output funnel; ``history_path`` the persistent history file (``history``);
    ``edit_inline`` re-opens a text at the prompt for ``probe edit`` (None in batch mode);
    ``environ`` supplies ``$EDITOR``.
    """

    def __init__(self, session: Session, renderer: Renderer, *, history_path: Path | None = None,
                 edit_inline: Callable[[str], str] | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.session = session
        self.renderer = renderer
        self.history_path = history_path
        self.edit_inline = edit_inline
        self.environ = os.environ if environ is None else environ
        self.commands: list[str] = []
        self.decoded: tuple[bytes, object] | None = None   # the last instrumented module read back (wat)
        self._sourcing: list[Path] = []
        self.registry = build_registry(self)

    # -------------------------------------------------------------------------------- dispatch

    def onecmd(self, line: str) -> bool:
        """Run one line (a command, or a probe / global statement typed directly); True means stop.
        Errors are raised for the caller to render."""
        if line.strip():
            self.commands.append(line.strip())
        return self.registry.dispatch(line, default=self.add_text)

    def execute(self, line: str) -> tuple[bool, bool]:
        """Run one line and render its error, if any: (stop, ok)."""
        try:
            return self.onecmd(line), True
        except WhammError as exc:
            self.renderer.error(exc)
            return False, False

    def run_text(self, text: str, origin: str) -> bool:
        """Run the commands of a ``-c`` argument or a command file, stopping at the first failure
        (whose error is rendered, then reported as ``ORIGIN:LINE``).  True means ``quit`` was given."""
        for command in split_commands(text):
            try:
                if self.onecmd(command.text):
                    return True
            except WhammError as exc:
                self.renderer.error(exc)
                raise SessionError(f"{origin}:{command.line}: stopped at this failed command: "
                                   f"{command.text.splitlines()[0]}") from None
        return False

    def add_text(self, text: str) -> None:
        """Whamm text typed directly: a probe (``probe add``) or a script-level item (``global``)."""
        try:
            items = api.script_items(text, "<input>")
        except api.ScriptError:
            items = None
        if items and all(i.kind == "probe" for i in items) and len(items) == 1:
            self.do_probe_add(text)
        elif items is None and _RULE_HEAD.match(text) and not _NOT_RULE.match(text):
            self.do_probe_add(text)
        else:
            self.do_global(text)

    def status(self) -> Status:
        """What the prompt's bottom toolbar shows."""
        from whamm_shell.ui import Status
        s = self.session
        matched = s.last_matched
        run = s.last_run
        return Status(app=os.path.basename(s.app.name), probes=len(s.probes),
                      enabled=sum(p.enabled for p in s.probes.values()),
                      sites=None if matched is None else len(matched.matches.sites),
                      last_run=None if run is None else run.status, last_run_ok=run is None or run.ok)

    # --------------------------------------------------------------------------------- commands

    def do_help(self, args: str) -> None:
        self.renderer.message(self.registry.help(args or None))

    def do_quit(self, args: str) -> bool:
        return True

    def do_load(self, args: str) -> None:
        words, _ = parse_options(args, "load APP", {}, positional=(1, 1))
        outcome = self.session.load(words[0])
        module = self.session.app.module
        self.renderer.message(f"loaded {self.session.app.name}: "
                              f"{_plural(module.num_imported_funcs + len(module.code), 'function')} "
                              f"({module.num_imported_funcs} imported)")
        if isinstance(outcome, WhammError):
            self.renderer.error(outcome)
            self.renderer.warning("the probes above do not fit the new application; fix or remove them")
            return
        for number, probe in self.session.probes.items():
            if probe.enabled:
                self._matched_line(number, outcome.sites_of(number), outcome.functions_of(number))

    def do_probe_add(self, args: str) -> None:
        if not args.strip():
            raise UsageError("usage: probe add RULE [/ PRED /] { BODY }")
        added = self.session.add_probe(args)
        self._report_added(added, "added")

    def _report_added(self, added, verb: str) -> None:
        for w in added.warnings:
            self.renderer.warning(w)
        if not added.has_sites:
            self.renderer.message(f"probe {added.number} {verb}")
            return
        self.renderer.message(f"probe {added.number} {verb}: {_plural(added.sites, 'site')} in "
                              f"{_plural(added.functions, 'function')}")
        if added.sites == 0:
            self.renderer.warning(f"probe {added.number} matches nothing in "
                                  f"{os.path.basename(self.session.app.name)} (kept; it does nothing)")

    def _matched_line(self, number: int, sites, functions) -> None:
        self.renderer.message(f"probe {number}: {_plural(len(sites), 'site')} in "
                              f"{_plural(len(functions), 'function')}")

    def do_probe_rm(self, args: str) -> None:
        numbers = parse_numbers(args, "probe rm N…", self.session.probes)
        if not numbers:
            raise UsageError("usage: probe rm N…")
        done = self.session.remove(numbers)
        self.renderer.message(f"removed {_probe_list(done)}")

    def do_probe_enable(self, args: str) -> None:
        self._toggle(args, True)

    def do_probe_disable(self, args: str) -> None:
        self._toggle(args, False)

    def _toggle(self, args: str, enabled: bool) -> None:
        verb = "enable" if enabled else "disable"
        numbers = parse_numbers(args, f"probe {verb} [N…]", self.session.probes) or list(self.session.probes)
        done = self.session.set_enabled(numbers, enabled)
        if done:
            self.renderer.message(f"{verb}d {_probe_list(done)}")
        else:
            self.renderer.message(f"nothing to {verb}")

    def do_probe_edit(self, args: str) -> None:
        usage = "probe edit N [--editor] | probe edit N NEW-PROBE"
        m = re.match(r"\s*(\d+)\s*(.*)\Z", args, re.S)
        if m is None:
            raise UsageError(f"usage: {usage}")
        number, rest = int(m[1]), m[2].strip()
        old = self.session.probe(number).text
        if rest == "--editor":
            text = self._external_edit(old)
        elif rest:
            text = rest
        elif self.edit_inline is not None:
            text = self.edit_inline(old)
        else:
            raise UsageError("inline editing needs a terminal: use `probe edit N --editor` or "
                             f"`probe edit N NEW-PROBE`\nusage: {usage}")
        if text.strip() == old.strip():
            self.renderer.message(f"probe {number} unchanged")
            return
        self._report_added(self.session.edit_probe(number, text), "changed")

    def _external_edit(self, text: str) -> str:
        editor = self.environ.get("VISUAL") or self.environ.get("EDITOR") or "vi"
        with tempfile.TemporaryDirectory(prefix="whamm-shell-") as tmp:
            path = Path(tmp) / "probe.mm"
            path.write_text(text + "\n", encoding="utf-8")
            try:
                status = subprocess.call([*shlex.split(editor), str(path)])
            except OSError as exc:
                raise SessionError(f"cannot start the editor `{editor}`: {exc.strerror or exc}") from None
            if status != 0:
                raise SessionError(f"the editor `{editor}` failed (exit status {status}); probe unchanged")
            return path.read_text(encoding="utf-8")

    def do_global(self, args: str) -> None:
        if not args.strip():
            raise UsageError("usage: global STATEMENT")
        item = self.session.add_item(args)
        self.renderer.message(f"global: {item.text}")

    def do_run(self, args: str) -> None:
        usage = "run [ARGS…] [--timings]"
        try:
            words = shlex.split(args)
        except ValueError as exc:
            raise UsageError(f"{exc}\nusage: {usage}") from None
        timings = False
        if "--" in words:
            cut = words.index("--")
            head, tail = words[:cut], words[cut + 1:]
        else:
            head, tail = words, []
        if "--timings" in head:
            timings = True
            head = [w for w in head if w != "--timings"]
        app_args = head + tail
        record = self.session.run(app_args if app_args or "--" in words else None,
                                  stdout=_sink(self.renderer.out, sys.stdout, 1),
                                  stderr=_sink(self.renderer.err, sys.stderr, 2))
        self._show_outcome(record)
        if timings:
            self._show_timings(record)
        self._show_summary(record)

    def _show_outcome(self, record: RunRecord) -> None:
        r = record.result
        if r.outcome is api.Outcome.TRAPPED:
            code = f" [{r.trap_code}]" if r.trap_code else ""
            self.renderer.error(f"{r.message}{code}" + "".join(f"\n{f}" for f in r.frames))
        elif r.outcome in (api.Outcome.TIMED_OUT, api.Outcome.OUT_OF_FUEL, api.Outcome.INTERRUPTED):
            self.renderer.warning(f"{r.message}; the values collected so far are kept (`report`)")
        self.renderer.message(f"[exit status {r.status} · {seconds(r.elapsed)}]")

    def _show_timings(self, record: RunRecord) -> None:
        t = record.timings
        phases = ("check", "match", "emit", "encode", "validate", "compile", "execute")
        text = ", ".join(f"{p} {seconds(t.get(p, 0.0))}" for p in phases)
        note = " (instrumented module reused: nothing recompiled)" if record.build.reused else ""
        self.renderer.message(f"timings: {text}{note}")

    def _show_summary(self, record: RunRecord) -> None:
        values = record.values()
        if not values:
            return
        names = list(dict.fromkeys(v.var.name for v in values))
        shown = values[:5]
        self.renderer.message(f"report: {_plural(len(values), 'row')} of {', '.join(names)}")
        for v in shown:
            self.renderer.message(f"  {_row_label(v)} = {v.text}")
        if len(values) > len(shown):
            self.renderer.message(f"  … {len(values) - len(shown)} more rows; use `report`")

    def do_save(self, args: str) -> None:
        words, _ = parse_options(args, "save FILE.mm", {}, positional=(1, 1))
        self.session.save(words[0])
        probes = sum(p.enabled for p in self.session.probes.values())
        self.renderer.message(f"saved {_plural(probes, 'probe')} and {_plural(len(self.session.items), 'global')}"
                              f" to {words[0]}")

    def do_source(self, args: str) -> bool:
        words, _ = parse_options(args, "source FILE", {}, positional=(1, 1))
        path = Path(words[0])
        if path.resolve() in self._sourcing:
            raise SessionError(f"`source {words[0]}` would read itself again (recursion)")
        text = api.read_script(path)       # a regular file only: a FIFO or /dev/zero is refused
        self._sourcing.append(path.resolve())
        try:
            return self.run_text(text, words[0])
        finally:
            self._sourcing.pop()

    def do_export(self, args: str) -> None:
        words, _ = parse_options(args, "export OUT.wasm", {}, positional=(1, 1))
        size = self.session.export(words[0])
        self.renderer.message(f"wrote {words[0]} ({size} bytes)")

    def do_set_args(self, args: str) -> None:
        try:
            words = shlex.split(args)
        except ValueError as exc:
            raise UsageError(f"{exc}\nusage: set args ARG…") from None
        self.session.settings = replace(self.session.settings, args=tuple(words))
        self.renderer.message(f"args: {_args_text(words)}")

    def do_set_env(self, args: str) -> None:
        usage = "set env K=V…"
        words, _ = parse_options(args, usage, {})
        env = dict(self.session.settings.env)
        if not words:
            env = {}
        for w in words:
            key, sep, value = w.partition("=")
            if not sep or not key:
                raise UsageError(f"invalid environment entry `{w}`: expected K=V\nusage: {usage}")
            env[key] = value
        self.session.settings = replace(self.session.settings, env=tuple(env.items()))
        self.renderer.message("env: " + (" ".join(f"{k}={v}" for k, v in env.items()) or "(none)"))

    def do_set_dir(self, args: str) -> None:
        usage = "set dir HOST[::GUEST]…"
        words, _ = parse_options(args, usage, {})
        dirs = list(self.session.settings.dirs) if words else []
        for w in words:
            host, sep, guest = w.partition("::")
            if not host or (sep and not guest):
                raise UsageError(f"invalid directory `{w}`: expected HOST or HOST::GUEST\nusage: {usage}")
            if not os.path.isdir(host):
                raise SessionError(f"cannot preopen directory '{host}': not a directory")
            dirs.append((host, guest or host))
        self.session.settings = replace(self.session.settings, dirs=tuple(dirs))
        self.renderer.message("dirs: " + (" ".join(f"{h}::{g}" for h, g in dirs) or "(none)"))

    def do_set_stdin(self, args: str) -> None:
        words, _ = parse_options(args, "set stdin [FILE]", {}, positional=(0, 1))
        if words and not os.path.isfile(words[0]):
            raise SessionError(f"cannot read stdin file '{words[0]}': no such file")
        self.session.settings = replace(self.session.settings, stdin=words[0] if words else None)
        self.renderer.message(f"stdin: {words[0] if words else '(inherited)'}")

    def do_set_timeout(self, args: str) -> None:
        usage = "set timeout SECONDS|off"
        words, _ = parse_options(args, usage, {}, positional=(1, 1))
        value = None if words[0] in ("off", "none") else _convert(words[0], float, "timeout", usage)
        if value is not None and not 0 < value < float("inf"):  # type: ignore[operator]
            raise UsageError(f"invalid timeout `{words[0]}`: expected a positive number of seconds")
        self.session.settings = replace(self.session.settings, timeout=value)  # type: ignore[arg-type]
        self.renderer.message(f"timeout: {'off' if value is None else f'{value:g} s'}")

    def do_set_fuel(self, args: str) -> None:
        usage = "set fuel N|off"
        words, _ = parse_options(args, usage, {}, positional=(1, 1))
        value = None if words[0] in ("off", "none") else _convert(words[0], int, "fuel", usage)
        self.session.settings = replace(self.session.settings, fuel=value)  # type: ignore[arg-type]
        self.renderer.message(f"fuel: {'off' if value is None else value}")

    def do_show_settings(self, args: str) -> None:
        parse_options(args, "show settings", {}, positional=(0, 0))
        s = self.session.settings
        rows = [
            ("args", _args_text(s.args)),
            ("env", " ".join(f"{k}={v}" for k, v in s.env) or "(none)"),
            ("dirs", " ".join(f"{h}::{g}" for h, g in s.dirs) or "(none: no host directory is visible)"),
            ("stdin", s.stdin or "(inherited)"),
            ("timeout", "off" if s.timeout is None else f"{s.timeout:g} s"),
            ("fuel", "off" if s.fuel is None else str(s.fuel)),
        ]
        self.renderer.table(("setting", "value"), rows, limit=False)

    def do_history(self, args: str) -> None:
        words, _ = parse_options(args, "history [N]", {}, positional=(0, 1))
        from whamm_shell.ui import read_history
        entries = read_history(self.history_path) if self.history_path is not None else []
        if self.edit_inline is None:        # batch mode does not write the history file
            entries += self.commands
        if words:
            if not words[0].isdigit():
                raise UsageError("usage: history [N]")
            entries = entries[-int(words[0]):] if int(words[0]) else []
        width = len(str(len(entries)))
        self.renderer.lines([f"{k:>{width}}  {e}" for k, e in enumerate(entries, 1)], limit=False)


# -------------------------------------------------------------------------------------- helpers

def _probe_list(numbers: Iterable[int]) -> str:
    numbers = list(numbers)
    return ("probe " if len(numbers) == 1 else "probes ") + ", ".join(map(str, numbers))


def _args_text(args: Iterable[str]) -> str:
    return " ".join(shlex.quote(a) for a in args) or "(none)"


def _row_label(value) -> str:
    """``count`` for a global, ``taken (collatz, pc 23)`` for a site variable."""
    var = value.var
    if var.fid is None:
        return var.name
    where = var.display_fname + ("" if var.pc is None else f", pc {var.pc}")
    return f"{var.name} ({where})"


def _sink(stream: TextIO, real: TextIO, fd: int) -> Callable[[bytes], None] | None:
    """Where the program's output goes: straight to the process's descriptor when the renderer writes
    to it (inherited by WASI: no copying, and the order with the shell's own output is kept), else a
    callback that decodes UTF-8 incrementally into the renderer's stream (tests, captured output)."""
    try:
        if stream.fileno() == fd and real.fileno() == fd:
            return None
    except (AttributeError, OSError, ValueError):
        pass
    decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def write(data: bytes) -> None:
        stream.write(decoder.decode(data))
        stream.flush()
    return write


def _probe_numbers(session: Session) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(str(n), p.first_line[:40]) for n, p in session.probes.items()]


def build_registry(shell: Shell) -> Registry:
    """Every command of SHELL.md with its usage, help, and argument completer."""
    from whamm_shell import inspect_commands as ic
    from whamm_shell.completion import (
        NO_VALUE, HelpCompleter, ProbeCompleter, WordsCompleter, function_words, paths,
    )

    s = shell.session
    probe_words = WordsCompleter(_probe_numbers(s))
    globals_ = s.global_names
    probe_text = ProbeCompleter(globals=globals_, functions=s.functions)
    report_opts = {"--sort": WordsCompleter(lambda: list(ic.REPORT_COLUMNS)), "--top": NO_VALUE,
                   "--csv": paths(), "--json": paths(), "--all": None}
    registry = Registry()
    add = registry.add
    add(Command("help", (), "help [CMD]", "list the commands, or show one command's usage and examples",
                "Unique prefixes work everywhere: `help pr a` is `help probe add`.\n\n"
                "  help\n  help run\n  help probe", shell.do_help, HelpCompleter(registry)))
    add(Command("load", (), "load APP", "replace the application (probes are kept and re-matched)",
                "APP is a .wasm or .wat file.  Its functions are decoded once; every probe is matched\n"
                "against the new application.\n\n  load examples/demo/app.wasm", shell.do_load, paths()))
    add(Command("info", (), "info RULE [-v] [-f]",
                "the docs of what a rule matches, its bound variables (-v) and functions (-f)",
                "The same text as `whamm info`.\n\n  info wasm:opcode:br_if -v\n  info wasm:opcode:call* -v -f",
                lambda a: ic.do_info(shell, a), ProbeCompleter()))
    add(Command("match", (), "match RULE [/ PRED /] [--all]",
                "dry run: the sites a rule would match here, and what the predicate folds to at each",
                "Lists fid, fname, pc and the instruction of each site, and per site what the predicate\n"
                "folds to: `true`, `false` (nothing would be injected) or the residual run-time check.\n"
                "Shows a count and the first sites; --all lists every site.\n\n"
                "  match wasm:opcode:call:before\n"
                "  match wasm:opcode:call(arg0: i32):before / imm0 == 2 && arg0 == 0 /",
                lambda a: ic.do_match(shell, a), probe_text))
    add(Command("probe add", (), "probe add RULE [/ PRED /] { BODY }",
                "add a probe (or just type it); prints its number and where it matched",
                "Multi-line entry continues while braces are open.  A probe that matches nothing is\n"
                "added with a warning; a wrong probe shows the compiler's diagnostic and changes nothing.\n\n"
                "  wasm:opcode:call:before { count++; }\n"
                "  probe add wasm:func:entry { report var calls: u32; calls++; }",
                shell.do_probe_add, probe_text))
    add(Command("probe rm", (), "probe rm N…", "remove probes (numbers of the others do not change)",
                "  probe rm 3\n  probe rm 2-5 7", shell.do_probe_rm, probe_words))
    add(Command("probe enable", (), "probe enable [N…]", "enable probes (all when no number is given)",
                "  probe enable 2-4", shell.do_probe_enable, probe_words))
    add(Command("probe disable", (), "probe disable [N…]", "disable probes (all when no number is given)",
                "A disabled probe keeps its number and text; `run` leaves it out.\n\n  probe disable 1",
                shell.do_probe_disable, probe_words))
    add(Command("probe edit", (), "probe edit N [--editor | NEW-PROBE]",
                "re-open probe N's text for editing (at the prompt, or in $EDITOR with --editor)",
                "The new text is checked like a new probe; if it is wrong, probe N stays as it was.\n"
                "In batch mode give the new text on the line.\n\n"
                "  probe edit 2\n  probe edit 2 --editor\n  probe edit 2 wasm:opcode:br_if:before { n++; }",
                shell.do_probe_edit, probe_words))
    add(Command("probes", (), "probes", "list the probes: id, enabled, rule, predicate, sites, source",
                "", lambda a: ic.do_probes(shell, a), None))
    add(Command("global", (), "global STATEMENT",
                "add a script-level statement (or just type it): var, report var, use, fn, assignment, call",
                "The final `;` of a one-line statement may be omitted.\n\n"
                "  report var count: u32\n  var limit: u32 = 10\n  global use cache;",
                shell.do_global, ProbeCompleter(globals=globals_)))
    add(Command("run", (), "run [ARGS…] [--timings]",
                "instrument (incrementally) and run the app; Ctrl-C interrupts it",
                "Streams the app's output, then shows its exit status or trap (with a backtrace), the\n"
                "wall time and a summary of the report.  ARGS replace `set args` (remembered, as gdb).\n"
                "--timings shows each phase: check, match, emit, encode, validate, compile, execute.\n"
                "Use `run -- ARGS` to pass arguments that start with `--`.\n\n  run\n  run --timings\n  run 27",
                shell.do_run, WordsCompleter(options={"--timings": None})))
    add(Command("report", (), "report [VAR|N] [--sort COL] [--top K] [--csv FILE|--json FILE] [--all]",
                "the report variables of the last run, read from the live instance",
                "Columns: name, probe (session number), probe_id, fname, fid, pc, value.  VAR keeps one\n"
                "variable, N the rows of probe N.  --sort value sorts by value (largest first), other\n"
                "columns ascending; --top K keeps the first K rows (by value unless --sort is given).\n"
                "--csv writes the upstream-compatible CSV (as `whamm run` prints it), --json a list of\n"
                "objects.\n\n  report\n  report taken --sort value --top 5\n  report --csv out.csv",
                lambda a: ic.do_report(shell, a), WordsCompleter(ic.report_words(s), report_opts)))
    add(Command("plot", (), "plot VAR [--top K]",
                "a bar chart of a report variable across its sites, or of a map's keys",
                "  plot taken\n  plot calls --top 10", lambda a: ic.do_plot(shell, a),
                WordsCompleter(ic.report_words(s), {"--top": NO_VALUE})))
    add(Command("globals", (), "globals", "the current values of the script-level variables",
                "Read after the last run through the exported getters.", lambda a: ic.do_globals(shell, a),
                None))
    add(Command("wat", (), "wat FUNC [--around PC] [--diff] [--all]",
                "a function of the instrumented module as WAT; injected code is marked `+`",
                "FUNC is a name or an index.  --around PC shows the lines near an original pc (marked\n"
                "`>`); --diff shows a unified diff of the original and the instrumented function.\n\n"
                "  wat calc\n  wat 4 --around 23\n  wat collatz --diff",
                lambda a: ic.do_wat(shell, a),
                WordsCompleter(function_words(s.functions), {"--around": NO_VALUE, "--diff": None, "--all": None})))
    add(Command("sites", (), "sites N [--all]", "the sites where probe N is injected, with the folded predicate",
                "", lambda a: ic.do_sites(shell, a), probe_words))
    add(Command("save", (), "save FILE.mm", "write the globals and enabled probes as a whamm script",
                "The script is exactly what the shell instruments: `whamm run -s FILE.mm -a APP`\n"
                "reproduces the same report.", shell.do_save, paths()))
    add(Command("source", (), "source FILE", "run shell commands from a file (as -x does at start-up)",
                "Commands are separated by newlines or `;` outside braces, parentheses and strings.\n"
                "The first failing command stops the file.", shell.do_source, paths()))
    add(Command("export", (), "export OUT.wasm", "write the current instrumented module", "",
                shell.do_export, paths()))
    add(Command("set args", (), "set args ARG…", "the app's arguments (argv[1:]) for the next runs",
                "  set args 27 --verbose", shell.do_set_args, None))
    add(Command("set env", (), "set env K=V…", "set environment variables for the app (`set env` clears)",
                "", shell.do_set_env, None))
    add(Command("set dir", (), "set dir HOST[::GUEST]…",
                "make a host directory visible to the app (`set dir` clears; none by default)", "",
                shell.do_set_dir, paths()))
    add(Command("set stdin", (), "set stdin [FILE]", "the app's standard input (no FILE: the terminal's)",
                "", shell.do_set_stdin, paths()))
    add(Command("set timeout", (), "set timeout SECONDS|off", "stop runs after this wall time", "",
                shell.do_set_timeout, None))
    add(Command("set fuel", (), "set fuel N|off", "stop runs after N units of wasmtime fuel", "",
                shell.do_set_fuel, None))
    add(Command("show settings", (), "show settings", "the run settings", "", shell.do_show_settings, None))
    add(Command("history", (), "history [N]", "the command history of this and earlier sessions", "",
                shell.do_history, None))
    add(Command("quit", ("exit",), "quit", "leave the shell (Ctrl-D works too); history is kept", "",
                shell.do_quit, None))
    return registry
