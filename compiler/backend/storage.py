"""Where a variable lives, as code-generation sees it (REWRITING.md §9): Wasm globals, Wasm locals, a
slot at a constant address of the instrumentation memory, a frame local mirrored into a report slot, a
frame aggregate in its activation's region, a pointer into a map's value, an operand saved in a local, or a constant.

The layout of each target chooses the storage; the lowering only loads and stores through it.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Sequence, TYPE_CHECKING

from compiler.backend.instrs import Code, CodegenError, mem_parts, memarg, normalize, parts_range
from compiler.lang.types import Prim, WhammType

if TYPE_CHECKING:
    from compiler.backend.target import Env

__all__ = [
    "Storage", "GlobalStorage", "LocalStorage", "MemStorage", "FrameStorage", "PtrStorage",
    "FrameAggStorage", "OperandStorage", "ConstStorage",
]


class Storage(abc.ABC):
    """How to read and write one variable of type ``type``.

    Writing is two-phase because memory stores need their address *below* the value:
    ``store_prefix`` is emitted before the value is computed and ``store_suffix`` after.  A partial
    access (a tuple element, §9.1) gives the ``path`` of element indices.
    """

    type: WhammType

    @abc.abstractmethod
    def load(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        """Push the variable's flattened values (or those of the element at ``path``)."""
        raise NotImplementedError

    def store_prefix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        """Emitted before the value."""

    @abc.abstractmethod
    def store_suffix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        """Emitted after the value: pops it (or the element at ``path``) into the variable."""
        raise NotImplementedError

    def updated_in_place(self, code: Code) -> None:
        """Emitted after the runtime updated the value at its address (an aggregate's ``.add()``): nothing,
        unless a copy of the value must follow it (:class:`FrameAggStorage`)."""


