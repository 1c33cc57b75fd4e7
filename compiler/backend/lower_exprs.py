"""Expressions of a whamm body → Wasm instructions: literals, names, fields, operators, casts
(LANGUAGE.md §6), and the operand-stack helpers every part of the lowering uses.

A mixin of :class:`compiler.backend.lowering.BodyCompiler`, kept apart from the statements, calls and maps
because it is the part that knows the flattened value representation (see that module's docstring);
calls (:mod:`compiler.backend.lower_calls`) and map accesses (:mod:`compiler.backend.lower_maps`) are
reached through ``self``, so the mixins are only usable combined in ``BodyCompiler``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, TYPE_CHECKING

from compiler.backend.instrs import Code, CodegenError, const, flat, normalize, parts_range, wasm1
from compiler.lang import ast, values
from compiler.lang.scopes import Symbol, VarKind, symbol_of, type_of
from compiler.lang.types import Prim, TupleType, WhammType, bit_width, is_float, is_integer, is_signed

if TYPE_CHECKING:
    from compiler.backend.target import Env

__all__ = ["ExprLowering", "Stashed"]

_CMP = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


_ARITH = {"+": "add", "-": "sub", "*": "mul", "&": "and", "|": "or", "^": "xor", "<<": "shl"}


_WRAPPING = frozenset({"+", "-", "*", "<<", "/"})


@dataclass(frozen=True, slots=True)
class Stashed(ast.Expr):
    """A value already computed into temporaries (its flattened values in ``locals``), standing where the
    lowering takes an expression: a map key or operand of ``m[k] OP= e`` evaluated before the map
    lookup, the left side of ``x %= y`` on floats, which the remainder sequence reads twice."""

    locals: tuple[int, ...] = ()
    span: object = None


class ExprLowering:
    """Pushes the flattened Wasm values of an expression onto the operand stack of ``self.code``."""

    env: Env
    code: Code

    def type_of(self, e: ast.Expr) -> WhammType:
        """The checked type of ``e`` (the typed tree's, :func:`~compiler.lang.scopes.type_of`)."""
        return type_of(e)

    def symbol(self, name: ast.Name) -> Symbol:
        """The symbol a checked name resolved to."""
        return symbol_of(name)

    def temps_for(self, t: WhammType) -> list[int]:
        """Fresh temporaries for the flattened values of type ``t``."""
        return [self.env.pool.temp(w) for w in flat(t)]

    def stash(self, t: WhammType) -> list[int]:
        """Pop a value of type ``t`` into fresh temporaries (release them when done)."""
        temps = self.temps_for(t)
        for i in reversed(temps):
            self.code.emit("local.set", i)
        return temps

    def push(self, temps: Sequence[int]) -> None:
        """Push temporaries' values, in order."""
        for i in temps:
            self.code.emit("local.get", i)

    def drop(self, t: WhammType) -> None:
        """Drop a value of type ``t`` (one ``drop`` per flattened value)."""
        for _ in flat(t):
            self.code.emit("drop")

    def expr(self, e: ast.Expr) -> None:
        """Push the flattened values of ``e``; an expression kind the lowering does not know is a
        :class:`CodegenError`."""
        code = self.code
        if isinstance(e, ast.IntLit):
            t = self.type_of(e)
            if is_float(t):
                code.add(const(wasm1(t), values.int_literal(e.value, t)))  # type: ignore[arg-type]
            else:
                code.add(const(wasm1(t), values.wrap(e.value, t)))  # type: ignore[arg-type]
        elif isinstance(e, ast.FloatLit):
            t = self.type_of(e)
            code.add(const(wasm1(t), values.float_literal(e.text, t)))  # type: ignore[arg-type]
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
                w = wasm1(t)
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
        elif isinstance(e, Stashed):
            self.push(e.locals)
        else:
            raise CodegenError("unsupported expression", e.span)

    def string(self, data: bytes) -> None:
        """Push a string as ``(addr, len)``; the empty string is ``(0, 0)`` and needs no memory."""
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
            code.add(const(wasm1(t), float(value)))  # type: ignore[arg-type]
        else:
            code.add(const(wasm1(t), values.wrap(int(value), t) if is_integer(t) else value))  # type: ignore

    def name(self, e: ast.Name) -> None:
        """A variable's value: a static bound variable as a constant of its site, a dynamic one from the target
        (:meth:`Env.bound`), anything else from its storage."""
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
        """``t.N``: read from the variable's storage when ``t`` is one, else the whole tuple is computed and
        the element kept."""
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
        """Binary operators (LANGUAGE.md §6.4–§6.6): short-circuit ``&&``/``||``, string equality by the helper,
        signedness-dependent opcodes, and re-normalisation of narrow integers after wrapping operations."""
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
        w = wasm1(t)
        if op_ in _CMP:
            name = _CMP[op_]
            if is_integer(t) and op_ not in ("==", "!="):
                name += "_s" if is_signed(t) else "_u"
            code.emit(f"{w}.{name}")
            return
        self.arith(op_, t, e.span)

    def operate(self, op_: str, t: WhammType, right: ast.Expr) -> None:
        """With a value of type ``t`` on the stack, push ``right`` and apply ``op_`` (the arithmetic,
        bitwise or shift operator of ``x OP= right``), as :meth:`binary` does for ``x OP right``."""
        code = self.code
        if is_float(t) and op_ == "%":
            w = wasm1(t)
            a = self.env.pool.temp(w)
            code.emit("local.set", a)
            self.float_rem(ast.Binary("%", Stashed((a,), checked_type=t), right, right.span), t)
            self.env.pool.release(a)
            return
        self.expr(right)
        self.arith(op_, t, right.span)

    def arith(self, op_: str, t: WhammType, span) -> None:
        """The opcode(s) of an arithmetic, bitwise or shift operator on two values of type ``t`` on the stack."""
        code = self.code
        w = wasm1(t)
        if op_ in _ARITH:
            code.emit(f"{w}.{_ARITH[op_]}")
        elif op_ == ">>":
            code.emit(f"{w}.shr_{'s' if is_signed(t) else 'u'}")
        elif op_ == "/":
            code.emit(f"{w}.div" if is_float(t) else f"{w}.div_{'s' if is_signed(t) else 'u'}")
        elif op_ == "%":
            code.emit(f"{w}.rem_{'s' if is_signed(t) else 'u'}")
        else:
            raise CodegenError(f"unsupported operator {op_}", span)
        if op_ in _WRAPPING and is_integer(t):
            normalize(code, t)

    def float_rem(self, e: ast.Binary, t: WhammType) -> None:
        """``copysign(a - floor(a / b) * b, a)`` in the operand type (LANGUAGE.md §6.5)."""
        code = self.code
        w = wasm1(t)
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
            w = wasm1(src)
            code.add(const(w, 0))
            code.emit(f"{w}.ne")
            return
        if src is Prim.BOOL:
            if is_float(dst):
                code.emit(f"{wasm1(dst)}.convert_i32_u")
            elif wasm1(dst) == "i64":
                code.emit("i64.extend_i32_u")
            return
        sw, dw = wasm1(src), wasm1(dst)
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
