"""Tools whose script is built from the application (docs/TOOLS.md, "Scripts built from the application").

A ``.mm`` file is one script for every application, but some questions have an answer only per
application: line coverage (ANALYSIS.md §5) counts at the statement starts of *this* module's DWARF line
table, plus a probe at each line anchor that is no ``wasm:source:line`` site — a probe set that
:func:`compiler.report.coverage.coverage_script` derives from the module.  Such a tool registers here, by
its name, a builder that gets the application's module and returns the script, or None when the
application cannot give one (no line table); the tool's ``.mm`` file is then its script.  So
``whamm run --tool coverage`` and the shell's ``trace coverage`` count lines with exactly the probes
``whamm run --coverage`` uses, and its table reads them with the same :func:`~compiler.report.coverage.coverage`.

A builder takes no arguments besides the module: the tools that have one take no parameters
(:mod:`compiler.tools.catalog` refuses a tool with both).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from compiler.report.coverage import COVERAGE_VAR, coverage_script
from compiler.wasm.source_lines import source_map

if TYPE_CHECKING:
    from compiler.wasm.model import Module

__all__ = ["AppScript", "APP_SCRIPTS"]


@dataclass(frozen=True, slots=True)
class AppScript:
    """How a tool builds its script from the application: ``build(module)`` gives the script text or
    None (then the ``.mm`` file is the script); ``report_variables`` are the report variables that text
    declares (what the tool's table shows, so the rest of a report need not repeat them)."""

    build: Callable[[Module], str | None]
    report_variables: frozenset[str]


def _line_coverage(module: Module) -> str | None:
    """The probes of ``whamm run --coverage`` when the module has a DWARF line table, else None."""
    return coverage_script(module) if source_map(module).has_lines else None


#: The tools that build their script from the application, by tool name.
APP_SCRIPTS: dict[str, AppScript] = {
    "coverage": AppScript(_line_coverage, frozenset({COVERAGE_VAR})),
}
