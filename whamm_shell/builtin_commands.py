"""The commands that change or drive the session (SHELL.md "Commands"): ``help``, ``quit``, ``load``,
``probe add|rm|enable|disable|edit``, ``global``, ``run``, ``save``, ``source``, ``export``,
``set args|env|dir|stdin|timeout|fuel|compiler``, ``show settings`` and ``history``.

Each is a function of the :class:`~whamm_shell.shell.Shell` and its argument text, registered by
:func:`whamm_shell.command_table.build_registry`; :mod:`whamm_shell.inspect_commands` has those that only
look at the session.  Commands ask the :class:`~whamm_shell.session.Session` to do things and show
results through the shell's :class:`~whamm_shell.render.Renderer`; failures are
:class:`~compiler.errors.WhammError`\\ s that the caller renders (the prompt goes on, batch mode stops).
"""
from __future__ import annotations

import codecs
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, TextIO

from compiler import api
from compiler.api import WhammError
from whamm_shell.arguments import UsageError, parse_numbers, parse_options, parse_value
from whamm_shell.render import plural, seconds
from whamm_shell.report_rows import rows_of, sort_rows
from whamm_shell.session import ScriptErrors, SessionError, names_note
from whamm_shell.tool_commands import show_tool_tables, traced_variables
from whamm_shell.ui import read_history

if TYPE_CHECKING:
    from whamm_shell.session import RunRecord, Session
    from whamm_shell.shell import Shell

__all__ = ["do_help", "do_quit", "do_load", "do_probe_add", "add_script", "do_probe_rm", "do_probe_enable",
           "do_probe_disable", "do_probe_edit", "do_global", "do_run", "do_save", "do_source", "do_export",
           "do_set_args", "do_set_env", "do_set_dir", "do_set_stdin", "do_set_timeout", "do_set_fuel", "do_set_compiler",
           "do_set_unknown_imports", "do_show_settings", "do_history"]


def do_help(shell: Shell, args: str) -> None:
    """``help [CMD]``: the command list, or one command's usage and examples (both from the registry,
    so help and dispatch cannot disagree)."""
    shell.renderer.message(shell.registry.help(args or None))


def do_quit(shell: Shell, args: str) -> bool:
    """``quit``/``exit``: True tells the caller (prompt, ``source``, batch mode) to stop."""
    return True


def do_load(shell: Shell, args: str) -> None:
    """``load APP [--module N]``: replace the application; the probes are kept and re-matched, and a
    probe that no longer fits is reported rather than dropped.  For a component, ``--module N`` picks
    the core module to instrument (ANALYSIS.md §6; default: the only app module)."""
    words, opts = parse_options(args, "load APP [--module N]", {"--module": int}, positional=(1, 1))
    module_index = opts.get("--module")
    if module_index is not None and module_index < 0:  # type: ignore[operator]
        raise UsageError("--module takes a core module index (0, 1, ...)\nusage: load APP [--module N]")
    outcome = shell.session.load(words[0], module_index)  # type: ignore[arg-type]
    app = shell.session.app
    module = app.module
    where = "" if app.core is None else f" (core module {app.core.index} of the component, {app.core.role.value})"
    shell.renderer.message(f"loaded {app.name}{where}: "
                           f"{plural(module.num_imported_funcs + len(module.code), 'function')} "
                           f"({module.num_imported_funcs} imported)")
    note = names_note(shell.session.app)
    if note is not None:
        shell.renderer.warning(note)
    if isinstance(outcome, WhammError):
        shell.renderer.error(outcome)
        shell.renderer.warning("the probes above do not fit the new application; fix or remove them")
        return
    for number, probe in shell.session.probes.items():
        if probe.enabled:
            _matched_line(shell, number, outcome.sites_of(number), outcome.functions_of(number))


def do_modules(shell: Shell, args: str) -> None:
    """``modules``: the core modules of the loaded component (ANALYSIS.md §6) — index, size, role and
    name — with the one being instrumented marked ``*``."""
    parse_options(args, "modules", {}, positional=(0, 0))
    app = shell.session.app
    if app.component is None or app.core is None:
        shell.renderer.message(f"{app.name} is a core module, not a component: it is the module instrumented")
        return
    rows = [["*" if m.index == app.core.index else "", m.index, m.size, m.role.value, m.name or "–"]
            for m in app.component.modules]
    shell.renderer.table(("", "index", "size", "role", "name"), rows, limit=False)


