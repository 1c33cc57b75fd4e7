"""whamm bodies → Wasm instructions: the lowering both targets share (LANGUAGE.md §5–§12,
REWRITING.md §7, §9).

A value of whamm type ``T`` is its *flattened* Wasm values on the operand stack (``wasm_types(T)``): an
``i32`` for ``u8 … u32``, ``i8 … i32``, ``bool`` (0/1) and map ids, ``i64`` for the 64-bit integers,
``f32``/``f64``, an ``(addr, len)`` pair for ``str`` (bytes in the instrumentation memory) and the
concatenated elements of a tuple.  8- and 16-bit integers are kept *normalised* in their ``i32``
(zero-extended for ``u8``/``u16``, sign-extended for ``i8``/``i16``), so comparisons, division and
widening casts need no extra work and every operation that can leave the range re-normalises (§6.5).
:mod:`compiler.lang.values` is the oracle these sequences are tested against.

The compiler asks its :class:`~compiler.backend.target.Env` for the storage of each symbol
(:mod:`compiler.backend.storage`), so the same code compiles probe bodies (inlined at sites), user
functions, script-level statements and the ``wasm:begin/end/report`` bodies, for both targets.

Generated code stays lean on purpose: ``count++`` on a global is ``global.get; i32.const 1; i32.add;
global.set`` and on a per-site slot a load/add/store at a constant address — no calls, no temporaries.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence, TYPE_CHECKING

from compiler.backend.instrs import (
    Code, CodegenError, _WASM, const, flat, mem_parts, memarg, normalize, parts_range,
)
from compiler.backend.runtime_abi import value_size
from compiler.backend.storage import GlobalStorage, LocalStorage, MemStorage, PtrStorage, Storage
from compiler.backend.target import Env
from compiler.errors import InternalError
from compiler.lang import ast, values
from compiler.lang.scopes import Callee, CalleeKind, Symbol, VarKind, callee_of, symbol_of, type_of
from compiler.lang.types import (
    MapType, Prim, TupleType, WhammType, bit_width, is_float, is_integer, is_signed,
)

if TYPE_CHECKING:
    from compiler.lang.diagnostics import Span

__all__ = ["contains_return", "always_returns", "BodyCompiler"]


_CMP = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


_ARITH = {"+": "add", "-": "sub", "*": "mul", "&": "and", "|": "or", "^": "xor", "<<": "shl"}


_WRAPPING = frozenset({"+", "-", "*", "<<", "/"})


def _wasm1(t: WhammType) -> str:
    """The single Wasm type of a scalar whamm type."""
    return _WASM.get(t, "i32")  # type: ignore[arg-type]


def contains_return(block: ast.Block) -> bool:
    """Whether a ``return`` occurs anywhere in ``block`` (the body then needs a label to leave)."""
    for s in block.stmts:
        if isinstance(s, ast.Return):
            return True
        if isinstance(s, ast.If) and (contains_return(s.then) or any(contains_return(e.body) for e in s.elifs)
                                      or (s.orelse is not None and contains_return(s.orelse))):
            return True
    return False


def always_returns(block: ast.Block) -> bool:
    """Every path through ``block`` ends in ``return`` (or an ``alt_call_*``, which ends an alt body)."""
    for s in block.stmts:
        if isinstance(s, ast.Return):
            return True
        if isinstance(s, ast.CallStmt) and isinstance(s.call, ast.Call) and \
                s.call.func in ("alt_call_by_id", "alt_call_by_name") and s.call.lib is None:
            return True
        if isinstance(s, ast.If) and s.orelse is not None:
            if always_returns(s.then) and all(always_returns(e.body) for e in s.elifs) \
                    and always_returns(s.orelse):
                return True
    return False


class BodyCompiler:
    """Compiles the statements and expressions of one body into a :class:`Code`.

    The statements and expressions are typed trees (the checker's or the folder's), read through
    :func:`~compiler.lang.scopes.type_of` and friends.
    ``ret_label``/``ret_types`` say what ``return`` means: leave a probe body (no value), leave an
    ``alt`` body with the replacement values, or return from a user function (``ret_label`` None).
    """

    def __init__(self, env: Env, code: Code | None = None) -> None:
        self.env = env
        self.code = code if code is not None else Code()
        self.ret_label: object = None
        self.ret_types: tuple[str, ...] | None = None
        self.function_return = False
        self.skip_init_calls = False

    # -------------------------------------------------------------------------------- helpers

    def type_of(self, e: ast.Expr) -> WhammType:
        return type_of(e)

    def symbol(self, name: ast.Name) -> Symbol:
        return symbol_of(name)

    def temps_for(self, t: WhammType) -> list[int]:
        return [self.env.pool.temp(w) for w in flat(t)]

    def stash(self, t: WhammType) -> list[int]:
        """Pop a value of type ``t`` into fresh temporaries (release them when done)."""
        temps = self.temps_for(t)
        for i in reversed(temps):
            self.code.emit("local.set", i)
        return temps

    def push(self, temps: Sequence[int]) -> None:
        for i in temps:
            self.code.emit("local.get", i)

    def drop(self, t: WhammType) -> None:
        for _ in flat(t):
            self.code.emit("drop")

    def zero(self, symbols: Iterable[Symbol]) -> None:
        """Set probe-local variables to zero (decision D2: zero on every visit).  Their locals come from
        the pool of temporaries, which earlier code of the same function may have left non-zero."""
        for sym in symbols:
            st = self.env.storage(sym)
            for w in flat(sym.type):
                self.code.instrs.append(const(w, 0))
            st.store_suffix(self.code, self.env)

    # ------------------------------------------------------------------------------ statements

    def block(self, b: ast.Block) -> None:
        for s in b.stmts:
            self.stmt(s)

    def stmt(self, s: ast.Stmt) -> None:
        if isinstance(s, ast.VarDecl):
            if s.init is None:
                return
            sym = symbol_of(s)
            if sym.kind in (VarKind.UNSHARED, VarKind.SHARED):
                return  # initialised once at program start (REWRITING.md §4)
            self.assign_to(self.env.storage(sym), sym.type, (), s.init)
        elif isinstance(s, ast.Assign):
            self.assign(s.target, s.value)
        elif isinstance(s, ast.IncDec):
            self.incdec(s)
        elif isinstance(s, ast.CallStmt):
            call = s.call
            if self.skip_init_calls and isinstance(call, ast.Call) and call.annotation == "init":
                return
            self.expr(call)
            self.drop(self.type_of(call))
        elif isinstance(s, ast.Return):
            self.ret(s)
        elif isinstance(s, ast.If):
            self.if_stmt(s)
        else:
            raise CodegenError("unsupported statement", s.span)

    def cond(self, e: ast.Expr) -> None:
        """A condition for ``if``: ``x != 0`` on an ``i32`` value is just ``x`` (``if`` tests non-zero)."""
        if isinstance(e, ast.Binary) and e.op == "!=" and isinstance(e.right, ast.IntLit) and e.right.value == 0:
            t = self.type_of(e.left)
            if is_integer(t) and _wasm1(t) == "i32":
                self.expr(e.left)
                return
        self.expr(e)

    def if_stmt(self, s: ast.If) -> None:
        code = self.code
        self.cond(s.cond)
        code.open("if", None)
        self.block(s.then)
        opened = 1
        for e in s.elifs:
            code.emit("else")
            self.cond(e.cond)
            code.open("if", None)
            self.block(e.body)
            opened += 1
        if s.orelse is not None:
            code.emit("else")
            self.block(s.orelse)
        for _ in range(opened):
            code.end()

    def ret(self, s: ast.Return) -> None:
        code = self.code
        if self.function_return:
            if s.value is not None:
                self.expr(s.value)
            code.emit("return")
            return
        if self.ret_types:
            if s.value is None:
                raise CodegenError("`return` needs a value here", s.span)
            self.expr_as(s.value, self.ret_types)
        elif s.value is not None:
            self.expr(s.value)
            self.drop(self.type_of(s.value))
        if self.ret_label is None:
            raise CodegenError("`return` cannot be used here", s.span)
        code.br(self.ret_label)

    def expr_as(self, e: ast.Expr, want: tuple[str, ...]) -> None:
        """Push ``e`` as the Wasm values ``want`` (an alt replacement, §6.3): a literal takes the type
        from the context; anything else must already have those Wasm types."""
        t = self.type_of(e)
        if flat(t) == want:
            self.expr(e)
            return
        if isinstance(e, ast.TupleLit) and isinstance(t, TupleType) and len(e.elems) > 1:
            parts = [flat(self.type_of(x)) for x in e.elems]
            if sum(map(len, parts)) == len(want) and all(len(p) == 1 for p in parts):
                for x, w in zip(e.elems, want):
                    self.expr_as(x, (w,))
                return
        if len(want) == 1 and isinstance(e, (ast.IntLit, ast.FloatLit)):
            target = {"i32": Prim.I32, "i64": Prim.I64, "f32": Prim.F32, "f64": Prim.F64}.get(want[0])
            if target is not None:
                v = values.int_literal(e.value, target) if isinstance(e, ast.IntLit) \
                    else values.float_literal(e.text, target)
                self.code.add(const(want[0], v))
                return
        raise _AltTypeError(e.span)

    def assign(self, target: ast.Expr, value: ast.Expr) -> None:
        if isinstance(target, ast.Index):
            self.map_put(target, value)
            return
        path: list[int] = []
        node = target
        while isinstance(node, ast.Field):
            path.append(node.index)
            node = node.tuple
        if not isinstance(node, ast.Name):
            raise CodegenError("invalid assignment target", target.span)
        sym = self.symbol(node)
        path.reverse()
        self.assign_to(self.env.storage(sym), sym.type, tuple(path), value)

    def assign_to(self, storage: Storage, t: WhammType, path: tuple[int, ...], value: ast.Expr) -> None:
        storage.store_prefix(self.code, self.env, path)
        self.expr(value)
        storage.store_suffix(self.code, self.env, path)

    def incdec(self, s: ast.IncDec) -> None:
        code = self.code
        target = s.target
        if isinstance(target, ast.Index):
            mt = self.map_type(target.map)
            ptr = self.map_slot(target, insert=True)
            storage: Storage = PtrStorage(mt.value, self.env.memory, ptr)
            t = mt.value
            path: tuple[int, ...] = ()
        else:
            p: list[int] = []
            node = target
            while isinstance(node, ast.Field):
                p.append(node.index)
                node = node.tuple
            assert isinstance(node, ast.Name)
            sym = self.symbol(node)
            p.reverse()
            path = tuple(p)
            storage = self.env.storage(sym)
            t = parts_range(sym.type, path)[2]
            ptr = -1
        storage.store_prefix(code, self.env, path)
        storage.load(code, self.env, path)
        w = _wasm1(t)
        code.add(const(w, 1))
        code.emit(f"{w}.{'add' if s.op == '++' else 'sub'}")
        normalize(code, t)
        storage.store_suffix(code, self.env, path)
        if ptr >= 0:
            self.env.pool.release(ptr)

    # ------------------------------------------------------------------------------ expressions

    def expr(self, e: ast.Expr) -> None:
        code = self.code
        if isinstance(e, ast.IntLit):
            t = self.type_of(e)
            if is_float(t):
                code.add(const(_wasm1(t), values.int_literal(e.value, t)))  # type: ignore[arg-type]
            else:
                code.add(const(_wasm1(t), values.wrap(e.value, t)))  # type: ignore[arg-type]
        elif isinstance(e, ast.FloatLit):
            t = self.type_of(e)
            code.add(const(_wasm1(t), values.float_literal(e.text, t)))  # type: ignore[arg-type]
        elif isinstance(e, ast.BoolLit):
            code.emit("i32.const", int(e.value))
        elif isinstance(e, ast.StrLit):
            self.string(e.value)
        elif isinstance(e, ast.Name):
            self.name(e)
        elif isinstance(e, ast.Binary):
            self.binary(e)
        elif isinstance(e, ast.Unary):
            self.expr(e.operand)
            t = self.type_of(e)
            if e.op == "!":
                code.emit("i32.eqz")
            else:
                w = _wasm1(t)
                code.add(const(w, -1))
                code.emit(f"{w}.xor")
                normalize(code, t)
        elif isinstance(e, ast.Ternary):
            self.expr(e.cond)
            t = self.type_of(e)
            code.open("if", self.env.blocktype(flat(t)))
            self.expr(e.then)
            code.emit("else")
            self.expr(e.orelse)
            code.end()
        elif isinstance(e, ast.Cast):
            self.expr(e.expr)
            self.cast(self.type_of(e.expr), e.type.type)
        elif isinstance(e, ast.Call):
            self.call(e)
        elif isinstance(e, ast.MethodCall):
            self.method(e)
        elif isinstance(e, ast.TupleLit):
            for x in e.elems:
                self.expr(x)
        elif isinstance(e, ast.Index):
            self.map_get(e)
        elif isinstance(e, ast.Field):
            self.field(e)
        else:
            raise CodegenError("unsupported expression", e.span)

    def string(self, data: bytes) -> None:
        self.code.emit("i32.const", self.env.string(data) if data else 0)
        self.code.emit("i32.const", len(data))

    def static_value(self, value: object, t: WhammType) -> None:
        """Push a compile-time value of type ``t`` (a static bound variable)."""
        code = self.code
        if isinstance(value, str):
            value = value.encode()
        if isinstance(value, bytes):
            self.string(value)
        elif isinstance(value, tuple):
            assert isinstance(t, TupleType)
            for v, et in zip(value, t.elems):
                self.static_value(v, et)
        elif isinstance(value, bool) or t is Prim.BOOL:
            code.emit("i32.const", int(bool(value)))
        elif is_float(t):
            code.add(const(_wasm1(t), float(value)))  # type: ignore[arg-type]
        else:
            code.add(const(_wasm1(t), values.wrap(int(value), t) if is_integer(t) else value))  # type: ignore

    def name(self, e: ast.Name) -> None:
        sym = self.symbol(e)
        t = self.type_of(e)
        if sym.kind is VarKind.BOUND or sym.kind is VarKind.BUILTIN:
            var = sym.bound
            if var is not None and var.static:
                value = var.constant if var.constant is not None else self.env.static(e.id)
                if value is None:
                    raise CodegenError(f"`{e.id}` has no value at this site", e.span)
                if isinstance(value, int) and not isinstance(value, bool) and (is_integer(t) or is_float(t)):
                    value = values.int_literal(value, t)  # type: ignore[arg-type]
                self.static_value(value, t)
                return
            self.env.bound(self.code, self, e.id, t)
            return
        self.env.storage(sym).load(self.code, self.env)

    def field(self, e: ast.Field) -> None:
        path: list[int] = []
        node: ast.Expr = e
        while isinstance(node, ast.Field):
            path.append(node.index)
            node = node.tuple
        path.reverse()
        if isinstance(node, ast.Name):
            sym = self.symbol(node)
            if sym.kind not in (VarKind.BOUND, VarKind.BUILTIN):
                self.env.storage(sym).load(self.code, self.env, path)
                return
        whole = self.type_of(node)
        self.expr(node)
        first, n, _ = parts_range(whole, path)
        temps = self.stash(whole)
        self.push(temps[first:first + n])
        self.env.pool.release(*temps)

    def binary(self, e: ast.Binary) -> None:
        code = self.code
        op_ = e.op
        if op_ in ("&&", "||"):  # D1: short-circuit
            self.expr(e.left)
            code.open("if", "i32")
            if op_ == "&&":
                self.expr(e.right)
                code.emit("else")
                code.emit("i32.const", 0)
            else:
                code.emit("i32.const", 1)
                code.emit("else")
                self.expr(e.right)
            code.end()
            return
        t = self.type_of(e.left)
        if t is Prim.STR:
            self.expr(e.left)
            self.expr(e.right)
            code.emit("call", self.env.func("whamm:str_eq"))
            if op_ == "!=":
                code.emit("i32.eqz")
            return
        if is_float(t) and op_ == "%":
            self.float_rem(e, t)
            return
        self.expr(e.left)
        self.expr(e.right)
        w = _wasm1(t)
        if op_ in _CMP:
            name = _CMP[op_]
            if is_integer(t) and op_ not in ("==", "!="):
                name += "_s" if is_signed(t) else "_u"
            code.emit(f"{w}.{name}")
            return
        if op_ in _ARITH:
            code.emit(f"{w}.{_ARITH[op_]}")
        elif op_ == ">>":
            code.emit(f"{w}.shr_{'s' if is_signed(t) else 'u'}")
        elif op_ == "/":
            code.emit(f"{w}.div" if is_float(t) else f"{w}.div_{'s' if is_signed(t) else 'u'}")
        elif op_ == "%":
            code.emit(f"{w}.rem_{'s' if is_signed(t) else 'u'}")
        else:
            raise CodegenError(f"unsupported operator {op_}", e.span)
        if op_ in _WRAPPING and is_integer(t):
            normalize(code, t)

    def float_rem(self, e: ast.Binary, t: WhammType) -> None:
        """``copysign(a - floor(a / b) * b, a)`` in the operand type (LANGUAGE.md §6.5)."""
        code = self.code
        w = _wasm1(t)
        self.expr(e.left)
        a = self.env.pool.temp(w)
        code.emit("local.set", a)
        self.expr(e.right)
        b = self.env.pool.temp(w)
        code.emit("local.set", b)
        for name, *imms in (("local.get", a), ("local.get", a), ("local.get", b), (f"{w}.div",),
                            (f"{w}.floor",), ("local.get", b), (f"{w}.mul",), (f"{w}.sub",),
                            ("local.get", a), (f"{w}.copysign",)):
            code.emit(name, *imms)
        self.env.pool.release(a, b)

    def cast(self, src: WhammType, dst: WhammType) -> None:
        """``as`` (LANGUAGE.md §6.2), the value of type ``src`` being on the stack."""
        code = self.code
        if src == dst:
            return
        if dst is Prim.BOOL:
            w = _wasm1(src)
            code.add(const(w, 0))
            code.emit(f"{w}.ne")
            return
        if src is Prim.BOOL:
            if is_float(dst):
                code.emit(f"{_wasm1(dst)}.convert_i32_u")
            elif _wasm1(dst) == "i64":
                code.emit("i64.extend_i32_u")
            return
        sw, dw = _wasm1(src), _wasm1(dst)
        if is_integer(src) and is_integer(dst):
            if sw == "i64" and dw == "i32":
                code.emit("i32.wrap_i64")
            elif sw == "i32" and dw == "i64":
                code.emit("i64.extend_i32_s" if is_signed(src) else "i64.extend_i32_u")
            if bit_width(dst) < 32:
                normalize(code, dst)
            return
        if is_integer(src):  # → float
            code.emit(f"{dw}.convert_{sw}_{'s' if is_signed(src) else 'u'}")
            return
        if is_float(dst):
            code.emit("f64.promote_f32" if dst is Prim.F64 else "f32.demote_f64")
            return
        # float → integer: trapping truncation; 8/16-bit go through 32 bits of the same signedness
        sign = "s" if is_signed(dst) else "u"
        code.emit(f"{'i64' if dw == 'i64' else 'i32'}.trunc_{sw}_{sign}")
        if bit_width(dst) < 32:
            normalize(code, dst)

    # -------------------------------------------------------------------------------------- calls

    def args(self, e: ast.Call) -> None:
        for a in e.args:
            self.expr(a)

    def call(self, e: ast.Call) -> None:
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
        elif name in ("page_size", "active_data_start", "active_data_len"):
            v = self.env.static_builtin(name, self.memid_value(e.args[0]))
            code.emit("i32.const", v)
        else:
            raise CodegenError(f"unsupported built-in {name}", e.span)

    def memid_value(self, arg: ast.Expr) -> int:
        if isinstance(arg, ast.IntLit):
            return arg.value
        if isinstance(arg, ast.Name):
            v = self.env.static(arg.id) if self.symbol(arg).kind is VarKind.BUILTIN \
                else self.env.constant(arg.id)
            if v is not None:
                return int(v)  # type: ignore[call-overload]
        raise CodegenError("memory ids must be compile-time constants", arg.span)

    def method(self, e: ast.MethodCall) -> None:
        code = self.code
        m = e.method
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

    # --------------------------------------------------------------------------------------- maps

    def map_id(self, node: ast.Expr) -> None:
        if isinstance(node, ast.Name):
            self.env.storage(self.symbol(node)).load(self.code, self.env)
            return
        self.expr(node)

    def map_type(self, node: ast.Expr) -> MapType:
        """The type of a map operand (assignment targets record no type for the map name itself)."""
        t = self.symbol(node).type if isinstance(node, ast.Name) else self.type_of(node)
        if not isinstance(t, MapType):
            raise CodegenError("not a map", node.span)
        return t

    def store_key(self, key: ast.Expr, kt: WhammType, at: int) -> None:
        """Evaluate ``key`` and write it into the scratch area at ``at`` (runtime layout)."""
        code = self.code
        parts = mem_parts(kt, at)
        mem = self.env.memory
        if len(parts) == 1:
            code.emit("i32.const", 0)
            self.expr(key)
            code.emit(parts[0][2], memarg(parts[0][2], parts[0][0], mem))
            return
        self.expr(key)
        temps = self.stash(kt)
        for (off, _, store, _), t in zip(parts, temps):
            code.emit("i32.const", 0)
            code.emit("local.get", t)
            code.emit(store, memarg(store, off, mem))
        self.env.pool.release(*temps)

    def map_slot(self, e: ast.Index, insert: bool) -> int:
        """Call ``whamm_map_slot``/``whamm_map_get`` for ``m[k]``; the value's address ends in a new
        temporary local (the caller releases it)."""
        code = self.code
        mt = self.map_type(e.map)
        scratch = self.env.scratch()
        # the key may itself read maps: evaluate it completely before filling the scratch area
        self.store_key(e.key, mt.key, scratch)
        self.map_id(e.map)
        code.emit("i32.const", scratch)
        code.emit("call", self.env.func("whamm_map_slot" if insert else "whamm_map_get"))
        ptr = self.env.pool.temp("i32")
        code.emit("local.set", ptr)
        return ptr

    def map_get(self, e: ast.Index) -> None:
        m = e.map
        if isinstance(m, ast.Name):
            if self.symbol(m).kind is VarKind.BOUND:  # br_table `targets`: a static table
                table = self.env.static(m.id)
                if not isinstance(table, Mapping):
                    raise InternalError(f"no static table `{m.id}` at this site")
                self.static_lookup(e, table)
                return
        mt = self.map_type(m)
        ptr = self.map_slot(e, insert=False)
        PtrStorage(mt.value, self.env.memory, ptr).load(self.code, self.env)
        self.env.pool.release(ptr)

    def static_lookup(self, e: ast.Index, table: Mapping[int, int]) -> None:
        """``targets[k]`` of ``br_table``: a chain of selects over the static entries, absent → 0; no
        script-visible map id is used (EVENTS.md §8.4)."""
        code = self.code
        self.expr(e.key)
        k = self.env.pool.temp("i32")
        code.emit("local.set", k)
        code.emit("i32.const", 0)
        for index, depth in sorted(table.items()):     # [so far, depth, k != index] → select
            code.emit("i32.const", depth)               # keeps "so far" unless k == index
            code.emit("local.get", k)
            code.emit("i32.const", index)
            code.emit("i32.ne")
            code.emit("select")
        self.env.pool.release(k)

    def map_put(self, target: ast.Index, value: ast.Expr) -> None:
        code = self.code
        mt = self.map_type(target.map)
        mem = self.env.memory
        self.expr(target.key)
        key_temps = self.stash(mt.key)
        self.expr(value)
        value_temps = self.stash(mt.value)
        scratch = self.env.scratch()
        key_parts = mem_parts(mt.key, scratch)
        value_at = scratch + _size(mt.key)
        value_parts = mem_parts(mt.value, value_at)
        for (off, _, store, _), t in zip(key_parts + value_parts, key_temps + value_temps):
            code.emit("i32.const", 0)
            code.emit("local.get", t)
            code.emit(store, memarg(store, off, mem))
        self.env.pool.release(*key_temps, *value_temps)
        self.map_id(target.map)
        code.emit("i32.const", scratch)
        code.emit("i32.const", value_at)
        code.emit("call", self.env.func("whamm_map_put"))


class _AltTypeError(CodegenError):
    def __init__(self, span: Span | None) -> None:
        super().__init__("alt probe returns a value of the wrong type", span)


def _size(t: WhammType) -> int:
    return value_size(t)
