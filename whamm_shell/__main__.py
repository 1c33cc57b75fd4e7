"""``whamm-shell [APP] [-s SCRIPT]... [-u NAME=PATH]... [-x FILE] [-c "CMD; CMD"] [-- APP ARGS...]``
(SHELL.md "Start-up").

Without ``-c``/``-x`` and with a terminal on stdin, the interactive prompt (:mod:`whamm_shell.ui`);
otherwise batch mode: the ``-x`` files, then the ``-c`` texts (or, with neither, standard input) run
command by command and the first failing command ends the shell with status 1.  No APP opens the bundled
demo application.  Exit statuses follow ``whamm`` (CLI.md): 0, 1 for a bad APP/SCRIPT/library or a
failing batch command (one clear ``error:`` line, never a traceback), 2 for an invalid command line, 3
for an internal error.

The command line is parsed before the shell and its UI are imported (prompt_toolkit and pygments are
most of the start-up time), so ``--help`` and a wrong command line answer at once: those imports are
the function-level ones below, and ``tests/test_import_cycles.py`` lists them.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
from typing import Sequence

from compiler import api
from compiler.api import ScriptError, WhammError, read_script
from whamm_shell.pager import Pager
from whamm_shell.session import Session, Settings, demo_app, names_note

__all__ = ["main", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_INTERNAL"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class _Usage(Exception):
    """An invalid command line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:     # raise instead of exiting, so main() decides the status
        raise _Usage(message)


def _module_index(text: str) -> int:
    """``--module N``: a core module index, as ``whamm run --module`` takes it (a negative one is a bad
    command line, not a module the component lacks)."""
    if not text.isdecimal():
        raise argparse.ArgumentTypeError(f"invalid --module value '{text}': expected a core module index "
                                         "(0, 1, ...)")
    return int(text)


