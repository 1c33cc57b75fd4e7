"""What each ready-made tool (ANALYSIS.md §7) shows after a run: a readable table built from the report
values read out of the instance (:func:`compiler.report.live.read_report_values`), the same in the shell
and on the command line.

One function per tool, registered in :data:`TABLES` under the tool's name; each takes the run's report
values and the application that ran, and returns the table's lines, or None when the run holds none of
the tool's variables (the shell's user removed its probes).  The application's DWARF line table (ANALYSIS.md
§5), when it has one, names each site's ``file:line`` in the per-site tables and is what ``coverage``
counts lines of.  A value that could not be read is an error, never an empty row: a table that silently
lost rows would be a wrong answer.  Columns are right-aligned numbers with the name column last and
left-aligned, as ``strace -c`` and ``gcov`` lay them out, so long names do not push the numbers around.
"""
from __future__ import annotations

import os
from collections import defaultdict
from typing import TYPE_CHECKING, Callable, Sequence

from compiler.errors import InternalError, WhammError
from compiler.report.coverage import COVERAGE_VAR, FileCoverage, coverage, resolve_source
from compiler.report.folded import flame_lines, profile_counts
from compiler.wasm.source_lines import source_map

if TYPE_CHECKING:
    from compiler.report.live import ReportValue
    from compiler.results import App

__all__ = ["TABLES", "tool_table", "line_ranges"]


class ToolTableError(WhammError):
    """A tool's variable could not be read from the instance, so its table cannot be trusted."""


def tool_table(name: str, values: Sequence[ReportValue], app: App | None = None) -> list[str] | None:
    """The table of tool ``name`` for a run's report ``values``; None when the run has none of its
    variables.  ``app`` is the application that ran (its line table gives ``file:line`` columns and line
    coverage; the ``coverage`` tool's line counters need it)."""
    return TABLES[name](values, app)


def _rows(values: Sequence[ReportValue], name: str) -> list[ReportValue]:
    """The report rows of variable ``name`` (one per site of a per-site variable); an unreadable one raises."""
    rows = [v for v in values if v.var.name == name]
    for row in rows:
        if not row.readable:
            raise ToolTableError(f"the value of `{name}` could not be read from the instance")
    return rows


def _map(values: Sequence[ReportValue], name: str) -> dict | None:
    """The entries of the script-level map ``name`` (str keys decoded), or None if the run has no such map."""
    rows = _rows(values, name)
    if not rows:
        return None
    return {_text(k): v for k, v in rows[0].value.items()}  # type: ignore[union-attr]


def _text(key: object) -> object:
    """A map key as the table shows it: ``str`` keys (bytes in live values) decoded, tuples element-wise."""
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    if isinstance(key, tuple):
        return tuple(_text(k) for k in key)
    return key


