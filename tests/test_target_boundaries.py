"""The two targets build on the shared stages, never on each other (issue 10: "`compiler/wei/` imports
rewrite's internals"): no module outside ``compiler/rewrite/`` imports ``compiler.rewrite`` — at module
level, under ``TYPE_CHECKING`` or inside a function — except the ones that drive the rewriting target
(:data:`MAY_IMPORT_REWRITE`).  What both targets need lives in ``compiler/backend/``.

The check reads the source with :mod:`ast` (every ``import``/``from … import`` statement anywhere in the
module), so an annotation-only import counts too: it is still a dependency a reader has to follow.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "compiler"

#: Modules outside the rewriting target allowed to import it, and why.
MAY_IMPORT_REWRITE: dict[str, str] = {
    "compiler.api": "the public entry point runs the rewriting target (and re-exports its results)",
    "compiler.build": "incremental instrumentation drives the rewriting target's emit and cache",
    "compiler.results": "the API's result types wrap the rewriting target's Emitted (annotation only)",
}


def _may_import_rewrite(module: str) -> bool:
    return module in MAY_IMPORT_REWRITE or module == "compiler.commands" or \
        module.startswith(("compiler.commands.", "compiler.rewrite.")) or module == "compiler.rewrite"


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, module)`` of every absolute import in ``tree``; ``from pkg import name`` yields ``pkg.name``
    (the module or the name in it: either way a prefix check on ``pkg`` decides)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import at line {node.lineno}: the check reads absolute names"
            out.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
    return out


def _rewrite_imports(root: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if _may_import_rewrite(module):
            continue
        for line, name in _imported(ast.parse(path.read_text(), str(path))):
            if name == "compiler.rewrite" or name.startswith("compiler.rewrite."):
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {name}")
    return found


def test_no_module_outside_the_rewriting_target_imports_it_but_its_drivers():
    found = _rewrite_imports()
    assert not found, ("modules importing the rewriting target's internals (move what they need to "
                       "compiler/backend/):\n" + "\n".join(found))


def test_the_allowed_importers_exist_and_still_import_it():
    """A driver that stopped importing the rewriting target should leave the list (no stale exceptions)."""
    for module in MAY_IMPORT_REWRITE:
        path = ROOT / (module.replace(".", "/") + ".py")
        names = [n for _, n in _imported(ast.parse(path.read_text(), str(path)))]
        assert any(n.startswith("compiler.rewrite.") for n in names), module


def test_the_check_sees_annotation_only_and_function_level_imports():
    tree = ast.parse("from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    from compiler.rewrite.layout import Layout\n"
                     "def f():\n    import compiler.rewrite.emit\n")
    assert [n for _, n in _imported(tree)] == ["typing.TYPE_CHECKING", "compiler.rewrite.layout.Layout",
                                                "compiler.rewrite.emit"]
