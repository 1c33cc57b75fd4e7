"""Instrument-and-run helpers of the rewriting target's tests, offered to them as fixtures by
``tests/rewrite/conftest.py`` (test modules do not import this module: ``tests/test_import_tests_tree.py``).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import wasmtime

from compiler.lang.frontend import check_source
from compiler.lang.libraries import library_from_bytes
from compiler.rewrite.emit import Emitted, instrument as _instrument
from compiler.wasm import read_module, validate
from compiler.wasm.validate import engine

BANNER = "\n" + "=" * 33 + " REPORT CSV FLUSH " + "=" * 36 + "\n" + \
    "id, id_type, name, whamm_type, wasm_type, script_id, fname, fid, pc, probe_id, value(s)\n"


def wasm_of(app: str | bytes | Path) -> bytes:
    """The bytes of an app given as WAT text, bytes or a path."""
    if isinstance(app, Path):
        return app.read_bytes()
    if isinstance(app, str):
        return wasmtime.wat2wasm(app)
    return app


def instrument(script: str, app: str | bytes | Path, *, options: object = None, static_call=None,
               libraries: dict[str, bytes] | None = None) -> Emitted:
    """Check ``script`` (against ``libraries``: name → module bytes), instrument ``app`` (WAT text, bytes
    or a path) and validate the output again."""
    signatures = None
    if libraries:
        signatures = {name: library_from_bytes(name, data) for name, data in libraries.items()}
    program = check_source(script, "test.mm", signatures)
    out = _instrument(read_module(wasm_of(app)), program, options=options, static_call=static_call,
                      libraries=libraries)
    validate(out.wasm)
    return out


def run(wasm: bytes, invoke: str | None = "_start", *, preload: dict | None = None) -> tuple[object, str, str]:
    """Run a module with WASI; returns (exit status or ``"trap: …"``, stdout, stderr)."""
    store = wasmtime.Store(engine())
    cfg = wasmtime.WasiConfig()
    with tempfile.TemporaryDirectory() as d:
        out, err = os.path.join(d, "out"), os.path.join(d, "err")
        cfg.stdout_file = out
        cfg.stderr_file = err
        store.set_wasi(cfg)
        linker = wasmtime.Linker(store.engine)
        linker.define_wasi()
        for name, lib in (preload or {}).items():
            linker.define_instance(store, name, linker.instantiate(store, wasmtime.Module(store.engine, lib)))
        status: object = 0
        try:
            instance = linker.instantiate(store, wasmtime.Module(store.engine, wasm))
            if invoke is not None:
                func = instance.exports(store).get(invoke)
                if func is not None:
                    func(store)  # type: ignore[operator]
        except wasmtime.ExitTrap as exc:
            status = exc.code
        except wasmtime.Trap as exc:
            status = f"trap: {exc.message}"
        return status, Path(out).read_text(), Path(err).read_text()


def report(*rows: str) -> str:
    """The exact default report with these rows."""
    return BANNER + "".join(r + "\n" for r in rows)

