"""Code for the dynamic bound variables of ``wasi:p1`` probes (ANALYSIS.md §4), from the saved call.

A ``wasi:p1`` site is a ``call`` of a WASI import, and the probe saves every argument (and in ``after`` the
errno result): each variable is computed from those locals as :class:`compiler.events.wasi.WasiVar` says —
a raw argument, a string copied out of the application's memory, the total of an iovec list, a result read
through its pointer (0 when errno != 0), the errno and its name.  The application's memory is the one
WASI reads: the memory exported as ``memory`` (memory 0 without such an export).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.backend.instrs import Code, CodegenError
from compiler.errors import InternalError
from compiler.events import wasi
from compiler.lang.types import WhammType
from compiler.wasm.model import ExternKind, MemArg

if TYPE_CHECKING:
    from compiler.rewrite.site_env import SiteEnv

__all__ = ["is_wasi_var", "lower_wasi", "track_fd_path"]

#: How a result of each whamm type is loaded from the application's memory.
_LOADS = {"u8": ("i32.load8_u", 0), "u16": ("i32.load16_u", 1), "u32": ("i32.load", 2),
          "i32": ("i32.load", 2), "u64": ("i64.load", 3), "i64": ("i64.load", 3)}
_MASKS = {"u8": 0xFF, "u16": 0xFFFF}
_ERRNO = wasi.whamm_type("u16")


def is_wasi_var(env: SiteEnv, name: str) -> bool:
    """Whether ``name`` is one of the site's WASI variables (else it is a provider variable such as nsecs)."""
    probe = env.probe
    event = probe.expansion.event
    return probe.package == wasi.PACKAGE and wasi.wasi_var(event, name) is not None  # type: ignore[arg-type]


def _app_memory(env: SiteEnv) -> int:
    """Output index of the memory WASI reads and writes (the one exported as ``memory``)."""
    module = env.ctx.module
    index = next((e.index for e in module.exports if e.name == "memory" and e.kind == ExternKind.MEMORY), 0)
    limits = module.memory_limits()
    if index >= len(limits):
        raise CodegenError("wasi:p1 variables need the application's memory, and it has none")
    if limits[index].is64:
        raise CodegenError("memory64 is not supported: wasi:p1 variables read 32-bit WASI pointers")
    return env.layout.out_memory(index)


def lower_wasi(env: SiteEnv, code: Code, name: str, t: WhammType) -> None:
    """Push WASI variable ``name`` of the site's event (it exists: the checker found it in the catalog)."""
    event = env.probe.expansion.event
    v = wasi.wasi_var(event, name)  # type: ignore[arg-type]
    assert v is not None
    how = v.how
    if how == "arg":
        _arg(env, code, v.index, v.type)
    elif how == "str":
        _string(env, code, v.index)
    elif how == "iovec":
        _iovec_total(env, code, v.index)
    elif how == "result":
        _result(env, code, v)
    elif how == "errno":
        env.operand("res0", t).load(code, env)
        code.emit("i32.const", 0xFFFF)    # the import returns the u16 in an i32
        code.emit("i32.and")
    elif how == "errno_name":
        _errno_name(env, code)
    elif how == "fd_path":
        _fd_path(env, code, v.index)
    else:
        raise InternalError(f"wasi:p1 variable {name} of {event}: no code for kind {how}")


def _arg(env: SiteEnv, code: Code, n: int, type_: str) -> None:
    """Saved argument ``argN`` as its WASI type (u8/u16 arguments keep only their low bits, as WASI reads them)."""
    env.arg(code, n, wasi.whamm_type(type_))
    mask = _MASKS.get(type_)
    if mask is not None:
        code.emit("i32.const", mask)
        code.emit("i32.and")


def _string(env: SiteEnv, code: Code, n: int) -> None:
    """A (ptr = argN, len = argN-1) string of the application copied into a new instrumentation string,
    as ``read_str(APP_MEMID, ptr, len)`` does."""
    pool = env.pool
    src, length, dst = pool.temp("i32"), pool.temp("i32"), pool.temp("i32")
    env.arg(code, n)
    code.emit("local.set", src)
    env.arg(code, n - 1)
    code.emit("local.tee", length)
    code.emit("call", env.func("mem_alloc"))
    code.emit("local.tee", dst)
    code.emit("local.get", src)
    code.emit("local.get", length)
    code.emit("memory.copy", env.memory, _app_memory(env))
    code.emit("local.get", dst)
    code.emit("local.get", length)
    pool.release(src, length, dst)