def layout(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Columns separated by two blanks: numbers right-aligned, the last column left-aligned, a ``---``
    rule under the headers."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(row: Sequence[str]) -> str:
        return "  ".join([*(c.rjust(w) for c, w in zip(row[:-1], widths)), row[-1]]).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def _plural(n: int, noun: str, nouns: str | None = None) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {nouns or noun + 's'}"


def _with_source(headers: list[str], rows: list[list[object]], sites: list[tuple[int, int]],
                 app: App | None) -> tuple[list[str], list[list[object]]]:
    """Add a ``file:line`` column (the site's line in the application's DWARF line table, the file by its
    base name as listings show it; blank where the table says nothing) before the last one, when the
    application has a line table that names any site's line."""
    if app is None:
        return headers, rows
    smap = source_map(app.module)
    if not smap.has_lines:
        return headers, rows
    where = [smap.location_at_pc(fid, pc).short for fid, pc in sites]
    if not any(where):
        return headers, rows
    return ([*headers[:-1], "file:line", headers[-1]], [[*row[:-1], w, row[-1]] for row, w in zip(rows, where)])


# ----------------------------------------------------------------------------------------------- tools

def calls_table(values: Sequence[ReportValue], app: App | None) -> list[str] | None:
    """``calls``: entries per function, hottest first (ties in function order); never-entered ones counted below."""
    rows = [v for v in _rows(values, "calls") if v.var.fid is not None]
    if not rows:
        return None
    entered = sorted((v for v in rows if v.value), key=lambda v: (-v.value, v.var.fid))
    out = layout(("calls", "fid", "function"), [(v.value, v.var.fid, v.var.display_fname) for v in entered])
    out.append("")
    out.append(f"{_plural(sum(v.value for v in rows), 'call')} of {_plural(len(entered), 'function')}"
               f"; {_plural(len(rows) - len(entered), 'function')} never called")
    return out


def branches_table(values: Sequence[ReportValue], app: App | None) -> list[str] | None:
    """``branches``: taken / not taken per conditional branch, the most executed first (ties in code
    order); branches that never ran are counted below the table."""
    taken = {(v.var.fid, v.var.pc): v for v in _rows(values, "taken") if v.var.fid is not None}
    not_taken = {(v.var.fid, v.var.pc): v for v in _rows(values, "not_taken") if v.var.fid is not None}
    if not taken or taken.keys() != not_taken.keys():
        return None
    sites = sorted(taken, key=lambda s: (-(taken[s].value + not_taken[s].value), s))
    ran = [s for s in sites if taken[s].value + not_taken[s].value]
    headers = ["taken", "not taken", "fid", "pc", "branch", "function"]
    rows: list[list[object]] = [[taken[s].value, not_taken[s].value, s[0], s[1], _instruction(taken[s]),
                                 taken[s].var.display_fname] for s in ran]
    headers, rows = _with_source(headers, rows, ran, app)
    out = layout(headers, rows)
    out.append("")
    out.append(f"{_plural(len(ran), 'branch', 'branches')} ran; "
               f"{_plural(len(sites) - len(ran), 'branch', 'branches')} never ran")
    return out


def _instruction(row: ReportValue) -> str:
    """The branch instruction of a row of a ``wasm:opcode:NAME:before`` probe (its ``probe_id``)."""
    parts = (row.var.probe_id or "").split(":")
    return parts[2] if len(parts) > 2 else "?"


def coverage_table(values: Sequence[ReportValue], app: App | None) -> list[str] | None:
    """``coverage``: line coverage when the run counted lines (the script built from the application's
    line table, :mod:`compiler.tools.app_scripts`), else per basic block (the ``.mm`` file's script)."""
    if any(v.var.name == COVERAGE_VAR for v in values):
        if app is None:
            raise InternalError("coverage: the line counters are read against the application's line table, "
                                "which the table was not given")
        return _line_table(values, app)
    return _block_table(values, app)


def _line_table(values: Sequence[ReportValue], app: App) -> list[str]:
    """Line coverage as ``whamm run --coverage`` counts it (:func:`compiler.report.coverage.coverage`):
    lines hit of the lines with code, in all and per source file — the files whose source is on this
    machine first, as the shell's ``coverage`` orders them — then, per such file that has some, the lines
    never executed as ranges (:func:`line_ranges`), as ``gcov`` marks them ``#####``.  The lines of files
    whose source is not here (a libc's) are counted in the per-file rows, not listed."""
    cov = coverage(app.module, values)
    app_dir = os.path.dirname(os.path.abspath(app.name))
    here = {fc.file: os.path.exists(resolve_source(fc.file, app_dir)) for fc in cov.files}
    files = sorted(cov.files, key=lambda fc: (not here[fc.file], fc.file))
    local = [fc for fc in files if here[fc.file]]
    out = []
    if local and len(local) < len(files):
        out.append(_lines_hit(local, f"the {_plural(len(local), 'source file')} on this machine"))
    out += [_lines_hit(files, f"{'all ' if out else ''}{_plural(len(files), 'source file')}"), ""]
    out += layout(("lines", "hit", "%", "file"),
                  [(len(fc.lines), fc.hit, _percent(fc.hit, len(fc.lines)), fc.file) for fc in files])
    missed = [fc for fc in files if fc.hit < len(fc.lines)]
    listed = [fc for fc in missed if here[fc.file]]
    if listed:
        out += ["", "never executed:", *(f"{fc.file}: {line_ranges(fc)}" for fc in listed)]
    if len(listed) < len(missed):
        out += ["", f"({_plural(len(missed) - len(listed), 'file')} whose source is not on this machine: their lines "
                    "never executed are not listed; `whamm run --coverage FILE` and the shell's `coverage --lcov "
                    "FILE` write every line)"]
    return out


def _lines_hit(files: Sequence[FileCoverage], where: str) -> str:
    total = sum(len(fc.lines) for fc in files)
    hit = sum(fc.hit for fc in files)
    return f"lines: {hit} of {total} hit ({_percent(hit, total)}%) in {where}"


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}" if whole else "0.0"


