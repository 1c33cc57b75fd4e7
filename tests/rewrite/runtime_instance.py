"""One fresh instance of the committed instrumentation runtime (``compiler/backend/runtime``), its
``whamm.write`` import recording every call: the object the runtime's tests call exports on, offered
to test modules as the ``Runtime`` fixture by this directory's conftest."""
from __future__ import annotations

import functools

import wasmtime

from compiler.backend import runtime_abi as abi
from compiler.lang.types import WhammType

@functools.cache
def compiled() -> tuple[wasmtime.Engine, wasmtime.Module]:
    """The engine and the compiled runtime every instance (and the tests that link it themselves)
    share.  Made on first use, not at import: the conftest imports this module, possibly before pytest
    enables faulthandler, and wasmtime must install its trap handlers after that — else a Wasm trap
    (``unreachable`` raises SIGILL) is reported as a fatal error instead of ``wasmtime.Trap``."""
    engine = wasmtime.Engine()
    return engine, wasmtime.Module(engine, abi.runtime_wasm())


class Runtime:
    """One fresh instance of the runtime with the ``whamm.write`` import recording every call."""

    def __init__(self) -> None:
        engine, module = compiled()
        self.store = wasmtime.Store(engine)
        self.writes: list[tuple[int, bytes]] = []
        i32 = wasmtime.ValType.i32()
        write = wasmtime.Func(self.store, wasmtime.FuncType([i32] * 3, []), self._write, access_caller=True)
        self.exports = wasmtime.Instance(self.store, module, [write]).exports(self.store)
        self.memory = self.exports["memory"]

    def _write(self, caller: wasmtime.Caller, fd: int, ptr: int, length: int) -> None:
        self.writes.append((fd, bytes(self.memory.read(caller, ptr, ptr + length))))

    def __getattr__(self, name: str):
        """``rt.putu32(7)`` calls the export ``putu32`` in this instance's store."""
        func = self.exports[name]
        return lambda *args: func(self.store, *args)

    def stdout(self) -> bytes:
        return b"".join(data for fd, data in self.writes if fd == 1)

    def text(self) -> str:
        """Everything printed so far, after a flush, decoded like valuefmt's results."""
        self.whamm_flush()
        return self.stdout().decode("utf-8", "surrogateescape")

    def read(self, addr: int, length: int) -> bytes:
        return bytes(self.memory.read(self.store, addr, addr + length))

    def place(self, data: bytes) -> int:
        addr = self.mem_alloc(max(len(data), 1))
        self.memory.write(self.store, data, addr)
        return addr

    def pack(self, t: WhammType, value: object) -> int:
        return self.place(abi.pack_value(t, value, self.place))

    def value_at(self, t: WhammType, addr: int) -> object:
        return abi.unpack_value(t, self.read(addr, abi.value_size(t)), self.read)
