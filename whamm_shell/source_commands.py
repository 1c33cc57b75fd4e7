"""The shell's source-level commands (ANALYSIS.md §5): ``coverage [--lcov FILE]`` and ``list``.

``coverage`` runs the application once more with a line counter at every ``wasm:source:line`` site
(:data:`compiler.api.COVERAGE_PROBE`, compiled on its own: the session's probes are not part of it, so
their report stays the last ``run``'s), keeps the counts for ``list`` and shows lines hit per file;
``--lcov FILE`` also writes the LCOV tracefile ``whamm run --coverage`` writes.  ``list FILE[:LINE]`` and
``list FUNC`` print source lines as gcov annotates them: the count of each line with code (``#####``
for none), ``-`` for lines without code.
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Callable

from compiler import api
from whamm_shell.arguments import UsageError, parse_options
from whamm_shell.builtin_commands import _sink
from whamm_shell.session import SessionError

if TYPE_CHECKING:
    from whamm_shell.shell import Shell

__all__ = ["do_coverage", "do_list", "LIST_CONTEXT", "list_words"]

#: Lines shown before and after LINE by ``list FILE:LINE`` (gdb's ``list`` shows ten lines too).
LIST_CONTEXT = 5


def do_coverage(shell: Shell, args: str) -> None:
    """``coverage [--lcov FILE]``: run the app with line counters; lines hit per source file."""
    usage = "coverage [--lcov FILE]"
    _, opts = parse_options(args, usage, {"--lcov": str}, positional=(0, 0))
    session = shell.session
    module = session.app.module
    if not api.source_map(module).has_lines:
        raise SessionError(f"no line coverage: {os.path.basename(session.app.name)} has no DWARF line table "
                           "(build it with -g and link without stripping debug sections)")
    path = opts.get("--lcov")
    if path is not None and os.path.isdir(str(path)):
        raise SessionError(f"cannot write '{path}': it is a directory")
    result = api.instrument(session.app, api.coverage_script(module), script_name="<coverage>", libs=session.libraries,
                            options=api.Options(no_report=True))
    s = session.settings
    options = api.RunOptions((os.path.basename(session.app.name), *s.args), s.env, s.dirs, s.stdin,
                             _sink(shell.renderer.out, sys.stdout, 1), _sink(shell.renderer.err, sys.stderr, 2),
                             timeout=s.timeout, fuel=s.fuel, compiler=s.compiler,
                             unknown_imports=s.unknown_imports)
    run = api.prepare_run(result, options).run(interruptible=True)
    if run.message is not None:
        shell.renderer.warning(run.message + "".join(f"\n{f}" for f in run.frames)
                               + "\n(the counts are those so far)")
    if run.instance is None:
        raise SessionError("no line coverage: the program stopped while being instantiated")
    cov = api.coverage(module, api.read_report_values(result.layout, run))
    session.last_coverage = cov
    app_dir = os.path.dirname(os.path.abspath(session.app.name))
    if path is not None:
        session.write_output(str(path), api.lcov_text(cov, app_dir=app_dir).encode("utf-8"))
    rows = sorted(cov.files, key=lambda fc: (not os.path.exists(api.resolve_source(fc.file, app_dir)), fc.file))
    shell.renderer.table(("file", "lines", "hit", "%"),
                         [(fc.file, len(fc.lines), fc.hit, f"{100 * fc.hit / len(fc.lines):.1f}") for fc in rows],
                         hint="--all")
    total = sum(len(fc.lines) for fc in cov.files)
    hit = sum(fc.hit for fc in cov.files)
    where = f"; wrote {path}" if path is not None else ""
    shell.renderer.message(f"[exit status {run.status}] {hit} of {total} lines hit in {len(cov.files)} files{where}"
                           "; `list FILE` shows the counts")


def do_list(shell: Shell, args: str) -> None:
    """``list FILE[:LINE] | list FUNC``: source lines with the last ``coverage`` run's counts."""
    usage = "list FILE[:LINE] | list FUNC"
    words, _ = parse_options(args, usage, {}, positional=(1, 1))
    session = shell.session
    smap = api.source_map(session.app.module)
    if not smap.has_lines:
        raise SessionError(f"{os.path.basename(session.app.name)} has no DWARF line table: there is no source "
                           "to list (build it with -g)")
    target = words[0]
    file, first, last = _where(session, smap, target)
    app_dir = os.path.dirname(os.path.abspath(session.app.name))
    host = api.resolve_source(file, app_dir)
    try:
        with open(host, encoding="utf-8", errors="replace") as f:
            text = f.read().splitlines()
    except OSError as exc:
        raise SessionError(f"cannot read the source '{host}': {exc.strerror or exc}") from None
    cov = session.last_coverage
    counts = (cov.file(file).lines if cov is not None and cov.file(file) is not None else None)
    code = {cl.line for cl in smap.code_lines() if cl.file == file}
    first, last = max(first, 1), min(last, len(text))
    if first > last:
        raise SessionError(f"{file} has {len(text)} lines")
    out = []
    for n in range(first, last + 1):
        if n not in code:
            mark = "-"
        elif counts is None:
            mark = ""
        else:
            mark = str(counts[n]) if counts.get(n) else "#####"
        out.append(f"{mark:>9}:{n:>5}:{text[n - 1]}")
    shell.renderer.lines(out)
    if counts is None:
        shell.renderer.message("(no counts yet: `coverage`, or `trace coverage` and `run`, runs the app with line "
                               "counters)")


