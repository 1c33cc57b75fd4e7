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
from whamm_shell.report_rows import (
    FIXED_COLUMNS, SOURCE_COLUMN, STATS_COLUMNS, Row, csv_cells, diff_rows, key_columns, nonzero, rows_of, sort_rows,
    stats_columns,
)
from whamm_shell.session import SessionError

if TYPE_CHECKING:
    from compiler.api import ReportValue
    from whamm_shell.session import Session
    from whamm_shell.shell import Shell

__all__ = ["REPORT_COLUMNS", "FIRST_SITES", "report_words", "do_info", "do_match",
           "do_probes", "do_sites", "do_report", "do_plot", "do_flame", "do_globals", "do_wat"]

#: The columns of ``report`` (and the names ``--sort`` accepts); a report with maps also has ``key``, or
#: ``key0``, ``key1``… for tuple keys (:func:`whamm_shell.report_rows.key_columns`); one with ``stats``
#: values ``sum``, ``min``, ``max``, ``avg`` after ``value`` (an aggregate's count).
REPORT_COLUMNS = (*FIXED_COLUMNS, "key", "value", *STATS_COLUMNS)

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
    """The sites as a table; a ``src`` column (``file:line``) when the application has DWARF lines."""
    if any(r.src for r in rows):
        shell.renderer.table(("fid", "fname", "pc", "src", "instruction", "predicate"),
                             [(r.fid, r.fname, r.pc, r.src, r.instruction, r.predicate) for r in rows],
                             limit=None if show_all else FIRST_SITES, hint="--all")
        return
    shell.renderer.table(("fid", "fname", "pc", "instruction", "predicate"),
                         [(r.fid, r.fname, r.pc, r.instruction, r.predicate) for r in rows],
                         limit=None if show_all else FIRST_SITES, hint="--all")


def do_match(shell: Shell, args: str) -> None:
    """``match RULE [/ PRED /] [--injected] [--all]``: a dry run — the sites a rule would match in this
    application and what its predicate folds to at each — without adding a probe.  The sites where
    something would be injected come first (``false`` sites after them, or not at all with
    ``--injected``)."""
    usage = "match RULE [/ PRED /] [--injected] [--all]"
    text = args.strip()
    flags = set()
    while True:       # the rule and predicate are whamm text, not shell words: only trailing flags are taken
        flag = next((f for f in ("--all", "--injected") if text.endswith(f)
                     and (len(text) == len(f) or text[-len(f) - 1].isspace())), None)
        if flag is None:
            break
        flags.add(flag)
        text = text[:-len(flag)].strip()
    if not text:
        raise UsageError(f"usage: {usage}")
    rows = shell.session.dry_match(text)
    functions = len({r.fid for r in rows})
    injected = sum(r.injected for r in rows)
    shell.renderer.message(f"{plural(len(rows), 'site')} in {plural(functions, 'function')}; "
                           f"injected at {injected} (the predicate is not false there)")
    shown = [r for r in rows if r.injected]
    if "--injected" not in flags:
        shown += [r for r in rows if not r.injected]
    if shown:
        _site_table(shell, shown, "--all" in flags)


def do_sites(shell: Shell, args: str) -> None:
    """``sites N [--all] [--verbose|-v]``: where probe N is injected, with the predicate folded at each
    site; ``--verbose`` adds, per site, the operand stack's types there and what each bound variable the
    probe uses folds to — what the folder knew when it decided the predicate."""
    usage = "sites N [--all] [--verbose|-v]"
    words, opts = parse_options(args, usage, {"--all": None, "--verbose": None}, positional=(1, 2))
    verbose = bool(opts.get("--verbose")) or "-v" in words
    words = [w for w in words if w != "-v"]
    if len(words) != 1 or not words[0].isdecimal():
        raise UsageError(f"usage: {usage}")
    number = int(words[0])
    session = shell.session
    rows = session.site_rows(number)
    functions = len({r.fid for r in rows})
    shell.renderer.message(f"probe {number}: {plural(len(rows), 'site')} in {plural(functions, 'function')}")
    if not rows:
        return
    if not verbose:
        _site_table(shell, rows, bool(opts.get("--all")))
        return
    limit = None if opts.get("--all") else FIRST_SITES
    details = api.site_details(session.app.module, session.matched(), number, limit)
    lines = [line for detail in details for line in _detail_lines(detail)]
    if len(details) < len(rows):
        lines += ["", f"… {len(rows) - len(details)} more sites; use --all"]
    shell.renderer.lines(lines, limit=False)


