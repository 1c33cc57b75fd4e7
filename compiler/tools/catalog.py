"""The ready-made tools (ANALYSIS.md §7): whamm scripts shipped in this package as documented ``.mm``
files, found by name and turned into a script with their arguments substituted.

A tool file is a whamm script whose leading ``//`` comment documents it; that comment is also where the
catalog reads what it needs, so the documentation and the behaviour cannot drift apart:

* the first line is ``// NAME: SUMMARY`` (``tools`` and ``whamm run --help`` show the summary);
* a line ``// param NAME (KIND): DOC`` declares a required parameter, ``// param NAME (KIND, default
  VALUE): DOC`` an optional one, in the order arguments are given (``--tool deny:/etc``, ``trace deny
  /etc``);
* in the script, ``{{NAME}}`` stands where the argument goes, as an expression.

Arguments are never pasted as text: each KIND turns a validated argument into a whamm expression, so an
argument cannot change the script's structure (a path holding ``"`` or ``}`` is just a string).  KINDs:

* ``string`` — any non-empty text, substituted as a string literal;
* ``path_prefix`` — a non-empty path prefix, substituted as a condition (a ``bool`` expression of
  string literals) that holds in a ``path_open`` probe when the path the application named starts
  with it: the ``path`` as passed for a relative prefix; for an absolute one, ``path`` joined to its
  directory's ``fd_path`` as ``fd_path`` joins them (wasi-libc turns ``/sandbox/secret`` into
  ``secret`` under the preopen ``/sandbox``, so ``path`` alone never starts with ``/``);
* ``errno`` — a WASI error name (``acces``, ``noent``, …, as ``errno_name`` spells them; not
  ``success``, which would make a refused call look successful with no result written), substituted
  as the constant ``ERRNO_<NAME>``.

A tool registered in :data:`compiler.tools.app_scripts.APP_SCRIPTS` builds its script from the
application when :func:`tool_script` is given the application's module (``coverage``: line coverage
from the DWARF line table); its ``.mm`` file is the script without a module, or when the module cannot
give one.

What a tool prints after a run is its table (:mod:`compiler.tools.tables`), keyed by the tool's name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from compiler.errors import InternalError, WhammError
from compiler.events.wasi import ERRNO
from compiler.lang.printer import string_literal
from compiler.tools.app_scripts import APP_SCRIPTS, AppScript

if TYPE_CHECKING:
    from compiler.wasm.model import Module

__all__ = ["ToolError", "Param", "Tool", "ToolScript", "tool_names", "find_tool", "tool_script",
           "parse_tool_spec", "ERRNO_NAMES"]

#: The WASI preview 1 errno names the ``errno`` KIND accepts (the provider's table, generated from
#: ``wasi/api.h``), in order of value.
ERRNO_NAMES = tuple(name for name, _ in ERRNO)

_HEADER = re.compile(r"// (?P<name>[a-z_]+): (?P<summary>.+)")
_PARAM = re.compile(r"// param (?P<name>[A-Z_]+) \((?P<kind>[a-z_]+)(?:, default (?P<default>\S+))?\): "
                    r"(?P<doc>.+)")
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
_REPORT_VAR = re.compile(r"^\s*report var (\w+)", re.M)


class ToolError(WhammError):
    """An unknown tool or a bad argument for one (a usage error on the command line, an error in the shell)."""


@dataclass(frozen=True, slots=True)
class Param:
    """A tool's parameter: its name (as the docs write it), KIND, default (None: required) and doc line."""

    name: str
    kind: str
    default: str | None
    doc: str

    @property
    def usage(self) -> str:
        """``PATH_PREFIX``, or ``[ERRNO]`` for an optional one."""
        return self.name if self.default is None else f"[{self.name}]"


@dataclass(frozen=True, slots=True)
class Tool:
    """One shipped tool: its name, one-line summary, documentation (the leading comment without ``//``),
    parameters, script template, and how it builds its script from the application (None: it does not)."""

    name: str
    summary: str
    doc: str
    params: tuple[Param, ...]
    template: str
    app_script: AppScript | None = None

    @property
    def usage(self) -> str:
        """``deny PATH_PREFIX [ERRNO]``: the tool with its parameters."""
        return " ".join([self.name, *(p.usage for p in self.params)])

    @property
    def report_variables(self) -> frozenset[str]:
        """The names of the tool's report variables, from its template and from the script it builds from
        an application: what its table shows, so the rest of a report need not repeat them."""
        built = self.app_script.report_variables if self.app_script is not None else frozenset()
        return frozenset(_REPORT_VAR.findall(self.template)) | built


@dataclass(frozen=True, slots=True)
class ToolScript:
    """A tool with its arguments substituted: the script text and the name diagnostics give it."""

    tool: Tool
    args: tuple[str, ...]
    text: str

    @property
    def label(self) -> str:
        """``<tool deny>``: where a diagnostic about the tool's text points."""
        return f"<tool {self.tool.name}>"


@lru_cache(maxsize=None)
def _tools() -> dict[str, Tool]:
    """Every ``*.mm`` file of this package, read once, by name (sorted)."""
    out = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".mm"):
            tool = _parse(entry.name[:-3], entry.read_text(encoding="utf-8"))
            out[tool.name] = tool
    for name in APP_SCRIPTS.keys() - out.keys():
        raise InternalError(f"tool {name}: an application script is registered but there is no {name}.mm")
    return out


