"""Validation by wasmtime, behind one shared all-features engine.

wasmtime is imported lazily (start-up speed, STYLE.md §14) and the ``Engine`` is built once: creating
one costs milliseconds, and every emitted module is validated.  wasmtime's exceptions become
:class:`~compiler.wasm.errors.ValidationError` here, at the one boundary.
"""
from __future__ import annotations

import atexit
from compiler.wasm.errors import ValidationError

__all__ = ["FEATURES", "config", "engine", "validate"]

_ENGINE = None

# The proposals on beside wasmtime's defaults (``wasmtime.Config`` attribute names); the test suite's
# independent validator (tests/conftest.py) enables the same set in wasm-tools.
FEATURES = ("wasm_gc", "wasm_function_references", "wasm_exceptions", "wasm_tail_call", "wasm_multi_memory",
            "wasm_threads", "wasm_custom_page_sizes", "wasm_simd", "wasm_relaxed_simd",
            "wasm_reference_types", "wasm_bulk_memory", "wasm_memory64")


def engine():
    """The shared ``wasmtime.Engine`` built from :func:`config`."""
    global _ENGINE
    if _ENGINE is None:
        import wasmtime
        _ENGINE = wasmtime.Engine(config())
        atexit.register(_release)
    return _ENGINE


def _release() -> None:
    """Free the engine while wasmtime's FFI is still loaded.  Left to interpreter teardown, its
    finaliser runs after the FFI module was cleared and prints ``Exception ignored ... TypeError`` as
    the last line of every test run."""
    global _ENGINE
    _ENGINE = None


def config():
    """A fresh ``wasmtime.Config`` with every proposal on: the runner adds epoch interruption and fuel to
    it, so running and validation accept exactly the same modules."""
    import wasmtime
    cfg = wasmtime.Config()
    for feature in FEATURES:
        setattr(cfg, feature, True)
    cfg.shared_memory = True  # threads: lets modules define shared memories
    return cfg


def validate(data: bytes) -> None:
    """Raise :class:`ValidationError` with wasmtime's message if ``data`` is not a valid module."""
    import wasmtime
    try:
        wasmtime.Module.validate(engine(), data)
    except wasmtime.WasmtimeError as err:
        raise ValidationError(f"invalid module: {err}") from None