_PROBE_ADD_OPTIONS = re.compile(r"\s*(?:--number\s+(?P<number>\d+)|(?P<disabled>--disabled))(?=\s)")


def do_probe_add(shell: Shell, args: str) -> None:
    """``probe add [--number N] [--disabled] TEXT`` (or a probe typed directly): check, match and
    number a new probe.  The options are what a ``save --session`` file uses to bring probes back
    with their numbers and states; a rule never starts with ``--``."""
    usage = "probe add [--number N] [--disabled] RULE [/ PRED /] { BODY }"
    number, enabled = None, True
    while (m := _PROBE_ADD_OPTIONS.match(args)) is not None:
        if m["number"] is not None:
            number = int(m["number"])
        else:
            enabled = False
        args = args[m.end():]
    if not args.strip() or args.lstrip().startswith("-"):
        raise UsageError(f"usage: {usage}")
    added = shell.session.add_probe(args, number, enabled)
    if not enabled:
        shell.renderer.message(f"probe {added.number} added (disabled)")
        return
    _report_added(shell, added, "added")


def _report_added(shell: Shell, added, verb: str) -> None:
    for w in added.warnings:
        shell.renderer.warning(w)
    if not added.has_sites:
        shell.renderer.message(f"probe {added.number} {verb}")
        return
    shell.renderer.message(f"probe {added.number} {verb}: {plural(added.sites, 'site')} in "
                           f"{plural(added.functions, 'function')}")
    if added.sites == 0:
        shell.renderer.warning(f"probe {added.number} matches nothing in "
                               f"{os.path.basename(shell.session.app.name)} (kept; it does nothing)")


def _matched_line(shell: Shell, number: int, sites, functions) -> None:
    shell.renderer.message(f"probe {number}: {plural(len(sites), 'site')} in "
                           f"{plural(len(functions), 'function')}")


def do_probe_rm(shell: Shell, args: str) -> None:
    """``probe rm N…``: remove probes; the others keep their numbers."""
    numbers = parse_numbers(args, "probe rm N…", shell.session.probes)
    if not numbers:
        raise UsageError("usage: probe rm N…")
    done = shell.session.remove(numbers)
    shell.renderer.message(f"removed {_probe_list(done)}")


def do_probe_enable(shell: Shell, args: str) -> None:
    """``probe enable [N…]``: enable the given probes, all of them without numbers."""
    _toggle(shell, args, True)


def do_probe_disable(shell: Shell, args: str) -> None:
    """``probe disable [N…]``: leave probes out of the next runs, keeping their numbers and text."""
    _toggle(shell, args, False)


def _toggle(shell: Shell, args: str, enabled: bool) -> None:
    verb = "enable" if enabled else "disable"
    numbers = parse_numbers(args, f"probe {verb} [N…]", shell.session.probes) or list(shell.session.probes)
    done = shell.session.set_enabled(numbers, enabled)
    if done:
        shell.renderer.message(f"{verb}d {_probe_list(done)}")
    else:
        shell.renderer.message(f"nothing to {verb}")


def do_probe_edit(shell: Shell, args: str) -> None:
    """``probe edit N [--editor | NEW-PROBE]``: replace probe N's text, at the prompt, in ``$EDITOR`` or
    from the line; a wrong new text leaves probe N as it was."""
    usage = "probe edit N [--editor] | probe edit N NEW-PROBE"
    m = re.match(r"\s*(\d+)\s*(.*)\Z", args, re.S)
    if m is None:
        raise UsageError(f"usage: {usage}")
    number, rest = int(m[1]), m[2].strip()
    old = shell.session.probe(number).text
    if rest == "--editor":
        _edit_in_editor(shell, number, old)
        return
    elif rest:
        text = rest
    elif shell.edit_inline is not None:
        text = shell.edit_inline(old)
    else:
        raise UsageError("inline editing needs a terminal: use `probe edit N --editor` or "
                         f"`probe edit N NEW-PROBE`\nusage: {usage}")
    if text.strip() == old.strip():
        shell.renderer.message(f"probe {number} unchanged")
        return
    _report_added(shell, shell.session.edit_probe(number, text), "changed")


#: The first line of the error block ``probe edit --editor`` puts above a rejected text.
_ERROR_HEADER = "// whamm-shell: the compiler rejected this probe (these // lines are dropped):"


