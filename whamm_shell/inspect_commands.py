"""The commands that look at the session without changing it: ``info``, ``match``, ``probes``, ``sites``,
``report``, ``plot``, ``globals`` and ``wat`` (SHELL.md "Commands").

Each is a function of the :class:`~whamm_shell.shell.Shell` and its argument text, registered
by :func:`whamm_shell.command_table.build_registry`.  Values come from the session (report values
are read from the live instance, :func:`whamm_shell.session.read_report`); everything is shown through
the shell's :class:`~whamm_shell.render.Renderer`.
"""
from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING, Callable, Sequence

from compiler import api
from whamm_shell.arguments import UsageError, parse_options
from whamm_shell.render import plural
from whamm_shell.session import SessionError, report_csv

if TYPE_CHECKING:
    from compiler.api import ReportValue
    from whamm_shell.session import Session
    from whamm_shell.shell import Shell

__all__ = ["REPORT_COLUMNS", "FIRST_SITES", "report_words", "do_info", "do_match",
           "do_probes", "do_sites", "do_report", "do_plot", "do_globals", "do_wat"]

#: The columns of ``report`` (and the names ``--sort`` accepts).
REPORT_COLUMNS = ("name", "probe", "probe_id", "fname", "fid", "pc", "value")

#: How many sites ``match`` and ``sites`` list before ``--all`` is needed.
FIRST_SITES = 20

# ------------------------------------------------------------------------------------------ info

def do_info(shell: Shell, args: str) -> None:
    """``info RULE [-v] [-f]``: the same text as ``whamm info`` (what a rule matches, its bound
    variables and functions)."""
    words = args.split()
    flags = {w for w in words if w in ("-v", "-f")}
    rules = [w for w in words if w not in flags]
    if len(rules) != 1:
        raise UsageError("usage: info RULE [-v] [-f]")
    shell.renderer.lines(api.info_text(rules[0], "-v" in flags, "-f" in flags).rstrip("\n").split("\n"),
                         limit=False)


# ----------------------------------------------------------------------------------------- sites

def _site_table(shell: Shell, rows, show_all: bool) -> None:
    shell.renderer.table(("fid", "fname", "pc", "instruction", "predicate"),
                         [(r.fid, r.fname, r.pc, r.instruction, r.predicate) for r in rows],
                         limit=None if show_all else FIRST_SITES, hint="--all")


def do_match(shell: Shell, args: str) -> None:
    """``match RULE [/ PRED /] [--all]``: a dry run — the sites a rule would match in this application
    and what its predicate folds to at each — without adding a probe."""
    text = args.strip()
    show_all = False
    if text.endswith("--all") and (len(text) == 5 or text[-6].isspace()):
        show_all, text = True, text[:-5].strip()
    if not text:
        raise UsageError("usage: match RULE [/ PRED /] [--all]")
    rows = shell.session.dry_match(text)
    functions = len({r.fid for r in rows})
    injected = sum(r.injected for r in rows)
    shell.renderer.message(f"{plural(len(rows), 'site')} in {plural(functions, 'function')}; "
                           f"injected at {injected} (the predicate is not false there)")
    if rows:
        _site_table(shell, rows, show_all)


def do_sites(shell: Shell, args: str) -> None:
    """``sites N [--all]``: where probe N is injected, with the predicate folded at each site."""
    usage = "sites N [--all]"
    words, opts = parse_options(args, usage, {"--all": None}, positional=(1, 1))
    if not words[0].isdigit():
        raise UsageError(f"usage: {usage}")
    number = int(words[0])
    rows = shell.session.site_rows(number)
    functions = len({r.fid for r in rows})
    shell.renderer.message(f"probe {number}: {plural(len(rows), 'site')} in {plural(functions, 'function')}")
    if rows:
        _site_table(shell, rows, bool(opts.get("--all")))


def do_probes(shell: Shell, args: str) -> None:
    """``probes``: one row per probe — number, enabled, rule, predicate, sites, where it came from."""
    parse_options(args, "probes", {}, positional=(0, 0))
    session = shell.session
    if not session.probes:
        shell.renderer.message("no probes yet: type one, e.g. wasm:opcode:call:before { count++; }")
        return
    matched = session.matched() if any(p.enabled for p in session.probes.values()) else None
    rows = []
    for number, p in session.probes.items():
        sites = len(matched.sites_of(number)) if matched is not None and p.enabled else None
        rows.append((number, "yes" if p.enabled else "no", p.rule, p.predicate or "", sites,
                     _short(p.first_line, 48)))
    shell.renderer.table(("id", "enabled", "rule", "predicate", "sites", "source"), rows, limit=False)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


