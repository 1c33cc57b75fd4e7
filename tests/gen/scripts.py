"""A typed random-script generator: the grammar and type rules of LANGUAGE.md → valid whamm scripts.

Every script the generator writes must pass ``whamm check``; the differential tests then compile it
several ways (rewriting vs the wei emulator, static folding on vs off) and compare the reports.  The
generator is written from the spec, not from the compiler (it imports nothing from ``compiler``), so a
script the checker rejects means one of the two misreads the spec.

Decisions come from a :class:`Choices` source.  :class:`RandomChoices` is seeded (the CI run is
deterministic and a failure names its seed) and records every decision; :func:`shrink` replays a
recorded decision list with decisions lowered towards 0, which the generator always treats as the
simplest option (a leaf instead of an operator, no more statements), so a failing script shrinks to a
small one.  :class:`DrawChoices` draws the same decisions from hypothesis, for property tests.

Scope of the language covered: script-level globals and report globals with initializers; maps with
integer, bool, str and tuple keys; tuples (nested, field reads and writes); strings (literals with
escapes, static bound strings, methods, equality); user functions (including a bounded recursive one
and map parameters); predicates mixing static bound variables (``fid``, ``fname``, ``pc``, ``immN``,
...) with dynamic ones (``argN``, ``localN``, globals, calls); every variable kind (probe-local,
report, unshared, shared, frame); casts between all primitive types; ternaries; ``&&``/``||``;
arithmetic in every integer and float width; at low probability the analysis constructs of ANALYSIS.md
§1–§2 (aggregates, compound assignment, ``printf``, ``print``, ``delete``, ``clear``, ``m.len()``).  A
``wasm:begin`` body never writes a global that a per-site initialiser reads (see :meth:`Generator.special`).
Run-time traps are generated only behind guards
(``d != 0 && d != -1 ? n / d : 0``, float→int casts only of values inside ``(-1000, 1000)``), so the
generated scripts never trap.

Profiles: :data:`WEI` keeps to what the engine target expresses (WEI.md §2; one probe per event so
that no two probes merge, §8); :data:`REWRITE` adds ``after``/``alt``/block modes, frame variables (aggregates too),
a ``callstack`` profile with ``stack_depth`` (§3) and assignments to operands.  ``alt`` probes return exactly what the replaced instruction computes, and
assignments to operands store the operand's own value, so the application behaves the same.
"""
from __future__ import annotations

import abc
import random
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence, Union

# ------------------------------------------------------------------------------------------ choices


class Choices(abc.ABC):
    """A source of decisions; ``below(n)`` is in ``0 .. n-1`` and 0 is always the simplest option."""

    @abc.abstractmethod
    def below(self, n: int) -> int:
        """The next decision, in ``0 .. n-1``."""

    def chance(self, percent: int) -> bool:
        """True with probability ``percent``%; shrinks to False."""
        return self.below(100) >= 100 - percent

    def pick(self, options: Sequence):
        return options[self.below(len(options))]