def _edit_in_editor(shell: Shell, number: int, old: str) -> None:
    """``probe edit N --editor``: an edit the compiler rejects is not thrown away — the error is shown
    and, at a terminal, the editor re-opens on the rejected text with the error above it in ``//``
    comments (as ``crontab -e`` and ``git commit`` do), until it is accepted or the user gives up."""
    text = _external_edit(shell, old)
    while True:
        text = "\n".join(ln for ln in text.split("\n") if not ln.startswith("// whamm-shell:")).strip()
        if text == old.strip():
            shell.renderer.message(f"probe {number} unchanged")
            return
        try:
            added = shell.session.edit_probe(number, text)
        except WhammError as exc:
            if shell.ask is None:
                raise
            shell.renderer.error(exc)
            answer = shell.ask("edit again? [Y/n] ")
            if answer is None or answer.strip().lower() in ("n", "no"):
                raise SessionError(f"probe {number} unchanged (the rejected edit was dropped)") from None
            render = getattr(exc, "render", None)
            problem = render(False) if callable(render) else str(exc)
            notes = [_ERROR_HEADER, *(f"// whamm-shell: {ln}" for ln in problem.split("\n"))]
            text = _external_edit(shell, "\n".join(notes) + "\n" + text)
            continue
        _report_added(shell, added, "changed")
        return


def _external_edit(shell: Shell, text: str) -> str:
    editor = shell.environ.get("VISUAL") or shell.environ.get("EDITOR") or "vi"
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


def do_global(shell: Shell, args: str) -> None:
    """``global STATEMENT`` (or a script-level item typed directly): add a var, report var, use, fn,
    assignment or call; ``global rm NAME`` removes the item declaring NAME (``rm NAME`` is never a
    whamm statement, so the two cannot be confused)."""
    if not args.strip():
        raise UsageError("usage: global STATEMENT | global rm NAME")
    remove = re.fullmatch(r"\s*rm(?:\s+(\S*))?\s*", args)
    if remove is not None:
        _global_rm(shell, remove[1])
        return
    item = shell.session.add_item(args, shell.location)
    shell.renderer.message(f"global: {item.text}")


def add_script(shell: Shell, text: str, name: str) -> None:
    """A whole whamm script given at once (pasted at the prompt): its globals and probes are added as
    ``-s`` adds a script file — checked together, errors pointing into it as ``NAME:line:col``, the
    session matched once — and each is then reported as if typed."""
    before = len(shell.session.items)
    numbers = shell.session.load_script(text, name, alone=False)
    for item in shell.session.items[before:]:
        shell.renderer.message(f"global: {item.text}")
    for number in numbers:
        _report_added(shell, shell.session.added(number), "added")


def _global_rm(shell: Shell, name: str | None) -> None:
    if not name:
        raise UsageError("usage: global rm NAME")
    try:
        item = shell.session.remove_item(name)
    except ScriptErrors as exc:
        shell.renderer.error(exc)
        raise SessionError(f"`{name}` is still used (above): not removed") from None
    shell.renderer.message(f"removed global: {item.text}")


def do_run(shell: Shell, args: str) -> None:
    """``run [ARGS…] [--timings]``: instrument what changed, run the app streaming its output, then
    show its outcome, the phases' timings if asked, and a summary of the report."""
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
    record = shell.session.run(app_args if app_args or "--" in words else None,
                               stdout=_sink(shell.renderer.out, sys.stdout, 1),
                               stderr=_sink(shell.renderer.err, sys.stderr, 2))
    _show_outcome(shell, record)
    if timings:
        _show_timings(shell, record)
    show_tool_tables(shell, record)
    _show_summary(shell, record)


def _show_outcome(shell: Shell, record: RunRecord) -> None:
    r = record.result
    if r.outcome is api.Outcome.TRAPPED:
        code = f" [{r.trap_code}]" if r.trap_code else ""
        shell.renderer.error(f"{r.message}{code}" + "".join(f"\n{f}" for f in r.frames))
    elif r.outcome in (api.Outcome.TIMED_OUT, api.Outcome.OUT_OF_FUEL, api.Outcome.INTERRUPTED):
        shell.renderer.warning(f"{r.message}; the values collected so far are kept (`report`)")
    shell.renderer.message(f"[exit status {r.status} · {seconds(r.elapsed)}]")