def _detail_lines(detail: api.SiteDetail) -> list[str]:
    """One site of ``sites N --verbose``: a heading (where, the instruction), then aligned entries —
    the folded predicate, the stack (top last) and each bound variable ``name: type = value``."""
    row = detail.row
    entries = [("predicate", row.predicate)]
    entries += [(f"stack {stack.label}", str(stack)) for stack in detail.stacks]
    entries += [(f"{v.name}: {v.type}", f"= {v.value}") for v in detail.variables]
    width = max(len(key) for key, _ in entries)
    return ["", f"{row.fname} (fid {row.fid}), pc {row.pc}: {row.instruction}",
            *(f"  {key.ljust(width)}  {value}" for key, value in entries)]


def do_probes(shell: Shell, args: str) -> None:
    """``probes [-v]``: one row per probe — number, enabled, rule, predicate, sites, and its source's
    first line, whole (a cut source hid the body people look for); ``-v`` adds every probe's whole text."""
    words = args.split()
    if any(w not in ("-v", "--verbose") for w in words):
        raise UsageError("usage: probes [-v]")
    opts = {"-v": bool(words)}
    session = shell.session
    if not session.probes:
        shell.renderer.message("no probes yet: type one, e.g. wasm:opcode:call:before { count++; }")
        return
    matched = session.matched() if any(p.enabled for p in session.probes.values()) else None
    rows = []
    for number, p in session.probes.items():
        sites = len(matched.sites_of(number)) if matched is not None and p.enabled else None
        more = " …" if len(p.text.strip().splitlines()) > 1 and not opts.get("-v") else ""
        rows.append((number, "yes" if p.enabled else "no", p.rule, p.predicate or "", sites, p.first_line + more))
    shell.renderer.table(("id", "enabled", "rule", "predicate", "sites", "source"), rows, limit=False)
    if opts.get("-v"):
        for number, p in session.probes.items():
            shell.renderer.lines(["", f"probe {number}:", *("  " + ln for ln in p.text.strip().splitlines())],
                                 limit=False)


# ---------------------------------------------------------------------------------------- report

def report_words(session: Session) -> Callable[[], list[str]]:
    """Report variable names of the last run (for completion)."""
    def words() -> list[str]:
        run = session.last_run
        if run is None:
            return []
        return list(dict.fromkeys(v.name for v in run.build.result.layout.report))
    return words


def _select(shell: Shell, which: str | None) -> list[ReportValue]:
    values = shell.session.require_run().values()
    if which is None:
        return values
    if which.isdecimal():
        number = int(which)
        shell.session.probe(number)
        return [v for v in values if v.probe == number]
    chosen = [v for v in values if v.var.name == which]
    if not chosen:
        names = ", ".join(dict.fromkeys(v.var.name for v in values)) or "(none)"
        raise SessionError(f"no report variable `{which}` in the last run (there are: {names})")
    return chosen


def _report_usage() -> str:
    return ("report [VAR|N] [--sort COL] [--asc] [--top K] [--nonzero] [--csv FILE|--json FILE] [--diff] "
            "[--all] | report VAR --folded FILE")