# ---------------------------------------------------------------------------------------- report

def report_words(session: Session) -> Callable[[], list[str]]:
    """Report variable names of the last run (for completion)."""
    def words() -> list[str]:
        run = session.last_run
        if run is None:
            return []
        return list(dict.fromkeys(v.name for v in run.build.result.layout.report))
    return words


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _cell(v: ReportValue) -> object:
    """A table cell: numbers stay numbers (right-aligned), everything else is its report text."""
    if v.readable and isinstance(v.value, (int, float)) and not isinstance(v.value, bool):
        return v.value if not isinstance(v.value, float) else v.text
    return v.text


def _column(v: ReportValue, column: str) -> object:
    var = v.var
    return {"name": var.name, "probe": v.probe, "probe_id": var.probe_id, "fname": var.display_fname,
            "fid": var.fid, "pc": var.pc}[column]


def _sorted(values: list[ReportValue], column: str) -> list[ReportValue]:
    if column == "value":
        def by_value(v: ReportValue) -> tuple:
            n = _number(v.value) if v.readable else None
            return (0, -n, "") if n is not None and not math.isnan(n) else (1, 0.0, v.text)
        return sorted(values, key=by_value)

    def by_column(v: ReportValue) -> tuple:
        x = _column(v, column)
        return (x is None or x == "", x if x is not None else "")
    return sorted(values, key=by_column)


def _select(shell: Shell, which: str | None) -> list[ReportValue]:
    values = shell.session.require_run().values()
    if which is None:
        return values
    if which.isdigit():
        number = int(which)
        shell.session.probe(number)
        return [v for v in values if v.probe == number]
    chosen = [v for v in values if v.var.name == which]
    if not chosen:
        names = ", ".join(dict.fromkeys(v.var.name for v in values)) or "(none)"
        raise SessionError(f"no report variable `{which}` in the last run (there are: {names})")
    return chosen


def do_report(shell: Shell, args: str) -> None:
    """``report [VAR|N] [--sort COL] [--top K] [--csv FILE|--json FILE] [--all]``: the last run's
    report variables as read from the live instance, as a table or written to a file."""
    usage = "report [VAR|N] [--sort COL] [--top K] [--csv FILE|--json FILE] [--all]"
    words, opts = parse_options(args, usage, {"--sort": str, "--top": int, "--csv": str, "--json": str,
                                              "--all": None}, positional=(0, 1))
    if "--csv" in opts and "--json" in opts:
        raise UsageError(f"--csv and --json cannot be combined\nusage: {usage}")
    sort = opts.get("--sort")
    if sort is not None and sort not in REPORT_COLUMNS:
        raise UsageError(f"cannot sort by `{sort}`: the columns are {', '.join(REPORT_COLUMNS)}")
    values = _select(shell, words[0] if words else None)
    if sort is not None or "--top" in opts:
        values = _sorted(values, sort or "value")  # type: ignore[arg-type]
    if "--top" in opts:
        values = values[:opts["--top"]]  # type: ignore[misc]
    if "--csv" in opts:
        _write(str(opts["--csv"]), report_csv(values))
        shell.renderer.message(f"wrote {plural(len(values), 'row')} to {opts['--csv']}")
        return
    if "--json" in opts:
        _write(str(opts["--json"]), json.dumps([_json_row(v) for v in values], indent=2) + "\n")
        shell.renderer.message(f"wrote {plural(len(values), 'row')} to {opts['--json']}")
        return
    run = shell.session.require_run()
    if not values:
        shell.renderer.message("no report variables (declare one: `report var count: u32`)")
        return
    rows = [(v.var.name, v.probe, v.var.probe_id, v.var.display_fname, v.var.fid, v.var.pc, _cell(v))
            for v in values]
    shell.renderer.table(REPORT_COLUMNS, rows, limit=False if opts.get("--all") else True, hint="--all")
    if not run.ok:
        shell.renderer.message(f"(values so far: the run ended with {run.status})")


def _write(path: str, text: str) -> None:
    try:
        api.write_file(path, text.encode("utf-8"))
    except OSError as exc:
        raise SessionError(f"cannot write '{path}': {exc.strerror or exc}") from None


