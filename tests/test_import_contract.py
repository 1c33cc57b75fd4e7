"""The import contract between the shell and the compiler (issue 10, deliverable 3).

``whamm_shell`` reaches the compiler through :mod:`compiler.api` only, so the compiler's internals can be
restructured without touching the shell; ``compiler`` never imports ``whamm_shell``.  Every import is
found by parsing the sources with :mod:`ast` — module-level, function-level and ``TYPE_CHECKING``
imports alike, relative ones resolved — rather than by grepping text.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, as (line, dotted name), wherever the import statement is.

    ``from X import a, b`` counts as importing ``X.a`` and ``X.b`` (each may be a submodule: ``from
    compiler import build`` imports ``compiler.build``); a relative import is resolved against the file's
    package.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return sorted(found)


def _is_compiler(name: str) -> bool:
    return name == "compiler" or name.startswith("compiler.")


def shell_violations() -> list[str]:
    """``file:line: module`` for every import of a compiler module other than ``compiler.api``."""
    out = []
    for path in sorted((ROOT / "whamm_shell").rglob("*.py")):
        for line, name in imported_modules(path):
            if _is_compiler(name) and name != "compiler.api" and not name.startswith("compiler.api."):
                out.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    return out


def test_the_shell_imports_only_compiler_api() -> None:
    assert shell_violations() == []


def test_the_compiler_never_imports_the_shell() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {name}"
             for path in sorted((ROOT / "compiler").rglob("*.py"))
             for line, name in imported_modules(path)
             if name == "whamm_shell" or name.startswith("whamm_shell.")]
    assert found == []


def test_every_kind_of_import_is_seen(tmp_path: Path, monkeypatch) -> None:
    """The checker itself: function-level, ``TYPE_CHECKING``, ``from compiler import X`` and relative
    imports are all found, and only ``compiler.api`` (with its names) passes."""
    package = tmp_path / "whamm_shell"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "bad.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from compiler import api\n"
        "from compiler.api import WhammError, Instrumenter\n"
        "import compiler.api\n"
        "if TYPE_CHECKING:\n"
        "    from compiler.lang.scopes import Program\n"
        "def f():\n"
        "    from compiler import build\n"
        "    import compiler.wasm.wat as wat\n"
        "    import compiler\n"
        "from . import session\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert shell_violations() == [
        "whamm_shell/bad.py:6: compiler.lang.scopes.Program",
        "whamm_shell/bad.py:8: compiler.build",
        "whamm_shell/bad.py:9: compiler.wasm.wat",
        "whamm_shell/bad.py:10: compiler",
    ]
    assert (11, "whamm_shell.session") in imported_modules(package / "bad.py")