def line_ranges(fc: FileCoverage) -> str:
    """The lines of ``fc`` with code that never ran, as ``12, 15-18, 30``: a range is a run of lines
    with code none of which ran and no line between them that ran (lines without code may lie inside
    it), so a line with code is within a range exactly when it never ran."""
    ranges: list[list[int]] = []
    last_ran = True
    for line, count in fc.lines.items():       # in line order
        if count:
            last_ran = True
            continue
        if last_ran:
            ranges.append([line, line])
        else:
            ranges[-1][1] = line
        last_ran = False
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def _block_table(values: Sequence[ReportValue], app: App | None) -> list[str] | None:
    """Per basic block its runs in code order (``#####`` for none, as gcov marks a line never executed),
    after the blocks that ran in all and per function.  A block is the instructions whose per-site
    counters share one slot (coalesced: docs/COALESCING.md)."""
    rows = [v for v in _rows(values, "block_runs") if v.var.fid is not None]
    if not rows:
        return None
    blocks: dict[tuple[int, int], list[ReportValue]] = defaultdict(list)
    for v in rows:
        blocks[(v.var.fid, v.var.location.value_address)].append(v)  # type: ignore[union-attr,index]
    ordered = sorted((sorted(b, key=lambda v: v.var.pc) for b in blocks.values()),
                     key=lambda b: (b[0].var.fid, b[0].var.pc))
    per_function: dict[int, list[list[ReportValue]]] = defaultdict(list)
    for block in ordered:
        per_function[block[0].var.fid].append(block)  # type: ignore[index]
    ran = sum(1 for b in ordered if b[0].value)
    out = [f"blocks: {ran} of {len(ordered)} ran ({100.0 * ran / len(ordered):.1f}%)", ""]
    out += layout(("ran", "blocks", "fid", "function"),
                  [(sum(1 for b in fblocks if b[0].value), len(fblocks), fid, fblocks[0][0].var.display_fname)
                   for fid, fblocks in per_function.items()])
    out.append("")
    headers = ["runs", "fid", "pc", "instrs", "function"]
    table: list[list[object]] = [[b[0].value or "#####", b[0].var.fid, b[0].var.pc, len(b), b[0].var.display_fname]
                                 for b in ordered]
    sites = [(b[0].var.fid, b[0].var.pc) for b in ordered]
    headers, table = _with_source(headers, table, sites, app)  # type: ignore[arg-type]
    return out + layout(headers, table)


def flame_table(values: Sequence[ReportValue], app: App | None) -> list[str] | None:
    """``flame``: the profile as the shell's ``flame`` draws it, under the total it sums to."""
    if not _rows(values, "flame"):
        return None
    counts = profile_counts("flame", values)
    total = sum(counts.values())
    return [f"{_plural(total, 'instruction')} executed in {_plural(len(counts), 'call stack')}",
            "", *flame_lines(counts)]


