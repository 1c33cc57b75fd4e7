"""``printf`` in a whamm body → Wasm (ANALYSIS.md §2): the format is split at compile time
(:mod:`compiler.lang.printf_format`); literal pieces are ``puts`` calls and each conversion is one call
of the runtime's ``whamm_printf_int``/``_str``/``_float`` (``runtime/printf.c``) with a constant
descriptor, so no format string is parsed while the application runs.  All of it goes through the
runtime's line buffer, the instrumentation's buffered output (REWRITING.md §12.5).  Also ``print(v)``
(``runtime/human.c`` formats the variable, whose value is handed over in memory), ``delete(m[k])`` and
``clear(m)`` (ANALYSIS.md §2).

A mixin of :class:`compiler.backend.lowering.BodyCompiler`, apart because it is the only part that
knows the descriptor layout of printf.c.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.backend.instrs import Code, CodegenError, mem_parts, memarg, wasm1
from compiler.backend.runtime_abi import encode_type, value_size
from compiler.backend.storage import MemStorage, PtrStorage
from compiler.lang import ast
from compiler.lang.printf_format import FLOAT_CONVERSIONS, INT_CONVERSIONS, UNSIGNED_CONVERSIONS, parse_format
from compiler.lang.types import AggType, MapType, Prim, bit_width, is_signed

if TYPE_CHECKING:
    from compiler.backend.target import Env

__all__ = ["OutputLowering"]

#: printf.c's F_UNSIGNED: the i64 passed holds an unsigned value (print it as u64).
_UNSIGNED_BIT = 16


class OutputLowering:
    """Lowers ``printf(FMT, …)`` of the combined :class:`~compiler.backend.lowering.BodyCompiler`."""

    env: Env
    code: Code

    def printf(self, e: ast.Call) -> None:
        """Print the format's pieces in order: literals with ``puts``, conversions through printf.c."""
        code = self.code
        fmt = e.args[0]
        assert isinstance(fmt, ast.StrLit)
        args = iter(e.args[1:])
        for piece in parse_format(fmt.value):
            if isinstance(piece, bytes):
                self.string(piece)  # type: ignore[attr-defined]
                code.emit("call", self.env.func("puts"))
                continue
            arg = next(args)
            t = self.type_of(arg)  # type: ignore[attr-defined]
            spec = ord(piece.conv) | piece.flag_bits << 8
            self.expr(arg)  # type: ignore[attr-defined]
            if piece.conv in INT_CONVERSIONS:
                spec |= self._as_i64(t, piece.conv in UNSIGNED_CONVERSIONS) << 8
                helper = "whamm_printf_int"
            elif piece.conv in FLOAT_CONVERSIONS:
                if t is Prim.F32:
                    code.emit("f64.promote_f32")
                helper = "whamm_printf_float"
            else:
                if t is Prim.BOOL:
                    self._bool_text()
                helper = "whamm_printf_str"
            code.emit("i32.const", spec)
            code.emit("i32.const", piece.width)
            code.emit("i32.const", piece.precision)
            code.emit("call", self.env.func(helper))

    def print_var(self, e: ast.Call) -> None:
        """``print(v)``: the checked call's arguments are the variable's name and the variable.  A map
        is printed by its id, an aggregate at its address, any other value from a block the runtime
        allocates for the call (scalars live in Wasm globals and locals, not in memory)."""
        code = self.code
        env = self.env
        name, var = e.args
        assert isinstance(name, ast.StrLit)
        t = self.type_of(var)  # type: ignore[attr-defined]
        self.string(name.value)  # type: ignore[attr-defined]
        if isinstance(t, MapType):
            self.map_id(var)  # type: ignore[attr-defined]
            code.emit("call", env.func("whamm_print_map_human"))
            return
        code.emit("i32.const", env.string(encode_type(t)))
        if isinstance(t, AggType):
            st = env.storage(self.symbol(var)) if isinstance(var, ast.Name) else None  # type: ignore[attr-defined]
            if not isinstance(st, (MemStorage, PtrStorage)):
                raise CodegenError("an aggregate must be a global, unshared, shared or frame variable", var.span)
            st.push_address(code)
            code.emit("call", env.func("whamm_print_var"))
            return
        self.expr(var)  # type: ignore[attr-defined]
        temps = self.stash(t)  # type: ignore[attr-defined]
        block = env.pool.temp("i32")
        code.emit("i32.const", value_size(t))
        code.emit("call", env.func("mem_alloc"))
        code.emit("local.set", block)
        for (off, _, store, _), temp in zip(mem_parts(t), temps):
            code.emit("local.get", block)
            code.emit("local.get", temp)
            code.emit(store, memarg(store, off, env.memory))
        code.emit("local.get", block)
        code.emit("call", env.func("whamm_print_var"))
        code.emit("local.get", block)
        code.emit("call", env.func("mem_free"))
        env.pool.release(block, *temps)

    def map_delete(self, e: ast.Call) -> None:
        """``delete(m[k])``: the key into the scratch area, then ``whamm_map_delete``."""
        target = e.args[0]
        assert isinstance(target, ast.Index)
        mt = self.map_type(target.map)  # type: ignore[attr-defined]
        scratch = self.env.scratch()
        self.store_key(target.key, mt.key, scratch)  # type: ignore[attr-defined]
        self.map_id(target.map)  # type: ignore[attr-defined]
        self.code.emit("i32.const", scratch)
        self.code.emit("call", self.env.func("whamm_map_delete"))

    def map_clear(self, e: ast.Call) -> None:
        """``clear(m)``."""
        self.map_id(e.args[0])  # type: ignore[attr-defined]
        self.code.emit("call", self.env.func("whamm_map_clear"))

    def _as_i64(self, t, unsigned_conversion: bool) -> int:
        """Widen the integer of type ``t`` on the stack to the i64 printf.c takes: its value, or for
        ``%u %x %X %o`` its bits in its own width read as unsigned (C's reinterpretation); the
        descriptor bits to add (``_UNSIGNED_BIT`` when the i64 is to be read as unsigned)."""
        code = self.code
        signed = is_signed(t) and not unsigned_conversion
        if wasm1(t) == "i32":
            if is_signed(t) and unsigned_conversion and bit_width(t) < 32:
                code.emit("i32.const", (1 << bit_width(t)) - 1)
                code.emit("i32.and")
            code.emit("i64.extend_i32_s" if signed else "i64.extend_i32_u")
        return 0 if signed else _UNSIGNED_BIT

    def _bool_text(self) -> None:
        """A bool on the stack → the string ``true``/``false`` as ``(addr, len)``."""
        code = self.code
        b = self.env.pool.temp("i32")
        code.emit("local.set", b)
        for true_part, false_part in ((self.env.string(b"true"), self.env.string(b"false")), (4, 5)):
            code.emit("i32.const", true_part)
            code.emit("i32.const", false_part)
            code.emit("local.get", b)
            code.emit("select")
        self.env.pool.release(b)