class RandomChoices(Choices):
    """Seeded decisions, recorded in ``made`` so that :func:`shrink` can replay and lower them."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.made: list[int] = []

    def below(self, n: int) -> int:
        v = self.rng.randrange(n) if n > 1 else 0
        self.made.append(v)
        return v


class ReplayChoices(Choices):
    """Decisions from a list (past its end: 0, the simplest); values too large for ``n`` wrap."""

    def __init__(self, made: Sequence[int]) -> None:
        self.todo = list(made)
        self.made: list[int] = []

    def below(self, n: int) -> int:
        v = self.todo.pop(0) if self.todo else 0
        v = v % n if n > 1 else 0
        self.made.append(v)
        return v


class DrawChoices(Choices):
    """Decisions drawn from hypothesis (``st.data()``), so hypothesis shrinks them."""

    def __init__(self, data) -> None:
        from hypothesis import strategies as st
        self.data = data
        self.st = st

    def below(self, n: int) -> int:
        return self.data.draw(self.st.integers(0, n - 1)) if n > 1 else 0


# -------------------------------------------------------------------------------------------- types

INTS = ("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64")
FLOATS = ("f32", "f64")
NUMERIC = INTS + FLOATS
KEY_PRIMS = INTS + ("bool", "str")
BITS = {"u8": 8, "i8": 8, "u16": 16, "i16": 16, "u32": 32, "i32": 32, "u64": 64, "i64": 64}


@dataclass(frozen=True)
class Tup:
    elems: tuple


@dataclass(frozen=True)
class Map:
    key: object
    value: object


@dataclass(frozen=True)
class Agg:
    """An aggregate (ANALYSIS.md §1), written as ``text``; never a value, only ``.add()``-ed and read."""
    text: str


T = Union[str, Tup, Map, Agg]

#: The aggregate types a script may declare (low probability: one script in ten has one).
AGG_TYPES = (Agg("stats"), Agg("hist"), Agg("lhist(-20, 100, 7)"), Agg("lhist(0, 4096, 256)"))
#: What an aggregate's reader returns.
AGG_READERS = {"stats": (("count", "u64"), ("sum", "i64"), ("min", "i64"), ("max", "i64"), ("avg", "i64"))}


def tname(t: T) -> str:
    if isinstance(t, Agg):
        return t.text
    if isinstance(t, Tup):
        return "(" + ", ".join(tname(e) for e in t.elems) + ")"
    if isinstance(t, Map):
        return f"map<{tname(t.key)}, {tname(t.value)}>"
    return t


def signed(t: str) -> bool:
    return t.startswith("i")


def int_range(t: str) -> tuple[int, int]:
    b = BITS[t]
    return (-(1 << (b - 1)), (1 << (b - 1)) - 1) if signed(t) else (0, (1 << b) - 1)


# --------------------------------------------------------------------------------------- the events

@dataclass(frozen=True)
class Bound:
    """A bound variable of an event: name, type, static (known at match time)."""

    name: str
    type: str
    static: bool


PROVIDER = (Bound("fid", "u32", True), Bound("pc", "u32", True), Bound("opidx", "u32", True),
            Bound("fname", "str", True), Bound("at_func_end", "bool", True))
OPCODE = (Bound("opname", "str", True), Bound("bytecode", "u16", True), Bound("category_id", "u32", True),
          Bound("category_name", "str", True))
CALLEE = (Bound("imm0", "u32", True), Bound("target_fn_name", "str", True),
          Bound("target_fn_type", "str", True), Bound("target_imp_module", "str", True))
MEM = (Bound("addr", "u32", False), Bound("offset", "u64", True), Bound("align", "u32", True),
       Bound("memory", "u32", True), Bound("effective_addr", "u32", False), Bound("data_size", "u32", True),
       Bound("is_write", "bool", True))


@dataclass(frozen=True)
class Event:
    """An event the generator targets: its rule (without mode), bound variables, the modes the
    profiles may use, and for ``alt`` the replacement body that computes what the instruction does."""

    rule: str
    bound: tuple[Bound, ...]
    modes: tuple[str, ...] = ("before",)
    results: tuple[Bound, ...] = ()          # bound in `after` probes
    alt: str | None = None                   # `return <this>;` replaces the instruction
    operand_self: str | None = None          # `argN = <this>;` stores the operand's own value
    type_bound: str = ""                     # e.g. "(arg0: i32)"


#: Per-event constants (EVENTS.md §7.1): the same at every site of an event.
EVENT_CONSTANTS = ("opname", "bytecode", "category_id", "category_name", "data_size", "is_write")
A0_I32, A1_I32 = Bound("arg0", "i32", False), Bound("arg1", "i32", False)
EVENTS = (
    Event("wasm:opcode:call", PROVIDER + OPCODE + CALLEE, ("before",)),
    Event("wasm:opcode:call", PROVIDER + OPCODE + CALLEE + (A0_I32,), ("before",), type_bound="(arg0: i32)",
          operand_self="arg0"),
    Event("wasm:opcode:call", PROVIDER + OPCODE + CALLEE, ("after",), results=(Bound("res0", "i32", False),),
          type_bound="(res0: i32)"),
    Event("wasm:opcode:i32.add", PROVIDER + OPCODE + (A0_I32, A1_I32), ("before", "after", "alt"),
          alt="arg1 + arg0", operand_self="arg1"),
    Event("wasm:opcode:i32.sub", PROVIDER + OPCODE + (A0_I32, A1_I32), ("before", "alt"), alt="arg1 - arg0"),
    Event("wasm:opcode:i32.mul", PROVIDER + OPCODE + (A0_I32, A1_I32), ("before", "alt"), alt="arg1 * arg0"),
    Event("wasm:opcode:i32.lt_u", PROVIDER + OPCODE + (Bound("arg0", "u32", False), Bound("arg1", "u32", False))),
    Event("wasm:opcode:i32.eqz", PROVIDER + OPCODE + (A0_I32,)),
    Event("wasm:opcode:i64.add", PROVIDER + OPCODE + (Bound("arg0", "i64", False), Bound("arg1", "i64", False)),
          ("before", "alt"), alt="arg1 + arg0"),
    Event("wasm:opcode:i64.mul", PROVIDER + OPCODE + (Bound("arg0", "i64", False), Bound("arg1", "i64", False))),
    Event("wasm:opcode:br_if", PROVIDER + OPCODE + (Bound("arg0", "u32", False), Bound("imm0", "u32", True)),
          ("before", "after", "at_target")),
    Event("wasm:opcode:br_table", PROVIDER + OPCODE + (
        Bound("arg0", "u32", False), Bound("imm0", "u32", True), Bound("num_targets", "u32", True),
        Bound("default_target", "u32", True), Bound("target", "u32", False))),
    Event("wasm:opcode:if", PROVIDER + OPCODE + (Bound("arg0", "u32", False),),
          ("before", "after", "entry", "exit")),
    Event("wasm:opcode:block", PROVIDER + OPCODE, ("before", "after", "entry", "exit")),
    Event("wasm:opcode:loop", PROVIDER + OPCODE, ("before", "entry")),
    Event("wasm:opcode:i32.const", PROVIDER + OPCODE + (Bound("imm0", "i32", True),)),
    Event("wasm:opcode:local.get", PROVIDER + OPCODE + (Bound("imm0", "u32", True),)),
    Event("wasm:opcode:local.set", PROVIDER + OPCODE + (Bound("imm0", "u32", True), A0_I32), ("before",),
          type_bound="(arg0: i32)"),
    Event("wasm:opcode:i32.load", PROVIDER + OPCODE + MEM + (Bound("arg0", "u32", False),), ("before", "after"),
          results=(Bound("res0", "i32", False),)),
    Event("wasm:opcode:i32.store", PROVIDER + OPCODE + MEM + (A0_I32, Bound("arg1", "u32", False))),
    Event("wasm:opcode:i32.load8_u|i32.store8", PROVIDER + OPCODE + MEM),
    Event("wasm:func:entry", PROVIDER, ("",)),
    Event("wasm(local0: i32):func:entry", PROVIDER + (Bound("local0", "i32", False),), ("",)),
    Event("wasm:func:exit", PROVIDER, ("",)),
    Event("wasm:block:start", PROVIDER, ("",)),
    Event("wasm:block:end", PROVIDER + (Bound("instr_count", "u32", True),), ("",)),
)
#: Events that run very often on larger apps: probes on them stay cheap (no loops exist, but user
#: functions and recursion multiply the work) — the generator gives them shorter bodies.
HOT = ("wasm:opcode:local.get", "wasm:opcode:i32.const", "wasm:block:start", "wasm:block:end")


@dataclass(frozen=True)
class Profile:
    name: str
    modes: frozenset[str]
    frame: bool               # frame variables
    assign_operands: bool     # argN = argN-like stores
    one_probe_per_event: bool  # WEI.md §8: no merged exports
    whole_predicates: bool  # predicates wholly static or without per-site static values
    call_stacks: bool = False  # callstack / stack_depth (rewriting only: the wei target refuses them)


WEI = Profile("wei", frozenset({"before", ""}), frame=False, assign_operands=False, one_probe_per_event=True,
              whole_predicates=True)
REWRITE = Profile("rewrite", frozenset({"before", "", "after", "alt", "entry", "exit", "at_target"}), frame=True,
                  assign_operands=True, one_probe_per_event=False, whole_predicates=False, call_stacks=True)

# -------------------------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Var:
    name: str
    type: T
    writable: bool = True
    static: bool = False      # a static bound variable (folds per site)
    per_visit: bool = False   # a value of the current visit (operands, probe locals): not in initializers
    shared_ok: bool = True    # usable in a shared initializer (no per-site value)


@dataclass
class Fn:
    name: str
    params: tuple[tuple[str, T], ...]
    result: T | None
    recursive: bool = False


@dataclass
class Scope:
    """What an expression may use here."""

    vars: list[Var]
    calls: bool = True             # user function calls
    maps: bool = True              # map reads
    dynamic: bool = True           # anything not static (False in unshared/shared initializers)
    per_site: bool = True          # fid, pc, ... (False in shared initializers)
    fn: Fn | None = None           # the function being defined (calls only to earlier ones)

    def usable(self, t: T | None = None) -> list[Var]:
        out = []
        for v in self.vars:
            if t is not None and v.type != t:
                continue
            if isinstance(v.type, (Map, Agg)) and t is None:
                continue
            if not self.dynamic and v.per_visit:
                continue
            if not self.per_site and not v.shared_ok:
                continue
            out.append(v)
        return out


def pure(sc: Scope) -> Scope:
    """``sc`` without user function calls (they may write globals), for the left operand of ``&&`` and
    ``||``: LANGUAGE.md §13.2 folds ``x && false`` to ``false`` and never evaluates ``x``, while without
    folding ``x`` runs, so a side effect there would tell folding on and off apart by design."""
    return replace(sc, calls=False)


STRINGS = ('""', '"calc"', '"main"', '"a\\tb"', '"\\u{1F600}"', '"x\\x41\\n"', '"mem"', '"fd_write"', '"call"',
           '"i32.add"', '"local"', '"import"', '"ma"', '"c"', '"\\"q\\""')
FLOAT_LITS = ("0.0", "1.5", "-2.25", "0.1", "3.0", "-0.0", "1e10", "2.5e-3", "100.75", "-7.0")


@dataclass
class Script:
    text: str
    seed: int | None
    profile: str
    decisions: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return f"# seed {self.seed} ({self.profile} profile)\n{self.text}"


# ---------------------------------------------------------------------------------------- generator

class Generator:
    """One script.  Expressions are written fully parenthesised, so precedence never matters."""

    def __init__(self, ch: Choices, profile: Profile) -> None:
        self.ch = ch
        self.profile = profile
        self.fns: list[Fn] = []
        self.globals: list[Var] = []
        self.counter = 0
        self.prints = False
        #: Globals read by per-site (unshared, report) initialisers: ``wasm:begin`` must not write them.
        self.site_init_reads: set[str] = set()

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # ------------------------------------------------------------------------------------- types

    def prim(self) -> str:
        return self.ch.pick(("u32", "i32", "bool", "u8", "i64", "u64", "f64", "i8", "u16", "i16", "f32", "str"))

    def value_type(self, depth: int = 1) -> T:
        if depth > 0 and self.ch.chance(15):
            return Tup(tuple(self.value_type(depth - 1) for _ in range(2 + self.ch.below(2))))
        return self.prim()

    def key_type(self, depth: int = 1) -> T:
        if depth > 0 and self.ch.chance(30):
            return Tup(tuple(self.key_type(depth - 1) for _ in range(2 + self.ch.below(2))))
        return self.ch.pick(("u32", "i32", "bool", "str", "u8", "i64", "u64", "i16", "u16", "i8"))

    def var_type(self, allow_map: bool) -> T:
        if allow_map and self.ch.chance(20):
            return Map(self.key_type(), self.value_type())
        return self.value_type()

    # -------------------------------------------------------------------------------- expressions

    def literal(self, t: T, small: bool = False) -> str:
        if isinstance(t, Tup):
            return "(" + ", ".join(self.literal(e, small) for e in t.elems) + ")"
        if t == "bool":
            return self.ch.pick(("true", "false"))
        if t == "str":
            return self.ch.pick(STRINGS)
        if t in FLOATS:
            return self.ch.pick(FLOAT_LITS)
        lo, hi = int_range(t)
        if small:
            lo, hi = max(lo, -100), min(hi, 100)
        k = self.ch.below(6)
        v = (0, 1, 2, hi, lo, None)[k]
        if v is None:
            v = lo + self.ch.below(1 << 30) * (hi - lo) // (1 << 30) if not small else self.ch.below(hi - lo + 1) + lo
        if small and not (-(1 << 31) <= v < (1 << 31)):
            v = 7
        return str(v) if k != 5 or self.ch.chance(70) else (hex(v) if v >= 0 else str(v))

    def expr(self, t: T, sc: Scope, depth: int, context: bool = True) -> str:
        """An expression of type ``t``.  ``context`` says whether a literal placed here takes ``t`` from
        the surroundings (LANGUAGE.md §6.3); without it literals are kept small so that their default
        type (``i32``) is harmless."""
        if isinstance(t, Map):
            return self.ch.pick([v.name for v in sc.usable(t)])
        options: list[Callable[[], str]] = [lambda: self.leaf(t, sc, context)]
        if not sc.usable(t) and isinstance(t, Map):
            raise AssertionError(f"no map of type {tname(t)} in scope")
        if depth > 0:
            options += self.compound(t, sc, depth - 1, context)
        return self.ch.pick(options)()

    def leaf(self, t: T, sc: Scope, context: bool) -> str:
        if t in ("u64", "i64") and sc.dynamic:
            aggs = [v for v in sc.vars if isinstance(v.type, Agg)]
            if aggs and self.ch.chance(30):
                a = self.ch.pick(aggs)
                readers = [m for m, rt in AGG_READERS.get(a.type.text, (("count", "u64"),)) if rt == t]
                if readers:
                    return f"{a.name}.{self.ch.pick(readers)}()"
        names = [v.name for v in sc.usable(t)]
        if names and self.ch.chance(65):
            return self.ch.pick(names)
        if isinstance(t, Tup) and not context:
            return "(" + ", ".join(self.leaf(e, sc, True) for e in t.elems) + ")"
        if not context and t in NUMERIC:
            return f"({self.literal(t, small=True)} as {t})"
        return self.literal(t)

    def compound(self, t: T, sc: Scope, d: int, context: bool) -> list[Callable[[], str]]:
        ch = self.ch
        out: list[Callable[[], str]] = []
        out.append(lambda: f"(({self.expr('bool', sc, d)}) ? ({self.expr(t, sc, d, context)}) : "
                           f"({self.expr(t, sc, d, context)}))")
        fns = [f for f in self.callable(sc) if f.result == t and not (sc.fn is f)]
        if fns:
            out.append(lambda: self.call(ch.pick(fns), sc, d))
        maps = [v for v in sc.vars if isinstance(v.type, Map) and v.type.value == t] if sc.maps and sc.dynamic \
            else []
        if maps:
            out.append(lambda: self.map_read(ch.pick(maps), sc, d))
        holders = [(v, i) for v in sc.usable() if isinstance(v.type, Tup) for i, e in enumerate(v.type.elems)
                   if e == t]
        if holders:
            def field_read() -> str:
                v, i = ch.pick(holders)
                return f"{v.name}.{i}"
            out.append(field_read)
        if t in INTS:
            out.append(lambda: self.arith(t, sc, d, context))
            out.append(lambda: self.arith(t, sc, d, context))
            out.append(lambda: f"(~({self.expr(t, sc, d, context)}))")
            out.append(lambda: self.division(t, sc, d, context))
            out.append(lambda: self.cast_to(t, sc, d))
            if t == "u32":
                out.append(lambda: f"(({self.expr('str', sc, d)}).len())")
                counted = [v for v in sc.vars if isinstance(v.type, Map)] if sc.maps and sc.dynamic else []
                if counted:
                    out.append(lambda: f"({ch.pick(counted).name}.len())")
        elif t in FLOATS:
            out.append(lambda: self.arith(t, sc, d, context))
            out.append(lambda: self.cast_to(t, sc, d))
            out.append(lambda: f"(({self.expr(t, sc, d, context)}) / ({self.expr(t, sc, d)}))")
        elif t == "bool":
            out.append(lambda: self.compare(sc, d))
            out.append(lambda: self.compare(sc, d))
            out.append(lambda: f"(({self.expr('bool', pure(sc), d)}) {ch.pick(('&&', '||'))} "
                               f"({self.expr('bool', sc, d)}))")
            out.append(lambda: f"(!({self.expr('bool', sc, d)}))")
            out.append(lambda: f"(({self.expr('bool', sc, d)}) {ch.pick(('&', '|', '^'))} "
                               f"({self.expr('bool', sc, d)}))")
            out.append(lambda: self.str_method(sc, d))
            out.append(lambda: self.cast_to("bool", sc, d))
        elif isinstance(t, Tup):
            out.append(lambda: "(" + ", ".join(self.expr(e, sc, d) for e in t.elems) + ")")
        return out

    def arith(self, t: str, sc: Scope, d: int, context: bool) -> str:
        """Without a context the left operand is not a literal, so the right one takes its type."""
        ops = ("+", "-", "*", "&", "|", "^", "<<", ">>") if t in INTS else ("+", "-", "*", "%")
        return f"(({self.expr(t, sc, d, context)}) {self.ch.pick(ops)} ({self.expr(t, sc, d)}))"

    def division(self, t: str, sc: Scope, d: int, context: bool) -> str:
        """``/`` or ``%`` guarded against the traps of §6.5 (zero divisor; ``MIN / -1``)."""
        n, q = self.expr(t, sc, d, context), self.expr(t, sc, d, context=False)
        guard = f"(({q}) != 0)" + (f" && (({q}) != -1)" if signed(t) else "")
        return f"(({guard}) ? (({n}) {self.ch.pick(('/', '%'))} ({q})) : ({self.literal(t)}))"

    def cast_to(self, t: str, sc: Scope, d: int) -> str:
        src = self.ch.pick(NUMERIC + ("bool",)) if t != "bool" else self.ch.pick(NUMERIC)
        e = self.expr(src, sc, d, context=False)
        if src in FLOATS and t in INTS:
            # §6.2: NaN and out-of-range values trap (to 8/16 bits: out of the 32-bit range of the same
            # signedness, so -2.5 as u8 traps); cast only values known to be in range
            low = "-1000.0" if signed(t) else "-1.0"
            return f"(((({e}) > {low}) && (({e}) < 1000.0)) ? (({e}) as {t}) : ({self.literal(t)}))"
        return f"(({e}) as {t})"

    def compare(self, sc: Scope, d: int) -> str:
        t = self.ch.pick(("u32", "i32", "str", "bool", "i64", "u8", "f64", "i8", "u64", "f32", "u16", "i16"))
        ops = ("==", "!=") if t in ("str", "bool") else ("==", "!=", "<", "<=", ">", ">=")
        left = self.expr(t, sc, d, context=False)
        return f"(({left}) {self.ch.pick(ops)} ({self.expr(t, sc, d)}))"

    def str_method(self, sc: Scope, d: int) -> str:
        m = self.ch.pick(("starts_with", "ends_with", "contains"))
        return f"(({self.expr('str', sc, d)}).{m}({self.expr('str', sc, d)}))"

    def map_read(self, m: Var, sc: Scope, d: int) -> str:
        return f"{m.name}[{self.expr(m.type.key, sc, d)}]"

    def callable(self, sc: Scope) -> list[Fn]:
        if not sc.calls or not sc.dynamic:
            return []
        if sc.fn is not None:
            mine = self.fns.index(sc.fn)
            fns = self.fns[:mine]
        else:
            fns = self.fns
        return [f for f in fns if all(sc.usable(pt) for _, pt in f.params if isinstance(pt, Map))]

    def call(self, f: Fn, sc: Scope, d: int) -> str:
        args = []
        for i, (_, pt) in enumerate(f.params):
            if f.recursive and i == 0:
                # the depth argument: the recursion ends after at most 4 levels
                args.append("(depth - 1)" if sc.fn is f else f"(({self.expr('u32', sc, d)}) % 4)")
            elif isinstance(pt, Map):
                args.append(self.ch.pick([v.name for v in sc.usable(pt)]))
            else:
                args.append(self.expr(pt, sc, d))
        return f"{f.name}({', '.join(args)})"

    # --------------------------------------------------------------------------------- statements

    def block(self, sc: Scope, depth: int, budget: int, probe: "ProbeCtx | None") -> list[str]:
        out: list[str] = []
        while budget > 0 and (not out or self.ch.chance(75)):
            budget -= 1
            out.extend(self.stmt(sc, depth, probe))
        return out

    def stmt(self, sc: Scope, depth: int, probe: "ProbeCtx | None") -> list[str]:
        ch = self.ch
        d = 2 if depth > 0 else 1
        kinds = ["assign", "assign", "incdec", "decl", "if", "call", "map", "field", "return"]
        k = ch.pick(kinds)
        writable = [v for v in sc.vars if v.writable and not isinstance(v.type, Map)]
        if k == "assign" and writable:
            observable = [v for v in writable if not v.per_visit]   # globals and report variables
            v = ch.pick(observable if observable and ch.chance(60) else writable)
            return [f"{v.name} = {self.expr(v.type, sc, d)};"]
        if k == "incdec":
            nums = [v for v in writable if v.type in NUMERIC]
            if nums:
                v = ch.pick(nums)
                if ch.chance(25):
                    return [self.compound_assign(v.name, v.type, sc, d)]
                return [f"{v.name}{ch.pick(('++', '--'))};"]
        if k == "decl":
            return self.local_decl(sc, d, probe)
        if k == "if" and depth > 0:
            lines = [f"if ({self.expr('bool', sc, d)}) {{", *self.indent(self.block(sc, depth - 1, 3, probe)), "}"]
            while ch.chance(30):
                lines[-1] = f"}} elif ({self.expr('bool', sc, d)}) {{"
                lines += [*self.indent(self.block(sc, depth - 1, 2, probe)), "}"]
            if ch.chance(40):
                lines[-1] = "} else {"
                lines += [*self.indent(self.block(sc, depth - 1, 2, probe)), "}"]
            return lines
        if k == "call":
            if ch.chance(8):
                return [self.printf(sc, d)]
            if sc.vars and ch.chance(4):   # print(v) (ANALYSIS.md §2): any variable, maps and aggregates too
                return [f"print({ch.pick(sc.vars).name});"]
            fns = self.callable(sc)
            if fns:
                return [self.call(ch.pick(fns), sc, d) + ";"]
        if k == "map":
            maps = [v for v in sc.vars if isinstance(v.type, Map) and not isinstance(v.type.value, Agg)]
            if maps:
                m = ch.pick(maps)
                target = f"{m.name}[{self.expr(m.type.key, sc, d)}]"
                if ch.chance(12):   # delete(m[k]), clear(m) (ANALYSIS.md §2)
                    return [f"delete({target});"] if ch.chance(85) else [f"clear({m.name});"]
                if m.type.value in NUMERIC and ch.chance(50):
                    if ch.chance(30):
                        return [self.compound_assign(target, m.type.value, sc, d)]
                    return [f"{target}{ch.pick(('++', '--'))};"]
                return [f"{target} = {self.expr(m.type.value, sc, d)};"]
        if k == "field":
            tups = [v for v in writable if isinstance(v.type, Tup)]
            if tups:
                v = ch.pick(tups)
                path, t = v.name, v.type
                while isinstance(t, Tup):
                    i = ch.below(len(t.elems))
                    path, t = f"{path}.{i}", t.elems[i]
                    if not ch.chance(50):
                        break
                return [f"{path} = {self.expr(t, sc, d)};"]
        if k == "return" and probe is not None and probe.may_return:
            return ["if (" + self.expr("bool", sc, d) + ") {", "    return;", "}"]
        if probe is not None and probe.assignable and ch.chance(50):
            name, value = ch.pick(probe.assignable)
            return [f"{name} = {value};"]
        return self.local_decl(sc, d, probe)

    def compound_assign(self, target: str, t: str, sc: Scope, d: int) -> str:
        """``target OP= e`` (ANALYSIS.md §2) without the trapping ``/=`` and ``%=``."""
        ops = ("+", "-", "*", "&", "|", "^", "<<", ">>") if t in INTS else ("+", "-", "*")
        return f"{target} {self.ch.pick(ops)}= {self.expr(t, sc, d)};"

    def printf(self, sc: Scope, d: int) -> str:
        """One ``printf`` conversion of a generated value, between bars so a width shows."""
        ch = self.ch
        t = ch.pick(NUMERIC + ("bool", "str"))
        conv = ch.pick(("%d", "%5u", "%-8x", "%+d", "%08X", "%o", "%.3d")) if t in INTS else \
            ch.pick(("%g", "%.3f", "%12.4e", "%+g", "%-10.2f")) if t in FLOATS else ch.pick(("%s", "%-6s", "%.2s"))
        return f'printf("{self.fresh("p")}|{conv}|\\n", {self.expr(t, sc, d)});'

    def local_decl(self, sc: Scope, d: int, probe: "ProbeCtx | None") -> list[str]:
        """A probe-local or function-local variable, initialised in its declaration or (both forms must
        mean the same: issue 9, wrong result 1 dropped initializers) by a separate assignment."""
        t = self.value_type()
        name = self.fresh("l")
        lines = [f"var {name}: {tname(t)};"]
        if self.ch.chance(60):
            init = self.expr(t, sc, d)
            if self.ch.chance(75):
                lines = [f"var {name}: {tname(t)} = {init};"]
            else:
                lines.append(f"{name} = {init};")
        sc.vars.append(Var(name, t, per_visit=True))
        return lines

    @staticmethod
    def indent(lines: list[str]) -> list[str]:
        return ["    " + x for x in lines]

    # -------------------------------------------------------------------------------- top level

    def script(self) -> str:
        ch = self.ch
        top: list[str] = []
        # globals, with script-level initializers (run at start, in order)
        for _ in range(1 + ch.below(4)):
            t = self.var_type(allow_map=True)
            name = self.fresh("g")
            report = ch.chance(70)
            decl = f"{'report ' if report else ''}var {name}: {tname(t)}"
            if not isinstance(t, Map) and ch.chance(40):
                sc = Scope(list(self.globals), calls=False)
                decl += f" = {self.expr(t, sc, 1)}"
            top.append(decl + ";")
            self.globals.append(Var(name, t))
        # user functions (defined before the probes, callable from them)
        for i in range(ch.below(4)):
            top.extend(self.function(recursive=(i == 0 and ch.chance(50))))
        if ch.chance(20):
            sc = Scope(list(self.globals))
            g = ch.pick(self.globals)
            if not isinstance(g.type, (Map, Agg)):
                top.append(f"{g.name} = {self.expr(g.type, sc, 2)};")
        probes = []
        used_events: set[tuple[str, str]] = set()
        alt_events: set[str] = set()
        for _ in range(1 + ch.below(4)):
            p = self.probe(used_events, alt_events)
            if p:
                probes.extend(p)
        if not probes:
            probes = [*self.probe_text(EVENTS[0], "before", None, ["g_none = g_none + 1;"])]
            top.insert(0, "var g_none: u32;")
        specials = []
        if ch.chance(30):
            specials += self.special("wasm:begin")
        if ch.chance(40):
            specials += self.special("wasm:end")
        if ch.chance(10):   # drawn last: the scripts of every other seed stay as they were
            top += self.aggregates(probes)
        if self.profile.call_stacks and ch.chance(10):   # drawn last again
            top += self.call_stacks(probes)
        head = ["use whamm_core;"] if self.prints else []
        return "\n".join(head + top + probes + specials) + "\n"

    def aggregates(self, probes: list[str]) -> list[str]:
        """Aggregate globals (ANALYSIS.md §1: stats, histograms, maps of them) and a probe that adds to
        them and reads them into report variables; returns the declarations, appends the probe.  The
        probe writes nothing else, so the rest of the script behaves as without it."""
        ch = self.ch
        decls = []
        aggs = []
        for _ in range(1 + ch.below(2)):
            t = ch.pick(AGG_TYPES)
            if ch.chance(40):
                t = Map(self.key_type(), t)
            name = self.fresh("a")
            decls.append(f"{'report ' if ch.chance(80) else ''}var {name}: {tname(t)};")
            aggs.append(Var(name, t, writable=False))
        self.globals.extend(aggs)
        sc = Scope(list(self.globals), calls=False)
        body = []
        for _ in range(1 + ch.below(4)):
            a = ch.pick(aggs)
            target = a.name if isinstance(a.type, Agg) else f"{a.name}[{self.expr(a.type.key, sc, 1)}]"
            body.append(f"{target}.add({self.expr(ch.pick(INTS), sc, 2)});")
        for a in aggs:
            if isinstance(a.type, Agg):
                name = self.fresh("r")
                body.append(f"report unshared var {name}: u64;")
                body.append(f"{name} = {a.name}.count();")
        probes.extend(self.probe_text(EVENTS[0], "before", None, body))
        if self.profile.frame and ch.chance(50):   # drawn last again: the script so far stays as it was
            self.frame_aggregate(probes, sc)
        return decls

    def call_stacks(self, probes: list[str]) -> list[str]:
        """A profile keyed by ``callstack`` and a sum of ``stack_depth`` (ANALYSIS.md §3): the shadow stack
        is added, and every exit path of every function must keep it right for the counts to agree."""
        ch = self.ch
        profile, depths = self.fresh("cs"), self.fresh("sd")
        predicate = f"stack_depth < {1 + ch.below(4)}" if ch.chance(50) else None
        event = ch.pick([e for e in EVENTS if e.rule in ("wasm:opcode:call", "wasm:func:exit")])
        mode = ch.pick(list(event.modes)) if event.modes else ""
        probes.extend(self.probe_text(event, mode, predicate,
                                      [f"{profile}[callstack]++;", f"{depths} = {depths} + stack_depth as u64;"]))
        return [f"report var {profile}: map<str, u32>;", f"report var {depths}: u64;"]

    def frame_aggregate(self, probes: list[str], sc: Scope) -> None:
        """A ``frame`` aggregate (docs/AGGREGATES.md) added to at calls and read at ``func:exit`` into a
        ``report frame`` variable: one per activation, its report row the last activation's."""
        ch = self.ch
        t = ch.pick(AGG_TYPES)
        name, seen = self.fresh("fa"), self.fresh("r")
        decl = f"{'report ' if ch.chance(50) else ''}frame var {name}: {tname(t)};"
        probes.extend(self.probe_text(EVENTS[0], "before", None,
                                      [decl, f"{name}.add({self.expr(ch.pick(INTS), sc, 2)});"]))
        exit_event = next(e for e in EVENTS if e.rule == "wasm:func:exit")
        probes.extend(self.probe_text(exit_event, "", None,
                                      [decl, f"report frame var {seen}: u64;", f"{seen} = {name}.count();"]))

    def function(self, recursive: bool) -> list[str]:
        ch = self.ch
        name = self.fresh("f")
        params: list[tuple[str, T]] = []
        if recursive:
            params.append(("depth", "u32"))
        for _ in range(ch.below(3)):
            t = self.var_type(allow_map=ch.chance(30))
            params.append((self.fresh("p"), t))
        result = None if ch.chance(25) else self.value_type()
        if recursive and result is None:
            result = "u32"
        f = Fn(name, tuple(params), result, recursive)
        self.fns.append(f)
        # the depth parameter is read-only, so the recursion always ends
        sc = Scope([*self.globals, *(Var(n, t, writable=n != "depth", per_visit=True) for n, t in params)], fn=f)
        body: list[str] = []
        if recursive:
            body += ["if (depth == 0) {", f"    return {self.expr(result, Scope(sc.vars, calls=False), 1)};", "}"]
        body += self.block(sc, 1, 3, None)
        if recursive:
            body.append(f"return {self.call(f, sc, 1)};")   # linear recursion: one call per level
        elif result is not None:
            body.append(f"return {self.expr(result, sc, 2)};")
        sig = ", ".join(f"{n}: {tname(t)}" for n, t in params)
        arrow = f" -> {tname(result)}" if result is not None else ""
        return [f"fn {name}({sig}){arrow} {{", *self.indent(body), "}"]

    def special(self, rule: str) -> list[str]:
        """A ``wasm:begin`` or ``wasm:end`` probe.  ``wasm:begin`` writes no global that a per-site
        initialiser reads, and calls no user function (which may write one): the two targets run those
        initialisers at different times, both as specified — rewriting before ``wasm:begin``
        (REWRITING.md §4 steps 4, 5), the engine when it attaches the probe, after the monitor's start
        function has run ``wasm:begin`` (WEI.md §9 steps 1, 2) — so such a script means two things."""
        sc = Scope(list(self.globals))
        if rule == "wasm:begin" and self.site_init_reads:
            sc = Scope([replace(v, writable=False) if v.name in self.site_init_reads else v for v in self.globals],
                       calls=False)
        body = self.block(sc, 1, 2, None)
        if self.ch.chance(60):
            self.prints = True
            t = self.ch.pick(("i32", "u32", "i64", "u64", "f64", "f32", "bool"))
            fn = {"i32": "puti32", "u32": "putu32", "i64": "puti64", "u64": "putu64", "f64": "putf64",
                  "f32": "putf32", "bool": "putbool"}[t]
            wasm_t = {"u32": "i32", "u64": "i64", "bool": "i32"}.get(t, t)
            arg = self.expr(t, sc, 2)
            body += [f"whamm_core.{fn}(({arg}) as {wasm_t});" if wasm_t != t else f"whamm_core.{fn}({arg});",
                     "whamm_core.putc(10);"]
        return [f"{rule} {{", *self.indent(body), "}"]

    def probe(self, used: set, alt_events: set) -> list[str]:
        ch = self.ch
        pairs = [(e, m) for e in EVENTS for m in e.modes if m in self.profile.modes]
        e, mode = ch.pick(pairs)
        key = (re.sub(r"\(.*?\)", "", e.rule).split(":")[2], mode)
        if self.profile.one_probe_per_event and key[0] in {k[0] for k in used}:
            return []
        if mode == "alt":
            if e.rule in alt_events:
                return []
            alt_events.add(e.rule)
        used.add(key)
        bound = [Var(b.name, b.type, writable=False, static=b.static, per_visit=not b.static,
                     shared_ok=b.name in EVENT_CONSTANTS)
            for b in e.bound + (e.results if mode == "after" else ())
            if not (mode == "alt" and b.name.startswith("res"))]
        # the predicate sees bound variables and globals; body declarations come later
        pred = None
        if ch.chance(70):
            pred = self.predicate([*self.globals, *bound])
        pc = ProbeCtx(may_return=mode != "alt", assignable=[])
        if self.profile.assign_operands and e.operand_self and mode in ("before", "alt"):
            pc.assignable.append((e.operand_self, f"({e.operand_self} ^ 0)"))
        sc = Scope([*self.globals, *bound])
        body: list[str] = []
        hot = e.rule in HOT
        # special variables first (their initializers see only static values and earlier ones)
        for _ in range(ch.below(4)):
            body += self.special_decl(sc, e, mode)
        body += self.block(sc, 0 if hot else 2, 2 if hot else 6, pc)
        if mode == "alt":
            body.append(f"return {e.alt};")
        return self.probe_text(e, mode, pred, body)

    def probe_text(self, e: Event, mode: str, pred: str | None, body: list[str]) -> list[str]:
        rule = e.rule
        if e.type_bound:
            rule += e.type_bound
        if mode:
            rule += ":" + mode
        head = rule + (f" / {pred} /" if pred is not None else "")
        return [head + " {", *self.indent(body), "}"]

    def predicate(self, visible: list[Var]) -> str:
        """A predicate whose parts fold differently per site: comparisons of static bound variables
        with values that occur in the apps, combined with dynamic parts.

        For the wei profile a predicate is either wholly static or uses no per-site static value: the
        engine target decides a predicate at match time only when it is wholly static and otherwise
        attaches the probe at every site (WEI.md §6), where rewriting would fold a mixed predicate to
        ``false`` at some sites and leave out their report rows (LANGUAGE.md §13.2)."""
        ch = self.ch
        if self.profile.whole_predicates:
            if ch.chance(50):
                visible = [v for v in visible if v.static]
                sc = Scope(visible, calls=False, maps=False)
            else:
                visible = [v for v in visible if not v.static or v.name in EVENT_CONSTANTS]
                sc = Scope(visible)
        else:
            sc = Scope(visible)
        statics = [v for v in sc.vars if v.static]

        def part(sc: Scope) -> str:
            if statics and ch.chance(60):
                v = ch.pick(statics)
                if v.type == "str":
                    m = ch.pick(("==", "!=", ".starts_with", ".contains"))
                    s = ch.pick(('"calc"', '"main"', '"mem"', '"c"', '"i32.add"', '""', '"fd_write"'))
                    return f"({v.name} {m} {s})" if m in ("==", "!=") else f"({v.name}{m}({s}))"
                if v.type == "bool":
                    return f"({ch.pick(('', '!'))}{v.name})"
                return f"({v.name} {ch.pick(('==', '!=', '<', '>=', '>'))} {ch.pick((0, 1, 2, 3, 5, 8, 20, 40))})"
            return self.expr("bool", sc, 2)

        parts = 1 + ch.below(3)
        e = part(pure(sc) if parts > 1 else sc)
        for k in range(1, parts):
            e = f"({e} {ch.pick(('&&', '||'))} {part(pure(sc) if k < parts - 1 else sc)})"
        return e

    def special_decl(self, sc: Scope, e: Event, mode: str) -> list[str]:
        """A report/unshared/shared/frame variable, with an initializer of static values (§7.2)."""
        ch = self.ch
        kinds = ["report", "unshared", "report unshared", "shared", "report shared"]
        if self.profile.frame:
            kinds += ["frame", "report frame"]
        kind = ch.pick(kinds)
        t = self.var_type(allow_map="frame" not in kind)
        name = self.fresh("s")
        decl = f"{kind} var {name}: {tname(t)}"
        if "frame" not in kind and not isinstance(t, Map) and ch.chance(50):
            init_sc = Scope(sc.vars, calls=False, maps=False, dynamic=False, per_site="shared" not in kind.split())
            init = self.expr(t, init_sc, 1)
            if "shared" not in kind.split():
                self.site_init_reads.update(re.findall(r"\bg\d+\b", init))
            decl += f" = {init}"
        sc.vars.append(Var(name, t, shared_ok="shared" in kind.split(), per_visit="frame" in kind))
        return [decl + ";"]