def do_report(shell: Shell, args: str) -> None:
    """``report [VAR|N] [--sort COL] [--asc] [--top K] [--nonzero] [--csv FILE|--json FILE] [--diff]
    [--all]``: the last run's report variables as read from the live instance — one row per variable,
    one per key of a map — hottest first, as a table (histograms drawn below it) or written to a
    file; ``--diff`` compares the last two runs.  ``report VAR --folded FILE`` writes a profile as
    folded stacks (ANALYSIS.md §3)."""
    usage = _report_usage()
    words, opts = parse_options(args, usage, {"--sort": str, "--asc": None, "--top": int, "--nonzero": None,
                                              "--csv": str, "--json": str, "--diff": None, "--all": None,
                                              "--folded": str},
                                positional=(0, 1))
    if "--csv" in opts and "--json" in opts:
        raise UsageError(f"--csv and --json cannot be combined\nusage: {usage}")
    which = words[0] if words else None
    if "--folded" in opts:
        _report_folded(shell, which, opts, usage)
        return
    smap = api.source_map(shell.session.app.module)
    lines = smap.has_lines                   # a src column after pc: the site's file:line (ANALYSIS.md §5)
    rows = rows_of(_select(shell, which), smap if lines else None)
    if opts.get("--diff"):
        clash = [o for o in ("--sort", "--asc", "--csv", "--json") if o in opts]
        if clash:
            raise UsageError(f"--diff cannot be combined with {clash[0]}\nusage: {usage}")
        _report_diff(shell, which, rows, opts)
        return
    sort = opts.get("--sort")
    fixed = (*FIXED_COLUMNS, SOURCE_COLUMN) if lines else FIXED_COLUMNS
    columns = (*fixed, *key_columns(rows), "value", *stats_columns(rows))
    if sort is not None and sort not in columns and sort not in REPORT_COLUMNS:
        raise UsageError(f"cannot sort by `{sort}`: the columns are {', '.join(columns)}")
    ascending = True if opts.get("--asc") else None
    every = rows
    if opts.get("--nonzero"):
        rows = nonzero(rows)
    chosen_order = sort is not None or ascending or "--top" in opts
    if "--csv" not in opts or chosen_order:      # the CSV keeps the report's order unless told otherwise
        rows = sort_rows(rows, sort or "value", ascending)  # type: ignore[arg-type]
    if "--top" in opts:
        rows = rows[:opts["--top"]]  # type: ignore[misc]
    if "--csv" in opts:
        cells = csv_cells(rows)
        _write(shell, str(opts["--csv"]), api.report_csv((v.var, text) for v, text in cells))
        shell.renderer.message(f"wrote {plural(len(cells), 'row')} to {opts['--csv']}")
        return
    if "--json" in opts:
        _write(shell, str(opts["--json"]), json.dumps([_json_row(r, lines) for r in rows], indent=2) + "\n")
        shell.renderer.message(f"wrote {plural(len(rows), 'row')} to {opts['--json']}")
        return
    run = shell.session.require_run()
    if not rows:
        shell.renderer.message("no report variables (declare one: `report var count: u32`)" if not every
                               else f"no rows to show ({plural(len(every), 'row')} before --nonzero/--top)")
        return
    keys, stats = key_columns(rows), stats_columns(rows)
    table = [(*(r.column(c) for c in fixed), *_key_cells(r, len(keys)), _cell(r),
              *(r.column(c) for c in stats)) for r in rows]
    shell.renderer.table((*fixed, *keys, "value", *stats), table,
                         limit=False if opts.get("--all") else True, hint="--all")
    histograms = _histogram_lines(rows)
    if histograms:
        shell.renderer.lines(["", *histograms], limit=False if opts.get("--all") else True, hint="--all")
    if not run.ok:
        shell.renderer.message(f"(values so far: the run ended with {run.status})")


def _report_folded(shell: Shell, which: str | None, opts: dict[str, object], usage: str) -> None:
    """``report VAR --folded FILE``: the profile VAR (a ``map<str, N>``, e.g. counted by ``callstack``)
    in the folded-stacks format of flamegraph.pl, inferno and speedscope, written atomically."""
    other = next((o for o in opts if o != "--folded"), None)
    if other is not None:
        raise UsageError(f"--folded cannot be combined with {other}\nusage: {usage}")
    if which is None:
        raise UsageError(f"--folded needs the profile variable: report VAR --folded FILE\nusage: {usage}")
    counts = api.profile_counts(which, shell.session.require_run().values())
    text = api.folded_text(counts)
    _write(shell, str(opts["--folded"]), text)
    stacks = text.count("\n")
    shell.renderer.message(f"wrote {plural(stacks, 'stack')} ({plural(sum(counts.values()), 'sample')}) "
                           f"to {opts['--folded']}")


