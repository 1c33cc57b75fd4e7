"""The test corpus as data: every committed program, how to obtain its bytes and how to run it.

A WAT fixture states its expected behaviour in comment lines ``;; @run EXPORT ARGS... => RESULTS``
(``=> trap`` when the call must trap); the test calls the export with wasmtime and compares.  A C
program (and sqlite) is a WASI command whose ``.wasm`` is committed beside its source; its
``NAME.expected`` file holds the exit status on the first line and the expected stdout after it.
Keeping this catalogue apart from the tests lets every test module (reader, writer, printer, builder)
iterate over the same programs and run them the same way.
"""
from __future__ import annotations

import functools
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CORPUS_DIR", "Run", "Program", "PROGRAMS", "WAT_PROGRAMS", "C_PROGRAMS", "program",
    "engine", "call_export", "run_command", "check_runs",
]

CORPUS_DIR = Path(__file__).resolve().parent

_RUN = re.compile(r";;\s*@run\s+(\S+)((?:\s+\S+)*?)\s*=>\s*(.*)$")


@dataclass(frozen=True, slots=True)
class Run:
    """One expected behaviour: call ``export`` with ``args`` (WAT fixtures) or run the command with
    ``args`` as argv (WASI programs); ``expected`` is the result list, ``"trap"``, or (status, stdout)."""

    export: str
    args: tuple
    expected: object


@dataclass(frozen=True, slots=True)
class Program:
    name: str
    path: Path
    kind: str  # "wat" | "wasi"
    runs: tuple[Run, ...]
    legacy_exceptions: bool = False  # wasmtime-py cannot validate or run legacy try/catch

    @property
    def wasm(self) -> bytes:
        return _wasm_bytes(self.path)


def _number(text: str):
    if text in ("nan", "inf", "-inf") or any(c in text for c in ".eE") and not text.startswith("0x"):
        return float(text)
    return int(text, 0)


def _wat_runs(path: Path) -> tuple[Run, ...]:
    runs = []
    for line in path.read_text().splitlines():
        m = _RUN.match(line.strip())
        if m:
            args = tuple(_number(a) for a in m.group(2).split())
            out = m.group(3).strip()
            expected = "trap" if out == "trap" else [_number(r) for r in out.split()]
            runs.append(Run(m.group(1), args, expected))
    return tuple(runs)


def _wasi_runs(path: Path) -> tuple[Run, ...]:
    expected = path.with_suffix(".expected")
    if not expected.exists():
        return ()
    status, _, stdout = expected.read_text().partition("\n")
    return (Run("_start", (), (int(status), stdout)),)


def _discover() -> tuple[Program, ...]:
    programs = []
    for path in sorted((CORPUS_DIR / "wat").glob("*.wat")):
        text = path.read_text()
        programs.append(Program(path.stem, path, "wat", _wat_runs(path),
                                legacy_exceptions="@legacy-exceptions" in text))
    for path in sorted(CORPUS_DIR.glob("c/*.wasm")) + [CORPUS_DIR / "sqlite" / "sqlite.wasm"]:
        programs.append(Program(path.stem, path, "wasi", _wasi_runs(path)))
    return tuple(programs)


@functools.cache
def _wasm_bytes(path: Path) -> bytes:
    if path.suffix == ".wat":
        import wasmtime
        return wasmtime.wat2wasm(path.read_text())
    return path.read_bytes()


PROGRAMS = _discover()
WAT_PROGRAMS = tuple(p for p in PROGRAMS if p.kind == "wat")
C_PROGRAMS = tuple(p for p in PROGRAMS if p.kind == "wasi" and p.name != "sqlite")


def program(name: str) -> Program:
    return next(p for p in PROGRAMS if p.name == name)


def engine():
    """The toolkit's shared all-features engine: fixtures run under exactly what validation accepts."""
    from compiler.wasm.validate import engine as shared_engine
    return shared_engine()


def _value(v):
    return v.value if hasattr(v, "value") else v


def call_export(wasm: bytes, export: str, args: tuple = (), imports=None, inspect=None):
    """Instantiate ``wasm`` and call ``export``; return the results as a list, or ``"trap"``.

    ``imports`` is a dict ``{(module, name): make_extern}`` where ``make_extern(store)`` returns the
    wasmtime extern; ``inspect(instance, store)`` runs after the call."""
    import wasmtime
    store = wasmtime.Store(engine())
    module = wasmtime.Module(engine(), wasm)
    linker = wasmtime.Linker(engine())
    for (mod, name), item in (imports or {}).items():
        linker.define(store, mod, name, item(store))
    instance = linker.instantiate(store, module)
    func = instance.exports(store)[export]
    try:
        result = func(store, *args)
    except wasmtime.Trap:
        return "trap"
    finally:
        if inspect is not None:
            inspect(instance, store)
    if result is None:
        return []
    return [_value(r) for r in result] if isinstance(result, (list, tuple)) else [_value(result)]


def run_command(wasm: bytes, args: tuple = (), imports=None, inspect=None) -> tuple[int, str]:
    """Run a WASI command: ``(exit status, stdout)``.  ``imports`` as for :func:`call_export`;
    ``inspect(instance, store)`` is called after the run (to read globals or memory)."""
    import wasmtime
    store = wasmtime.Store(engine())
    linker = wasmtime.Linker(engine())
    linker.define_wasi()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "stdout")
        wasi = wasmtime.WasiConfig()
        wasi.argv = ["app", *map(str, args)]
        wasi.stdout_file = out
        store.set_wasi(wasi)
        for (mod, name), item in (imports or {}).items():
            linker.define(store, mod, name, item(store))
        instance = linker.instantiate(store, wasmtime.Module(engine(), wasm))
        try:
            instance.exports(store)["_start"](store)
            status = 0
        except wasmtime.ExitTrap as exc:
            status = exc.code
        if inspect is not None:
            inspect(instance, store)
        return status, Path(out).read_text()


def check_runs(prog: Program, wasm: bytes, imports=None) -> None:
    """Assert that ``wasm`` (the program itself or a rewritten copy, given ``imports``) behaves as
    ``prog`` promises."""
    for run in prog.runs:
        if prog.kind == "wat":
            got = call_export(wasm, run.export, run.args, imports)
            assert _same(got, run.expected), f"{prog.name}: {run.export}{run.args} gave {got}"
        else:
            got = run_command(wasm, run.args, imports)
            assert got == run.expected, f"{prog.name}: {got!r}"


def _same(got, expected) -> bool:
    if got == "trap" or expected == "trap":
        return got == expected
    return len(got) == len(expected) and all(
        g == e or (isinstance(e, float) and isinstance(g, float) and e != e and g != g)
        for g, e in zip(got, expected))