def _show_timings(shell: Shell, record: RunRecord) -> None:
    t = record.timings
    phases = ("check", "match", "emit", "encode", "validate", "compile", "execute")
    text = ", ".join(f"{p} {seconds(t.get(p, 0.0))}" + (f" ({record.compiler})" if p == "compile" else "")
                     for p in phases)
    note = " (instrumented module reused: nothing recompiled)" if record.build.reused else ""
    shell.renderer.message(f"timings: {text}{note}")


def _show_summary(shell: Shell, record: RunRecord) -> None:
    """The report in a few lines: how many rows (a map's keys are rows) of which variables, then the
    largest values (``report`` shows them all); the traced tools' variables are left out (their tables
    show them)."""
    shown = traced_variables(shell.session)
    rows = rows_of([v for v in record.values() if v.var.name not in shown])
    if not rows:
        return
    names = list(dict.fromkeys(r.source.var.name for r in rows))
    shown = sort_rows(rows)[:5]
    shell.renderer.message(f"report: {plural(len(rows), 'row')} of {', '.join(names)}")
    for r in shown:
        shell.renderer.message(f"  {r.label()} = {r.text}")
    if len(rows) > len(shown):
        shell.renderer.message(f"  … {plural(len(rows) - len(shown), 'more row')}; use `report`")


def do_save(shell: Shell, args: str) -> None:
    """``save FILE.mm``: write the globals and enabled probes as the script the shell instruments;
    ``save --session FILE``: write the whole session as commands that ``source FILE`` replays."""
    words, options = parse_options(args, "save FILE.mm | save --session FILE", {"--session": None},
                                   positional=(1, 1))
    session = shell.session
    if options.get("--session"):
        session.save(words[0], session_commands(session))
        shell.renderer.message(f"saved {plural(len(session.probes), 'probe')}, "
                               f"{plural(len(session.items), 'global')} and the run settings to {words[0]} "
                               f"(`source {words[0]}` replays them)")
        return
    session.save(words[0])
    probes = sum(p.enabled for p in session.probes.values())
    shell.renderer.message(f"saved {plural(probes, 'probe')} and {plural(len(session.items), 'global')}"
                           f" to {words[0]}")


def session_commands(session: Session) -> str:
    """The session as a command file (``save --session``) that ``source`` replays exactly: every run
    setting (each one, defaults too, so that sourcing into a used shell resets it), the script-level
    items in order, then every probe with its number and, if disabled, its state.  Items and probes
    are written as they were typed: a newline inside a probe before its body does not end the command
    (:func:`~whamm_shell.splitting.split_commands`).  Libraries (``-u``) are start-up options: the
    file names them in a comment."""
    s = session.settings
    q = shlex.quote
    lines = [f"// whamm-shell session on {session.app.name}: `source` this file to replay it"]
    used = [item.text.split()[1].rstrip(";") for item in session.items if item.kind == "use"]
    if used:
        lines.append(f"// start the shell with the user libraries it uses: {', '.join(f'-u {u}=PATH' for u in used)}")
    lines += [
        "set args " + " ".join(q(a) for a in s.args),
        "set env",
        *(["set env " + " ".join(q(f"{k}={v}") for k, v in s.env)] if s.env else []),
        "set dir",
        *(["set dir " + " ".join(q(h if h == g else f"{h}::{g}") for h, g in s.dirs)] if s.dirs else []),
        "set stdin" + ("" if s.stdin is None else " " + q(s.stdin)),
        "set timeout " + ("off" if s.timeout is None else repr(s.timeout)),
        "set fuel " + ("off" if s.fuel is None else str(s.fuel)),
        f"set compiler {s.compiler}",
        f"set unknown-imports {s.unknown_imports or 'off'}",
    ]
    lines += [f"global {item.text}" for item in session.items]
    for probe in session.probes.values():
        state = "" if probe.enabled else " --disabled"
        lines.append(f"probe add --number {probe.number}{state} {probe.text}")
    return "".join(line.rstrip() + "\n" for line in lines)


def do_source(shell: Shell, args: str) -> bool:
    """``source FILE``: run a command file like ``-x``; True if it said ``quit``.  A file that
    sources itself (directly or not) is refused instead of recursing."""
    words, _ = parse_options(args, "source FILE", {}, positional=(1, 1))
    path = Path(words[0])
    if path.resolve() in shell.sourcing:
        raise SessionError(f"`source {words[0]}` would read itself again (recursion)")
    text = api.read_script(path)       # a regular file only: a FIFO or /dev/zero is refused
    shell.sourcing.append(path.resolve())
    try:
        return shell.run_text(text, words[0])
    finally:
        shell.sourcing.pop()