def do_flame(shell: Shell, args: str) -> None:
    """``flame VAR [--depth N] [--min PCT] [--all]``: the profile VAR (ANALYSIS.md §3) as a top-down
    tree — each frame's share of all samples, its samples with and without its callees — hottest
    callee first, so the expensive paths read from the top."""
    usage = "flame VAR [--depth N] [--min PCT] [--all]"
    words, opts = parse_options(args, usage, {"--depth": int, "--min": float, "--all": None}, positional=(1, 1))
    depth = opts.get("--depth")
    minimum = opts.get("--min", 0.0)
    if depth is not None and depth < 1:  # type: ignore[operator]
        raise UsageError(f"--depth must be at least 1\nusage: {usage}")
    if not 0 <= minimum <= 100:  # type: ignore[operator]
        raise UsageError(f"--min must be a percentage from 0 to 100\nusage: {usage}")
    counts = api.profile_counts(words[0], shell.session.require_run().values())
    lines = api.flame_lines(counts, depth=depth, min_percent=minimum)  # type: ignore[arg-type]
    if not lines:
        shell.renderer.message(f"{words[0]}: no samples")
        return
    shell.renderer.lines(lines, limit=False if opts.get("--all") else True, hint="--all or --min PCT")


def _histogram_lines(rows: Sequence[Row]) -> list[str]:
    """The histograms among ``rows`` drawn as bpftrace prints them (ANALYSIS.md §1), each headed
    ``@name``, ``@name[key]`` or ``@name (fname, pc N)``, separated by empty lines."""
    drawn = []
    for r in rows:
        agg = r.aggregate
        if agg is not None and agg[0].kind != "stats":
            drawn.append(api.format_agg_human(r.label(), *agg).rstrip("\n"))
    return "\n\n".join(drawn).split("\n") if drawn else []


def _cell(row: Row) -> object:
    """A table cell: integers stay numbers (right-aligned), everything else is its report text."""
    return row.value if isinstance(row.value, int) and not isinstance(row.value, bool) else row.text


def _key_cells(row: Row, width: int) -> list[object]:
    return [*row.key, *([None] * (width - len(row.key)))]


def _report_diff(shell: Shell, which: str | None, rows: list[Row], opts: dict[str, object]) -> None:
    """``report --diff``: the rows whose value changed between the last two runs (old, new, delta), the
    new ones and the gone ones, the biggest change first."""
    previous = shell.session.previous_values
    if previous is None:
        raise SessionError("report --diff compares the last two runs: there is only one so far (`run` again)")
    if which is None:
        old = rows_of(previous)
    elif which.isdecimal():
        old = rows_of(v for v in previous if v.probe == int(which))
    else:
        old = rows_of(v for v in previous if v.var.name == which)
    changes, same = diff_rows(old, rows)
    if not changes:
        shell.renderer.message(f"no change since the previous run ({plural(same, 'row')})")
        return
    kinds = {k: sum(c.delta_text == k for c in changes) for k in ("new", "gone", "unknown")}
    changed = len(changes) - kinds["new"] - kinds["gone"] - kinds["unknown"]
    unknown = f"{kinds['unknown']} unknown (unreadable: `?`), " if kinds["unknown"] else ""
    shell.renderer.message(f"since the previous run: {changed} changed, {kinds['new']} new, {kinds['gone']} gone, "
                           f"{unknown}{same} unchanged")
    if "--top" in opts:
        changes = changes[:opts["--top"]]  # type: ignore[misc]
    keys = key_columns([c.row for c in changes])
    columns = ("name", "probe", "fname", "fid", "pc")
    table = [(*(c.row.column(col) for col in columns), *_key_cells(c.row, len(keys)),
              None if c.old is None else _cell(c.old), None if c.new is None else _cell(c.new), c.delta_text)
             for c in changes]
    shell.renderer.table((*columns, *keys, "old", "new", "delta"), table,
                         limit=False if opts.get("--all") else True, hint="--all")