def list_words(session) -> Callable[[], list[tuple[str, str]]]:
    """Words for ``list``: the source files of the line table (base names), then the functions with
    source lines (DWARF names), each with what it is as its meta; none without DWARF."""
    def words() -> list[tuple[str, str]]:
        smap = api.source_map(session.app.module)
        if not smap.has_lines:
            return []
        files = sorted({os.path.basename(cl.file) for cl in smap.code_lines()})
        funcs = sorted({sub.name for _, sub in smap.subprogram_functions() if sub.name})
        return [(f, "source file") for f in files] + [(f, "function") for f in funcs]
    return words


def _where(session, smap, target: str) -> tuple[str, int, int]:
    """(file as DWARF names it, first line, last line) that ``list TARGET`` shows."""
    name, sep, line_text = target.rpartition(":")
    files = sorted({cl.file for cl in smap.code_lines()})
    if sep and line_text.isdecimal():
        file = _file(files, name)
        line = int(line_text)
        return file, line - LIST_CONTEXT, line + LIST_CONTEXT
    file = _file(files, target, missing_ok=True)
    if file is not None:
        return file, 1, 10 ** 9
    return _function(session, smap, target)


def _file(files: list[str], name: str, missing_ok: bool = False) -> str | None:
    """The DWARF file named ``name`` (its path or a suffix of it after a ``/``)."""
    found = [f for f in files if f == name or f.endswith("/" + name)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise UsageError(f"`{name}` names {len(found)} files: {', '.join(found[:5])}; give more of the path")
    if missing_ok:
        return None
    raise SessionError(f"no source file `{name}` in the line table")


def _function(session, smap, target: str) -> tuple[str, int, int]:
    """A function's lines: from its DWARF declaration line to its last line with code."""
    subs = [(fid, sub) for fid, sub in smap.subprogram_functions() if sub.name == target.removeprefix("$")]
    if not subs:
        try:
            fid = session.function_index(target)      # a Wasm name or index
        except SessionError:
            raise SessionError(f"no source file or function `{target}`") from None
        subs = [(f, sub) for f, sub in smap.subprogram_functions() if f == fid]
    if not subs:
        raise SessionError(f"`{target}` has no source lines in the line table")
    fid, sub = subs[0]
    lines = [cl.line for cl in smap.code_lines() if cl.fid == fid and cl.file == sub.file]
    return sub.file, sub.line or min(lines, default=1), max(lines, default=sub.line)
