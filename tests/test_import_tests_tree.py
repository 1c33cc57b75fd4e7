"""Test modules share helpers through ``conftest.py`` fixtures, not by importing each other (issue 10,
deliverable 5).

No ``test_*.py`` imports another module of the tests tree — another test module, or a helper module
such as ``shellrun.py``, ``wei_fixtures.py`` or the differential ``harness.py``; a directory's
``conftest.py`` offers what its tests share as fixtures.  A test module that still needs a helper
module at import time is listed in :data:`IMPORTS_AT_COLLECTION` with the reason; a fixture cannot
stand in there, because pytest resolves fixtures only when a test runs, after the module's
``parametrize`` lists and constants were built.  The imports are found with :mod:`ast`, wherever they
are (module level or inside a function); relative imports always name a module of the tests tree.
"""
from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

_PARAMETRIZE = "its parametrize lists or module-level constants are built from the helper's data"
_HELPER_FUNCTION = "a non-fixture helper function of the module calls the helper"
_CORPUS = "the corpus catalog parametrizes the tests by program"
_SAME_NAMES = ("wei_fixtures' run_wei/run_rewritten differ from harness.py's, which this directory's "
               "conftest offers under those names")

#: ``test module (relative to tests/) -> {tests-tree module it imports: why a fixture cannot do}``.
IMPORTS_AT_COLLECTION: dict[str, dict[str, str]] = {
    "differential/test_folding.py": {"harness": _PARAMETRIZE, "loop": _HELPER_FUNCTION,
                                     "gen.scripts": _PARAMETRIZE},
    "differential/test_coalescing.py": {"tests.corpus.catalog": _CORPUS},
    "differential/test_found.py": {"harness": _HELPER_FUNCTION, "wei.wei_fixtures": _SAME_NAMES},
    "differential/test_wei_vs_rewrite.py": {"harness": _PARAMETRIZE, "loop": _HELPER_FUNCTION,
                                            "gen.scripts": _PARAMETRIZE, "wei.wei_fixtures": _HELPER_FUNCTION},
    "gen/test_scripts.py": {"gen.scripts": "it tests the script generator itself, a module of the tests tree"},
    "rewrite/test_preservation.py": {"tests.corpus.catalog": _CORPUS},
    "rewrite/test_runtime.py": {"tests.rewrite.runtime_instance": _HELPER_FUNCTION},
    "rewrite/test_stack.py": {"tests.corpus.catalog": _CORPUS},
    "shell/test_batch_probe.py": {"shellrun": _PARAMETRIZE},
    "shell/test_batch_source.py": {"shellrun": _PARAMETRIZE},
    "shell/test_batch_wat.py": {"shellrun": _PARAMETRIZE},
    "shell/test_completion.py": {"shellrun": _HELPER_FUNCTION},
    "shell/test_incremental_differential.py": {"shellrun": _PARAMETRIZE},
    "shell/test_lexers.py": {"tests.corpus.catalog": _CORPUS},
    "shell/test_pty.py": {"shellrun": _HELPER_FUNCTION},
    "shell/test_readme.py": {"shellrun": _HELPER_FUNCTION},
    "test_cli_wat.py": {"tests.corpus.catalog": _CORPUS},
    "test_independent_validation.py": {"tests.corpus.catalog": _HELPER_FUNCTION,
                                       "tests.wasm.wasm_fixtures": _HELPER_FUNCTION},
    "wasm/test_code.py": {"wasm_fixtures": _PARAMETRIZE},
    "wasm/test_corpus.py": {"tests.corpus.catalog": _CORPUS},
    "wasm/test_fuzz.py": {"wasm_fixtures": _PARAMETRIZE},
    "wasm/test_reader.py": {"wasm_fixtures": _HELPER_FUNCTION},
    "wasm/test_remap.py": {"wasm_fixtures": _HELPER_FUNCTION, "tests.corpus.catalog": _CORPUS},
    "wasm/test_wat.py": {"wasm_fixtures": _HELPER_FUNCTION, "tests.corpus.catalog": _CORPUS},
    "wasm/test_writer.py": {"wasm_fixtures": _PARAMETRIZE},
    "wei/test_cli.py": {"wei_fixtures": _PARAMETRIZE},
    "wei/test_codegen.py": {"wei_fixtures": _HELPER_FUNCTION},
    "wei/test_equivalence.py": {"wei_fixtures": _PARAMETRIZE},
}


def _in_tests_tree(module: str, test_dir: Path) -> bool:
    """Whether absolute ``module`` is a file of the tests tree, as pytest's sys.path finds it: the test's
    own directory (``shellrun``), ``tests/`` (``gen.scripts``) or the repository (``tests.corpus``)."""
    parts = module.split(".")
    if parts[0] == "tests":
        parts = parts[1:]
    for base in (test_dir, TESTS):
        path = base.joinpath(*parts)
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            return True
    return False


def imports_of_the_tests_tree(path: Path) -> set[str]:
    """The modules of the tests tree that test module ``path`` imports (relative ones as ``harness``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            found.update([node.module] if node.module else [a.name for a in node.names])
        elif isinstance(node, ast.ImportFrom) and node.module and _in_tests_tree(node.module, path.parent):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if _in_tests_tree(a.name, path.parent))
    return found


def test_test_modules_import_no_module_of_the_tests_tree():
    found = {path.relative_to(TESTS).as_posix(): imports_of_the_tests_tree(path) for path in sorted(TESTS.rglob("test_*.py"))}
    unexpected = [f"tests/{name}: imports {module}" for name, modules in found.items()
                  for module in sorted(modules - set(IMPORTS_AT_COLLECTION.get(name, {})))]
    assert not unexpected, ("test modules importing modules of the tests tree (offer what they share as a "
                            "fixture in the directory's conftest.py):\n" + "\n".join(unexpected))
    stale = [f"tests/{name}: {module}" for name, modules in IMPORTS_AT_COLLECTION.items()
             for module in sorted(set(modules) - found.get(name, set()))]
    assert not stale, "IMPORTS_AT_COLLECTION lists imports that are gone:\n" + "\n".join(stale)


def test_every_kind_of_tests_tree_import_is_seen(tmp_path):
    (tmp_path / "helper.py").write_text("")
    test = tmp_path / "test_x.py"
    test.write_text("import json\nimport helper\nfrom . import sibling\nfrom .harness import run\n"
                    "from tests.corpus.catalog import PROGRAMS\nfrom compiler import api\n"
                    "def f():\n    from gen.scripts import WEI\n")
    assert imports_of_the_tests_tree(test) == {"helper", "sibling", "harness", "tests.corpus.catalog", "gen.scripts"}
