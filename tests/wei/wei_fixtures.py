"""Shared helpers of the wei tests: compile monitors, run them on the emulator, run the rewriting
target for comparison, and mask the report columns that legitimately differ between the two."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import wasmtime

from compiler import api
from compiler.lang.frontend import check_source
from compiler.lang.libraries import Library, library_from_bytes
from compiler.runner import LinkedLibrary, RunOptions
from compiler.wasm import read_module, validate
from compiler.wei.emulator import Emulation, emulate
from compiler.wei.monitor import Monitor, build_monitor

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DEMO = EXAMPLES / "demo" / "app.wasm"

#: A small library for ``@static``, ``@init`` and run-time calls.
LIB_WAT = """(module
  (global $n (mut i32) (i32.const 0))
  (func (export "hot") (param i32 i32) (result i32) local.get 1 i32.const 2 i32.rem_u i32.eqz)
  (func (export "val") (param i32) (result i32) local.get 0 i32.const 100 i32.add)
  (func (export "note") (param i32) global.get $n local.get 0 i32.add global.set $n)
  (func (export "total") (result i32) global.get $n))"""


class Lib:
    """A user library fixture: signatures for the checker, bytes for the runners."""

    def __init__(self, tmp_path: Path | None, name: str = "lib", wat: str = LIB_WAT, path: Path | None = None) -> None:
        self.name = name
        if path is not None:
            self.path = path
            self.wasm = path.read_bytes()
        else:
            assert tmp_path is not None
            self.wasm = wasmtime.wat2wasm(wat)
            self.path = tmp_path / f"{name}.wasm"
            self.path.write_bytes(self.wasm)
        self.signature: Library = library_from_bytes(name, self.wasm, str(self.path))
        self.linked = LinkedLibrary(name, name, self.wasm, str(self.path))

    @property
    def spec(self) -> str:
        return f"{self.name}={self.path}"


def monitor(script: str, libs: tuple[Lib, ...] = (), **options) -> Monitor:
    """The validated monitor of ``script``."""
    program = check_source(script, "test.mm", {lib.name: lib.signature for lib in libs}, wei=True)
    opts = api.Options(**options) if options else None
    m = build_monitor(program, options=opts)
    validate(m.wasm)
    return m


def app_bytes(app: str | bytes | Path) -> bytes:
    if isinstance(app, Path):
        return app.read_bytes()
    if isinstance(app, str):
        return wasmtime.wat2wasm(app)
    return app


def run_wei(script: str, app: str | bytes | Path, libs: tuple[Lib, ...] = (), invoke: str | None = None
            ) -> tuple[str, Emulation]:
    """Emulate ``app`` under the monitor of ``script``: standard output and the emulation."""
    m = monitor(script, libs)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stdout"
        opts = RunOptions(("app.wasm",), stdout=str(out), invoke=invoke)
        wasm = app_bytes(app)
        e = emulate(m.wasm, wasm, tuple(lib.linked for lib in libs), opts, app_module=read_module(wasm))
        return out.read_text(), e


def run_rewritten(script: str, app: str | bytes | Path, libs: tuple[Lib, ...] = (), invoke: str | None = None
                  ) -> str:
    """Standard output of the rewriting target on the same inputs."""
    result = api.instrument(app_bytes(app), script, libs=[lib.spec for lib in libs])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stdout"
        run = api.run(result, RunOptions(("app.wasm",), stdout=str(out), invoke=invoke))
        assert run.message is None, run.message
        return out.read_text()


_MODE = re.compile(r":(before|<no-mode>)$")


def masked(output: str) -> str:
    """``output`` with report ``memaddr``/``global_id`` ids replaced by ``_`` and the mode suffix of
    probe ids removed (the differences WEI.md §7 allows)."""
    lines = output.split("\n")
    out = []
    in_report = False
    for line in lines:
        if line.startswith("id, id_type, name,"):
            in_report = True
            out.append(line)
            continue
        fields = line.split(", ", 10)
        if in_report and len(fields) == 11 and ("memaddr" in fields[1] or "global_id" in fields[1]):
            fields[0] = "_"
            fields[9] = _MODE.sub("", fields[9])
            line = ", ".join(fields)
        out.append(line)
    return "\n".join(out)


def signature(module, index: int) -> str:
    """``(params) -> (results)`` of function ``index`` of a decoded module."""
    ft = module.func_type(index)
    return f"({', '.join(map(str, ft.params))}) -> ({', '.join(map(str, ft.results))})"


def describe(m: Monitor) -> str:
    """The golden text of a monitor: its non-probe exports, then per probe export (export order) the
    name with callback indices relative to the first probe function, the body's and each callback's
    signature."""
    module = read_module(m.wasm)
    exports = {e.name: e for e in module.exports}
    fns = m.layout.functions
    base = min((i for f in fns for i in (*f.callbacks, f.body)), default=0)
    relative = lambda text: re.sub(r"\$(\d+)\(", lambda mm: f"${int(mm[1]) - base}(", text)  # noqa: E731
    plain = [name for name in exports if not name.startswith(("wasm:opcode:", "wasm:func:", "wasm:block:", "$"))]
    lines = ["exports: " + " ".join(plain)]
    for (name, _), f in zip(m.exports, fns):
        lines.append(relative(str(name)))
        lines.append(f"  body {signature(module, exports[str(name)].index)}")
        for index in f.callbacks:
            assert exports[f"${index}"].index == index
            lines.append(f"  ${index - base} {signature(module, index)}")
    return "\n".join(lines) + "\n"
