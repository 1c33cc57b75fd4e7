"""The import contract between the shell and the compiler (issue 10, deliverable 3).

``whamm_shell`` reaches the compiler through :mod:`compiler.api` only, so the compiler's internals can be
restructured without touching the shell; ``compiler`` never imports ``whamm_shell``.  Every import is
found by parsing the sources with :mod:`ast` — module-level, function-level and ``TYPE_CHECKING``
imports alike, relative ones resolved — rather than by grepping text.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_every_name_the_api_offers_resolves() -> None:
    """``compiler.api.__all__`` is the shell's whole view of the compiler; the names imported on first
    use (``_ON_FIRST_USE``) must resolve like the others, and an unknown name is an AttributeError."""
    from compiler import api
    missing = [name for name in api.__all__ if getattr(api, name, None) is None]
    assert missing == []
    assert set(api._ON_FIRST_USE) <= set(api.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        api.nonexistent  # noqa: B018


def test_a_shell_session_starts_without_loading_the_rewriter() -> None:
    """The prompt (session, lexers, completion, toolbar) comes up before the code generators are
    imported; the first build imports them."""
    code = ("import sys\n"
            "import whamm_shell.shell, whamm_shell.completion, whamm_shell.lexers, whamm_shell.ui\n"
            "from compiler import api\n"
            "from whamm_shell.session import Session, demo_app\n"
            "s = Session(api.load_app(demo_app()))\n"
            "assert s.last_matched is None and s.global_names() == []\n"
            "print(sorted(m for m in ('compiler.build', 'compiler.rewrite.emit') if m in sys.modules))\n"
            "s.add_probe('wasm:opcode:call:before { }')\n"
            "print(sorted(m for m in ('compiler.build', 'compiler.rewrite.emit') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[]", "['compiler.build', 'compiler.rewrite.emit']"]
