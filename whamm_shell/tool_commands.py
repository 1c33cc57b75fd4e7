"""The shell's ready-made tools (ANALYSIS.md §7, docs/TOOLS.md): ``tools`` lists them, ``trace NAME
[ARG…]`` adds a tool's globals and probes to the session as a pasted script would, and after each
``run`` every traced tool whose variables are in the report shows its table — the same table ``whamm
run --tool`` prints, from :func:`compiler.api.tool_table`.

The session remembers which probes each ``trace`` added (:attr:`Session.tools
<whamm_shell.session.Session.tools>`), so tracing a tool whose probes are still there is refused
(its counts would double) and the run summary leaves out the rows its table already shows.
"""
from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from compiler import api
from whamm_shell.arguments import UsageError
from whamm_shell.render import plural
from whamm_shell.session import SessionError

if TYPE_CHECKING:
    from compiler.api import ReportValue
    from whamm_shell.session import RunRecord, Session
    from whamm_shell.shell import Shell

__all__ = ["do_tools", "do_trace", "show_tool_tables", "traced_variables"]


def do_tools(shell: Shell, args: str) -> None:
    """``tools``: one line per shipped tool — its usage and summary, ``(traced)`` when it is."""
    if args.strip():
        raise UsageError("usage: tools")
    tools = [api.find_tool(name) for name in api.tool_names()]
    width = max(len(t.usage) for t in tools)
    for tool in tools:
        mark = "  (traced)" if _live_probes(shell.session, tool.name) else ""
        shell.renderer.message(f"  {tool.usage:<{width}}  {tool.summary}{mark}")


def do_trace(shell: Shell, args: str) -> None:
    """``trace NAME [ARG…]``: add tool NAME's globals and probes (checked as a whole, like a pasted
    script; a tool that builds its script from the application builds it from the session's, e.g.
    ``coverage``'s line counters); its table is shown after each ``run``."""
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise UsageError(f"{exc}\nusage: trace NAME [ARG…]") from None
    if not words:
        raise UsageError(f"usage: trace NAME [ARG…] (tools: {', '.join(api.tool_names())})")
    script = api.tool_script(words[0], words[1:], module=shell.session.app.module)
    name = script.tool.name
    live = _live_probes(shell.session, name)
    if live:
        raise SessionError(f"tool {name} is already traced (probes {', '.join(map(str, live))}); "
                           f"`probe rm` them to trace it again")
    before = len(shell.session.items)
    numbers = shell.session.load_script(script.text, script.label, alone=False)
    shell.session.tools[name] = tuple(numbers)
    if script.tool.app_script is not None:
        shell.session.tool_builds[name] = (shell.session.app, script.text)
    added = [shell.session.added(n) for n in numbers]
    for warning in (w for a in added for w in a.warnings):
        shell.renderer.warning(warning)
    sites = sum(a.sites for a in added)
    globals_ = len(shell.session.items) - before
    shell.renderer.message(f"traced {' '.join([name, *words[1:]])}: {plural(len(numbers), 'probe')} "
                           f"({', '.join(map(str, numbers))}; {plural(sites, 'site')}), "
                           f"{plural(globals_, 'global')}; its table is shown after `run`")


def _live_probes(session: Session, name: str) -> list[int]:
    """The probes ``trace NAME`` added that the session still has."""
    return [n for n in session.tools.get(name, ()) if n in session.probes]


def traced_variables(session: Session) -> frozenset[str]:
    """The report variables of the traced tools (their tables show them; the run summary need not)."""
    names: set[str] = set()
    for name in session.tools:
        if _live_probes(session, name):
            names |= api.find_tool(name).report_variables
    return frozenset(names)


def show_tool_tables(shell: Shell, record: RunRecord) -> None:
    """After a run: the table of every traced tool whose variables the run's report holds.  The line
    counts of a traced ``coverage`` also become those ``list`` shows, as after the ``coverage`` command."""
    values: list[ReportValue] = record.values()
    for name in shell.session.tools:
        if not _live_probes(shell.session, name):
            continue
        stale = _stale(shell.session, name)
        if stale is not None:
            shell.renderer.warning(stale)
            continue
        lines = api.tool_table(name, values, shell.session.app)
        if api.COVERAGE_VAR in api.find_tool(name).report_variables and any(v.var.name == api.COVERAGE_VAR
                                                                            for v in values):
            shell.session.last_coverage = api.coverage(shell.session.app.module, values)   # what `list` shows
        if lines is not None:
            shell.renderer.message(f"{name}:")
            shell.renderer.lines(lines, limit=False)


def _stale(session: Session, name: str) -> str | None:
    """Why tool ``name``'s table cannot be shown: its script was built from an application that ``load``
    replaced, and the current one builds another (``coverage``'s line counters sit at the old one's line
    starts).  None when the traced script is the one the current application gives."""
    built = session.tool_builds.get(name)
    if built is None or built[0] is session.app or api.tool_script(name, (), module=session.app.module).text == built[1]:
        return None
    numbers = ", ".join(map(str, _live_probes(session, name)))
    return (f"tool {name} was traced for {built[0].name} and builds another script for this application, so "
            f"its table is not shown: `probe rm {numbers}` and `trace {name}` again")