def _write(shell: Shell, path: str, text: str) -> None:
    shell.session.write_output(path, text.encode("utf-8"))


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


def _json_row(row: Row, with_source: bool = False) -> dict:
    """One table row as JSON: a map row has the map's ``key`` (a list for a tuple key) and the entry's
    ``value``; other rows have ``key`` null.  An aggregate's value is structured (``stats``: an object
    with count, sum, min, max, avg; a histogram: its non-empty buckets as ``{lo, hi, count}``).
    ``with_source`` (the application has DWARF lines): ``src`` too, the table's ``file:line`` cell."""
    v = row.source
    var = v.var
    if row.aggregate is not None:
        key = None if row.entry is None else _json_value(row.entry[0])
        value = api.agg_json(*row.aggregate)
    elif row.entry is not None:
        key, value = _json_value(row.entry[0]), _json_value(row.entry[1])
    else:
        key, value = None, (_json_value(v.value) if v.readable and row.key_texts == () and row.value is not None
                            else None)
    return {"name": var.name, "kind": var.kind, "whamm_type": str(var.whamm_type), "probe": v.probe,
            "probe_id": var.probe_id, "fname": var.fname, "fid": var.fid, "pc": var.pc, "key": key,
            "value": value, "text": row.text, **({SOURCE_COLUMN: row.column(SOURCE_COLUMN)} if with_source else {})}


def do_plot(shell: Shell, args: str) -> None:
    """``plot VAR [--top K]``: a bar chart of one report variable across its sites and a map's keys (in
    report order: a map by key, so a distribution reads left to right); ``--top K`` the K largest.  A
    histogram (or a map of them) is drawn as bpftrace draws it, one per site or key; a ``stats``
    value is a bar of its count."""
    usage = "plot VAR [--top K]"
    words, opts = parse_options(args, usage, {"--top": int}, positional=(1, 1))
    selected = rows_of(_select(shell, words[0]))
    if any(not r.source.readable for r in selected):     # a chart without them would look complete
        raise SessionError(f"cannot plot `{words[0]}`: its value could not be read (`?` in `report`; a "
                           "component's value is read from the report it printed, docs/COMPONENTS.md)")
    rows = [r for r in selected if r.value is not None]
    for r in rows:
        if r.number is None:
            raise SessionError(f"cannot plot `{words[0]}`: its values are not numbers")
    if "--top" in opts:
        rows = sort_rows(rows)[:opts["--top"]]  # type: ignore[misc]
    if not rows:
        shell.renderer.message(f"{words[0]}: nothing to plot")
        return
    histograms = _histogram_lines(rows)
    if histograms:
        shell.renderer.lines(histograms, limit=False)
        return
    shell.renderer.bars([(r.chart_label(), r.value if isinstance(r.value, (int, float)) and not isinstance(r.value, bool)
                          else int(r.number)) for r in rows])  # type: ignore[arg-type]


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
    if shell.decoded is not None and shell.decoded[0] is build.module_wasm:
        out_module = shell.decoded[1]
    else:
        out_module = api.decode_module(build.module_wasm)
        shell.decoded = (build.module_wasm, out_module)
    if opts.get("--diff"):
        name = session.functions()[fid][1] or f"#{fid}"
        lines = api.instrumented_diff(build, fid, out_module, name)
        shell.renderer.lines(lines or [f"{name}: no code was injected"],
                             limit=False if opts.get("--all") else True, hint="--all")
        return
    marked = list(api.source_comments(api.instrumented_wat(build, fid, out_module),
                                      api.source_map(session.app.module), fid))
    around = opts.get("--around")
    shell.renderer.wat(marked, current=around, around=around,  # type: ignore[arg-type]
                       limit=False if opts.get("--all") else True, hint="--all")
    injected = sum(1 for ln in marked if ln.injected and not ln.text.lstrip().startswith(("(local", ";;")))
    if around is None:
        shell.renderer.message(f"{plural(injected, 'injected line')} (marked +) in "
                               f"{os.path.basename(session.app.name)} function {fid}")
