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

The lowering is one class, :class:`BodyCompiler`, put together from one module per idea: statements
here, expressions in :mod:`compiler.backend.lower_exprs`, calls and built-ins in
:mod:`compiler.backend.lower_calls`, maps in :mod:`compiler.backend.lower_maps`.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, TYPE_CHECKING

from compiler.backend.instrs import Code, CodegenError, const, flat, normalize, parts_range, wasm1
from compiler.backend.lower_calls import CallLowering
from compiler.backend.lower_exprs import ExprLowering, Stashed
from compiler.backend.lower_maps import MapLowering
from compiler.backend.lower_output import OutputLowering
from compiler.backend.storage import PtrStorage, Storage
from compiler.backend.target import Env
from compiler.lang import ast, values
from compiler.lang.scopes import Symbol, VarKind, symbol_of
from compiler.lang.types import Prim, TupleType, WhammType, is_integer

if TYPE_CHECKING:
    from compiler.lang.diagnostics import Span

__all__ = ["contains_return", "always_returns", "BodyCompiler"]


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


class BodyCompiler(ExprLowering, CallLowering, MapLowering, OutputLowering):
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
        """Compile the statements of ``b`` in order."""
        for s in b.stmts:
            self.stmt(s)

    def stmt(self, s: ast.Stmt) -> None:
        """Compile one statement; a statement kind the lowering does not know is a :class:`CodegenError`."""
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
        elif isinstance(s, ast.CompoundAssign):
            self.compound(s)
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
            if is_integer(t) and wasm1(t) == "i32":
                self.expr(e.left)
                return
        self.expr(e)

    def if_stmt(self, s: ast.If) -> None:
        """``if``/``elif``/``else`` as nested Wasm ``if`` blocks, one per ``elif``."""
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
        """``return`` in the current context: from a user function, out of a probe body (a branch to
        ``ret_label``), or with the replacement values of an ``alt`` body."""
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
        """``target = value`` for a variable, a tuple element (``t.0``) or a map entry."""
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
        """Store ``value`` into the element at ``path`` of a variable of type ``t`` through its storage."""
        storage.store_prefix(self.code, self.env, path)
        self.expr(value)
        storage.store_suffix(self.code, self.env, path)

    def incdec(self, s: ast.IncDec) -> None:
        """``x++``/``x--`` read, adjusted and re-normalised in place (on a map entry through one slot lookup)."""
        self.update(s.target, "+" if s.op == "++" else "-", None)

    def compound(self, s: ast.CompoundAssign) -> None:
        """``x OP= e`` (ANALYSIS.md §2): like ``x++``, the target's storage (a map entry's slot, inserted
        as zero when absent, D7) is found once, then read, combined with ``e`` and written back.  A map
        key is evaluated before ``e``, as in ``m[k] = m[k] OP e`` read left to right."""
        self.update(s.target, s.op, s.value)

    def update(self, target: ast.Expr, op_: str, value: ast.Expr | None) -> None:
        """``target = target OP value`` with the target located once; ``value`` None means the constant 1.
        On a map element, the key and ``value`` are computed before the slot is looked up: either may
        call into the map runtime (or a function that inserts), which would move the slot."""
        code = self.code
        p: list[int] = []
        node = target
        while isinstance(node, ast.Field):
            p.append(node.index)
            node = node.tuple
        p.reverse()
        path = tuple(p)
        if isinstance(node, ast.Index):
            mt = self.map_type(node.map)
            t = parts_range(mt.value, path)[2]
            if value is not None:
                self.expr(node.key)
                node = dataclasses.replace(node, key=Stashed(tuple(self.stash(mt.key)), checked_type=mt.key))
                self.expr(value)
                value = Stashed(tuple(self.stash(t)), checked_type=t)
            ptr = self.map_slot(node, insert=True)
            storage: Storage = PtrStorage(mt.value, self.env.memory, ptr)
        else:
            assert isinstance(node, ast.Name)
            sym = self.symbol(node)
            storage = self.env.storage(sym)
            t = parts_range(sym.type, path)[2]
            ptr = -1
        storage.store_prefix(code, self.env, path)
        storage.load(code, self.env, path)
        if value is None:
            w = wasm1(t)
            code.add(const(w, 1))
            code.emit(f"{w}.{'add' if op_ == '+' else 'sub'}")
            normalize(code, t)
        else:
            self.operate(op_, t, value)
        storage.store_suffix(code, self.env, path)
        if ptr >= 0:
            self.env.pool.release(ptr)
        if isinstance(node, ast.Index) and isinstance(node.key, Stashed):
            self.env.pool.release(*node.key.locals)
        if isinstance(value, Stashed):
            self.env.pool.release(*value.locals)



class _AltTypeError(CodegenError):
    def __init__(self, span: Span | None) -> None:
        super().__init__("alt probe returns a value of the wrong type", span)
