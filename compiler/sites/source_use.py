"""The one warning for a script that asks for source locations of an input without DWARF (ANALYSIS.md §5).

``src_file``/``src_line``/``src_col`` then bind ``""``/0 at every site and ``wasm:source:line`` has no site:
a predicate on them silently matches nothing or everything, so the user is told once, at the first use.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.lang import ast
from compiler.lang.diagnostics import Diagnostic
from compiler.wasm.source_lines import source_map

if TYPE_CHECKING:
    from compiler.lang.scopes import Program
    from compiler.wasm.model import Module

__all__ = ["SOURCE_VARIABLES", "no_dwarf_warning", "uses_source"]

#: The bound variables whose value comes from the line table.
SOURCE_VARIABLES = ("src_file", "src_line", "src_col")


def no_dwarf_warning(module: Module, program: Program) -> list[Diagnostic]:
    """``[warning]`` when a probe uses the source package or variables and the module's DWARF has no line
    table covering its code, else ``[]``."""
    span = _first_use(program)
    if span is False or source_map(module).has_lines:
        return []
    return [Diagnostic.warning(
        "the script uses source locations but the application has no DWARF line table: src_file is \"\", "
        "src_line and src_col are 0 and wasm:source:line has no site", span,
        help="build the application with -g (and link without stripping debug sections)")]


def uses_source(program: Program) -> bool:
    """Whether a probe reads ``src_file``/``src_line``/``src_col`` (the matcher binds them only then)."""
    return any(name in cp.bound_used for cp in program.probes for name in SOURCE_VARIABLES)


def _first_use(program: Program):
    """The span of the first probe rule or variable use asking for source locations; False for none."""
    for cp in program.probes:
        if cp.expansion.package == "source":
            return cp.probe.rule.span
        if any(name in cp.bound_used for name in SOURCE_VARIABLES):
            roots = [r for r in (cp.predicate, cp.body) if r is not None]
            for root in roots:
                for n in ast.walk(root):
                    if isinstance(n, ast.Name) and n.id in SOURCE_VARIABLES:
                        return n.span
            return cp.probe.rule.span
    return False