def do_export(shell: Shell, args: str) -> None:
    """``export OUT.wasm``: write the current instrumented module."""
    words, _ = parse_options(args, "export OUT.wasm", {}, positional=(1, 1))
    size = shell.session.export(words[0])
    shell.renderer.message(f"wrote {words[0]} ({size} bytes)")


def do_set_args(shell: Shell, args: str) -> None:
    """``set args ARG…``: the app's ``argv[1:]`` for the next runs (shell quoting)."""
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise UsageError(f"{exc}\nusage: set args ARG…") from None
    shell.session.settings = replace(shell.session.settings, args=tuple(words))
    shell.renderer.message(f"args: {_args_text(words)}")


def do_set_env(shell: Shell, args: str) -> None:
    """``set env K=V…``: add environment variables for the app; no entry clears them all."""
    usage = "set env K=V…"
    words, _ = parse_options(args, usage, {})
    env = dict(shell.session.settings.env)
    if not words:
        env = {}
    for w in words:
        key, sep, value = w.partition("=")
        if not sep or not key:
            raise UsageError(f"invalid environment entry `{w}`: expected K=V\nusage: {usage}")
        env[key] = value
    shell.session.settings = replace(shell.session.settings, env=tuple(env.items()))
    shell.renderer.message("env: " + (" ".join(f"{k}={v}" for k, v in env.items()) or "(none)"))


def do_set_dir(shell: Shell, args: str) -> None:
    """``set dir HOST[::GUEST]…``: preopen host directories for the app; none clears them."""
    usage = "set dir HOST[::GUEST]…"
    words, _ = parse_options(args, usage, {})
    dirs = list(shell.session.settings.dirs) if words else []
    for w in words:
        host, sep, guest = w.partition("::")
        if not host or (sep and not guest):
            raise UsageError(f"invalid directory `{w}`: expected HOST or HOST::GUEST\nusage: {usage}")
        if not os.path.isdir(host):
            raise SessionError(f"cannot preopen directory '{host}': not a directory")
        dirs.append((host, guest or host))
    shell.session.settings = replace(shell.session.settings, dirs=tuple(dirs))
    shell.renderer.message("dirs: " + (" ".join(f"{h}::{g}" for h, g in dirs) or "(none)"))


def do_set_stdin(shell: Shell, args: str) -> None:
    """``set stdin [FILE]``: the app's standard input; no FILE means the terminal's."""
    words, _ = parse_options(args, "set stdin [FILE]", {}, positional=(0, 1))
    if words and not os.path.isfile(words[0]):
        raise SessionError(f"cannot read stdin file '{words[0]}': no such file")
    shell.session.settings = replace(shell.session.settings, stdin=words[0] if words else None)
    shell.renderer.message(f"stdin: {words[0] if words else '(inherited)'}")


def do_set_timeout(shell: Shell, args: str) -> None:
    """``set timeout SECONDS|off``: stop runs after this wall time."""
    usage = "set timeout SECONDS|off"
    words, _ = parse_options(args, usage, {}, positional=(1, 1))
    value = None if words[0] in ("off", "none") else parse_value(words[0], float, "timeout", usage)
    if value is not None and not 0 < value < float("inf"):  # type: ignore[operator]
        raise UsageError(f"invalid timeout `{words[0]}`: expected a positive number of seconds")
    shell.session.settings = replace(shell.session.settings, timeout=value)  # type: ignore[arg-type]
    shell.renderer.message(f"timeout: {'off' if value is None else f'{value:g} s'}")


def do_set_fuel(shell: Shell, args: str) -> None:
    """``set fuel N|off``: stop runs after N units of wasmtime fuel."""
    usage = "set fuel N|off"
    words, _ = parse_options(args, usage, {}, positional=(1, 1))
    value = None if words[0] in ("off", "none") else parse_value(words[0], int, "fuel", usage)
    shell.session.settings = replace(shell.session.settings, fuel=value)  # type: ignore[arg-type]
    shell.renderer.message(f"fuel: {'off' if value is None else value}")


