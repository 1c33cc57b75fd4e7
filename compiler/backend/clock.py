"""``nsecs`` (ANALYSIS.md §3): the generated ``whamm:nsecs`` helper over WASI ``clock_time_get``.

WASI writes the time into the memory its caller exports as ``memory``, not into one the caller
chooses.  When that is the instrumentation memory (the application exports none), the helper lets it
write 8 bytes of the static region.  When it is the application's (REWRITING.md §12.5, the same case
as the output writer's "borrowing"), the helper lends itself the 8 bytes below the memory's current
size, keeping their old contents in a local and storing them back, so the application's memory is
unchanged afterwards (guarantee 2.4).
"""
from __future__ import annotations

from compiler.backend.instrs import op
from compiler.backend.strings import Helper
from compiler.wasm.model import FuncType, MemArg

__all__ = ["CLOCK_TIME_GET", "MONOTONIC", "clock_helper"]

#: The WASI function ``nsecs`` reads and its type: ``(clock id, precision, time ptr) -> errno``.
CLOCK_TIME_GET = ("wasi_snapshot_preview1", "clock_time_get", FuncType(("i32", "i64", "i32"), ("i32",)))

#: WASI's ``clockid::monotonic``.
MONOTONIC = 1


def clock_helper(clock: int, memory: int, scratch: int, borrow: tuple[int, int, bool, bool] | None) -> Helper:
    """``whamm:nsecs() -> i64``: the monotonic clock in nanoseconds (precision 1), or 0 when WASI reports an
    error (or, borrowing, when the exported memory is smaller than 8 bytes).

    ``borrow`` None: WASI writes at ``scratch`` of the instrumentation memory ``memory``.  Otherwise
    ``(E, page_size_log2, is64, low)`` of the application's exported memory ``E`` (module docstring);
    ``low`` lends the first 8 bytes instead of the last (a component's adapter keeps its state at the
    top of that memory, :attr:`~compiler.options.Options.lend_low`)."""
    sig = FuncType((), ("i64",))
    call = [op("i32.const", MONOTONIC), op("i64.const", 1)]
    if borrow is None:
        at = MemArg(3, scratch, memory)
        body = [*call, op("i32.const", scratch), op("call", clock), op("if", "i64"), op("i64.const", 0),
                op("else"), op("i32.const", 0), op("i64.load", at), op("end"), op("end")]
        return Helper("whamm:nsecs", sig, (), tuple(body))
    mem, log2, _, low = borrow
    at = MemArg(0, 0, mem)
    # addr = size in bytes - 8 (0 with ``low``)
    address = [op("i32.const", 0)] if low else [
        op("memory.size", mem), op("i64.extend_i32_u"), op("i64.const", log2), op("i64.shl"),
        op("i64.const", 8), op("i64.sub"), op("i32.wrap_i64")]
    # locals: 0 addr (i32), 1 saved bytes (i64), 2 the time (i64)
    body = [
        # a memory under 8 bytes has no room
        *address, op("local.set", 0),
        op("memory.size", mem), op("i64.extend_i32_u"), op("i64.const", log2), op("i64.shl"),
        op("i64.const", 8), op("i64.lt_u"), op("if", None), op("i64.const", 0), op("return"), op("end"),
        op("local.get", 0), op("i64.load", at), op("local.set", 1),
        *call, op("local.get", 0), op("call", clock),
        op("if", "i64"), op("i64.const", 0), op("else"), op("local.get", 0), op("i64.load", at), op("end"),
        op("local.set", 2),
        op("local.get", 0), op("local.get", 1), op("i64.store", at),
        op("local.get", 2), op("end"),
    ]
    return Helper("whamm:nsecs", sig, ((1, "i32"), (2, "i64")), tuple(body))
