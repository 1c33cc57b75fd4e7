"""A session's runs (SHELL.md): the settings they run with, the record the last one leaves, and the
report values read back from it.

:class:`~whamm_shell.session.Session` holds the probes and items and builds them; what happens once the
build runs is this module's: the :class:`Settings` of ``set`` (the ``whamm run`` options), the
:class:`RunRecord` that ``report``, ``globals``, the tools' tables and ``report --diff`` read, and how
its values are read.  Report values are read from the live instance after a run through the emitter's
layout (REWRITING.md §17) — memory slots through ``whamm:memory``, globals through their getters, maps
through the runtime's exported readers — never by parsing what the program printed; the one exception
is a component, whose core instances the host cannot read (ANALYSIS.md §6): its module prints the
report, :func:`tee_stdout` keeps that text, and the values are parsed from it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Sequence
from compiler import api
if TYPE_CHECKING:
    from compiler.api import Build, ReportValue, RunResult

__all__ = ["RunRecord", "Settings", "read_report", "report_csv", "tee_stdout"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Run settings, with the meaning of the ``whamm run`` options (CLI.md §4), and the compiler of
    wasmtime: ``fast`` (Winch, the default: the shell's runs are iterations, where compile time dominates
    — sqlite's branch monitor compiles in ~0.4 s instead of ~3 s) or ``optimized`` (Cranelift, as
    ``whamm run``); both give the same results.  ``unknown_imports`` stubs the imports nobody provides
    (``trap`` or ``default``, :attr:`compiler.api.RunOptions.unknown_imports`; None: they fail the run)."""

    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    dirs: tuple[tuple[str, str], ...] = ()
    stdin: str | None = None
    timeout: float | None = None
    fuel: int | None = None
    compiler: str = "fast"
    unknown_imports: str | None = None


@dataclass(slots=True, eq=False)
class RunRecord:
    """The last run: the build it ran, the runner's result (with the live store and instance), the
    phase timings (``check``, ``match``, ``emit``, ``encode``, ``validate``, ``compile``, ``execute``) and
    the compiler that made the code (``winch`` or ``cranelift``, :attr:`compiler.api.Execution.compiler`)."""

    build: Build
    result: RunResult
    timings: dict[str, float]
    compiler: str = "cranelift"
    printed: bytes | None = None
    """For a component, everything the program wrote to stdout: its values are read from the report
    printed there (ANALYSIS.md §6)."""
    _values: list[ReportValue] | None = field(default=None, repr=False)

    @property
    def status(self) -> str:
        """A short outcome: ``exit 0``, ``trap: …``, ``timed out``, ``interrupted``."""
        r = self.result
        if r.outcome in (api.Outcome.RETURNED, api.Outcome.EXITED):
            return f"exit {r.status}"
        if r.outcome is api.Outcome.TRAPPED:
            return "trap: " + (r.message or "").removeprefix("wasm trap: ")
        return r.outcome.value

    @property
    def ok(self) -> bool:
        """Whether the program finished normally with status 0 (the toolbar's colour)."""
        return self.result.outcome in (api.Outcome.RETURNED, api.Outcome.EXITED) and self.result.status == 0

    def values(self) -> list[ReportValue]:
        """Every report row with its value, in report order (read once, then kept)."""
        if self._values is None:
            self._values = read_report(self.build, self.result, self.printed)
        return self._values

    def global_values(self) -> list[tuple[str, str, str]]:
        """Every script-level variable as (name, type, value text); ``?`` where it cannot be read.  For a
        component the report variables' values come from its printed report (the rest are ``?``)."""
        values = api.global_values(self.build.result, self.result)
        if self.printed is None:
            return values
        printed = {v.var.name: v.text for v in self.values() if v.var.fid is None and v.var.probe_id is None}
        return [(name, type_, printed.get(name, text)) for name, type_, text in values]


def read_report(build: Build, result: RunResult, printed: bytes | None = None) -> list[ReportValue]:
    """The value of every report row of ``build`` in the instance ``result`` left (REWRITING.md §17),
    read by :func:`compiler.api.read_report_values` (as ``whamm run`` reads partial reports) — or, for
    a component, from the report the module ``printed`` (:func:`compiler.api.read_printed_report`) —
    with the session number of each row's probe."""
    numbers: dict[str, int | None] = {}
    out = []
    if printed is None:
        values = api.read_report_values(build.result.layout, result)
    else:
        values = api.read_printed_report(build.result, printed.decode("utf-8", "surrogateescape"))
    for v in values:
        probe_id = v.var.probe_id
        if probe_id is not None and probe_id not in numbers:
            numbers[probe_id] = build.matched.session_number(probe_id)
        out.append(replace(v, probe=numbers.get(probe_id) if probe_id is not None else None))
    return out


def tee_stdout(stdout: Callable[[bytes], None] | None, kept: bytearray) -> Callable[[bytes], None]:
    """A stdout sink that also keeps every byte in ``kept`` (a component's printed report), passing
    the output on to ``stdout`` — or to the process's standard output when that is None."""
    def write(data: bytes) -> None:
        kept.extend(data)
        if stdout is not None:
            stdout(data)
        else:
            view = memoryview(data)
            while view:
                view = view[os.write(1, view):]
    return write


def report_csv(values: Sequence[ReportValue]) -> str:
    """The report as the instrumented program prints it (REWRITING.md §11.2): the banner, the header
    and one row per variable — the upstream-compatible CSV of ``report --csv``."""
    return api.report_csv((v.var, v.text if v.readable else "") for v in values)
