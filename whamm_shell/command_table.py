"""The table of the shell's commands (SHELL.md "Commands"): each command's name, aliases, usage, summary,
help text, the function that runs it and the completer of its arguments, in one place so that ``help``,
dispatch and completion cannot drift apart.

The functions are in :mod:`whamm_shell.builtin_commands` (commands that change or drive the session) and
:mod:`whamm_shell.inspect_commands` (commands that look at it); the completers in
:mod:`whamm_shell.completion`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from compiler import api
from whamm_shell import builtin_commands as bc
from whamm_shell import inspect_commands as ic
from whamm_shell import source_commands as sc
from whamm_shell import tool_commands as tc
from whamm_shell.commands import Command, Registry
from whamm_shell.report_rows import FIXED_COLUMNS, SOURCE_COLUMN, key_columns, rows_of, stats_columns
from whamm_shell.completion import (
    NO_VALUE, HelpCompleter, ProbeCompleter, ProbeNumberCompleter, ToolCompleter, WordsCompleter, function_words,
    paths,
)

if TYPE_CHECKING:
    from whamm_shell.session import Session
    from whamm_shell.shell import Shell

__all__ = ["build_registry"]


def _probe_numbers(session: Session) -> Callable[[], list[tuple[int, str, bool]]]:
    """The probes as (number, first line, enabled), for completing ``probe rm``, ``sites`` …"""
    return lambda: [(n, p.first_line, p.enabled) for n, p in session.probes.items()]


def _sort_columns(session: Session) -> Callable[[], list[str]]:
    """The columns ``report --sort`` can take: those of the last run's table (a map's ``key`` or
    ``key0``, ``key1``… among them, ``src`` for an application with DWARF lines), or every column name
    before a run."""
    def columns() -> list[str]:
        if session.last_run is None:
            return list(ic.REPORT_COLUMNS)
        rows = rows_of(session.last_run.values())
        source = (SOURCE_COLUMN,) if api.source_map(session.app.module).has_lines else ()
        return [*FIXED_COLUMNS, *source, *key_columns(rows), "value", *stats_columns(rows)]
    return columns


def _tool_summaries() -> list[tuple[str, str]]:
    """The tools ``trace`` completes, each with its summary."""
    return [(name, api.find_tool(name).summary) for name in api.tool_names()]


def build_registry(shell: Shell) -> Registry:
    """Every command of SHELL.md with its usage, help, and argument completer."""
    def on(command: Callable[[Shell, str], bool | None]) -> Callable[[str], bool | None]:
        """``command`` bound to this shell: what a :class:`Command` runs with its argument text."""
        return lambda args: command(shell, args)

    s = shell.session
    numbers = _probe_numbers(s)
    globals_ = s.global_names
    probe_text = ProbeCompleter(globals=globals_, functions=s.functions)
    report_opts = {"--sort": WordsCompleter(_sort_columns(s)), "--top": NO_VALUE,
                   "--csv": paths(), "--json": paths(), "--all": None, "--asc": None, "--nonzero": None,
                   "--diff": None, "--folded": paths()}
    registry = Registry()
    add = registry.add
    add(Command("help", (), "help [CMD]", "list the commands, or show one command's usage and examples",
                "Unique prefixes work everywhere: `help pr a` is `help probe add`.\n\n"
                "  help\n  help run\n  help probe", on(bc.do_help), HelpCompleter(registry)))
    add(Command("load", (), "load APP [--module N]", "replace the application (probes are kept and re-matched)",
                "APP is a .wasm or .wat file, or a component.  Its functions are decoded once; every probe\n"
                "is matched against the new application.  For a component, --module N instruments its\n"
                "core module N (see `modules`; default: the only one that is neither WASI adapter nor\n"
                "shim).\n\n  load examples/demo/app.wasm\n  load app.component.wasm --module 0", on(bc.do_load),
                paths()))
    add(Command("modules", (), "modules", "the core modules of a component application: index, size, role, name",
                "Roles: app, WASI adapter (the preview 1 adapter), shim (wit-component's trampolines and\n"
                "fixup); `*` marks the module being instrumented (`load APP --module N` picks another).\n"
                "A component's report values are read from the CSV report its module prints.\n\n  modules",
                on(bc.do_modules), None))
    add(Command("info", (), "info RULE [-v] [-f]",
                "the docs of what a rule matches, its bound variables (-v) and functions (-f)",
                "The same text as `whamm info`.\n\n  info wasm:opcode:br_if -v\n  info wasm:opcode:call* -v -f",
                on(ic.do_info), ProbeCompleter()))
    add(Command("match", (), "match RULE [/ PRED /] [--injected] [--all]",
                "dry run: the sites a rule would match here, and what the predicate folds to at each",
                "Lists fid, fname, pc and the instruction of each site, and per site what the predicate\n"
                "folds to: `true`, `false` (nothing would be injected) or the residual run-time check.\n"
                "Sites where code would be injected come first, then the `false` ones; --injected lists\n"
                "only the former.  Shows a count and the first sites; --all lists every site.\n\n"
                "  match wasm:opcode:call:before\n"
                "  match wasm:opcode:call(arg0: i32):before / imm0 == 2 && arg0 == 0 / --injected",
                on(ic.do_match), probe_text))
    add(Command("probe add", (), "probe add RULE [/ PRED /] { BODY }",
                "add a probe (or just type it); prints its number and where it matched",
                "Multi-line entry continues while braces are open.  A probe that matches nothing is\n"
                "added with a warning; a wrong probe shows the compiler's diagnostic and changes nothing.\n"
                "--number N and --disabled (what `save --session` writes) give the probe a free number\n"
                "and add it disabled.\n\n"
                "  wasm:opcode:call:before { count++; }\n"
                "  probe add wasm:func:entry { report var calls: u32; calls++; }",
                on(bc.do_probe_add), probe_text))
    add(Command("probe rm", (), "probe rm N…", "remove probes (numbers of the others do not change)",
                "  probe rm 3\n  probe rm 2-5 7", on(bc.do_probe_rm), ProbeNumberCompleter(numbers)))
    add(Command("probe enable", (), "probe enable [N…]", "enable probes (all when no number is given)",
                "  probe enable 2-4", on(bc.do_probe_enable), ProbeNumberCompleter(numbers, enabled=False)))
    add(Command("probe disable", (), "probe disable [N…]", "disable probes (all when no number is given)",
                "A disabled probe keeps its number and text; `run` leaves it out.\n\n  probe disable 1",
                on(bc.do_probe_disable), ProbeNumberCompleter(numbers, enabled=True)))
    add(Command("probe edit", (), "probe edit N [--editor | NEW-PROBE]",
                "re-open probe N's text for editing (at the prompt, or in $EDITOR with --editor)",
                "The new text is checked like a new probe; if it is wrong, probe N stays as it was.\n"
                "In batch mode give the new text on the line.\n\n"
                "  probe edit 2\n  probe edit 2 --editor\n  probe edit 2 wasm:opcode:br_if:before { n++; }",
                on(bc.do_probe_edit), ProbeNumberCompleter(numbers, single=True, options=("--editor",))))
    add(Command("probes", (), "probes [-v]", "list the probes: id, enabled, rule, predicate, sites, source",
                "The source column shows each probe's first line whole (` …`: it has more lines);\n"
                "-v prints every probe's whole text after the table.", on(ic.do_probes), None))
    add(Command("global", (), "global STATEMENT | global rm NAME",
                "add a script-level statement (or just type it): var, report var, use, fn, assignment, call",
                "The final `;` of a one-line statement may be omitted.  `global rm NAME` removes the var,\n"
                "fn or use declaring NAME (refused, pointing at the use, while something still uses it).\n\n"
                "  report var count: u32\n  var limit: u32 = 10\n  global use cache;\n  global rm limit",
                on(bc.do_global), ProbeCompleter(globals=globals_)))
    add(Command("run", (), "run [ARGS…] [--timings]",
                "instrument (incrementally) and run the app; Ctrl-C interrupts it",
                "Streams the app's output, then shows its exit status or trap (with a backtrace), the\n"
                "wall time and a summary of the report.  ARGS replace `set args` (remembered, as gdb).\n"
                "--timings shows each phase: check, match, emit, encode, validate, compile, execute.\n"
                "Use `run -- ARGS` to pass arguments that start with `--`.\n\n  run\n  run --timings\n  run 27",
                on(bc.do_run), WordsCompleter(options={"--timings": None})))
    add(Command("report", (), "report [VAR|N] [--sort COL] [--asc] [--top K] [--nonzero] "
                              "[--csv FILE|--json FILE] [--diff] [--all] | report VAR --folded FILE",
                "the report variables of the last run, read from the live instance",
                "Columns: name, probe (session number), probe_id, fname, fid, pc, value; a map has one\n"
                "row per key, with a key column (key0, key1… for a tuple key).  Largest value first;\n"
                "--asc smallest first, --sort COL by another column (ascending), --top K the first K\n"
                "rows, --nonzero hides zeros and empty maps.  VAR keeps one variable, N the rows of\n"
                "probe N.  --csv writes the upstream-compatible CSV (as `whamm run` prints it: one line\n"
                "per variable, in report order unless --sort/--asc/--top is given), --json the rows.\n"
                "An aggregate's value is its count; stats rows add sum, min, max, avg columns and\n"
                "histograms are drawn below the table.  VAR --folded FILE writes a profile (map<str, N>\n"
                "keyed by callstack) as folded stacks for flamegraph.pl, inferno or speedscope.\n"
                "--diff shows what changed since the run before: old, new, delta; new and gone rows.\n\n"
                "  report\n  report taken --top 5\n  report calls --sort key\n  report --nonzero --asc\n"
                "  report --diff\n  report --csv out.csv\n  report prof --folded prof.folded",
                on(ic.do_report), WordsCompleter(ic.report_words(s), report_opts)))
    add(Command("plot", (), "plot VAR [--top K]",
                "a bar chart of a report variable across its sites, or of a map's keys",
                "Bars in report order (a map by key); --top K the K largest, largest first.  A stats value\n"
                "is a bar of its count.  "
                "A histogram (hist, lhist, or a map of them) is drawn as bpftrace draws it.\n\n"
                "  plot taken\n  plot calls --top 10\n  plot sizes", on(ic.do_plot),
                WordsCompleter(ic.report_words(s), {"--top": NO_VALUE})))
    add(Command("flame", (), "flame VAR [--depth N] [--min PCT] [--all]",
                "a profile (map<str, N> keyed by callstack) as a top-down call tree with percentages",
                "Each line is a frame under its caller, hottest first: its share of all samples, its\n"
                "samples with its callees (total) and without (self).  --depth N stops N frames below\n"
                "the root, --min PCT hides frames under PCT% of the samples.  `report VAR --folded FILE`\n"
                "writes the same profile for flamegraph.pl, inferno or speedscope.\n\n"
                "  report var prof: map<str, u64>\n  wasm:func:entry { prof[callstack]++; }\n  run\n"
                "  flame prof\n  flame prof --depth 3 --min 1", on(ic.do_flame),
                WordsCompleter(ic.report_words(s), {"--depth": NO_VALUE, "--min": NO_VALUE, "--all": None})))
    add(Command("tools", (), "tools", "the ready-made tools, one line each: usage and what they show",
                "`trace NAME [ARG…]` adds one; docs/TOOLS.md describes each tool and its table.",
                on(tc.do_tools), None))
    add(Command("trace", (), "trace NAME [ARG…]",
                "add a ready-made tool's probes (see `tools`); its table is shown after each run",
                "The tool's script is added as a pasted script is: its globals and probes get numbers\n"
                "(`probes` lists them, `probe rm` removes them).  After `run` the tool's table comes\n"
                "before the summary of the other variables; `whamm run --tool NAME:ARG…` prints the same.\n\n"
                "  trace calls\n  trace syscalls\n  trace deny secret/\n  trace deny /etc perm",
                on(tc.do_trace), ToolCompleter(_tool_summaries)))
    add(Command("globals", (), "globals",
                "the script-level items: name, kind, type, initialiser, where declared, value after a run",
                "Values are read after the last run through the exported getters (`–`: not in that run).",
                on(ic.do_globals), None))
    add(Command("wat", (), "wat FUNC [--around PC] [--diff] [--all]",
                "a function of the instrumented module as WAT; injected code is marked `+`",
                "FUNC is a name or an index.  --around PC shows the lines near an original pc (marked\n"
                "`>`); --diff shows a unified diff of the original and the instrumented function.\n\n"
                "  wat calc\n  wat 4 --around 23\n  wat collatz --diff", on(ic.do_wat),
                WordsCompleter(function_words(s.functions), {"--around": NO_VALUE, "--diff": None, "--all": None})))
    add(Command("sites", (), "sites N [--all] [--verbose|-v]",
                "the sites where probe N is injected, with the folded predicate",
                "Shows a count and the first sites; --all lists every site.  --verbose (-v) shows, per\n"
                "site, the operand stack's types there (before the instruction, top last; also after it\n"
                "for an `after` probe) and what each bound variable the probe uses folds to: its value\n"
                "(`fname: str = \"fib\"`) or `<run time>` for a dynamic one (`arg0: i32 = <run time>`).\n\n"
                "  sites 1\n  sites 2 --all\n  sites 1 --verbose", on(ic.do_sites),
                ProbeNumberCompleter(numbers, enabled=True, single=True, options=("--all", "--verbose"))))
    add(Command("coverage", (), "coverage [--lcov FILE]",
                "run the app with a counter on every source line (DWARF: build with -g); lines hit per file",
                "A line with code is one with a statement in the line table; its count is how often\n"
                "execution reached its first statement.  The session's probes are not part of this run.\n"
                "--lcov FILE writes the LCOV tracefile (as `whamm run --coverage`) for lcov and genhtml;\n"
                "`list` shows the counts beside the source.\n\n  coverage\n  coverage --lcov app.info",
                on(sc.do_coverage), WordsCompleter(options={"--lcov": paths()})))
    add(Command("list", (), "list FILE[:LINE] | list FUNC",
                "source lines with the last `coverage` counts beside them, as gcov shows them",
                "FILE is a source file of the line table (its name or the end of its path), read from\n"
                "the host (relative paths also beside the app); FILE:LINE shows the lines around LINE;\n"
                "FUNC (a C or Wasm name, or an index) the function.  A count per line with code\n"
                "(##### for none), - for lines without code.\n\n  list lines.c\n  list lines.c:42\n  list main",
                on(sc.do_list), WordsCompleter(sc.list_words(s))))
    add(Command("save", (), "save FILE.mm | save --session FILE",
                "write the globals and enabled probes as a whamm script (--session: the whole session)",
                "The script is exactly what the shell instruments: `whamm run -s FILE.mm -a APP`\n"
                "reproduces the same report.  --session writes shell commands instead — run settings,\n"
                "globals, every probe with its number and enabled state — that `source FILE` replays.\n\n"
                "  save calls.mm\n  save --session work.cmds", on(bc.do_save), paths()))
    add(Command("source", (), "source FILE", "run shell commands from a file (as -x does at start-up)",
                "Commands are separated by newlines or `;` outside braces, parentheses and strings.\n"
                "The first failing command stops the file.", on(bc.do_source), paths()))
    add(Command("export", (), "export OUT.wasm", "write the current instrumented module", "",
                on(bc.do_export), paths()))
    add(Command("set args", (), "set args ARG…", "the app's arguments (argv[1:]) for the next runs",
                "  set args 27 --verbose", on(bc.do_set_args), None))
    add(Command("set env", (), "set env K=V…", "set environment variables for the app (`set env` clears)",
                "", on(bc.do_set_env), None))
    add(Command("set dir", (), "set dir HOST[::GUEST]…",
                "make a host directory visible to the app (`set dir` clears; none by default)", "",
                on(bc.do_set_dir), paths()))
    add(Command("set stdin", (), "set stdin [FILE]", "the app's standard input (no FILE: the terminal's)",
                "", on(bc.do_set_stdin), paths()))
    add(Command("set timeout", (), "set timeout SECONDS|off", "stop runs after this wall time", "",
                on(bc.do_set_timeout), None))
    add(Command("set fuel", (), "set fuel N|off", "stop runs after N units of wasmtime fuel", "",
                on(bc.do_set_fuel), None))
    add(Command("set compiler", (), "set compiler fast|optimized",
                "the wasmtime compiler of the next runs: fast to compile (default) or fast code",
                "fast: Winch, wasmtime's baseline compiler: a big instrumented app compiles several times\n"
                "faster, its code runs slower (modules using GC, typed function references, exceptions\n"
                "or relaxed SIMD, which Winch lacks, are compiled by Cranelift).  optimized: Cranelift, as\n"
                "`whamm run` does.  The reports are the same; `run --timings` names the compiler used.\n\n"
                "  set compiler optimized\n  set compiler fast",
                on(bc.do_set_compiler), WordsCompleter(lambda: ["fast", "optimized"])))
    add(Command("set unknown-imports", (), "set unknown-imports trap|default|off",
                "stub the imports nobody provides, so an app made for another host runs",
                "An import that neither WASI nor a user library provides (e.g. `ic0.debug_print`) makes\n"
                "the run fail.  trap: it becomes a function that traps when called (wasmtime's\n"
                "--trap-unknown-imports); default: functions return zeros, globals and memories get default\n"
                "values (--default-values-unknown-imports); off: the run fails again (the default).\n\n"
                "  set unknown-imports default\n  set unknown-imports trap",
                on(bc.do_set_unknown_imports), WordsCompleter(lambda: ["trap", "default", "off"])))
    add(Command("set pager", (), "set pager on|off",
                "page listings taller than the terminal through $PAGER (default: on)",
                "At a terminal, output taller than the window (info -v, wat --diff, match --all …) goes\n"
                "through $PAGER, or `less` (with LESS=FRX) when PAGER is unset; PAGER= turns it off too.\n"
                "Batch mode and output that is not a terminal never page.\n\n  set pager off\n  set pager on",
                on(bc.do_set_pager), WordsCompleter(lambda: ["on", "off"])))
    add(Command("show settings", (), "show settings", "the run settings", "", on(bc.do_show_settings), None))
    add(Command("history", (), "history [N]", "the command history of this and earlier sessions", "",
                on(bc.do_history), None))
    add(Command("quit", ("exit",), "quit", "leave the shell (Ctrl-D works too); history is kept", "",
                on(bc.do_quit), None))
    return registry
