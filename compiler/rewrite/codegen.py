"""whamm expressions, statements and functions → Wasm instructions (LANGUAGE.md §5–§12, REWRITING.md §7, §9).

A value of whamm type ``T`` is its *flattened* Wasm values on the operand stack (``wasm_types(T)``): an
``i32`` for ``u8 … u32``, ``i8 … i32``, ``bool`` (0/1) and map ids, ``i64`` for the 64-bit integers,
``f32``/``f64``, an ``(addr, len)`` pair for ``str`` (bytes in the instrumentation memory) and the
concatenated elements of a tuple.  8- and 16-bit integers are kept *normalised* in their ``i32``
(zero-extended for ``u8``/``u16``, sign-extended for ``i8``/``i16``), so comparisons, division and
widening casts need no extra work and every operation that can leave the range re-normalises (§6.5).
:mod:`compiler.lang.values` is the oracle these sequences are tested against.

Where a variable lives is a :class:`Storage` chosen by the layout (:mod:`compiler.rewrite.layout`):
Wasm globals, Wasm locals, a slot at a constant address of the instrumentation memory, a frame local
mirrored into a report slot, a pointer into a map's value, or an operand saved in a local.  The compiler
asks its :class:`Env` for the storage of each symbol, so the same code compiles probe bodies (inlined at
sites), user functions (D3), script-level statements and the ``wasm:begin/end/report`` bodies.

Generated code stays lean on purpose (issue 4's overhead target): ``count++`` on a global is
``global.get; i32.const 1; i32.add; global.set`` and on a per-site slot a load/add/store at a constant
address — no calls, no temporaries.
"""
from __future__ import annotations

import abc
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from compiler.errors import InternalError, WhammError
from compiler.lang import ast, values
from compiler.lang.scopes import Callee, CalleeKind, Symbol, VarKind, fact
from compiler.lang.types import (
    MapType, Prim, TupleType, WhammType, bit_width, is_float, is_integer, is_signed, wasm_types,
)
from compiler.rewrite.runtime_abi import value_size
from compiler.wasm.model import FuncType, Instr, MemArg, ValType
from compiler.wasm.opcodes import BY_NAME

if TYPE_CHECKING:
    from compiler.lang.diagnostics import Span

__all__ = [
    "CodegenError", "Code", "LocalPool", "Storage", "GlobalStorage", "LocalStorage", "MemStorage",
    "FrameStorage", "PtrStorage", "OperandStorage", "ConstStorage", "Env", "BodyCompiler",
    "mem_parts", "flat", "normalize", "const", "memarg", "Helper", "string_helpers", "STRING_HELPERS",
    "always_returns", "contains_return", "op",
]


