"""Every public function, method and class of ``compiler`` and ``whamm_shell`` has a docstring (issue 10,
deliverable 5): the docstring is where a caller learns why the thing exists and what it must know.

Public means a name without a leading underscore, at module level or in the body of a public class
(nested functions are details of their function).  Exempt, because their documentation is elsewhere:

* dunder methods (they are private by the rule above);
* a property's setter or deleter (``@x.setter``): the getter's docstring documents the property;
* a method overriding a method of a base class of the project that has a docstring (the base class's
  docstring is the contract; base classes are resolved by name among the project's classes);
* the callbacks of the lark ``Builder`` in ``compiler/lang/ast_builder.py``: each is named after the
  grammar rule it reduces, which the class docstring says;
* ``visit_*`` methods of a ``NodeVisitor`` subclass whose class docstring says what its ``visit_``
  methods do.

The source is read with :mod:`ast`, so nothing is imported.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("compiler", "whamm_shell")
LARK_BUILDER = ("compiler/lang/ast_builder.py", "Builder")

Def = ast.FunctionDef | ast.AsyncFunctionDef


def _classes() -> dict[str, list[tuple[str, ast.ClassDef]]]:
    """``class name -> [(file, class)]`` over both packages (nested classes included)."""
    out: dict[str, list[tuple[str, ast.ClassDef]]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), rel)):
                if isinstance(node, ast.ClassDef):
                    out.setdefault(node.name, []).append((rel, node))
    return out


CLASSES = _classes()


def _base_names(cls: ast.ClassDef) -> list[str]:
    """The names a class's bases are written with (``Env``, ``storage.Storage`` → ``Storage``)."""
    names = []
    for base in cls.bases:
        if isinstance(base, ast.Subscript):   # Generic[T], NamedTuple-like parametrised bases
            base = base.value
        if isinstance(base, ast.Name):
            names.append(base.id)
        elif isinstance(base, ast.Attribute):
            names.append(base.attr)
    return names


def _documented_in_a_base(cls: ast.ClassDef, method: str, seen: set[int] | None = None) -> bool:
    """Whether a project base class of ``cls`` (at any depth) defines ``method`` with a docstring."""
    seen = set() if seen is None else seen
    for name in _base_names(cls):
        for _, base in CLASSES.get(name, ()):
            if id(base) in seen:   # identity of the parsed node: a class may be reached twice
                continue
            seen.add(id(base))
            for node in base.body:
                if isinstance(node, Def) and node.name == method and ast.get_docstring(node):
                    return True
            if _documented_in_a_base(base, method, seen):
                return True
    return False


def _is_visitor(cls: ast.ClassDef) -> bool:
    """A ``NodeVisitor`` subclass (at any depth) whose docstring speaks of its ``visit_`` methods."""
    def derives(c: ast.ClassDef, seen: set[int]) -> bool:
        for name in _base_names(c):
            if name == "NodeVisitor":
                return True
            for _, base in CLASSES.get(name, ()):
                if id(base) not in seen and derives(base, seen | {id(base)}):
                    return True
        return False
    return derives(cls, set()) and "visit_" in (ast.get_docstring(cls) or "")


def _is_accessor(func: Def) -> bool:
    """``@name.setter``/``@name.deleter`` of a property."""
    return any(isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter") for d in func.decorator_list)


def _exempt(rel: str, cls: ast.ClassDef | None, func: Def) -> bool:
    if cls is None:
        return False
    if _is_accessor(func):
        return True
    if (rel, cls.name) == LARK_BUILDER:
        return True
    if func.name.startswith("visit_") and _is_visitor(cls):
        return True
    return _documented_in_a_base(cls, func.name)


def undocumented() -> list[str]:
    """``file:line name`` of every public definition without a docstring that no exemption covers."""
    missing = []

    def walk(rel: str, body: list[ast.stmt], cls: ast.ClassDef | None) -> None:
        for node in body:
            if isinstance(node, Def):
                if not node.name.startswith("_") and ast.get_docstring(node) is None \
                        and not _exempt(rel, cls, node):
                    where = f"{cls.name}.{node.name}" if cls is not None else node.name
                    missing.append(f"{rel}:{node.lineno} {where}")
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                if ast.get_docstring(node) is None:
                    missing.append(f"{rel}:{node.lineno} class {node.name}")
                walk(rel, node.body, node)

    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            walk(rel, ast.parse(path.read_text(encoding="utf-8"), rel).body, None)
    return missing


def test_every_public_definition_has_a_docstring() -> None:
    missing = undocumented()
    assert not missing, f"{len(missing)} public definitions without a docstring:\n" + "\n".join(missing)


def test_the_exemptions_apply_only_where_the_rule_says() -> None:
    """An override of an undocumented base method is not exempt; a documented base makes it exempt."""
    source = ast.parse("class Base:\n    def a(self):\n        '''Why.'''\n    def b(self): pass\n"
                       "class Sub(Base):\n    def a(self): pass\n    def b(self): pass\n")
    base, sub = source.body
    CLASSES.setdefault("Base", []).append(("test", base))
    try:
        a, b = sub.body
        assert _exempt("test", sub, a) and not _exempt("test", sub, b)
    finally:
        CLASSES["Base"].pop()
