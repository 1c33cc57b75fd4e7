"""``whamm wat APP [--func NAME|INDEX]``: print a module, or one function, as WAT.

The first user-facing command of the Wasm toolkit: it reads the module (a ``.wat`` file is assembled
first), then prints with :mod:`compiler.wasm.wat`.  It does not validate: a module the reader
understands can be printed even when wasmtime would reject it (legacy exception handling, say), which is
exactly when looking at it helps.  Every input problem is one line: a decode error names the byte offset,
section and function; an assembler error keeps wat2wasm's ``line:col``.
"""
from __future__ import annotations

import argparse
import os
import re
import sys

from compiler.components import ComponentError, choose_module
from compiler.errors import WhammError
from compiler.files import read_regular_file
from compiler.wasm.component import Component, is_component, read_component

__all__ = ["NAME", "HELP", "add_arguments", "run", "WatInputError", "load_module"]

NAME = "wat"
HELP = "print a WebAssembly module (or one function) as WAT text"


class WatInputError(WhammError):
    """An unreadable, malformed or unassemblable input, or an unknown function."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``whamm wat``'s arguments: the module and optionally one function."""
    parser.add_argument("app", metavar="APP", help="the module: a .wasm binary or .wat text")
    parser.add_argument("--func", metavar="NAME|INDEX",
                        help="print only this function (name from the name section, or function index)")
    parser.add_argument("--module", type=_module_index, metavar="N",
                        help="for a component: print only its core module N (default: every core module; "
                             "with --func, the only one that is neither WASI adapter nor shim)")


_LOCATION = re.compile(r"-->\s*<anon>:(\d+):(\d+)")


def _assemble(text: bytes, name: str) -> bytes:
    import wasmtime  # CLI start-up: `whamm --help` builds every command's parser, see tests/test_import_cycles.py
    try:
        return bytes(wasmtime.wat2wasm(text.decode("utf-8")))
    except UnicodeDecodeError:
        raise WatInputError(f"{name}: neither a Wasm binary (bad magic number) nor WAT text (not UTF-8)") from None
    except wasmtime.WasmtimeError as exc:
        message = str(exc)
        reason = message.splitlines()[0].strip()
        where = _LOCATION.search(message)
        location = f"{name}:{where.group(1)}:{where.group(2)}" if where else name
        raise WatInputError(f"{location}: {reason}") from None


def load_module(path: str):
    """Read ``path`` (binary or WAT) into a :class:`~compiler.wasm.model.Module` — or, for a component, a
    :class:`~compiler.wasm.component.Component` — or raise a one-line :class:`WatInputError`."""
    from compiler.wasm import DecodeError, read_module
    try:
        data = read_regular_file(path)
    except OSError as exc:
        raise WatInputError(f"cannot read '{path}': {exc.strerror or exc}") from None
    if not data.startswith(b"\0asm"):
        data = _assemble(data, path)
    try:
        return read_component(data) if is_component(data) else read_module(data)
    except DecodeError as exc:
        raise WatInputError(f"{path}: {exc}") from None


def _module_index(text: str) -> int:
    """``--module N``: a core module index of a component."""
    if not text.isdecimal():
        raise argparse.ArgumentTypeError(f"invalid --module value '{text}': expected a core module index")
    return int(text)


def _component_lines(component: Component, args: argparse.Namespace):
    """The lines of a component's core modules (or of the one ``--module`` names), each module headed
    by a ``;; core module N`` comment; with ``--func``, that function of the chosen module."""
    if args.func is not None or args.module is not None:
        try:
            chosen = [choose_module(component, args.module, args.app)]
        except ComponentError as exc:
            raise WatInputError(str(exc)) from None
    else:
        chosen = list(component.modules)
    for core in chosen:
        # the lines are made before the header is printed: an unknown --func prints nothing
        lines = _module_lines(core.module, args, f"core module {core.index} of component {args.app}")
        yield f";; core module {core.index}: {core.role.value}, {core.name or 'unnamed'}, {core.size} bytes"
        for line in lines:
            yield line.text


def _module_lines(module, args: argparse.Namespace, what: str):
    """The lines of ``module`` (or of its function ``--func``, looked up now: an unknown one raises here,
    ``what`` naming the module), with a ``;; main.c:42`` comment where the source line changes
    (ANALYSIS.md §5)."""
    from compiler.wasm.source_lines import source_comments, source_map
    from compiler.wasm.wat import function_lines, module_lines

    if args.func is None:
        lines = module_lines(module)
    else:
        lines = function_lines(module, _function_index(module, args.func, what))
    return source_comments(lines, source_map(module))


def _function_index(module, spec: str, path: str) -> int:
    total = module.num_imported_funcs + len(module.functions)
    if spec.isdecimal():
        index = int(spec)
        if index >= total:
            raise WatInputError(f"{path} has no function {index} (it has {total} functions)")
        return index
    wanted = spec.removeprefix("$")
    names = module.names.functions if module.names is not None else {}
    matches = sorted(i for i, name in names.items() if name == wanted)
    if not matches:
        raise WatInputError(f"{path} has no function named '{wanted}'")
    return matches[0]


def run(args: argparse.Namespace) -> int:
    """Print the module (or one function) as WAT, unvalidated: see the module docstring."""
    module = load_module(args.app)
    if isinstance(module, Component):
        texts = _component_lines(module, args)
    elif args.module is not None:
        raise WatInputError(f"--module {args.module}: {args.app} is a core module, not a component")
    else:
        texts = (line.text for line in _module_lines(module, args, args.app))
    out = sys.stdout
    try:
        for text in texts:
            out.write(text)
            out.write("\n")
        out.flush()
    except BrokenPipeError:  # `whamm wat big.wasm | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
    return 0
