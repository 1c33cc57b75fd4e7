"""Keeping table shadows current (REWRITING.md §15): the code placed before every table mutation.

A shadow mirrors a table in the instrumentation memory as input function indices (``resolved_fid``
reads it).  Every ``table.set``/``table.fill``/``table.init``/``table.copy`` of a shadowed table gets
code before it that updates the shadow from the instruction's operands, then puts them back.  It is
its own module because it is independent of probes: it depends only on the instruction, the shadows'
addresses and the function's local pool.
"""
from __future__ import annotations

from typing import Callable, Sequence

from compiler.backend.instrs import LocalPool, op
from compiler.wasm.model import Instr, MemArg

__all__ = ["shadow_updates"]


def shadow_updates(instrs: Sequence[Instr], input_instrs: Sequence[Instr], shadows: dict, mem: int,
                   table_type: Callable[[int], str], pool: LocalPool):
    """``(position, code)`` for every table mutation of a shadowed table among ``instrs``.

    ``input_instrs`` are the input's (not renumbered) instructions: shadows hold input indices, so a
    ``ref.func N`` stored by ``table.set`` is read from there.  ``table_type(t)`` is table ``t``'s
    element type."""
    upd = _Updates(pool)
    for i, ins in enumerate(instrs):
        name = ins.op.name
        if name == "table.set" and ins.imms[0] in shadows:
            prev = input_instrs[i - 1] if i > 0 else None
            fid = prev.imms[0] if prev is not None and prev.op.name == "ref.func" else -1
            yield i, upd.set(shadows[ins.imms[0]], fid, mem, table_type(ins.imms[0]))
        elif name in ("table.fill", "table.init") and ins.imms[-1] in shadows:
            ref_type = table_type(ins.imms[0]) if name == "table.fill" else None
            yield i, upd.fill(shadows[ins.imms[-1]], mem, ref_type)
        elif name == "table.copy" and ins.imms[0] in shadows:
            yield i, upd.copy(shadows[ins.imms[0]], shadows.get(ins.imms[1]), mem)


class _Updates:
    """The update code of each mutation, with temporaries from the function's pool."""

    def __init__(self, pool: LocalPool) -> None:
        self.pool = pool

    def _stash(self, types: Sequence[str]) -> tuple[list[int], list[Instr]]:
        """Pop operands (top first) into temporaries; return them bottom → top and the code that
        saved them."""
        temps = [self.pool.temp(t) for t in types]          # top first
        code = [op("local.set", t) for t in temps]
        return list(reversed(temps)), code

    def _restore(self, temps: Sequence[int]) -> list[Instr]:
        out = [op("local.get", t) for t in temps]
        self.pool.release(*temps)
        return out

    def set(self, shadow: tuple[int, int], fid: int, mem: int, ref_type: str) -> list[Instr]:
        addr, size = shadow
        temps, code = self._stash([ref_type, "i32"])            # value (top), index
        idx = temps[0]
        code += [op("local.get", idx), op("i32.const", size), op("i32.lt_u"), op("if", None),
                 op("local.get", idx), op("i32.const", 2), op("i32.shl"), op("i32.const", fid),
                 op("i32.store", MemArg(2, addr, mem)), op("end")]
        return code + self._restore(temps)

    def fill(self, shadow: tuple[int, int], mem: int, ref_type: str | None) -> list[Instr]:
        """``table.fill`` (``ref_type`` its value's type) or ``table.init`` (None): entries
        ``[d, d + n)`` become -1 (clamped to the shadow)."""
        addr, size = shadow
        if ref_type is not None:
            temps, code = self._stash(["i32", ref_type, "i32"])   # n (top), value, d
        else:
            temps, code = self._stash(["i32", "i32", "i32"])      # n, s, d
        d, n = temps[0], temps[2]
        code += self._fill_minus_one(addr, size, d, n, mem)
        return code + self._restore(temps)

    def _fill_minus_one(self, addr: int, size: int, d: int, n: int, mem: int) -> list[Instr]:
        k = self.pool.temp("i32")
        code = [op("local.get", d), op("local.set", k),
                op("block", None), op("loop", None),
                op("local.get", k), op("local.get", d), op("i32.sub"), op("local.get", n), op("i32.ge_u"),
                op("br_if", 1),
                op("local.get", k), op("i32.const", size), op("i32.ge_u"), op("br_if", 1),
                op("local.get", k), op("i32.const", 2), op("i32.shl"), op("i32.const", -1),
                op("i32.store", MemArg(2, addr, mem)),
                op("local.get", k), op("i32.const", 1), op("i32.add"), op("local.set", k),
                op("br", 0), op("end"), op("end")]
        self.pool.release(k)
        return code

    def copy(self, dst: tuple[int, int], src: tuple[int, int] | None, mem: int) -> list[Instr]:
        """``table.copy``: copy shadow entries (overlap-safe), or -1 without a source shadow."""
        temps, code = self._stash(["i32", "i32", "i32"])          # n (top), s, d
        d, s, n = temps
        if src is None:
            code += self._fill_minus_one(dst[0], dst[1], d, n, mem)
            return code + self._restore(temps)
        # entries in range on both sides: copy entry by entry into a temporary, direction-safe via
        # memory.copy of the clamped length
        m = self.pool.temp("i32")
        daddr, dsize = dst
        saddr, ssize = src
        code += [
            # m = min(n, dsize - d, ssize - s) when d < dsize and s < ssize, else 0
            op("local.get", n),
            op("i32.const", dsize), op("local.get", d), op("i32.sub"),
            op("local.get", n), op("i32.const", dsize), op("local.get", d), op("i32.sub"), op("i32.lt_u"),
            op("select"), op("local.set", m),
            op("local.get", m),
            op("i32.const", ssize), op("local.get", s), op("i32.sub"),
            op("local.get", m), op("i32.const", ssize), op("local.get", s), op("i32.sub"), op("i32.lt_u"),
            op("select"), op("local.set", m),
            op("local.get", d), op("i32.const", dsize), op("i32.lt_u"),
            op("local.get", s), op("i32.const", ssize), op("i32.lt_u"), op("i32.and"),
            op("if", None),
            op("local.get", d), op("i32.const", 2), op("i32.shl"), op("i32.const", daddr), op("i32.add"),
            op("local.get", s), op("i32.const", 2), op("i32.shl"), op("i32.const", saddr), op("i32.add"),
            op("local.get", m), op("i32.const", 2), op("i32.shl"),
            op("memory.copy", mem, mem),
            op("end"),
        ]
        self.pool.release(m)
        return code + self._restore(temps)
