"""Import hygiene of ``compiler`` and ``whamm_shell`` (issue 10, deliverable 5): no import cycles at module
level, and no function-level import of a compiler module except the documented ones in
:data:`LAZY_ALLOWED`, nor of any module at all in the shell except those in :data:`SHELL_LAZY_ALLOWED`.

A function-level import is how a cycle gets hidden (it only fails when the function first runs, and the
order modules happen to load in decides whether it fails at all), so each one must say why it is not at
the top.  The graph is built from the source with :mod:`ast`: module-level ``import``/``from … import``
statements (including those under a module-level ``if``/``try``), not those under
``if TYPE_CHECKING:``, which never run, nor under ``if __name__ == "__main__":``.  ``from pkg import name`` is an edge to ``pkg.name`` when that is
a module, else to ``pkg``.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "compiler"

_CLI_STARTUP = ("command modules are all imported to build the argument parser, so `whamm --help`, "
                "`whamm wat` and `whamm info` must not load the checker, the rewriter or the engine")
_LAZY_DECODING = ("model.py's FuncBody/Opcode decode on demand with code.py/opcodes.py, which are built on "
                  "model.py's types: breaking this needs the instruction types split out of model.py")
_API_STARTUP = ("compiler.api is the shell's first import and the CLI's: the checker (~25 ms) and the rewriter "
                "(~0.3 s) load when a script is first checked or instrumented, not before the shell's prompt "
                "or `whamm info`/`whamm wat`")

#: ``importing module -> {imported compiler module: why it is imported inside a function}``.
LAZY_ALLOWED: dict[str, dict[str, str]] = {
    "compiler.commands.check": {m: _CLI_STARTUP for m in (
        "compiler.api", "compiler.lang.frontend", "compiler.wei.support")},
    "compiler.commands.info": {"compiler.events.info": _CLI_STARTUP},
    "compiler.commands.instr": {"compiler.api": _CLI_STARTUP},
    "compiler.commands.run": {m: _CLI_STARTUP for m in ("compiler.api", "compiler.report.live")},
    "compiler.commands.wat": {m: _CLI_STARTUP for m in ("compiler.wasm", "compiler.wasm.wat", "compiler.wasm.source_lines")},
    "compiler.wei.cli": {m: _CLI_STARTUP for m in (
        "compiler.api", "compiler.lang.frontend", "compiler.runner", "compiler.wei.emulator",
        "compiler.wei.monitor")},
    "compiler.scripts": {"compiler.api": _CLI_STARTUP},
    "compiler.wasm.model": {m: _LAZY_DECODING for m in ("compiler.wasm.code", "compiler.wasm.opcodes")},
    "compiler.api": {m: _API_STARTUP for m in (
        "compiler.lang.checker", "compiler.lang.frontend", "compiler.rewrite.emit",
        "compiler.rewrite.bodycache")},
    "compiler.results": {"compiler.rewrite.origin": _API_STARTUP},
}


#: ``importing whamm_shell module -> {module it imports inside a function: why}``; any module counts
#: here (the shell's own, ``compiler.api``, prompt_toolkit, pygments …), since the shell's rule is "imports
#: at the top, except documented optional heavy ones".
_SHELL_STARTUP = ("whamm-shell parses its command line before importing the shell and its UI (prompt_toolkit "
                  "and pygments are most of its start-up time), so `--help` and a wrong command line answer "
                  "at once")
SHELL_LAZY_ALLOWED: dict[str, dict[str, str]] = {
    "whamm_shell.__main__": {m: _SHELL_STARTUP for m in (
        "whamm_shell.completion", "whamm_shell.render", "whamm_shell.shell", "whamm_shell.ui")},
}


def _modules(package: Path = PACKAGE) -> dict[str, Path]:
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()
SHELL_MODULES = _modules(ROOT / "whamm_shell")


def _targets(current: str, node: ast.Import | ast.ImportFrom, modules: dict[str, Path] = MODULES) -> list[str]:
    """The modules of ``modules`` (a package's) that an import statement in module ``current`` loads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in modules]
    base = node.module or ""
    if node.level:
        package = current if modules[current].name == "__init__.py" else current.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    found = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        found.append(sub if sub in modules else base)
    return [t for t in found if t in modules]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_main_guard(test: ast.expr) -> bool:
    """``if __name__ == "__main__":`` runs only when the module is the program, not when it is imported."""
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"


def _module_level(current: str, stmts: list[ast.stmt], edges: set[str],
                  modules: dict[str, Path] = MODULES) -> None:
    for stmt in stmts:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            edges.update(_targets(current, stmt, modules))
        elif isinstance(stmt, ast.If):
            if not (_is_type_checking(stmt.test) or _is_main_guard(stmt.test)):
                _module_level(current, stmt.body, edges, modules)
            _module_level(current, stmt.orelse, edges, modules)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                _module_level(current, block, edges, modules)


def _any_targets(current: str, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]) -> list[str]:
    """Every module an import statement loads: those of ``modules`` as :func:`_targets` finds them,
    any other (``compiler.api``, ``pygments.formatters``) by its name."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    inside = _targets(current, node, modules)
    return inside if inside or node.level else [node.module or ""]


def _scan(modules: dict[str, Path] = MODULES, any_module: bool = False
          ) -> tuple[dict[str, set[str]], dict[str, dict[str, list[str]]]]:
    """``(module-level graph, {module: {lazily imported module: [where]}})``; the lazy imports are those
    of ``modules`` only, or of any module at all with ``any_module``."""
    graph: dict[str, set[str]] = {}
    lazy: dict[str, dict[str, list[str]]] = {}
    imported = _any_targets if any_module else _targets
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = edges = set()
        _module_level(name, tree.body, edges, modules)
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for target in imported(name, node, modules):
                        where = f"{path.relative_to(ROOT)}:{node.lineno} ({func.name})"
                        lazy.setdefault(name, {}).setdefault(target, []).append(where)
    return graph, lazy


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a closed path) per strongly connected component with more than one module or a
    self-import (Tarjan, iterative so deep graphs do not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    components.append(component)
    return [_path_in(graph, set(c)) for c in components]


def _path_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A closed path through ``component`` starting at its first module, for the failure message."""
    start = min(component)
    previous = {start: None}
    todo = [start]
    while todo:
        node = todo.pop(0)
        for child in sorted(graph[node] & component):
            if child == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in previous:
                previous[child] = node
                todo.append(child)
    raise AssertionError(f"no cycle through {sorted(component)}")