def syscalls_table(values: Sequence[ReportValue], app: App | None) -> list[str] | None:
    """``syscalls``: ``strace -c``'s table in nanoseconds — share of the time, total, mean, calls,
    errors (blank when none) per WASI function, most time first (ties by name), and a total line."""
    times = _map(values, "syscall_ns")
    errors = _map(values, "syscall_errors")
    if times is None or errors is None:
        return None
    if not times:
        return ["no WASI calls"]
    total_ns = sum(v[1] for v in times.values())
    order = sorted(times, key=lambda name: (-times[name][1], name))

    def share(ns: int) -> str:
        return f"{100.0 * ns / total_ns:.2f}" if total_ns else "0.00"

    rows = [(share(times[n][1]), times[n][1], times[n][1] // times[n][0] if times[n][0] else 0, times[n][0],
             errors.get(n, 0) or "", n) for n in order]
    calls = sum(v[0] for v in times.values())
    out = layout(("% time", "total ns", "mean ns", "calls", "errors", "syscall"),
                 [*rows, ("100.00" if total_ns else "0.00", total_ns, "", calls, sum(errors.values()) or "", "total")])
    return [*out[:-1], out[1], out[-1]]          # the rule again above the total, as strace -c draws it


def files_table(values: Sequence[ReportValue], app: App | None) -> list[str] | None:
    """``files``: per path the successful opens, the failed ones with their errno names, bytes read and
    written — most bytes first (ties by path)."""
    opens = _map(values, "file_opens")
    read, written = _map(values, "file_read"), _map(values, "file_written")
    if opens is None or read is None or written is None:
        return None
    if not (opens or read or written):
        return ["no file opened, read or written"]
    ok: dict[str, int] = defaultdict(int)
    failed: dict[str, dict[str, int]] = defaultdict(dict)
    for (directory, relative, errno_name), n in opens.items():
        path = _joined(directory, relative)
        if errno_name == "success":
            ok[path] += n
        else:
            failed[path][errno_name] = n
    paths = set(ok) | set(failed) | set(read) | set(written)
    order = sorted(paths, key=lambda p: (-(read.get(p, 0) + written.get(p, 0)), p))

    def failures(path: str) -> str:
        return " ".join(f"{n} {name}" for name, n in sorted(failed[path].items())) if path in failed else ""

    rows = [(ok.get(p, 0), failures(p), read.get(p, 0), written.get(p, 0), p) for p in order]
    return layout(("opens", "failed", "read", "written", "path"), rows)


def _joined(directory: str, path: str) -> str:
    """``path`` opened relative to ``directory``, joined as ``fd_path`` joins them (runtime/fdpath.c): a
    ``/`` between them unless ``directory`` is empty or already ends in one, or ``path`` is absolute."""
    if not directory or path.startswith("/"):
        return path
    return directory + path if directory.endswith("/") else f"{directory}/{path}"


def deny_table(values: Sequence[ReportValue], app: App | None) -> list[str] | None:
    """``deny``: the paths denied, most denied first (ties by path), and the number of denials."""
    denied = _map(values, "denied")
    if denied is None:
        return None
    if not denied:
        return ["no path denied"]
    order = sorted(denied, key=lambda p: (-denied[p], p))
    out = layout(("denials", "path"), [(denied[p], p) for p in order])
    out.append("")
    out.append(f"{_plural(sum(denied.values()), 'denial')} of {_plural(len(denied), 'path')}")
    return out


#: The table of each tool, by the tool's name (every ``.mm`` file of the package has one).
TABLES: dict[str, Callable[[Sequence[ReportValue], App | None], list[str] | None]] = {
    "branches": branches_table,
    "calls": calls_table,
    "coverage": coverage_table,
    "deny": deny_table,
    "files": files_table,
    "flame": flame_table,
    "syscalls": syscalls_table,
}