def _parse(stem: str, text: str) -> Tool:
    """The :class:`Tool` a file holds.  A malformed shipped file is a bug in the package, not the user's."""
    lines = text.splitlines()
    header = _HEADER.fullmatch(lines[0]) if lines else None
    if header is None or header["name"] != stem:
        raise InternalError(f"tool {stem}.mm: the first line must be `// {stem}: SUMMARY`")
    doc_lines, params = [], []
    for line in lines[1:]:
        if not line.startswith("//"):
            break
        param = _PARAM.fullmatch(line)
        if param is not None:
            if param["kind"] not in _KINDS:
                raise InternalError(f"tool {stem}.mm: unknown parameter kind `{param['kind']}`")
            params.append(Param(param["name"], param["kind"], param["default"], param["doc"]))
        doc_lines.append(line[3:] if line.startswith("// ") else line[2:])
    used = set(_PLACEHOLDER.findall(text))
    declared = {p.name for p in params}
    if used != declared:
        raise InternalError(f"tool {stem}.mm: placeholders {sorted(used)} differ from parameters {sorted(declared)}")
    app_script = APP_SCRIPTS.get(stem)
    if app_script is not None and params:
        raise InternalError(f"tool {stem}.mm: a tool that builds its script from the application takes no parameters")
    return Tool(stem, header["summary"], "\n".join(doc_lines).strip("\n"), tuple(params), text, app_script)


def tool_names() -> list[str]:
    """The shipped tools' names, sorted."""
    return list(_tools())


def find_tool(name: str) -> Tool:
    """The tool called ``name``; :class:`ToolError` naming the tools there are otherwise."""
    tool = _tools().get(name)
    if tool is None:
        raise ToolError(f"unknown tool `{name}` (tools: {', '.join(_tools())})")
    return tool


def parse_tool_spec(spec: str) -> tuple[str, tuple[str, ...]]:
    """``deny:/etc`` as ``("deny", ("/etc",))``: the command line's ``NAME[:ARG…]`` (an argument cannot
    hold a ``:``; the shell's ``trace NAME ARG…`` can pass one)."""
    name, *args = spec.split(":")
    return name, tuple(args)


def tool_script(name: str, args: tuple[str, ...] | list[str] = (), module: Module | None = None) -> ToolScript:
    """The script of tool ``name`` with ``args`` validated and substituted (defaults for those left out);
    for a tool that builds its script from the application, the one built from ``module`` (the
    application to instrument) when it gives one.  :class:`ToolError` for an unknown tool, a missing or
    surplus argument or an invalid value."""
    tool = find_tool(name)
    args = tuple(args)
    if len(args) > len(tool.params):
        expected = "no arguments" if not tool.params else f"at most {len(tool.params)}"
        raise ToolError(f"tool {name} takes {expected} (usage: {tool.usage}); got {len(args)}")
    values = {}
    for i, param in enumerate(tool.params):
        if i < len(args):
            values[param.name] = _KINDS[param.kind](tool, param, args[i])
        elif param.default is not None:
            values[param.name] = _KINDS[param.kind](tool, param, param.default)
        else:
            raise ToolError(f"tool {name} needs {param.name} (usage: {tool.usage}): {param.doc}")
    built = tool.app_script.build(module) if tool.app_script is not None and module is not None else None
    if built is not None:
        return ToolScript(tool, args, built)
    text = _PLACEHOLDER.sub(lambda m: values[m[1]], tool.template)
    return ToolScript(tool, args, text)


def _string(tool: Tool, param: Param, value: str) -> str:
    if not value:
        raise ToolError(f"tool {tool.name}: {param.name} must not be empty")
    return _string_literal(value)


def _path_prefix(tool: Tool, param: Param, value: str) -> str:
    """``path`` starts with ``value``; for an absolute ``value``, or ``fd_path + "/" + path`` does
    (fdpath.c's join: no second ``/`` after a directory ending in one), written without concatenation as
    one alternative per place the directory could end inside ``value``."""
    lit = _string(tool, param, value)
    if not value.startswith("/"):
        return f"path.starts_with({lit})"
    terms = [f"path.starts_with({lit})", f"fd_path.starts_with({lit})"]
    for k, ch in enumerate(value):
        if ch == "/":
            rest = _string_literal(value[k + 1:])
            if k:
                terms.append(f"(fd_path == {_string_literal(value[:k])} && path.starts_with({rest}))")
            terms.append(f"(fd_path == {_string_literal(value[:k + 1])} && path.starts_with({rest}))")
    return "(" + " || ".join(terms) + ")"


def _string_literal(text: str) -> str:
    return string_literal(text.encode("utf-8", "surrogateescape"))


def _errno(tool: Tool, param: Param, value: str) -> str:
    name = value.lower().removeprefix("errno_")
    if name not in ERRNO_NAMES:
        raise ToolError(f"tool {tool.name}: {param.name} `{value}` is not a WASI errno name "
                        f"(e.g. acces, perm, noent, notcapable)")
    if name == "success":
        raise ToolError(f"tool {tool.name}: {param.name} must be an error, not `{value}` (the call would seem "
                        f"to succeed with no result written)")
    return f"ERRNO_{name.upper()}"


#: How each parameter KIND turns a validated argument into a whamm expression.
_KINDS = {"string": _string, "path_prefix": _path_prefix, "errno": _errno}
