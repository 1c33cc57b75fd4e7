"""The errors of the Wasm toolkit: one type for a malformed binary, one for an invalid module.

A reader that can raise ``IndexError`` or ``struct.error`` on hostile input forces every caller to guess;
here a malformed module raises exactly :class:`DecodeError`, always with the absolute byte offset (and the
section, and the function for code) so the CLI and the shell can point at the problem.
"""
from __future__ import annotations

from compiler.errors import WhammError

__all__ = ["WasmError", "DecodeError", "ValidationError"]


class WasmError(WhammError):
    """The root of the Wasm toolkit's errors."""


class DecodeError(WasmError):
    """The bytes are not a well-formed WebAssembly module.

    ``offset`` is absolute in the file; ``section`` (e.g. ``"code"``) and ``func`` (the function index,
    for errors inside a body) are filled in by the reader as the error travels outwards.
    """

    #: What the bytes should have been, as the message names it (a component's error says "component").
    what = "module"

    def __init__(self, message: str, offset: int, section: str | None = None, func: int | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.section = section
        self.func = func

    def __str__(self) -> str:
        where = f"at offset 0x{self.offset:x}"
        if self.section is not None:
            where += f" in {self.section} section"
        if self.func is not None:
            where += f" (function {self.func})"
        return f"malformed {self.what}: {self.message} {where}"


class ValidationError(WasmError):
    """wasmtime rejected a well-formed module; the message is wasmtime's."""