def do_set_compiler(shell: Shell, args: str) -> None:
    """``set compiler fast|optimized``: which wasmtime compiler makes the machine code of the next runs.
    ``fast`` (Winch, the default) compiles a big instrumented app several times faster, ``optimized``
    (Cranelift, as ``whamm run``) makes faster code for long runs; the reports are the same."""
    usage = "set compiler fast|optimized"
    words, _ = parse_options(args, usage, {}, positional=(1, 1))
    if words[0] not in api.COMPILERS:
        raise UsageError(f"invalid compiler `{words[0]}`: expected fast or optimized\nusage: {usage}")
    shell.session.settings = replace(shell.session.settings, compiler=words[0])
    shell.renderer.message(f"compiler: {_compiler_text(words[0])}")


def do_set_pager(shell: Shell, args: str) -> None:
    """``set pager on|off``: whether listings taller than the terminal go through ``$PAGER`` (at a
    terminal only: batch mode and piped output never page)."""
    usage = "set pager on|off"
    words, _ = parse_options(args, usage, {}, positional=(1, 1))
    if words[0] not in ("on", "off"):
        raise UsageError(f"invalid value `{words[0]}`: expected on or off\nusage: {usage}")
    pager = shell.renderer.pager
    if pager is not None:
        pager.enabled = words[0] == "on"
    shell.renderer.message(f"pager: {words[0]}" + ("" if pager is not None else " (output is not a terminal: "
                                                                                 "nothing is paged)"))


def do_set_unknown_imports(shell: Shell, args: str) -> None:
    """``set unknown-imports trap|default|off``: what stands in for the imports that neither WASI nor a
    user library provides, so an app written for another host (``ic0.debug_print``) can run at all:
    functions that trap when called, or that return zeros (ANALYSIS.md §8, as wasmtime's
    ``--trap-unknown-imports`` / ``--default-values-unknown-imports``); ``off`` fails the run."""
    usage = "set unknown-imports trap|default|off"
    words, _ = parse_options(args, usage, {}, positional=(1, 1))
    if words[0] not in (*api.UNKNOWN_IMPORTS, "off"):
        raise UsageError(f"invalid value `{words[0]}`: expected trap, default or off\nusage: {usage}")
    value = None if words[0] == "off" else words[0]
    shell.session.settings = replace(shell.session.settings, unknown_imports=value)
    shell.renderer.message(f"unknown imports: {_unknown_imports_text(value)}")


def _unknown_imports_text(value: str | None) -> str:
    return {None: "off (the run fails)", "trap": "trap (a call traps)",
            "default": "default (calls return zeros)"}[value]


def _compiler_text(compiler: str) -> str:
    return "fast (Winch; Cranelift for what Winch lacks)" if compiler == "fast" else "optimized (Cranelift)"


def do_show_settings(shell: Shell, args: str) -> None:
    """``show settings``: the run settings as a table."""
    parse_options(args, "show settings", {}, positional=(0, 0))
    s = shell.session.settings
    rows = [
        ("args", _args_text(s.args)),
        ("env", " ".join(f"{k}={v}" for k, v in s.env) or "(none)"),
        ("dirs", " ".join(f"{h}::{g}" for h, g in s.dirs) or "(none: no host directory is visible)"),
        ("stdin", s.stdin or "(inherited)"),
        ("timeout", "off" if s.timeout is None else f"{s.timeout:g} s"),
        ("fuel", "off" if s.fuel is None else str(s.fuel)),
        ("compiler", _compiler_text(s.compiler)),
        ("unknown-imports", _unknown_imports_text(s.unknown_imports)),
    ]
    shell.renderer.table(("setting", "value"), rows, limit=False)


def do_history(shell: Shell, args: str) -> None:
    """``history [N]``: the persistent history (and, in batch mode, which writes none, this
    session's commands), the last N entries if given."""
    words, _ = parse_options(args, "history [N]", {}, positional=(0, 1))
    entries = read_history(shell.history_path) if shell.history_path is not None else []
    if shell.edit_inline is None:        # batch mode does not write the history file
        entries += shell.commands
    if words:
        if not words[0].isdecimal():
            raise UsageError("usage: history [N]")
        entries = entries[-int(words[0]):] if int(words[0]) else []
    width = len(str(len(entries)))
    shell.renderer.lines([f"{k:>{width}}  {e}" for k, e in enumerate(entries, 1)], limit=False)


# -------------------------------------------------------------------------------------- helpers

def _probe_list(numbers: Iterable[int]) -> str:
    numbers = list(numbers)
    return ("probe " if len(numbers) == 1 else "probes ") + ", ".join(map(str, numbers))


def _args_text(args: Iterable[str]) -> str:
    return " ".join(shlex.quote(a) for a in args) or "(none)"


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
