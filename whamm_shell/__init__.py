"""whamm-shell: the interactive instrumentation shell (SHELL.md).

The package is an engine and a UI kept apart, as ``bdb``/``cmd`` in pdb and ptpython's modules
(STYLE.md §4).  The shell talks to the compiler only through :mod:`compiler.api` (incremental
instrumentation, dry runs, the report, catalog and syntax queries, the error types:
``tests/test_import_contract.py`` holds it to that); ``compiler`` never imports this package.

Engine (state and behaviour)
    :mod:`whamm_shell.session` holds the application, the numbered probes, the script-level items, the
    settings and the last run; the compiler's :class:`compiler.api.Instrumenter` re-instruments only
    what changed.  Neither prints.

Commands
    :mod:`whamm_shell.commands` is the registry mechanism: a :class:`~whamm_shell.commands.Command`
    (name — one or two words —, aliases, usage, summary, help text, ``run(args) -> bool | None``, and a
    completer for its arguments) and a :class:`~whamm_shell.commands.Registry` with unique-prefix
    resolution (``pr a`` = ``probe add``), ambiguity errors listing the candidates, ``help``/``help CMD``
    text, and :meth:`~whamm_shell.commands.Registry.dispatch`, the body of the shell's
    ``onecmd(line) -> bool``: a blank line does nothing, whamm text typed directly (a probe, a global
    statement, see :func:`~whamm_shell.splitting.looks_like_script`) goes to a default handler, anything
    else to its command; True means stop.  :class:`whamm_shell.shell.Shell` owns the registry and that
    ``onecmd``; :mod:`whamm_shell.command_table` fills the registry with SHELL.md's commands, which are
    functions of the shell in :mod:`whamm_shell.builtin_commands` (changing or driving the session) and
    :mod:`whamm_shell.inspect_commands` (looking at it), parsing their arguments with
    :mod:`whamm_shell.arguments`; the prompt, ``source FILE``, ``-c``/``-x`` and the tests all call the
    same ``onecmd``.

Input as text
    :mod:`whamm_shell.splitting` splits ``-c`` text and command files into commands (newlines and ``;``
    outside braces, parentheses and strings), tells the prompt whether input is still open, and tells
    commands from whamm text.

UI
    :mod:`whamm_shell.ui` builds the prompt_toolkit session (:func:`~whamm_shell.ui.make_prompt`:
    persistent history in ``$XDG_DATA_HOME/whamm-shell/history``, Ctrl-R, suggestions, multi-line probe
    entry, live highlighting, a bottom toolbar fed by a callable returning a
    :class:`~whamm_shell.ui.Status`) and runs :class:`~whamm_shell.ui.Repl`, the loop that never dies.
    :mod:`whamm_shell.completion` provides the completers: :class:`~whamm_shell.completion.ShellCompleter`
    over the registry, plus per-command argument completers that receive *callables* (globals, functions,
    report variables), never session state.  :mod:`whamm_shell.lexers` has the pygments lexers (whamm,
    shell lines, WAT).

Output
    :mod:`whamm_shell.render` is the one output funnel: a :class:`~whamm_shell.render.Renderer` given its
    streams and a colour flag (messages, errors with compiler diagnostics, warnings, tables, truncation
    with a hint, WAT with injected code marked, bar charts).  Nothing else prints.

Wiring, in short::

    registry = build_registry(shell)                       # Commands with run + complete
    completer = ShellCompleter(registry, ProbeCompleter(globals=session.global_names,
                                                        functions=session.functions))
    prompt = make_prompt(completer, history=history_path(), status=shell.status)
    Repl(prompt, shell.onecmd, Renderer(sys.stdout, color, err=sys.stderr)).run()
"""
from __future__ import annotations

__all__: list[str] = []