def test_cycle_finder_reports_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert sorted(_cycles(graph)) == [["a", "b", "c", "a"], ["e", "e"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_type_checking_imports_are_not_edges():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from compiler.api import App\n"
                     "from compiler.errors import WhammError\n")
    edges: set[str] = set()
    _module_level("compiler.cli", tree.body, edges)
    assert edges == {"compiler.errors"}


def test_compiler_has_no_import_cycles():
    graph, _ = _scan()
    cycles = _cycles(graph)
    assert not cycles, "module-level import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_function_level_imports_are_only_the_documented_ones():
    _, lazy = _scan()
    unexpected = [f"{where}: imports {target}"
                  for module, targets in sorted(lazy.items())
                  for target, places in sorted(targets.items())
                  if target not in LAZY_ALLOWED.get(module, {}) and target != module
                  for where in places]
    assert not unexpected, ("function-level imports of compiler modules (move them to the top, or break "
                            "the cycle they hide, or document them in LAZY_ALLOWED):\n" + "\n".join(unexpected))
    stale = [f"{module} -> {target}" for module, targets in LAZY_ALLOWED.items() for target in targets
             if target not in lazy.get(module, {})]
    assert not stale, "LAZY_ALLOWED lists imports that are no longer lazy:\n" + "\n".join(stale)


def test_whamm_shell_has_no_import_cycles():
    graph, _ = _scan(SHELL_MODULES)
    cycles = _cycles(graph)
    assert not cycles, "module-level import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_whamm_shell_imports_at_the_top_but_the_documented_ones():
    _, lazy = _scan(SHELL_MODULES, any_module=True)
    found = {module: set(targets) for module, targets in lazy.items()}
    allowed = {module: set(targets) for module, targets in SHELL_LAZY_ALLOWED.items()}
    unexpected = [f"{where}: imports {target}"
                  for module, targets in sorted(lazy.items())
                  for target, places in sorted(targets.items())
                  if target not in allowed.get(module, set())
                  for where in places]
    assert not unexpected, ("function-level imports in whamm_shell (move them to the top, or document them "
                            "in SHELL_LAZY_ALLOWED):\n" + "\n".join(unexpected))
    stale = [f"{module} -> {target}" for module, targets in allowed.items()
             for target in targets - found.get(module, set())]
    assert not stale, "SHELL_LAZY_ALLOWED lists imports that are no longer lazy:\n" + "\n".join(stale)


def test_function_level_imports_of_any_module_are_seen_in_the_shell():
    tree = ast.parse("def f():\n    from pygments import highlight\n    import json\n"
                     "    from whamm_shell.ui import Status\n    from . import render\n")
    found = [t for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
             for t in _any_targets("whamm_shell.shell", node, SHELL_MODULES)]
    assert found == ["pygments", "json", "whamm_shell.ui", "whamm_shell.render"]
