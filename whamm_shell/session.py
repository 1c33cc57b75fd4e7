"""The session model of SHELL.md: what a shell holds between commands, and the operations on it.

A :class:`Session` holds the loaded application (decoded once per ``load``), the probes in the order they
were added — each with a stable gdb-like number, an enabled flag and its source text — the script-level
items (``var``, ``report var``, ``use``, ``fn``, assignments, calls), the registered libraries, the run
settings and the last run.  It is the engine of the shell (STYLE.md §4, ``bdb`` to the commands'
``cmd``): it calls the compiler through :mod:`compiler.api` only (its incremental
:class:`~compiler.build.Instrumenter` among it), returns values and raises
:class:`~compiler.errors.WhammError`\\ s; it never prints.

The compiler sees the session as one script (:meth:`Session.compose`): the script-level items, then the
enabled probes in session order — exactly the script ``save`` writes, so ``probe_id``\\ s (EVENTS.md §9)
and report rows are the same in the shell and under ``whamm run -s``.  Every change is checked against
that script *before* it is made; a problem leaves the session unchanged and comes back as the
compiler's diagnostics, re-based onto the text the user typed (:class:`ScriptErrors`).

What a run uses and leaves — its :class:`Settings`, the :class:`RunRecord` and the report values read
from it — is :mod:`whamm_shell.runs`' (re-exported here: the commands see one session surface).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence
from compiler import api
from compiler.api import ScriptError, WhammError
if TYPE_CHECKING:
    from compiler.api import (
        Build, Composition, Execution, Instrumenter, Matched, ReportValue, SiteRow,
    )
from whamm_shell.runs import RunRecord, Settings, read_report, report_csv, tee_stdout
from whamm_shell.script_errors import ScriptErrors, localize

__all__ = [
    "SessionError", "ScriptErrors", "Probe", "Item", "Declaration", "Settings", "Added", "RunRecord",
    "Session", "read_report", "report_csv", "demo_app",
]


#: The placeholder probe that lets a session with no enabled probe still check and run its globals
#: (a whamm script needs at least one probe, LANGUAGE.md §3); it has no sites and does nothing.
_PLACEHOLDER = "wasm:begin { }\n"


class SessionError(WhammError):
    """A shell command that cannot be carried out (no such probe, nothing to save, no run yet…)."""


@dataclass(slots=True)
class Probe:
    """A session probe: its stable ``number``, its source ``text`` and whether it is enabled."""

    number: int
    text: str
    enabled: bool = True

    @property
    def rule(self) -> str:
        """The rule as typed (type bounds included)."""
        start, end = api.probe_parts(self.text).rule
        return self.text[start:end]

    @property
    def predicate(self) -> str | None:
        """The predicate as typed, or None."""
        span = api.probe_parts(self.text).predicate
        if span is None:
            return None
        return self.text[span[0]:span[1]]

    @property
    def first_line(self) -> str:
        """The probe's first line, for one-line listings (completion, ``probes``)."""
        return self.text.strip().splitlines()[0]


@dataclass(frozen=True, slots=True)
class Item:
    """A script-level item: its text (ending in ``;`` or ``}``), kind (``use``, ``fn``, ``var``,
    ``statement``) and where it came from (``prompt``, ``-c:1``, ``cmds.txt:3``, ``script.mm:2``), which
    ``globals`` shows and ``save --session`` cannot lose."""

    text: str
    kind: str
    origin: str = "prompt"


@dataclass(frozen=True, slots=True)
class Declaration:
    """A row of ``globals``: a script-level item as the checker understood it — the ``name`` it declares
    ("" for a statement), its ``kind`` (``report var``, ``var``, ``fn``, ``use``, ``statement``), the
    checked ``type`` (a ``fn``'s signature), the initialiser's text (a statement's whole text), and
    the ``item`` with its origin."""

    name: str
    kind: str
    type: str
    init: str
    item: Item


@dataclass(frozen=True, slots=True)
class Added:
    """What adding (or editing) a probe did: its number, its sites and in how many functions, and the
    compiler's warnings about it (rendered)."""

    number: int
    sites: int
    functions: int
    has_sites: bool
    warnings: tuple[str, ...] = ()