class CodegenError(WhammError):
    """A construct that cannot be compiled at a site (e.g. an ``alt`` body without a value); carries the
    span of the offending node so the caller can render it as a script diagnostic."""

    def __init__(self, message: str, span: Span | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


# ------------------------------------------------------------------------------------------------
# Instruction building

_OPS = BY_NAME
_new = tuple.__new__


def op(name: str, *imms: object) -> Instr:
    """An instruction by text-format name (immediates unchecked: this is internal, trusted code)."""
    return _new(Instr, (_OPS[name], imms, -1))


def flat(t: WhammType) -> tuple[str, ...]:
    """The flattened Wasm types of a whamm type (``()`` for the empty tuple)."""
    return wasm_types(t)


def const(valtype: str, value: object) -> Instr:
    """A constant of a Wasm number type from a Python value (floats as values, not bits)."""
    if valtype == "i32":
        v = int(value) & 0xFFFFFFFF  # type: ignore[call-overload]
        return op("i32.const", v - (1 << 32) if v >> 31 else v)
    if valtype == "i64":
        v = int(value) & 0xFFFFFFFFFFFFFFFF  # type: ignore[call-overload]
        return op("i64.const", v - (1 << 64) if v >> 63 else v)
    if valtype == "f32":
        return op("f32.const", struct.unpack("<I", struct.pack("<f", value))[0])
    if valtype == "f64":
        return op("f64.const", struct.unpack("<Q", struct.pack("<d", value))[0])
    raise ValueError(f"no constant of type {valtype}")


class Code:
    """An instruction list under construction, with the label stack of the code it builds.

    Branches name labels by object; :meth:`depth` turns one into the relative depth at the current
    position, so nesting generated code never needs renumbering (STYLE.md §1).
    """

    __slots__ = ("instrs", "labels")

    def __init__(self) -> None:
        self.instrs: list[Instr] = []
        self.labels: list[object] = []

    def emit(self, name: str, *imms: object) -> None:
        self.instrs.append(_new(Instr, (_OPS[name], imms, -1)))

    def add(self, instr: Instr) -> None:
        self.instrs.append(instr)

    def extend(self, instrs: Sequence[Instr]) -> None:
        self.instrs.extend(instrs)

    def open(self, name: str, blocktype: object, label: object = None) -> object:
        """Open ``block``/``loop``/``if`` and return its label."""
        self.emit(name, blocktype)
        lab = label if label is not None else object()
        self.labels.append(lab)
        return lab

    def else_(self) -> None:
        self.emit("else")

    def end(self) -> None:
        self.emit("end")
        self.labels.pop()

    def depth(self, label: object) -> int:
        for i in range(len(self.labels) - 1, -1, -1):
            if self.labels[i] is label:
                return len(self.labels) - 1 - i
        raise KeyError("branch to a label that is not open")

    def br(self, label: object) -> None:
        self.emit("br", self.depth(label))


class LocalPool:
    """The locals a body adds after its existing ones, with reuse of released temporaries.

    ``first`` is the index of the first added local (parameters plus the input's locals), so the
    input's local indices — and ``localN`` — never change (REWRITING.md §6.8).
    """

    __slots__ = ("first", "types", "free")

    def __init__(self, first: int) -> None:
        self.first = first
        self.types: list[ValType] = []
        self.free: dict[ValType, list[int]] = {}

    def new(self, valtype: ValType) -> int:
        """A dedicated local (never reused)."""
        self.types.append(valtype)
        return self.first + len(self.types) - 1

    def temp(self, valtype: ValType) -> int:
        """A temporary; give it back with :meth:`release` once its value is dead."""
        free = self.free.get(valtype)
        if free:
            return free.pop()
        return self.new(valtype)

    def release(self, *indices: int) -> None:
        for i in indices:
            self.free.setdefault(self.types[i - self.first], []).append(i)

    def groups(self) -> list[tuple[int, ValType]]:
        """The added locals as ``(count, type)`` runs, for a body's locals declaration."""
        out: list[tuple[int, ValType]] = []
        for t in self.types:
            if out and out[-1][1] == t:
                out[-1] = (out[-1][0] + 1, t)
            else:
                out.append((1, t))
        return out


# ------------------------------------------------------------------------------------------------
# Values in memory and normalisation

_LOAD = {Prim.U8: "i32.load8_u", Prim.I8: "i32.load8_s", Prim.U16: "i32.load16_u", Prim.I16: "i32.load16_s",
         Prim.U32: "i32.load", Prim.I32: "i32.load", Prim.BOOL: "i32.load", Prim.U64: "i64.load",
         Prim.I64: "i64.load", Prim.F32: "f32.load", Prim.F64: "f64.load"}
_STORE = {Prim.U8: "i32.store8", Prim.I8: "i32.store8", Prim.U16: "i32.store16", Prim.I16: "i32.store16",
          Prim.U32: "i32.store", Prim.I32: "i32.store", Prim.BOOL: "i32.store", Prim.U64: "i64.store",
          Prim.I64: "i64.store", Prim.F32: "f32.store", Prim.F64: "f64.store"}
_WASM = {Prim.U64: "i64", Prim.I64: "i64", Prim.F32: "f32", Prim.F64: "f64"}


def mem_parts(t: WhammType, base: int = 0) -> list[tuple[int, str, str, str]]:
    """Per flattened value of ``t``: ``(offset, load op, store op, wasm type)`` in the runtime's packed
    layout (runtime/README.md "Values in memory": ``u8`` 1 byte, ``u16`` 2, ``str`` an address/length
    pair, tuples concatenated without padding; a map is its ``i32`` id)."""
    out: list[tuple[int, str, str, str]] = []

    def walk(t: WhammType, off: int) -> int:
        if isinstance(t, TupleType):
            for e in t.elems:
                off = walk(e, off)
            return off
        if isinstance(t, MapType):
            out.append((off, "i32.load", "i32.store", "i32"))
            return off + 4
        if t is Prim.STR:
            out.append((off, "i32.load", "i32.store", "i32"))
            out.append((off + 4, "i32.load", "i32.store", "i32"))
            return off + 8
        load = _LOAD[t]  # type: ignore[index]
        out.append((off, load, _STORE[t], _WASM.get(t, "i32")))  # type: ignore[arg-type]
        size = 1 if load.startswith("i32.load8") else 2 if load.startswith("i32.load16") else \
            8 if load.startswith(("i64", "f64")) else 4
        return off + size

    walk(t, base)
    return out


_ALIGN = {"i32.load8_u": 0, "i32.load8_s": 0, "i32.store8": 0, "i32.load16_u": 1, "i32.load16_s": 1,
          "i32.store16": 1, "i32.load": 2, "i32.store": 2, "f32.load": 2, "f32.store": 2, "i64.load": 3,
          "i64.store": 3, "f64.load": 3, "f64.store": 3}


def memarg(name: str, offset: int, memory: int) -> MemArg:
    """The memarg of a load/store: natural alignment (a hint; slots are aligned, packed tuple elements
    may not be, which Wasm allows)."""
    return MemArg(_ALIGN[name], offset, memory)


def parts_range(t: WhammType, path: Sequence[int]) -> tuple[int, int, WhammType]:
    """Which flattened values a tuple element occupies: ``(first, count, element type)``."""
    first = 0
    for index in path:
        assert isinstance(t, TupleType)
        for e in t.elems[:index]:
            first += len(flat(e))
        t = t.elems[index]
    return first, len(flat(t)), t


def normalize(code: Code, t: WhammType) -> None:
    """Bring an ``i32`` holding a wrapped 8/16-bit result back into the type's range (§6.5)."""
    if t is Prim.U8:
        code.emit("i32.const", 0xFF)
        code.emit("i32.and")
    elif t is Prim.U16:
        code.emit("i32.const", 0xFFFF)
        code.emit("i32.and")
    elif t is Prim.I8:
        code.emit("i32.extend8_s")
    elif t is Prim.I16:
        code.emit("i32.extend16_s")


# ------------------------------------------------------------------------------------------------
# Storage: where a variable lives


class Storage(abc.ABC):
    """How to read and write one variable of type ``type``.

    Writing is two-phase because memory stores need their address *below* the value:
    ``store_prefix`` is emitted before the value is computed and ``store_suffix`` after.  A partial
    access (a tuple element, §9.1) gives the ``path`` of element indices.
    """

    type: WhammType

    @abc.abstractmethod
    def load(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        raise NotImplementedError

    def store_prefix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        """Emitted before the value."""

    @abc.abstractmethod
    def store_suffix(self, code: Code, env: Env, path: Sequence[int] = ()) -> None:
        raise NotImplementedError


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


# ------------------------------------------------------------------------------------------------
# The environment a body is compiled in


class Env(abc.ABC):
    """Everything code generation needs from the layout and the site, for one body.

    Subclasses (in :mod:`compiler.rewrite.inject` and :mod:`compiler.rewrite.exit`) answer for their
    context; the defaults here reject what the context cannot provide.
    """

    pool: LocalPool
    memory: int               # output index of the instrumentation memory (-1: none)

    def storage(self, sym: Symbol) -> Storage:
        raise CodegenError(f"`{sym.name}` cannot be used here")

    @abc.abstractmethod
    def func(self, name: str) -> int:
        """Output function index of a runtime export, helper (``whamm:…``) or user function (``fn:…``)."""
        raise NotImplementedError

    @abc.abstractmethod
    def string(self, data: bytes) -> int:
        """Address of a string literal in the instrumentation memory."""
        raise NotImplementedError

    @abc.abstractmethod
    def blocktype(self, results: tuple[str, ...]) -> object:
        """A block type producing ``results``: none, one value type, or a type index."""
        raise NotImplementedError

    @abc.abstractmethod
    def library_func(self, library: str, name: str) -> int:
        raise NotImplementedError

    @abc.abstractmethod
    def memory_index(self, memid: int) -> int:
        """Output memory index of a memory id (LANGUAGE.md §11.1)."""
        raise NotImplementedError

    @abc.abstractmethod
    def scratch(self) -> int:
        """Address of the scratch area for map keys and values (one map call at a time)."""
        raise NotImplementedError

    def static(self, name: str) -> object:
        """A static binding of the site (``fid``, ``targets``, ``APP_MEMID``…), or None."""
        return None

    def bound(self, code: Code, compiler: BodyCompiler, name: str, t: WhammType) -> None:
        """Push a dynamic bound variable (argN, addr, effective_addr, target, …)."""
        raise CodegenError(f"`{name}` is not available here")

    def bound_call(self, code: Code, compiler: BodyCompiler, e: ast.Call, callee: Callee) -> None:
        """Compile a call of an event's bound function (alt_call_*, resolve_funcref, dup_at…)."""
        raise CodegenError(f"{callee.name} cannot be called here", e.span)

    @abc.abstractmethod
    def decl_symbol(self, decl: ast.VarDecl) -> Symbol:
        """The symbol a declaration in this body declares (:func:`compiler.lang.scopes.declared_symbol`)."""
        raise NotImplementedError

    @abc.abstractmethod
    def memid(self, library: str) -> int:
        """``memid(lib)`` (LANGUAGE.md §11.1)."""
        raise NotImplementedError

    def constant(self, name: str) -> object:
        """The value of a compile-time constant global (§7.4), or None."""
        return None

    @abc.abstractmethod
    def static_builtin(self, name: str, memid: int) -> int:
        """``page_size``/``active_data_start``/``active_data_len`` of an application memory."""
        raise NotImplementedError


# ------------------------------------------------------------------------------------------------
# The compiler

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

    ``types``/``names``/``calls`` are the checker's (and folder's) tables keyed by ``id(node)``.
    ``ret_label``/``ret_types`` say what ``return`` means: leave a probe body (no value), leave an
    ``alt`` body with the replacement values, or return from a user function (``ret_label`` None).
    """

    def __init__(self, env: Env, types: Mapping[int, WhammType], names: Mapping[int, Symbol],
                 calls: Mapping[int, Callee], code: Code | None = None) -> None:
        self.env = env
        self.types = types
        self.names = names
        self.calls = calls
        self.code = code if code is not None else Code()
        self.ret_label: object = None
        self.ret_types: tuple[str, ...] | None = None
        self.function_return = False
        self.skip_init_calls = False

    # -------------------------------------------------------------------------------- helpers

    def type_of(self, e: ast.Expr) -> WhammType:
        return fact(self.types, e, "type")

    def symbol(self, name: ast.Name) -> Symbol:
        return fact(self.names, name, "symbol")

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
            sym = self.decl_symbol(s)
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

    def decl_symbol(self, d: ast.VarDecl) -> Symbol:
        return self.env.decl_symbol(d)

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
        callee = fact(self.calls, e, "callee")
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




# ------------------------------------------------------------------------------------------------
# Generated helper functions for strings (LANGUAGE.md §9.2): bytes in the instrumentation memory

@dataclass(frozen=True, slots=True)
class Helper:
    """A generated function: its name in the name section, type, added locals and code."""

    name: str
    type: FuncType
    locals: tuple[tuple[int, ValType], ...]
    instrs: tuple[Instr, ...]


def _seq(*items: tuple) -> tuple[Instr, ...]:
    return tuple(op(name, *imms) for name, *imms in items)


def string_helpers(memory: int, func: Mapping[str, int]) -> list[Helper]:
    """``whamm:bytes_eq`` and the string predicates built on it, in the order of :data:`STRING_HELPERS`.

    ``func`` gives the output index of each helper (they call ``whamm:bytes_eq``).
    """
    i32 = "i32"
    ld = MemArg(0, 0, memory)
    eq = func["whamm:bytes_eq"]
    # bytes_eq(a, b, n): the n bytes at a and b are equal
    bytes_eq = Helper("whamm:bytes_eq", FuncType((i32, i32, i32), (i32,)), ((1, i32),), _seq(
        ("block", None), ("loop", None),
        ("local.get", 3), ("local.get", 2), ("i32.ge_u",), ("br_if", 1),
        ("local.get", 0), ("local.get", 3), ("i32.add",), ("i32.load8_u", ld),
        ("local.get", 1), ("local.get", 3), ("i32.add",), ("i32.load8_u", ld),
        ("i32.ne",), ("if", None), ("i32.const", 0), ("return",), ("end",),
        ("local.get", 3), ("i32.const", 1), ("i32.add",), ("local.set", 3),
        ("br", 0), ("end",), ("end",), ("i32.const", 1), ("end",)))
    sig = FuncType((i32, i32, i32, i32), (i32,))
    # str_eq(a, alen, b, blen)
    str_eq = Helper("whamm:str_eq", sig, (), _seq(
        ("local.get", 1), ("local.get", 3), ("i32.ne",), ("if", None), ("i32.const", 0), ("return",),
        ("end",), ("local.get", 0), ("local.get", 2), ("local.get", 1), ("call", eq), ("end",)))
    # starts_with(s, slen, p, plen)
    starts = Helper("whamm:str_starts_with", sig, (), _seq(
        ("local.get", 3), ("local.get", 1), ("i32.gt_u",), ("if", None), ("i32.const", 0), ("return",),
        ("end",), ("local.get", 0), ("local.get", 2), ("local.get", 3), ("call", eq), ("end",)))
    ends = Helper("whamm:str_ends_with", sig, (), _seq(
        ("local.get", 3), ("local.get", 1), ("i32.gt_u",), ("if", None), ("i32.const", 0), ("return",),
        ("end",), ("local.get", 0), ("local.get", 1), ("i32.add",), ("local.get", 3), ("i32.sub",),
        ("local.get", 2), ("local.get", 3), ("call", eq), ("end",)))
    # contains(s, slen, p, plen): try every start 0 … slen - plen (local 4 = i)
    contains = Helper("whamm:str_contains", sig, ((1, i32),), _seq(
        ("local.get", 3), ("local.get", 1), ("i32.gt_u",), ("if", None), ("i32.const", 0), ("return",),
        ("end",),
        ("loop", None),
        ("local.get", 0), ("local.get", 4), ("i32.add",), ("local.get", 2), ("local.get", 3), ("call", eq),
        ("if", None), ("i32.const", 1), ("return",), ("end",),
        ("local.get", 4), ("i32.const", 1), ("i32.add",), ("local.tee", 4),
        ("local.get", 1), ("local.get", 3), ("i32.sub",), ("i32.le_u",), ("br_if", 0),
        ("end",), ("i32.const", 0), ("end",)))
    return [bytes_eq, str_eq, starts, ends, contains]


#: Names of the string helpers, in the order :func:`string_helpers` returns them.
STRING_HELPERS = ("whamm:bytes_eq", "whamm:str_eq", "whamm:str_starts_with", "whamm:str_ends_with",
                  "whamm:str_contains")
