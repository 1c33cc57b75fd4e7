"""Calls in a whamm body → Wasm instructions: user and library functions, the built-ins (memory access
across memories, strings; LANGUAGE.md §11), string methods, and the calls the target lowers itself
(bound functions such as ``alt_call_by_id``, through :meth:`~compiler.backend.target.Env.bound_call`).

A mixin of :class:`compiler.backend.lowering.BodyCompiler`, apart because each built-in is its own small
sequence and memory-id arguments follow their own compile-time rules (§11.1).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.backend.instrs import Code, CodegenError
from compiler.backend.storage import GlobalStorage, LocalStorage, MemStorage
from compiler.lang import ast
from compiler.lang.scopes import Callee, CalleeKind, VarKind, callee_of
from compiler.lang.types import AggType, MapType

if TYPE_CHECKING:
    from compiler.backend.target import Env

__all__ = ["CallLowering"]


class CallLowering:
    """Lowers ``f(...)``, ``lib.f(...)``, built-ins and ``s.method(...)``; arguments go through the
    expression lowering of the combined :class:`~compiler.backend.lowering.BodyCompiler`."""

    env: Env
    code: Code

    def args(self, e: ast.Call) -> None:
        """Push the call's arguments left to right."""
        for a in e.args:
            self.expr(a)

    def call(self, e: ast.Call) -> None:
        """A call by its callee's kind: user function, library import, built-in, or the target's bound function."""
        code = self.code
        callee = callee_of(e)
        kind = callee.kind
        if kind is CalleeKind.USER:
            self.args(e)
            code.emit("call", self.env.func("fn:" + callee.name))
        elif kind is CalleeKind.LIBRARY:
            if e.annotation == "static":
                raise CodegenError("this @static call could not be evaluated while instrumenting", e.span)
            self.args(e)
            code.emit("call", self.env.library_func(callee.library or "", callee.name))
        elif kind is CalleeKind.BUILTIN:
            self.builtin(e, callee)
        else:
            self.env.bound_call(code, self, e, callee)

    def memid_arg(self, arg: ast.Expr) -> int:
        """A memory id argument: a compile-time constant (LANGUAGE.md §11.1) → output memory index."""
        if isinstance(arg, ast.Call) and arg.func == "memid" and arg.lib is None:
            lib = arg.args[0].id if arg.args and isinstance(arg.args[0], ast.Name) else ""
            v = self.env.memid(lib)
        elif isinstance(arg, ast.IntLit):
            v = arg.value
        elif isinstance(arg, ast.Name) and self.symbol(arg).kind is VarKind.BUILTIN:
            v = self.env.static(arg.id)
        elif isinstance(arg, ast.Name) and self.env.constant(arg.id) is not None:
            v = self.env.constant(arg.id)
        else:
            raise CodegenError("memory ids must be compile-time constants", arg.span)
        if v is None:
            raise CodegenError("memory ids must be compile-time constants", arg.span)
        try:
            return self.env.memory_index(int(v))  # type: ignore[arg-type]
        except CodegenError as exc:  # the env says what is wrong with the memory, the argument says where
            raise CodegenError(exc.message, exc.span or arg.span) from None

    def builtin(self, e: ast.Call, callee: Callee) -> None:
        """The built-ins of LANGUAGE.md §11.2; memory-id arguments are resolved at compile time."""
        code = self.code
        name = callee.name
        pool = self.env.pool
        if name in ("strcmp", "strcontains"):
            self.args(e)
            code.emit("call", self.env.func("whamm:str_eq" if name == "strcmp" else "whamm:str_contains"))
        elif name == "memid":
            lib = e.args[0].id if e.args and isinstance(e.args[0], ast.Name) else ""
            code.emit("i32.const", self.env.memid(lib))  # type: ignore[attr-defined]
        elif name == "mem_size":
            code.emit("memory.size", self.memid_arg(e.args[0]))
        elif name == "memcpy":
            src_mem = self.memid_arg(e.args[0])
            dst_mem = self.memid_arg(e.args[2])
            self.expr(e.args[1])
            src = pool.temp("i32")
            code.emit("local.set", src)
            self.expr(e.args[3])
            self.expr(e.args[4])
            n = pool.temp("i32")
            code.emit("local.set", n)
            code.emit("local.get", src)
            code.emit("local.get", n)
            code.emit("memory.copy", dst_mem, src_mem)
            pool.release(src, n)
        elif name == "read_str":
            src_mem = self.memid_arg(e.args[0])
            self.expr(e.args[1])
            src = pool.temp("i32")
            code.emit("local.set", src)
            self.expr(e.args[2])
            n = pool.temp("i32")
            code.emit("local.tee", n)
            code.emit("call", self.env.func("mem_alloc"))
            dst = pool.temp("i32")
            code.emit("local.tee", dst)
            code.emit("local.get", src)
            code.emit("local.get", n)
            code.emit("memory.copy", self.env.memory, src_mem)
            code.emit("local.get", dst)
            code.emit("local.get", n)
            pool.release(src, n, dst)
        elif name == "write_str":
            dst_mem = self.memid_arg(e.args[0])
            self.expr(e.args[1])
            dst = pool.temp("i32")
            code.emit("local.set", dst)
            self.expr(e.args[2])
            n = pool.temp("i32")
            code.emit("local.set", n)
            src = pool.temp("i32")
            code.emit("local.set", src)
            code.emit("local.get", dst)
            code.emit("local.get", src)
            code.emit("local.get", n)
            code.emit("memory.copy", dst_mem, self.env.memory)
            pool.release(src, n, dst)
        elif name == "printf":
            self.printf(e)  # type: ignore[attr-defined]
        elif name == "print":
            self.print_var(e)  # type: ignore[attr-defined]
        elif name == "delete":
            self.map_delete(e)  # type: ignore[attr-defined]
        elif name == "clear":
            self.map_clear(e)  # type: ignore[attr-defined]
        elif name in ("page_size", "active_data_start", "active_data_len"):
            v = self.env.static_builtin(name, self.memid_value(e.args[0]))
            code.emit("i32.const", v)
        else:
            raise CodegenError(f"unsupported built-in {name}", e.span)

    def memid_value(self, arg: ast.Expr) -> int:
        """The memory id an argument names, unmapped (``page_size`` & co. look at the application's memory by id)."""
        if isinstance(arg, ast.IntLit):
            return arg.value
        if isinstance(arg, ast.Name):
            v = self.env.static(arg.id) if self.symbol(arg).kind is VarKind.BUILTIN \
                else self.env.constant(arg.id)
            if v is not None:
                return int(v)  # type: ignore[call-overload]
        raise CodegenError("memory ids must be compile-time constants", arg.span)

    def method(self, e: ast.MethodCall) -> None:
        """``s.len()``/``s.addr()`` (taken straight from the variable's storage when possible) and the string
        predicates (calls of the string helpers)."""
        code = self.code
        m = e.method
        at = self.type_of(e.receiver)
        if isinstance(at, AggType):
            self.agg_method(e, at)
            return
        if isinstance(at, MapType):  # m.len(), the only map method
            self.map_id(e.receiver)  # type: ignore[attr-defined]
            code.emit("call", self.env.func("whamm_map_len"))
            return
        if m in ("len", "addr"):
            recv = e.receiver
            if isinstance(recv, ast.Name):
                sym = self.symbol(recv)
                if sym.kind not in (VarKind.BOUND, VarKind.BUILTIN):
                    st = self.env.storage(sym)
                    if isinstance(st, (MemStorage, GlobalStorage, LocalStorage)):
                        tmp = Code()
                        st.load(tmp, self.env)
                        half = len(tmp.instrs) // 2
                        code.extend(tmp.instrs[half:] if m == "len" else tmp.instrs[:half])
                        return
            self.expr(recv)
            if m == "addr":
                code.emit("drop")
            else:
                n = self.env.pool.temp("i32")
                code.emit("local.set", n)
                code.emit("drop")
                code.emit("local.get", n)
                self.env.pool.release(n)
            return
        self.expr(e.receiver)
        for a in e.args:
            self.expr(a)
        helper = {"starts_with": "whamm:str_starts_with", "ends_with": "whamm:str_ends_with",
                  "contains": "whamm:str_contains"}.get(m)
        if helper is None:
            raise CodegenError(f"str has no method `{m}`", e.span)
        code.emit("call", self.env.func(helper))