class Session:
    """One shell session (see the module docstring)."""

    def __init__(self, app: api.App, libraries: api.Libraries = api.Libraries(),
                 settings: Settings = Settings(), *, compile_cache: str | os.PathLike[str] | None = None) -> None:
        """``compile_cache`` is a directory for wasmtime's on-disk cache of compiled code (the shell's is
        in the user's cache directory): a reopened session runs a module compiled before without
        compiling it again.  None: compiled code is kept in memory for this session only."""
        self.app = app
        self.libraries = libraries
        self.settings = settings
        self.compile_cache = None if compile_cache is None else os.fspath(compile_cache)
        self.probes: dict[int, Probe] = {}
        self.items: list[Item] = []
        self.last_run: RunRecord | None = None
        #: The line counts of the last ``coverage`` (ANALYSIS.md §5), which ``list`` shows.
        self.last_coverage: api.Coverage | None = None
        #: The report values of the run before :attr:`last_run` (``report --diff``); read when the next
        #: run starts, so only one instance is kept alive.
        self.previous_values: list[ReportValue] | None = None
        self.last_build: Build | None = None
        #: The probes each ``trace NAME`` added, by tool name (:mod:`whamm_shell.tool_commands`).
        self.tools: dict[str, tuple[int, ...]] = {}
        #: For a traced tool that builds its script from the application (``coverage``): the application
        #: and script it was built for, so a ``load`` that makes it stale is noticed.
        self.tool_builds: dict[str, tuple[api.App, str]] = {}
        self._saved: tuple = ((), ())      # the probes and globals as last saved (:meth:`unsaved`)
        self._next = 1
        self._instrumenter: Instrumenter | None = None

    # ---------------------------------------------------------------------------------- the app

    def load(self, path: str | os.PathLike[str], module: int | None = None) -> Matched | ScriptErrors | WhammError:
        """Replace the application (decoded once here); probes are kept and re-matched.  ``module``
        chooses a component's core module (``load APP --module N``).  Returns the new matches, or the
        error the existing probes now cause (the app is loaded all the same)."""
        app = api.load_app(path, module=module)
        self.app = app
        self._instrumenter = None
        self.last_run = None
        self.last_coverage = None
        self.previous_values = None
        self.last_build = None
        try:
            return self.matched()
        except WhammError as exc:
            return exc

    @property
    def instrumenter(self) -> Instrumenter:
        """The incremental compiler of the application and libraries, made on first use: the shell's
        prompt comes up without loading the rewriter (see ``compiler.api._ON_FIRST_USE``)."""
        if self._instrumenter is None:
            self._instrumenter = api.Instrumenter(self.app, self.libraries)
        return self._instrumenter

    @property
    def last_matched(self) -> Matched | None:
        """The most recent matching result (what the toolbar and completion read; never computes)."""
        return None if self._instrumenter is None else self._instrumenter.last_matched

    def functions(self) -> list[tuple[int, str | None]]:
        """Every function of the application as (index, name or None), imports included."""
        module = self.app.module
        names = module.names.functions if module.names is not None else {}
        total = module.num_imported_funcs + len(module.code)
        return [(i, names.get(i)) for i in range(total)]

    def global_names(self) -> list[str]:
        """The script-level variables of the last checked script (for completion; never checks)."""
        matched = self.last_matched
        return list(matched.program.globals) if matched is not None else []

    def function_index(self, ref: str) -> int:
        """A function by name or index (``calc``, ``$calc``, ``2``)."""
        text = ref.strip().removeprefix("$")
        funcs = self.functions()
        if text.isdecimal():
            index = int(text)
            if index < len(funcs):
                return index
            raise SessionError(f"no function {index}: the application has {len(funcs)} functions")
        for index, name in funcs:
            if name == text:
                return index
        raise SessionError(f"no function named `{text}` in {self.app.name}")

    # ------------------------------------------------------------------------------- the script

    def compose(self, probes: Iterable[Probe] | None = None, items: Iterable[Item] | None = None) -> Composition:
        """The script the compiler sees: items, then the enabled probes (``probes``/``items`` replace
        the session's, to try a change before making it)."""
        items = list(self.items if items is None else items)
        probes = list(self.probes.values() if probes is None else probes)
        source = "".join(item.text + "\n" for item in items)
        prologue = len(source)
        slices = []
        for p in probes:
            if p.enabled:
                start = len(source)
                source += p.text + "\n"
                slices.append(api.ProbeSlice(p.number, start, len(source)))
        if not slices:
            source += _PLACEHOLDER
        return api.Composition(source, prologue, tuple(slices))

    def script_text(self) -> str:
        """The session as a whamm script (``save``): items, then the enabled probes."""
        if not any(p.enabled for p in self.probes.values()):
            raise SessionError("nothing to save: the session has no enabled probe")
        return self.compose().source

    def matched(self) -> Matched:
        """The current script checked and matched (incrementally)."""
        return self._try(self.compose(), self.probes.values(), self.items)

    def add_probe(self, text: str, number: int | None = None, enabled: bool = True) -> Added:
        """Add a probe (``RULE [/ PRED /] { BODY }``) at the end; raises the compiler's diagnostics and
        leaves the session unchanged when the probe is wrong.

        ``number`` and ``enabled`` let ``source`` of a saved session (``save --session``) bring a probe
        back as it was: its number (one not in use; later probes are numbered after it) and a disabled
        probe, which — as in the session it was saved from — is only parsed, since no run includes it.
        """
        text = text.strip()
        api.probe_parts(text)       # syntax errors point into the typed text as it is
        if number is not None and (number in self.probes or number < 1):
            raise SessionError(f"cannot number the new probe {number}: "
                               + ("that probe exists" if number >= 1 else "numbers start at 1"))
        probe = Probe(self._next if number is None else number, text, enabled)
        matched = None
        if enabled:
            matched = self._try(self.compose([*self.probes.values(), probe]), [*self.probes.values(), probe],
                                self.items, pending=probe.number)
        self.probes[probe.number] = probe
        self._next = max(self._next, probe.number + 1)
        return Added(probe.number, 0, 0, False) if matched is None else self._added(probe.number, matched)

    def edit_probe(self, number: int, text: str) -> Added:
        """Replace probe ``number``'s text (checked first, like :meth:`add_probe`)."""
        old = self.probe(number)
        text = text.strip()
        api.probe_parts(text)
        new = Probe(number, text, old.enabled)
        probes = [new if p.number == number else p for p in self.probes.values()]
        matched = self._try(self.compose(probes), probes, self.items, pending=number)
        self.probes[number] = new
        return self._added(number, matched)

    def add_item(self, text: str, origin: str = "prompt") -> Item:
        """Add a script-level item (``var``, ``report var``, ``use``, ``fn``, an assignment or a call);
        the final ``;`` of a one-line statement may be omitted.  ``origin`` says where it was typed."""
        text = text.strip()
        try:
            parsed = api.script_items(text, "<input>")
        except ScriptError:
            if text.endswith((";", "}")):
                raise
            try:
                parsed = api.script_items(text + ";", "<input>")
            except ScriptError:
                api.script_items(text, "<input>")    # report the error of the text as typed
                raise
            text += ";"
        if not parsed:
            raise SessionError("nothing to add: the text holds no statement")
        if any(i.kind == "probe" for i in parsed):
            raise SessionError("that is a probe: type it directly or use `probe add`")
        item = Item(text, parsed[0].kind, origin)
        items = [*self.items, item]
        self._try(self.compose(items=items), self.probes.values(), items, pending=-1)
        self.items.append(item)
        return item

    def load_script(self, text: str, name: str, *, alone: bool = True) -> list[int]:
        """Add every item and probe of a script file (``-s``) in order; returns the new probe numbers.

        The file is checked as a whole first, so its errors point into the file (``name:line:col``);
        then each top-level item becomes a session item or probe with its text as written, and the
        session is matched once.  ``alone=False`` is for a script pasted at the prompt: it is checked
        with the session's globals in scope, and need not hold a probe of its own.
        """
        if alone:
            api.check(text, name, self.libraries)
        else:
            self._check_addition(text, name)
        items, probes, numbers = list(self.items), list(self.probes.values()), []
        for node in api.script_items(text, name):
            piece = text[node.start:node.end]
            if node.kind == "probe":
                probes.append(Probe(self._next + len(numbers), piece))
                numbers.append(probes[-1].number)
            else:
                items.append(Item(piece, node.kind, f"{name}:{text.count(chr(10), 0, node.start) + 1}"))
        self._try(self.compose(probes, items), probes, items)
        self.items = items
        self.probes = {p.number: p for p in probes}
        self._next += len(numbers)
        return numbers

    def _check_addition(self, text: str, name: str) -> None:
        """Check ``text`` after the session's items (a placeholder probe if it has none), so that its
        diagnostics point into it as ``name:line:col`` and those about the items say ``global``."""
        prologue = "".join(item.text + "\n" for item in self.items)
        source = prologue + text + "\n"
        if not any(node.kind == "probe" for node in api.script_items(text, name)):
            source += _PLACEHOLDER
        try:
            api.check(source, name, self.libraries)
        except ScriptError as exc:
            composition = api.Composition(source, len(source), ())
            raise localize(exc, composition, {}, [*self.items, Item(text, "script")], -1, label=name) from None

    def added(self, number: int) -> Added:
        """What adding probe ``number`` did, for a probe added with others (a pasted script)."""
        return self._added(number, self.matched())

    def declarations(self) -> list[Declaration]:
        """The script-level items in order, each with what it declares as the checker sees it in the
        current script (``globals``).  Every ``var`` and ``fn`` item must be found among the checked
        program's declarations: one that is not is an internal error, never a row left out."""
        if not self.items:
            return []
        program = self.matched().program
        source = self.compose().source
        declared: dict[int, tuple[str, str, str, str]] = {}     # item start -> name, kind, type, init
        for name, sym in program.globals.items():
            decl = sym.decl
            init = "–" if decl.init is None else source[decl.init.span.start:decl.init.span.end]
            declared[decl.span.start] = (name, " ".join((*decl.modifiers, "var")), str(sym.type), init)
        for name, fn in program.functions.items():
            params = ", ".join(str(p.type) for p in fn.params)
            result = "" if fn.result is None else f" -> {fn.result}"
            declared[fn.fn.span.start] = (name, "fn", f"fn({params}){result}", "–")
        out, start = [], 0
        for item in self.items:
            if item.kind in ("var", "fn"):
                lead = len(item.text) - len(item.text.lstrip())
                name, kind, type_, init = declared[start + lead]
            elif item.kind == "use":
                name, kind, type_, init = item.text.split()[1].rstrip(";"), "use", "library", "–"
            else:
                name, kind, type_, init = "", "statement", "–", item.text
            out.append(Declaration(name, kind, type_, init, item))
            start += len(item.text) + 1
        return out

    def remove_item(self, name: str) -> Item:
        """Remove the script-level item that declares ``name`` (a ``var``, ``fn`` or ``use``), checked
        first like every change: if a probe or another item still uses it, the compiler's diagnostic
        points there and the session is unchanged."""
        found = [d.item for d in self.declarations() if d.name == name and d.kind != "statement"]
        if not found:
            raise SessionError(f"no global named `{name}` (`globals` lists them)")
        items = [i for i in self.items if i is not found[0]]
        self._try(self.compose(items=items), self.probes.values(), items)
        self.items = items
        return found[0]

    def probe(self, number: int) -> Probe:
        """Probe ``number``; a number that is not a probe is the user's error, with a hint."""
        try:
            return self.probes[number]
        except KeyError:
            raise SessionError(f"no probe {number} (`probes` lists them)") from None

    def remove(self, numbers: Iterable[int]) -> list[int]:
        """Remove probes; the others keep their numbers.  Returns the numbers removed."""
        numbers = self._existing(numbers)
        probes = [p for p in self.probes.values() if p.number not in numbers]
        self._try(self.compose(probes), probes, self.items)
        for n in numbers:
            del self.probes[n]
        return numbers

    def set_enabled(self, numbers: Iterable[int], enabled: bool) -> list[int]:
        """Enable or disable probes (checked first: enabling may meet a conflict).  Returns the numbers
        whose state changed."""
        numbers = [n for n in self._existing(numbers) if self.probes[n].enabled != enabled]
        probes = [replace(p, enabled=enabled) if p.number in numbers else p for p in self.probes.values()]
        self._try(self.compose(probes), probes, self.items)
        for n in numbers:
            self.probes[n].enabled = enabled
        return numbers

    def _existing(self, numbers: Iterable[int]) -> list[int]:
        out = []
        for n in numbers:
            self.probe(n)
            if n not in out:
                out.append(n)
        return out

    def _try(self, composition: Composition, probes: Iterable[Probe], items: Sequence[Item],
             pending: int | None = None) -> Matched:
        """Check and match a composition; diagnostics are re-based onto the items they are about."""
        try:
            return self.instrumenter.match(composition)
        except ScriptError as exc:
            raise localize(exc, composition, {p.number: p for p in probes}, items, pending) from None

    def _added(self, number: int, matched: Matched) -> Added:
        has_sites = matched.has_site_events(number)
        warnings = []
        for diag in matched.program.warnings:
            if diag.span is not None and self.compose().probe_at(diag.span.start) == number:
                warnings.append(diag.message)
        return Added(number, len(matched.sites_of(number)), len(matched.functions_of(number)), has_sites,
                     tuple(warnings))

    # --------------------------------------------------------------------------------- dry runs

    def dry_match(self, text: str) -> list[SiteRow]:
        """``match RULE [/ PRED /]``: every site the rule matches in the application, with what the
        predicate folds to at each — including ``false`` sites, where nothing would be injected.

        The rule is matched without its predicate (with the session's script-level items in scope), then
        the predicate is folded at each of those sites with the site's static bindings.
        """
        text = text.strip()
        api.probe_parts(text + " { }")          # syntax errors point into the typed text as it is
        prologue = self.compose(probes=()).source[:self.compose(probes=()).prologue]
        try:
            return self.instrumenter.dry_match(prologue, text)
        except ScriptError as exc:
            with_pred = prologue + text + " { }\n"
            slices = (api.ProbeSlice(0, len(prologue), len(with_pred)),)
            composition = api.Composition(with_pred, len(prologue), slices)
            raise localize(exc, composition, {0: Probe(0, text + " { }")}, self.items, 0) from None

    def site_rows(self, number: int) -> list[SiteRow]:
        """``sites N``: where probe ``number`` is injected, with the folded predicate per site."""
        probe = self.probe(number)
        if not probe.enabled:
            raise SessionError(f"probe {number} is disabled: it has no sites (`probe enable {number}`)")
        return self.matched().site_rows(self.app.module, number)

    # ------------------------------------------------------------------------------------ build

    def build(self, options: api.Options | None = None) -> Build:
        """The instrumented module of the current script (incrementally); kept as :attr:`last_build`.

        ``options`` default to :meth:`run_options`.  With the same options, the bytes equal those of
        :meth:`from_scratch` by design: the composed script is exactly the saved one, the matches of
        unchanged probes are the ones a single matching pass finds (:func:`~compiler.build.merge`
        restores its order), and a cached function body is reused only when every fact it read is
        unchanged (:mod:`compiler.rewrite.bodycache`).
        """
        composition = self.compose()
        matched = self._try(composition, self.probes.values(), self.items)
        if options is None:
            options = self._run_options(matched, self.app.component is not None)
        try:
            build = self.instrumenter.build(composition, options)
        except ScriptError as exc:
            raise localize(exc, composition, self.probes, self.items, None) from None
        self.last_build = build
        return build

    def run_options(self) -> api.Options:
        """The options ``run`` builds with.  The shell reads the report from the live instance, so the
        default report is not emitted (REWRITING.md §16 ``--no-report``: variables are still
        maintained) — unless the script has a ``wasm:report`` probe, whose body would otherwise never
        run, or the application is a component, whose values are read from the report it prints
        (ANALYSIS.md §6)."""
        return self._run_options(self.matched(), self.app.component is not None)

    @staticmethod
    def _run_options(matched: Matched, component: bool = False) -> api.Options:
        wants_report = component or any(cp.package == "report" for cp in matched.program.probes)
        return api.Options(no_report=not wants_report)

    def from_scratch(self, options: api.Options | None = None) -> api.InstrumentResult:
        """A fresh compilation of the session's script (what ``save`` writes) with no cache at all, as
        ``whamm instr -s`` does it; ``options`` default to :meth:`run_options`.  The reference the
        incremental :meth:`build` must equal byte for byte."""
        if options is None:
            options = self.run_options()
        return api.instrument(self.app, self.compose().source, script_name=api.SCRIPT_NAME, libs=self.libraries,
                              options=options)

    def write_output(self, path: str | os.PathLike[str], data: bytes) -> None:
        """Write an output file (``export``, ``save``, ``coverage --lcov``, ``report --folded``), never over
        the application or a user library the session runs (``coverage --lcov app.wasm`` replaced the
        application with the tracefile); :class:`SessionError` otherwise, or when it cannot be written."""
        real = os.path.realpath(path)
        inputs = [("the application", self.app.name)]
        inputs += [(f"the library {lib.name}", lib.path) for lib in self.libraries.linked if lib.path is not None]
        for what, source in inputs:
            if source and real == os.path.realpath(source):
                raise SessionError(f"cannot write '{os.fspath(path)}': it is {what}, which it would overwrite")
        try:
            api.write_file(path, data)
        except OSError as exc:
            raise SessionError(f"cannot write '{os.fspath(path)}': {exc.strerror or exc}") from None

    def export(self, path: str | os.PathLike[str]) -> int:
        """Write what ``whamm instr -s SAVED`` writes for the session's saved script (the default options:
        the report is printed at the flush point, unlike the shell's own runs); returns its size."""
        if not any(p.enabled for p in self.probes.values()):
            raise SessionError("nothing to export: the session has no enabled probe (there is no script to save)")
        data = self.build(api.Options()).wasm
        self.write_output(path, data)
        return len(data)

    def save(self, path: str | os.PathLike[str], text: str | None = None) -> str:
        """Write the session as a script that ``whamm run -s`` accepts (or ``text``: ``save --session``'s
        command file); returns the text written."""
        if text is None:
            text = self.script_text()
        self.write_output(path, text.encode("utf-8"))
        self.mark_saved()
        return text

    def _contents(self) -> tuple:
        return (tuple((n, p.text, p.enabled) for n, p in self.probes.items()), tuple(i.text for i in self.items))

    def mark_saved(self) -> None:
        """Take the probes and globals as saved (after ``save``, and at start-up: ``-s`` files are saved)."""
        self._saved = self._contents()

    def unsaved(self) -> bool:
        """Whether probes or globals changed since :meth:`mark_saved` (Ctrl-D asks before losing them)."""
        return self._contents() != self._saved

    # -------------------------------------------------------------------------------------- run

    def run(self, args: Sequence[str] | None = None, *, stdout: Callable[[bytes], None] | None = None,
            stderr: Callable[[bytes], None] | None = None,
            started: Callable[[Execution], None] | None = None) -> RunRecord:
        """Instrument (incrementally) and execute the application.

        ``args`` replace the remembered ``set args`` (as gdb's ``run ARGS``).  ``stdout``/``stderr``
        receive the program's output as it is written (None: the process's own streams); ``started``
        sees the execution before it runs (to interrupt it from elsewhere).  Ctrl-C in the calling
        thread interrupts the program; the record keeps the live instance either way.
        """
        if args is not None:
            self.settings = replace(self.settings, args=tuple(args))
        build = self.build()
        printed = None
        if self.app.component is not None:
            printed = bytearray()
            stdout = tee_stdout(stdout, printed)
        s = self.settings
        options = api.RunOptions((os.path.basename(self.app.name), *s.args), s.env, s.dirs, s.stdin, stdout,
                                 stderr, timeout=s.timeout, fuel=s.fuel, compiler=s.compiler,
                                 cache_dir=self.compile_cache, unknown_imports=s.unknown_imports)
        clock = time.perf_counter()
        execution = api.prepare_run(build.result, options, compiled=self.instrumenter.compiled)
        compiled = time.perf_counter() - clock
        if started is not None:
            started(execution)
        result = execution.run(interruptible=True)
        record = RunRecord(build, result, {**build.timings, "compile": compiled, "execute": result.elapsed},
                           execution.compiler, None if printed is None else bytes(printed))
        self.previous_values = None if self.last_run is None else self.last_run.values()
        self.last_run = record
        return record

    def require_run(self) -> RunRecord:
        """The last run, for the commands that read its values; before any run, a hint to ``run``."""
        if self.last_run is None:
            raise SessionError("no run yet: type `run` first")
        return self.last_run


def names_note(app: api.App) -> str | None:
    """Why an application's functions show as ``#index``, when it has no function names (said once, at
    start-up and at ``load``): toolchains drop the name section when they strip or optimise."""
    names = app.module.names
    if names is not None and names.functions:
        return None
    return (f"{os.path.basename(app.name)} has no name section, so functions show as #index; to keep names, "
            "link without stripping (no `-s`/`-Wl,--strip-all`/`-Wl,--strip-debug`; with clang -O, wasm-opt "
            "keeps them only with -g)")


def demo_app() -> Path:
    """The bundled demo application: ``whamm_shell/demo.wasm``, package data that is a link to
    ``examples/demo/app.wasm`` in the source tree (a wheel stores the file itself); the examples
    directory of a source checkout as a fallback."""
    here = Path(__file__).parent
    for candidate in (here / "demo.wasm", here.resolve().parent / "examples" / "demo" / "app.wasm"):
        if candidate.is_file():
            return candidate.resolve()
    raise SessionError("the bundled demo application is missing (examples/demo/app.wasm); give an APP")