def _parser() -> _Parser:
    p = _Parser(prog="whamm-shell", description="the interactive whamm instrumentation shell",
                usage="whamm-shell [APP] [-s SCRIPT]... [-u NAME=PATH]... [-x FILE]... [-c 'CMD; CMD']... "
                      "[-- APP ARGS...]")
    p.add_argument("app", nargs="?", metavar="APP", help="the application (.wasm or .wat); default: the demo app")
    p.add_argument("--module", type=_module_index, metavar="N",
                   help="for a component APP: the core module to instrument (default: the only app module)")
    p.add_argument("-s", "--script", action="append", default=[], metavar="SCRIPT",
                   help="load the probes and globals of a whamm script (repeatable)")
    p.add_argument("-u", "--user-libs", action="append", default=[], metavar="NAME=PATH",
                   help="register a user library, as `whamm instr -u` (repeatable)")
    p.add_argument("-x", dest="files", action="append", default=[], metavar="FILE",
                   help="run the shell commands of FILE, then exit (batch mode)")
    p.add_argument("-c", dest="commands", action="append", default=[], metavar="CMDS",
                   help="run these commands (separated by newlines or `;`), then exit (batch mode)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """The ``whamm-shell`` console script; returns (and, as a script, exits with) the status."""
    status = _main(list(sys.argv[1:] if argv is None else argv))
    if argv is None:
        sys.exit(status)
    return status


def _main(argv: list[str]) -> int:
    app_args: list[str] | None = None
    if "--" in argv:
        cut = argv.index("--")
        argv, app_args = argv[:cut], argv[cut + 1:]
    try:
        args = _parser().parse_args(argv)
    except _Usage as exc:
        sys.stderr.write(f"{_parser().format_usage()}whamm-shell: error: {exc}\n")
        return EXIT_USAGE
    shell = None
    try:
        shell = _start(args, app_args)
        if args.files or args.commands or not sys.stdin.isatty():
            return _batch(shell, args)
        _interactive(shell)
        return EXIT_OK
    except _Usage as exc:
        sys.stderr.write(f"whamm-shell: error: {exc}\n")
        return EXIT_USAGE
    except WhammError as exc:
        sys.stderr.write(f"error: {_one_line(exc)}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:                     # `whamm-shell -c … | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:                    # a bug: say so, without a traceback
        sys.stderr.write(f"error: internal error: {exc!r} (please report this bug)\n")
        return EXIT_INTERNAL
    finally:
        if shell is not None:
            # Drop the last run's store before the interpreter shuts down: wasmtime's WASI threads must
            # not outlive Python.
            shell.session.last_run = None
            gc.collect()


def _one_line(exc: WhammError) -> str:
    """A start-up error on one line: the message plus its location (`` --> file: where``), if any;
    script diagnostics keep their caret layout."""
    text = str(exc)
    if isinstance(exc, ScriptError):
        return text.removeprefix("error: ")
    lines = text.splitlines()
    where = next((ln.strip()[4:] for ln in lines[1:] if ln.strip().startswith("--> ")), None)
    return lines[0] + (f" ({where})" if where else "")


def _start(args: argparse.Namespace, app_args: list[str] | None):
    """The shell on the command line's application, scripts and libraries (exit 1 if one is bad)."""
    from whamm_shell.render import Renderer
    from whamm_shell.shell import Shell
    from whamm_shell.ui import compile_cache_path, history_path

    try:
        libraries = api.load_libraries(args.user_libs)
    except api.LibSpecError as exc:
        raise _Usage(str(exc)) from None
    app = api.load_app(args.app if args.app is not None else demo_app(), module=args.module)
    color = sys.stdout.isatty()
    width = _width()
    renderer = Renderer(sys.stdout, color, err=sys.stderr, width=width)
    cache = compile_cache_path()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        renderer.warning(f"cannot use compile cache directory '{cache}': {exc.strerror or exc}; "
                         f"compiled code is kept for this session only")
        cache = None
    session = Session(app, libraries, Settings(args=tuple(app_args or ())), compile_cache=cache)
    for path in args.script:
        session.load_script(api.read_script(path), path)
    for warning in libraries.warnings:
        renderer.warning(warning)
    note = names_note(app)
    if note is not None:
        renderer.warning(note)
    return Shell(session, renderer, history_path=history_path())


def _width() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 80


def _batch(shell, args: argparse.Namespace) -> int:
    """Run ``-x`` files, then ``-c`` texts (or stdin); the first failing command ends with status 1."""
    sources: list[tuple[str, str]] = []
    for path in args.files:
        try:
            sources.append((read_script(path), path))
        except WhammError as exc:
            raise WhammError(str(exc).replace("cannot read script", "cannot read command file")) from None
    sources += [(text, "-c") for text in args.commands]
    if not sources:
        sources.append((sys.stdin.read(), "<stdin>"))
    for text, origin in sources:
        try:
            if shell.run_text(text, origin):
                break
        except WhammError as exc:
            shell.renderer.error(exc)
            return EXIT_FAILED
    return EXIT_OK


def _interactive(shell) -> None:
    """The prompt, until ``quit`` or Ctrl-D."""
    from whamm_shell.completion import ProbeCompleter, ShellCompleter
    from whamm_shell.ui import Repl, make_prompt

    completer = ShellCompleter(shell.registry, ProbeCompleter(globals=shell.session.global_names,
                                                              functions=shell.session.functions))
    prompt = make_prompt(completer, history=shell.history_path, status=shell.status)
    shell.edit_inline = lambda text: prompt.prompt(default=text)
    shell.ask = _ask
    if sys.stdout.isatty():             # long listings go through $PAGER (`set pager off`)
        shell.renderer.pager = Pager()
        shell.renderer.height = shutil.get_terminal_size().lines
    shell.session.mark_saved()          # what -s and -x brought in is in files already
    shell.renderer.message(f"whamm-shell on {shell.session.app.name}: type a probe, `run`, `report`; "
                           f"`help` lists the commands, Ctrl-D leaves")
    Repl(prompt, shell.onecmd, shell.renderer, confirm_eof=shell.confirm_quit).run()


def _ask(question: str) -> str | None:
    """A question at the terminal (``quit anyway?``, ``edit again?``): the answer, None at Ctrl-D."""
    try:
        return input(question)
    except EOFError:
        print()
        return None


if __name__ == "__main__":
    main()
