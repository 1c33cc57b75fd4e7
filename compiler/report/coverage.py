"""Line coverage from DWARF line tables (ANALYSIS.md §5): the probe that counts, the counts, LCOV.

Coverage is ordinary whamm probes (:func:`coverage_script`): a per-site report counter at every
``wasm:source:line:before`` site (:data:`COVERAGE_PROBE`), and at the few line anchors that are no such
site.  A line with code is a (file, line) with a statement row; its count is the number of times
execution reached its *first* statement row (:meth:`SourceMap.code_lines`, table order), i.e. the
counter of the site there.  Functions (LCOV's ``FN``/``FNDA``) are the DWARF
subprograms with code, counted at their first statement start.

:func:`lcov_text` writes the LCOV tracefile format that ``lcov`` and ``genhtml`` read (``geninfo(1)``):
per source file ``TN:``, ``SF:``, ``FN:``/``FNDA:``/``FNF:``/``FNH:``, ``DA:line,count``, ``LF:``,
``LH:`` and ``end_of_record``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from compiler.errors import InternalError, WhammError
from compiler.events.catalog import find_event
from compiler.wasm.source_lines import source_map

if TYPE_CHECKING:
    from compiler.report.live import ReportValue
    from compiler.wasm.model import Module

__all__ = ["COVERAGE_VAR", "COVERAGE_PROBE", "coverage_script", "FileCoverage", "Coverage", "coverage", "lcov_text",
           "resolve_source", "NoLinesError"]

#: The report variable of the coverage probe (one per ``wasm:source:line`` site).
COVERAGE_VAR = "whamm_line_hits"

#: The probe ``--coverage`` and the shell's ``coverage`` add to the script.
COVERAGE_PROBE = f"wasm:source:line:before {{ report var {COVERAGE_VAR}: u64; {COVERAGE_VAR}++; }}\n"


def coverage_script(module: Module) -> str:
    """The probes that count the lines of ``module``: :data:`COVERAGE_PROBE`, plus one probe at each line
    anchor that is no ``wasm:source:line`` site (a line whose first statement row covers no instruction
    start is reached with the instruction after it, :meth:`SourceMap.code_lines`), as
    ``wasm:opcode:EVENT:before / fid == F && pc == P /``.  Raises :class:`NoLinesError` without a line
    table."""
    smap = source_map(module)
    if not smap.has_lines:
        raise NoLinesError("no line coverage: the application has no DWARF line table "
                           "(build it with -g and link without stripping debug sections)")
    first = module.num_imported_funcs
    starts: dict[int, set[int]] = {}
    extra = []
    for cl in smap.code_lines():
        sites = starts.get(cl.fid)
        if sites is None:
            sites = starts[cl.fid] = set(smap.statement_starts(cl.fid))
        if cl.index in sites:
            continue
        ins = module.code[cl.fid - first].instrs[cl.index]
        try:
            event = find_event("opcode", ins.op.name).name
        except KeyError:
            raise WhammError(f"no line coverage: {cl.file}:{cl.line} starts at a {ins.op.name}, which has no "
                             "opcode event to count it with") from None
        extra.append(f"wasm:opcode:{event}:before / fid == {cl.fid} && pc == {ins.offset} / "
                     f"{{ report var {COVERAGE_VAR}: u64; {COVERAGE_VAR}++; }}\n")
    return COVERAGE_PROBE + "".join(dict.fromkeys(extra))


class NoLinesError(WhammError):
    """Coverage of an application whose DWARF has no line table (or that has no DWARF at all)."""


@dataclass(frozen=True, slots=True)
class FileCoverage:
    """One source file: ``lines`` maps each line with code to its count, ``functions`` is
    (line, name, count) per function defined in the file."""

    file: str
    lines: dict[int, int]
    functions: tuple[tuple[int, str, int], ...]

    @property
    def hit(self) -> int:
        """How many lines with code ran at least once (LCOV's ``LH``)."""
        return sum(1 for count in self.lines.values() if count)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Line coverage of one run, per source file (sorted by path)."""

    files: tuple[FileCoverage, ...]

    def file(self, name: str) -> FileCoverage | None:
        """The file whose path is ``name`` or ends with ``/name``; None if none (the first if several)."""
        for fc in self.files:
            if fc.file == name or fc.file.endswith("/" + name):
                return fc
        return None


def coverage(module: Module, values: Iterable[ReportValue]) -> Coverage:
    """The coverage of a run of ``module`` instrumented with :data:`COVERAGE_PROBE`, from its report
    values (``read_report_values``).  A line whose site has no counter is a bug (internal error)."""
    smap = source_map(module)
    if not smap.has_lines:
        raise NoLinesError("no line coverage: the application has no DWARF line table "
                           "(build it with -g and link without stripping debug sections)")
    hits: dict[tuple[int, int], int] = {}
    for v in values:
        if v.var.name == COVERAGE_VAR and v.var.fid is not None:
            if not v.readable:
                raise WhammError("no line coverage: the run's counters cannot be read")
            hits[(v.var.fid, v.var.pc)] = int(v.value)  # type: ignore[call-overload]
    first = module.num_imported_funcs
    lines: dict[str, dict[int, int]] = {}
    for cl in smap.code_lines():
        pc = module.code[cl.fid - first].instrs[cl.index].offset
        count = hits.get((cl.fid, pc))
        if count is None:
            raise InternalError(f"coverage: no counter at fid {cl.fid} pc {pc} ({cl.file}:{cl.line})")
        lines.setdefault(cl.file, {})[cl.line] = count
    functions: dict[str, list[tuple[int, str, int]]] = {}
    bodies_seen: set[int] = set()
    for fid, sub in smap.subprogram_functions():
        starts = smap.statement_starts(fid)
        if not starts or fid in bodies_seen or not sub.file:
            continue
        bodies_seen.add(fid)
        pc = module.code[fid - first].instrs[starts[0]].offset
        functions.setdefault(sub.file, []).append((sub.line, sub.name or f"#{fid}", hits.get((fid, pc), 0)))
    return Coverage(tuple(FileCoverage(f, dict(sorted(lines[f].items())), tuple(sorted(functions.get(f, ()))))
                          for f in sorted(lines)))


def resolve_source(path: str, app_dir: str | None) -> str:
    """Where a DWARF source path is on the host: as recorded when it exists (or is absolute), else
    relative to the application's directory when it exists there, else as recorded."""
    if os.path.isabs(path) or os.path.exists(path) or app_dir is None:
        return path
    candidate = os.path.join(app_dir, path)
    return candidate if os.path.exists(candidate) else path


def lcov_text(cov: Coverage, test_name: str = "", app_dir: str | None = None) -> str:
    """The LCOV tracefile of ``cov``; ``SF`` paths through :func:`resolve_source`."""
    out: list[str] = []
    for fc in cov.files:
        out.append(f"TN:{test_name}")
        out.append(f"SF:{resolve_source(fc.file, app_dir)}")
        for line, name, _ in fc.functions:
            out.append(f"FN:{line},{name}")
        for _, name, count in fc.functions:
            out.append(f"FNDA:{count},{name}")
        out.append(f"FNF:{len(fc.functions)}")
        out.append(f"FNH:{sum(1 for f in fc.functions if f[2])}")
        for line, count in fc.lines.items():
            out.append(f"DA:{line},{count}")
        out.append(f"LF:{len(fc.lines)}")
        out.append(f"LH:{fc.hit}")
        out.append("end_of_record")
    return "".join(line + "\n" for line in out)