@dataclass(slots=True)
class GlobalStorage(Storage):
    """A script variable: one mutable Wasm global per flattened value (REWRITING.md §9)."""

    type: WhammType
    globals: tuple[int, ...]

    def load(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        first, n, _ = parts_range(self.type, path)
        for g in self.globals[first:first + n]:
            code.emit("global.get", g)

    def store_suffix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        first, n, _ = parts_range(self.type, path)
        for g in reversed(self.globals[first:first + n]):
            code.emit("global.set", g)


@dataclass(slots=True)
class LocalStorage(Storage):
    """A probe-local, function-local, parameter or frame variable: Wasm locals."""

    type: WhammType
    locals: tuple[int, ...]

    def load(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        first, n, _ = parts_range(self.type, path)
        for i in self.locals[first:first + n]:
            code.emit("local.get", i)

    def store_suffix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        first, n, _ = parts_range(self.type, path)
        for i in reversed(self.locals[first:first + n]):
            code.emit("local.set", i)


@dataclass(slots=True)
class MemStorage(Storage):
    """A slot at a constant address of the instrumentation memory (unshared, shared and report
    variables, REWRITING.md §9): every access is a load or store with the address in the memarg
    offset and ``i32.const 0`` as the base."""

    type: WhammType
    memory: int
    addr: int

    def _parts(self, path: Sequence[int]) -> list[tuple[int, str, str, str]]:
        first, n, _ = parts_range(self.type, path)
        return mem_parts(self.type, self.addr)[first:first + n]

    def load(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        for off, load, _, _ in self._parts(path):
            code.emit("i32.const", 0)
            code.emit(load, memarg(load, off, self.memory))

    def push_address(self, code: Code) -> None:
        """Push the slot's address (aggregates are updated in place by the runtime)."""
        code.emit("i32.const", self.addr)

    def store_prefix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        if len(self._parts(path)) == 1:
            code.emit("i32.const", 0)

    def store_suffix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        parts = self._parts(path)
        if len(parts) == 1:
            off, _, store, _ = parts[0]
            code.emit(store, memarg(store, off, self.memory))
            return
        temps = [env.pool.temp(w) for *_, w in parts]
        for t in reversed(temps):
            code.emit("local.set", t)
        for (off, _, store, _), t in zip(parts, temps):
            code.emit("i32.const", 0)
            code.emit("local.get", t)
            code.emit(store, memarg(store, off, self.memory))
        env.pool.release(*temps)


@dataclass(slots=True)
class FrameStorage(Storage):
    """A frame variable (D5): Wasm locals of the instrumented function; a ``report frame`` variable also
    mirrors every write into its per-function report slot (REWRITING.md §9)."""

    type: WhammType
    local: LocalStorage
    slot: MemStorage | None

    def load(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        self.local.load(code, env, path)

    def store_suffix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        self.local.store_suffix(code, env, path)
        if self.slot is not None:
            self.slot.store_prefix(code, env, path)
            self.local.load(code, env, path)
            self.slot.store_suffix(code, env, path)


@dataclass(slots=True)
class PtrStorage(Storage):
    """A value at an address held in a local (a map value slot returned by the runtime)."""

    type: WhammType
    memory: int
    ptr: int

    def _parts(self, path: Sequence[int]) -> list[tuple[int, str, str, str]]:
        first, n, _ = parts_range(self.type, path)
        return mem_parts(self.type)[first:first + n]

    def load(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        for off, load, _, _ in self._parts(path):
            code.emit("local.get", self.ptr)
            code.emit(load, memarg(load, off, self.memory))

    def base_offset(self) -> int:
        """Where the value starts, relative to the address in ``ptr``."""
        return 0

    def push_address(self, code: Code) -> None:
        """Push the value's address (aggregates are updated in place by the runtime)."""
        code.emit("local.get", self.ptr)
        offset = self.base_offset()
        if offset:
            code.emit("i32.const", offset)
            code.emit("i32.add")

    def store_prefix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        if len(self._parts(path)) == 1:
            code.emit("local.get", self.ptr)

    def store_suffix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        parts = self._parts(path)
        if len(parts) == 1:
            code.emit(parts[0][2], memarg(parts[0][2], parts[0][0], self.memory))
            return
        temps = [env.pool.temp(w) for *_, w in parts]
        for t in reversed(temps):
            code.emit("local.set", t)
        for (off, _, store, _), t in zip(parts, temps):
            code.emit("local.get", self.ptr)
            code.emit("local.get", t)
            code.emit(store, memarg(store, off, self.memory))
        env.pool.release(*temps)


@dataclass(slots=True)
class FrameAggStorage(PtrStorage):
    """A ``frame`` aggregate (docs/AGGREGATES.md): at ``offset`` in the activation's region of the frame
    stack, whose address the function keeps in local ``ptr``.  A ``report frame`` aggregate is copied
    into its per-function report slot after every update, so the report shows the last written
    activation's value (REWRITING.md §9) while each activation keeps its own."""

    offset: int = 0
    size: int = 0
    slot: int | None = None

    def base_offset(self) -> int:
        return self.offset

    def updated_in_place(self, code: Code) -> None:
        if self.slot is not None:
            code.emit("i32.const", self.slot)
            self.push_address(code)
            code.emit("i32.const", self.size)
            code.emit("memory.copy", self.memory, self.memory)


@dataclass(slots=True)
class OperandStorage(Storage):
    """``argN``/``resN``/``localN``: a Wasm local of the site's Wasm type read as a whamm type (§7).

    A bound ``u8`` reads the low 8 bits, ``bool`` reads "not zero"; writes of normalised values need no
    conversion (an ``u8`` is already zero-extended, an ``i8`` sign-extended).
    """

    type: WhammType
    local: int

    def load(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        code.emit("local.get", self.local)
        if self.type is Prim.BOOL:
            code.emit("i32.const", 0)
            code.emit("i32.ne")
        else:
            normalize(code, self.type)

    def store_suffix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        code.emit("local.set", self.local)


@dataclass(slots=True)
class ConstStorage(Storage):
    """A read-only value known at compile time (a map variable's id)."""

    type: WhammType
    value: int

    def load(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        code.emit("i32.const", self.value)

    def store_suffix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        raise CodegenError("map variables cannot be reassigned")