def _json_value(value: object) -> object:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple):
        return [_json_value(x) for x in value]
    if isinstance(value, dict):
        return [{"key": _json_value(k), "value": _json_value(v)} for k, v in value.items()]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _json_row(v: ReportValue) -> dict:
    var = v.var
    return {"name": var.name, "kind": var.kind, "whamm_type": str(var.whamm_type), "probe": v.probe,
            "probe_id": var.probe_id, "fname": var.fname, "fid": var.fid, "pc": var.pc,
            "value": _json_value(v.value) if v.readable else None, "text": v.text}


def do_plot(shell: Shell, args: str) -> None:
    """``plot VAR [--top K]``: a bar chart of one report variable across its sites (or a map's keys)."""
    usage = "plot VAR [--top K]"
    words, opts = parse_options(args, usage, {"--top": int}, positional=(1, 1))
    values = [v for v in _select(shell, words[0]) if v.readable]
    items: list[tuple[str, float]] = []
    if len(values) == 1 and isinstance(values[0].var.whamm_type, api.MapType):
        t = values[0].var.whamm_type
        for key, value in values[0].value.items():  # type: ignore[union-attr]
            items.append((api.format_map_value(t.key, key), _plot_number(value, words[0])))
    else:
        for v in values:
            label = v.var.name if v.var.fid is None else f"{v.var.display_fname}:{v.var.pc}"
            items.append((label, _plot_number(v.value, words[0])))
    if "--top" in opts:
        items = sorted(items, key=lambda kv: -kv[1])[:opts["--top"]]  # type: ignore[misc]
    if not items:
        shell.renderer.message(f"{words[0]}: nothing to plot")
        return
    shell.renderer.bars(items)


def _plot_number(value: object, name: str) -> float | int:
    n = _number(value)
    if n is None:
        raise SessionError(f"cannot plot `{name}`: its values are not numbers")
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else int(n)  # type: ignore[return-value]


def do_globals(shell: Shell, args: str) -> None:
    """``globals``: the script-level items as declared — name, kind, type, initialiser, where each
    was typed or loaded — and, once there has been a run, each variable's value after it (``–`` for
    what the last run did not have: it was declared since)."""
    parse_options(args, "globals", {}, positional=(0, 0))
    declarations = shell.session.declarations()
    if not declarations:
        shell.renderer.message("no script-level items (`global STATEMENT` adds one)")
        return
    headers = ("name", "kind", "type", "initialiser", "declared")
    rows = [[d.name or "–", d.kind, d.type, d.init, d.item.origin] for d in declarations]
    run = shell.session.last_run
    if run is not None:
        values = {(name, type_): value for name, type_, value in run.global_values()}
        headers += ("value",)
        for row, d in zip(rows, declarations):
            row.append(values.get((d.name, d.type), "–") if d.kind.endswith("var") else "–")
    shell.renderer.table(headers, rows, limit=False)


# ------------------------------------------------------------------------------------------- wat

def do_wat(shell: Shell, args: str) -> None:
    """``wat FUNC [--around PC] [--diff] [--all]``: a function of the instrumented module as WAT with
    injected lines marked, near a pc or as a diff against the original."""
    usage = "wat FUNC [--around PC] [--diff] [--all]"
    words, opts = parse_options(args, usage, {"--around": int, "--diff": None, "--all": None},
                                positional=(1, 1))
    session = shell.session
    fid = session.function_index(words[0])
    if fid < session.app.module.num_imported_funcs:
        raise SessionError(f"function {fid} is imported: it has no code")
    build = session.build()
    if shell.decoded is not None and shell.decoded[0] is build.wasm:
        out_module = shell.decoded[1]
    else:
        out_module = api.decode_module(build.wasm)
        shell.decoded = (build.wasm, out_module)
    if opts.get("--diff"):
        name = session.functions()[fid][1] or f"#{fid}"
        lines = api.instrumented_diff(build, fid, out_module, name)
        shell.renderer.lines(lines or [f"{name}: no code was injected"],
                             limit=False if opts.get("--all") else True, hint="--all")
        return
    marked = api.instrumented_wat(build, fid, out_module)
    around = opts.get("--around")
    shell.renderer.wat(marked, current=around, around=around,  # type: ignore[arg-type]
                       limit=False if opts.get("--all") else True, hint="--all")
    injected = sum(1 for ln in marked if ln.injected and not ln.text.lstrip().startswith(("(local", ";;")))
    if around is None:
        shell.renderer.message(f"{plural(injected, 'injected line')} (marked +) in "
                               f"{os.path.basename(session.app.name)} function {fid}")