def _iovec_total(env: SiteEnv, code: Code, n: int) -> None:
    """The sum (u64) of the ``buf_len`` fields of the iovec list (ptr = argN, count = argN-1): 8-byte
    entries ``{buf: u32, buf_len: u32}`` in the application's memory."""
    pool = env.pool
    mem = _app_memory(env)
    ptr, left, total = pool.temp("i32"), pool.temp("i32"), pool.temp("i64")
    env.arg(code, n)
    code.emit("local.set", ptr)
    env.arg(code, n - 1)
    code.emit("local.set", left)
    code.emit("i64.const", 0)
    code.emit("local.set", total)
    code.open("block", None)
    code.open("loop", None)
    code.emit("local.get", left)
    code.emit("i32.eqz")
    code.emit("br_if", 1)
    code.emit("local.get", total)
    code.emit("local.get", ptr)
    code.emit("i64.load32_u", MemArg(2, 4, mem))
    code.emit("i64.add")
    code.emit("local.set", total)
    code.emit("local.get", ptr)
    code.emit("i32.const", 8)
    code.emit("i32.add")
    code.emit("local.set", ptr)
    code.emit("local.get", left)
    code.emit("i32.const", 1)
    code.emit("i32.sub")
    code.emit("local.set", left)
    code.emit("br", 0)
    code.end()
    code.end()
    code.emit("local.get", total)
    pool.release(ptr, left, total)


def _result(env: SiteEnv, code: Code, v: wasi.WasiVar) -> None:
    """``after``: the value the call wrote through its result pointer (argN), or 0 when errno != 0."""
    load, align = _LOADS[v.type]
    wide = v.type in ("u64", "i64")
    env.operand("res0", _ERRNO).load(code, env)
    code.emit("i32.eqz")
    code.open("if", "i64" if wide else "i32")
    env.arg(code, v.index)
    code.emit(load, MemArg(align, 0, _app_memory(env)))
    code.else_()
    code.emit("i64.const" if wide else "i32.const", 0)
    code.end()


def _errno_names() -> tuple[bytes, bytes]:
    """Every errno name in one string, and per errno value 0..max its (offset, length) in that string as two
    little-endian u16 (a value WASI does not define: (0, 0), the empty string)."""
    names = b""
    entries: dict[int, bytes] = {}
    for name, value in wasi.ERRNO:
        entries[value] = len(names).to_bytes(2, "little") + len(name).to_bytes(2, "little")
        names += name.encode()
    table = b"".join(entries.get(v, bytes(4)) for v in range(max(entries) + 1))
    return names, table


def _errno_name(env: SiteEnv, code: Code) -> None:
    """``errno_name``: :func:`_errno_names`'s string and table, interned in the instrumentation memory."""
    names, table = _errno_names()
    count = len(table) // 4
    names_at, table_at = env.string(names), env.string(table)
    pool = env.pool
    errno, entry = pool.temp("i32"), pool.temp("i32")
    env.operand("res0", _ERRNO).load(code, env)
    code.emit("local.tee", errno)
    code.emit("i32.const", count)
    code.emit("i32.lt_u")
    code.open("if", None)
    code.emit("local.get", errno)
    code.emit("i32.const", 2)
    code.emit("i32.shl")
    code.emit("i32.load", MemArg(1, table_at, env.memory))
    code.emit("local.set", entry)
    code.else_()
    code.emit("i32.const", 0)
    code.emit("local.set", entry)
    code.end()
    code.emit("local.get", entry)
    code.emit("i32.const", 0xFFFF)
    code.emit("i32.and")
    code.emit("i32.const", names_at)
    code.emit("i32.add")
    code.emit("local.get", entry)
    code.emit("i32.const", 16)
    code.emit("i32.shr_u")
    pool.release(errno, entry)


def _fd_path(env: SiteEnv, code: Code, n: int) -> None:
    """``fd_path``: the runtime's table entry (runtime/fdpath.c) for the descriptor argument ``argN``,
    whose ``len << 32 | ptr`` result is split into the ``str`` pair."""
    env.arg(code, n)
    code.emit("call", env.func("whamm_fd_path"))
    env.split_packed_str(code)


def track_fd_path(env: SiteEnv, code: Code) -> None:
    """``track_fd_path()`` in an ``after`` probe of a tracked function (:data:`compiler.events.wasi.TRACKED`):
    when the call succeeded, tell the runtime's fd → path table what it did."""
    event = env.probe.expansion.event
    if env.probe.mode != "after" or event not in wasi.TRACKED:
        raise CodegenError(f"track_fd_path() is only available in after probes of {', '.join(wasi.TRACKED)}")
    vars_ = wasi.event_vars(event)  # type: ignore[arg-type]
    env.operand("res0", _ERRNO).load(code, env)
    code.emit("i32.eqz")
    code.open("if", None)
    fd = vars_["fd"].index
    if event == "path_open":
        _result(env, code, vars_["opened_fd"])
        env.arg(code, fd)
        _string(env, code, vars_["path"].index)
        code.emit("call", env.func("whamm_fd_path_open"))
    elif event == "fd_prestat_dir_name":
        env.arg(code, fd)
        _string(env, code, vars_["path"].index)
        code.emit("call", env.func("whamm_fd_path_preopen"))
    elif event == "fd_renumber":
        env.arg(code, fd)
        env.arg(code, vars_["to"].index)
        code.emit("call", env.func("whamm_fd_path_renumber"))
    else:
        env.arg(code, fd)
        code.emit("call", env.func("whamm_fd_path_close"))
    code.end()