@dataclass
class ProbeCtx:
    may_return: bool
    assignable: list[tuple[str, str]]


def generate(ch: Choices, profile: Profile = REWRITE) -> str:
    return Generator(ch, profile).script()


def from_seed(seed: int, profile: Profile = REWRITE) -> Script:
    ch = RandomChoices(seed)
    return Script(generate(ch, profile), seed, profile.name, ch.made)


def shrink(script: Script, fails: Callable[[str], bool], profile: Profile, budget: int = 150) -> Script:
    """The smallest script found (by replaying lowered decisions) for which ``fails`` still holds.
    Greedy: truncate the decision list, then lower single decisions to 0 and to half."""
    best = list(script.decisions)
    best_text = script.text
    tries = 0

    def attempt(candidate: list[int]) -> bool:
        nonlocal best, best_text, tries
        tries += 1
        ch = ReplayChoices(candidate)
        try:
            text = generate(ch, profile)
        except (IndexError, ValueError):
            return False
        if text == best_text or len(text) > len(best_text):
            return False
        if fails(text):
            best, best_text = ch.made, text
            return True
        return False

    cut = len(best) // 2
    while cut >= 1 and tries < budget:
        if not attempt(best[:len(best) - cut]):
            cut //= 2
    i = 0
    while i < len(best) and tries < budget:
        if best[i] != 0:
            if not attempt(best[:i] + [0] + best[i + 1:]) and best[i] > 1:
                attempt(best[:i] + [best[i] // 2] + best[i + 1:])
        i += 1
    return Script(best_text, script.seed, script.profile, best)
