"""The event catalog of EVENTS.md: provider, packages, events, modes, bound variables and bound functions.

Everything a probe rule can match and everything in scope inside a probe is one immutable tree,
:data:`CATALOG`, built once at import from data: the 310 opcode events come from
``opcode_events.tsv`` (EVENTS.md §10 copied cell by cell, in the spec's own notation, so a test can
compare it with the spec line by line), the rest from the small tables below (§1–§8).  What a bound
variable or event-bound function *is* — type, description, static or not, and the code that binds or
lowers it — is its row in :mod:`compiler.events.variables`; the catalog says which events bind it.
Catalog order
(the order of every tuple here) is what probe numbering (§9) and ``whamm info`` output follow.

A second provider, ``wasi`` (ANALYSIS.md §4), sits beside it in :data:`PROVIDERS`: its package ``p1`` has
one event per WASI preview 1 function, built from :mod:`compiler.events.wasi` (data generated from
wasi-libc's ``api.h``).  Package names are unique across providers, so a package name alone finds its
provider (:func:`provider_of`).

The checker asks :func:`scope` / :func:`scope_fns` what a probe at (package, event, mode) may use and
:func:`lookup` for a concrete name such as ``arg3`` or ``imm2``, which the catalog lists as a family
(``argN``, ``immN``) where the count depends on the site.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from compiler.events import wasi
from compiler.events.variables import FUNCTIONS, variable
from compiler.lang.types import Prim, WhammType, parse_type

__all__ = [
    "BoundVar", "BoundFn", "Mode", "Operand", "MemAccess", "Event", "Package", "Provider",
    "CATALOG", "CORE_VARS", "CORE_FNS", "CATEGORIES", "MODES", "ENGINE_ONLY_PREFIX",
    "scope", "scope_fns", "lookup", "find_event", "opcode_events", "PROVIDERS", "provider_of",
]

ENGINE_ONLY_PREFIX = "(ONLY SUPPORTED IN ENGINE INTERFACE) "


@dataclass(frozen=True, slots=True)
class BoundVar:
    """A name the compiler binds in a probe (EVENTS.md §2, §7, §8).

    ``name`` is concrete (``fid``, ``arg0``, ``imm1``) or a family (``argN``, ``resN``, ``immN``,
    ``localN``) standing for any index; :func:`lookup` turns a family into the concrete name asked for.
    ``type`` None means unknown (``?``): usable only through a type bound.  ``definition`` is the text
    ``whamm info`` prints after `` ==> `` (constants, aliases, derived values); ``constant`` holds the value
    of a per-event constant (§7.1), which the checker types like a literal.
    """

    name: str
    type: WhammType | None
    static: bool
    doc: str
    definition: str | None = None
    constant: object | None = None
    alias_of: str | None = None
    engine_only: bool = False
    after_only: bool = False         # wasi:p1 results and errno: the checker refuses them in other modes

    @property
    def is_family(self) -> bool:
        """True for ``argN``/``resN``/``immN``/``localN``: one entry standing for every index."""
        return self.name.endswith("N") and self.name[:-1] in _FAMILY_PREFIXES


@dataclass(frozen=True, slots=True)
class BoundFn:
    """A function the catalog provides: a built-in (LANGUAGE.md §11.2) or an event's bound function (§8).

    A parameter type None is an untyped parameter (``memid(lib)`` takes a library name).  ``alt_only``
    functions may only be called in ``alt`` probes; the checker reports other uses.  ``static`` built-ins
    are folded at compile time.
    """

    name: str
    params: tuple[tuple[str, WhammType | None], ...]
    result: WhammType | None
    doc: str
    alt_only: bool = False
    static: bool = False

    @property
    def signature(self) -> str:
        """``name(p: T, ...) -> R`` as ``whamm info -f`` prints it (`` -> R`` omitted without result)."""
        params = ", ".join(name if t is None else f"{name}: {t}" for name, t in self.params)
        result = "" if self.result is None else f" -> {self.result}"
        return f"{self.name}({params}){result}"


@dataclass(frozen=True, slots=True)
class Mode:
    """A mode of an opcode event under its user-facing name; ``internal`` is upstream's name for it
    (``semantic_after``, ``block_alt``), which rules never match (EVENTS.md §7.2)."""

    name: str
    doc: str
    internal: str | None = None


@dataclass(frozen=True, slots=True)
class Operand:
    """One operand, result or immediate column entry of EVENTS.md §10.

    ``index`` None is the open family (``argN:?``, ``immN:?``, ``imm0…immN:u32``): any number of them,
    as the site has.  ``type`` None is ``?`` (the type depends on the site and needs a type bound).
    """

    prefix: str                  # "arg", "res" or "imm"
    index: int | None
    type: WhammType | None

    @property
    def name(self) -> str:
        """The operand's bound-variable name: ``arg0``, ``res1``, ``imm0``, or the family name ``argN`` when the
        count varies per site."""
        return f"{self.prefix}{'N' if self.index is None else self.index}"


@dataclass(frozen=True, slots=True)
class MemAccess:
    """``MEM(size, addr=argK, read|write)`` of EVENTS.md §8.3: how a load/store/atomic touches memory."""

    size: int | None             # bytes accessed; None for memory.atomic.notify/wait*
    addr_arg: int                # index K of the address operand argK
    write: bool


@dataclass(frozen=True, slots=True)
class Event:
    """An event: ``wasm:func:entry``, ``wasm:block:end`` or one of the 310 opcode events.

    ``vars`` are the event's own bound variables in ``whamm info`` order (provider variables live on
    :class:`Provider`).  Opcode events also carry their §10 row as structured data: ``index`` (``#``),
    ``bytecode``, ``category``/``category_id``, ``args``/``results``/``imms`` and ``mem``.
    """

    name: str
    package: str
    doc: str
    modes: tuple[Mode, ...] = ()
    vars: tuple[BoundVar, ...] = ()
    fns: tuple[BoundFn, ...] = ()
    index: int | None = None
    bytecode: int | None = None
    category: str | None = None
    category_id: int | None = None
    args: tuple[Operand, ...] = ()
    results: tuple[Operand, ...] = ()
    imms: tuple[Operand, ...] = ()
    mem: MemAccess | None = None

    @property
    def children(self) -> tuple[Mode, ...]:
        """The next level of the catalog tree (provider → packages → events → modes), the same at every level."""
        return self.modes

    @property
    def opname(self) -> str:
        """The ``opname`` constant (§7.1): the event name, except ``typed_select`` → ``select``."""
        return _OPNAME_EXCEPTIONS.get(self.name, self.name)

    def mode(self, name: str) -> Mode | None:
        """The mode with this user-facing name (exact), or None."""
        for m in self.modes:
            if m.name == name:
                return m
        return None


@dataclass(frozen=True, slots=True)
class Package:
    """A package of the provider; ``begin``, ``end`` and ``report`` have no events (2-part rules)."""

    name: str
    doc: str
    events: tuple[Event, ...] = ()
    vars: tuple[BoundVar, ...] = ()
    fns: tuple[BoundFn, ...] = ()
    provider_vars: bool = True   # whether the provider's variables are in scope (not in begin/end/report)

    @property
    def children(self) -> tuple[Event, ...]:
        """The next level of the catalog tree (provider → packages → events → modes), the same at every level."""
        return self.events

    def event(self, name: str) -> Event | None:
        """The event with this exact name, or None."""
        for e in self.events:
            if e.name == name:
                return e
        return None


@dataclass(frozen=True, slots=True)
class Provider:
    """The provider ``wasm`` (the only one) with its packages and provider-wide variables (§2)."""

    name: str
    doc: str
    packages: tuple[Package, ...]
    vars: tuple[BoundVar, ...] = ()
    fns: tuple[BoundFn, ...] = ()

    @property
    def children(self) -> tuple[Package, ...]:
        """The next level of the catalog tree (provider → packages → events → modes), the same at every level."""
        return self.packages

    def package(self, name: str) -> Package | None:
        """The package with this exact name, or None."""
        for p in self.packages:
            if p.name == name:
                return p
        return None


# --------------------------------------------------------------------------------------------------
# Descriptions (EVENTS.md §1, §8.6; CLI.md §3; LANGUAGE.md §11.2)

_MODE_DOCS = {
    "before": "Runs the probe just before the instruction executes.",
    "after": "Runs the probe just after the instruction completes (for blocks: after the matching end).",
    "alt": "Runs the probe instead of the instruction (for blocks: instead of the whole block).",
    "entry": "Runs the probe first thing inside the block.",
    "exit": "Runs the probe last thing inside the block.",
    "at_target": "Runs the probe where execution continues after the branch (its target, or the "
                 "fall-through).",
}

#: Category ids of EVENTS.md §7.1.
CATEGORIES: dict[str, int] = {
    name: i for i, name in enumerate((
        "arith", "atomic", "compare", "const", "control", "convert", "exn", "gc", "global", "load",
        "local", "memory", "misc", "ref", "simd", "store", "table"))
}

_FAMILY_PREFIXES = ("arg", "res", "imm", "local")
_OPNAME_EXCEPTIONS = {"typed_select": "select"}

_U32, _I32, _STR, _BOOL = Prim.U32, Prim.I32, Prim.STR, Prim.BOOL


def _var(name: str, static: bool | None = None, type: WhammType | None = None, **kw: object) -> BoundVar:
    """The bound variable ``name`` as its row (:mod:`compiler.events.variables`) describes it.

    ``static`` is needed only where the row leaves it to the event (``resolved_fid``); ``type`` is the
    type a §10 cell writes, which must agree with the row (the row is the one definition; this catches a
    table edit that contradicts it).
    """
    row = variable(name)
    if row.static is None:
        if static is None:
            raise ValueError(f"{name}: its row leaves static/dynamic to the event, which does not say")
    elif static is not None and static != row.static:
        raise ValueError(f"{name}: the event says {'static' if static else 'dynamic'}, its row does not")
    if type is not None and type != row.whamm_type:
        raise ValueError(f"{name}: the event says type {type}, its row says {row.type}")
    return BoundVar(name, row.whamm_type, row.static if static is None else static, row.doc, **kw)  # type: ignore[arg-type]


def _mode(name: str, internal: str | None = None) -> Mode:
    return Mode(name, _MODE_DOCS[name], internal)


#: Every mode name a rule can match, in the order of EVENTS.md §7.2.
MODES = ("before", "after", "alt", "entry", "exit", "at_target")

_MODE_SETS: dict[str, tuple[Mode, ...]] = {
    "D": (_mode("before"), _mode("after"), _mode("alt")),
    "B": (_mode("before"), _mode("after", "semantic_after"), _mode("alt", "block_alt"), _mode("entry"),
          _mode("exit")),
    "R": (_mode("before"), _mode("after"), _mode("alt"), _mode("at_target", "semantic_after")),
}

# --------------------------------------------------------------------------------------------------
# Built-ins and provider variables

CORE_VARS: tuple[BoundVar, ...] = (_var("APP_MEMID"),)

_MEM_PARAM = ("memid", _U32)
CORE_FNS: tuple[BoundFn, ...] = (
    BoundFn("strcmp", (("str_addr", parse_type("(i32, i32)")), ("value", _STR)), _BOOL,
            "true iff the len bytes at addr in the instrumentation memory equal value"),
    BoundFn("strcontains", (("str_addr", parse_type("(i32, i32)")), ("needle", _STR)), _BOOL,
            "true iff needle occurs in those bytes"),
    BoundFn("memid", (("lib", None),), _U32,
            "memory id (§11.1) of a used library's memory (its first exported memory). memid(whamm_core) is the "
            "instrumentation memory", static=True),
    BoundFn("memcpy", (("src_mem", _U32), ("src_ptr", _U32), ("dst_mem", _U32), ("dst_ptr", _U32),
                       ("len", _U32)), None,
            "copy len bytes between memories (Wasm memory.copy semantics: overlapping allowed; out of "
            "bounds traps)"),
    BoundFn("read_str", (("src_mem", _U32), ("ptr", _I32), ("l", _U32)), _STR,
            "a new string holding a copy of l bytes at ptr in src_mem"),
    BoundFn("write_str", (("dst_mem", _U32), ("ptr", _I32), ("s", _STR)), None,
            "copy the bytes of s to ptr in dst_mem"),
    BoundFn("active_data_start", (_MEM_PARAM,), _U32,
            "the lowest start offset of the active data segments of that application memory (0 if none)",
            static=True),
    BoundFn("active_data_len", (_MEM_PARAM,), _U32,
            "(highest end offset) − (lowest start offset) over those segments (0 if none)", static=True),
    BoundFn("page_size", (_MEM_PARAM,), _U32,
            "page size in bytes (65536, or the custom page size, e.g. 1)", static=True),
    BoundFn("mem_size", (_MEM_PARAM,), _U32, "current size in pages (memory.size)"),
)

_PROVIDER_VARS: tuple[BoundVar, ...] = (
    _var("fid"),
    _var("fname"),
    _var("pc"),
    _var("opidx"),
    _var("at_func_end"),
    _var("localN"),
    _var("probe_id", engine_only=True),
    _var("nsecs"),
    _var("callstack"),
    _var("stack_depth"),
    _var("src_file"),
    _var("src_line"),
    _var("src_col"),
)

#: The event-bound functions of EVENTS.md §8, built from their rows.
_BOUND_FNS = {
    row.name: BoundFn(row.name, tuple((p, parse_type(t)) for p, t in row.params),
                      None if row.result is None else parse_type(row.result), row.doc, alt_only=row.alt_only)
    for row in FUNCTIONS
}

# --------------------------------------------------------------------------------------------------
# The §10 table: notation → structured data

_DATA = Path(__file__).with_name("opcode_events.tsv")
_NONE = "—"


def _operands(cell: str, prefix: str) -> tuple[Operand, ...]:
    """Parse an args/results/immediates cell: ``arg0:i32, argN:?``, ``imm0…immN:u32``, ``—`` (which may
    carry a remark: ``— (the standard encoding has no immediate)``)."""
    if cell == _NONE or cell.startswith(_NONE + " ("):
        return ()
    out = []
    for item in cell.split(", "):
        name, _, tname = item.partition(":")
        type_ = None if tname == "?" else parse_type(tname)
        if "…" in name or name == prefix + "N":      # imm0…immN: the br_table targets + default
            out.append(Operand(prefix, None, type_))
        else:
            out.append(Operand(prefix, int(name[len(prefix):]), type_))
    return tuple(out)


def _operand_var(op: Operand) -> BoundVar:
    """The bound variable of an operand; concrete names get the index in their description (§8.6)."""
    family = op.prefix + "N"
    doc = variable(family).doc
    if op.index is not None:
        word = doc.split(" ", 1)
        doc = f"{word[0]} {op.index} {word[1].split(' ', 1)[1]}"
    return BoundVar(op.name, op.type, op.prefix == "imm", doc)


_MEM_RE = re.compile(r"MEM\((\d+|—), addr=arg(\d+), (read|write)\)")
_EXPLICIT_RE = re.compile(r"(\w+):(\w+) = (.+?)( \(dyn\))?")
_ALIAS_RE = re.compile(r"(arg|res|imm)\d+")


def _other_vars(cell: str) -> tuple[tuple[BoundVar, ...], MemAccess | None]:
    """Parse the "other bound vars" cell into variables (§8 families, lookback, explicit ones)."""
    if cell == _NONE:
        return (), None
    if m := _MEM_RE.fullmatch(cell):
        size = None if m[1] == _NONE else int(m[1])
        mem = MemAccess(size, int(m[2]), m[3] == "write")
        addr = f"arg{mem.addr_arg}"
        out = [] if size is None else [_var("data_size", definition=str(size), constant=size)]
        out += [
            _var("addr", definition=addr, alias_of=addr),
            _var("offset"),
            _var("align"),
            _var("memory"),
            _var("effective_addr", definition="addr + offset as u32"),
            _var("is_write", definition=_literal(mem.write), constant=mem.write),
        ]
        return tuple(out), mem
    if cell == "CALLEE":
        return (_var("target_fn_type"), _var("target_fn_name"), _var("target_imp_module")), None
    if cell == "INDIRECT":
        return (_var("table_entry_idx", definition="arg0", alias_of="arg0"),
                _var("target_funcref"),
                _var("resolved_fid", False,
                     definition="resolve_funcref(target_funcref, table_entry_idx)")), None
    if cell == "BR_TABLE":
        return (_var("num_targets"), _var("default_target"), _var("targets"),
                _var("target", definition="arg0 <= (num_targets - 1) ? arg0 : num_targets")), None
    if cell == "resolved_fid:i32 (lookback)":
        return (_var("resolved_fid", True),), None
    out = []
    for item in cell.split("; "):
        m = _EXPLICIT_RE.fullmatch(item)
        if m is None:
            raise ValueError(f"bad 'other' cell {cell!r}")
        name, tname, definition, dyn = m.groups()
        alias = definition if _ALIAS_RE.fullmatch(definition) else None
        out.append(_var(name, dyn is None, parse_type(tname), definition=definition, alias_of=alias))
    return tuple(out), None


def _literal(value: object) -> str:
    """A constant as whamm source text (how ``whamm info`` shows it after `` ==> ``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _opcode_event(row: list[str]) -> Event:
    index, name, bytecode_text, category, modes, args, results, imms, other, fns = row
    bytecode = int(bytecode_text, 16)
    category_id = CATEGORIES[category]
    mode_set = _MODE_SETS.get(modes) or tuple(_mode(m) for m in modes.split(", "))
    ev_args, ev_results, ev_imms = _operands(args, "arg"), _operands(results, "res"), _operands(imms, "imm")
    opname = _OPNAME_EXCEPTIONS.get(name, name)
    constants = (
        _var("opname", definition=_literal(opname), constant=opname),
        _var("bytecode", definition=f"0x{bytecode:04X}", constant=bytecode),
        _var("category_id", definition=str(category_id), constant=category_id),
        _var("category_name", definition=_literal(category), constant=category),
    )
    others, mem = _other_vars(other)
    operand_vars = tuple(_operand_var(op) for op in ev_args + ev_results + ev_imms)
    return Event(
        name=name, package="opcode",
        doc=f"Instruments the {name} instruction ({category}, bytecode {bytecode_text}).",
        modes=mode_set, vars=constants + operand_vars + others,
        fns=() if fns == _NONE else tuple(_BOUND_FNS[f] for f in fns.split(", ")),
        index=int(index), bytecode=bytecode, category=category, category_id=category_id,
        args=ev_args, results=ev_results, imms=ev_imms, mem=mem,
    )


def _load_opcode_events() -> tuple[Event, ...]:
    rows = [line.split("\t") for line in _DATA.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    events = tuple(_opcode_event(r) for r in rows)
    assert [e.index for e in events] == list(range(len(events))), "opcode_events.tsv out of order"
    return events


def _build() -> Provider:
    func = Package("func", "Function-level events.", events=(
        Event("entry", "func", "Start of a function body."),
        Event("exit", "func", "Every point where a function body is left."),
    ))
    block = Package("block", "Basic-block events.", events=(
        Event("start", "block", "Start of a basic block."),
        Event("end", "block", "End of a basic block.", vars=(_var("instr_count"),)),
    ))
    source = Package("source", "Source-level events (DWARF line tables, ANALYSIS.md §5).", events=(
        Event("line", "source", "Start of a source line's statement: the first instruction of every "
              "is_stmt line-table row whose (file, line) differs from the row before.", modes=(_mode("before"),)),
    ))
    opcode = Package("opcode", "Events for individual WebAssembly instructions.",
                     events=_load_opcode_events(), fns=(_BOUND_FNS["drop_args"],))
    return Provider("wasm", "Events specific to WebAssembly modules.", vars=_PROVIDER_VARS, packages=(
        Package("begin", "Runs once when the program starts.", provider_vars=False),
        Package("end", "Runs once when the program exits, before the report is printed.",
                provider_vars=False),
        Package("report", "Replaces the default printing of report variables at program exit.",
                provider_vars=False),
        func, block, opcode, source,
    ))


_WASI_MODE_DOCS = (
    ("before", "Runs the probe just before the call."),
    ("after", "Runs the probe just after the call returns (results and errno are bound)."),
    ("alt", "Runs the probe instead of the call; `return E;` gives its errno (ERRNO_SUCCESS by default)."),
)


def _wasi_event(f: wasi.WasiFunction) -> Event:
    """The event ``wasi:p1:<f>`` (ANALYSIS.md §4): the per-event constant ``event_name``, then the
    variables :mod:`compiler.events.wasi` derives from the function's parameters."""
    name_var = BoundVar("event_name", _STR, True, "Name of the WASI function.", definition=_literal(f.name),
                        constant=f.name)
    dynamic = tuple(BoundVar(v.name, wasi.whamm_type(v.type), False,
                             v.doc + (" (after probes only)" if v.after_only else ""), after_only=v.after_only)
                    for v in wasi.event_vars(f.name).values())
    # proc_exit, the one function without an errno, never returns: it has no `after` mode, so a probe on
    # `wasi:p1:*:after` may read `errno` (an after probe there would never run anyway)
    modes = tuple(Mode(m, doc) for m, doc in _WASI_MODE_DOCS if f.returns_errno or m != "after")
    return Event(f.name, wasi.PACKAGE, f"Calls of {f.name}: {f.doc}", modes=modes, vars=(name_var,) + dynamic)


def _build_wasi() -> Provider:
    """The provider ``wasi`` (ANALYSIS.md §4): the call site's ``fid``/``fname``/``pc`` and the time and
    stack variables of the wasm provider, the ``ERRNO_*`` constants, and the package ``p1``."""
    errnos = tuple(BoundVar(f"ERRNO_{name.upper()}", Prim.U16, True, f"The WASI errno value `{name}`.",
                            definition=str(value), constant=value) for name, value in wasi.ERRNO)
    site = tuple(_var(n) for n in ("fid", "fname", "pc", "nsecs", "callstack", "stack_depth"))
    p1 = Package(wasi.PACKAGE, "Calls of the imported wasi_snapshot_preview1 (or wasi_unstable) functions.",
                 events=tuple(_wasi_event(f) for f in wasi.FUNCTIONS), fns=(_BOUND_FNS["track_fd_path"],))
    return Provider("wasi", "Events of WASI calls the application makes.", packages=(p1,),
                    vars=site + errnos)


#: The whole catalog (EVENTS.md §1), in catalog order.
CATALOG: Provider = _build()
#: Every provider, in catalog order: ``wasm``, then ``wasi`` (ANALYSIS.md §4).
PROVIDERS: tuple[Provider, ...] = (CATALOG, _build_wasi())

#: package name → its provider (package names are unique across providers).
_PROVIDER_OF: dict[str, Provider] = {pk.name: pv for pv in PROVIDERS for pk in pv.packages}

#: package name → event name → event, for the lookups the checker does per probe.
_EVENT_INDEX: dict[str, dict[str, Event]] = {
    p.name: {e.name: e for e in p.events} for pv in PROVIDERS for p in pv.packages
}


def provider_of(package: str) -> Provider:
    """The provider of package ``package`` (``wasm`` for ``opcode``, ``wasi`` for ``p1``)."""
    return _PROVIDER_OF[package]


def opcode_events() -> tuple[Event, ...]:
    """The 310 opcode events in catalog order (``#``)."""
    return CATALOG.package("opcode").events  # type: ignore[union-attr]


def find_event(package: str, event: str) -> Event:
    """The event ``<provider>:<package>:<event>`` (exact names); ``KeyError`` if there is none."""
    try:
        return _EVENT_INDEX[package][event]
    except KeyError:
        raise KeyError(f"no event {package}:{event}") from None


def _resolve(package: str, event: str | None, mode: str | None) -> tuple[Package, Event | None]:
    pv = _PROVIDER_OF.get(package)
    pkg = None if pv is None else pv.package(package)
    if pkg is None:
        raise KeyError(f"no package {package}")
    if event is None:
        if pkg.events:
            raise KeyError(f"package {package} needs an event")
        return pkg, None
    ev = find_event(package, event)
    if mode is not None and ev.mode(mode) is None:
        raise KeyError(f"event wasm:{package}:{event} has no mode {mode}")
    return pkg, ev


def scope(package: str, event: str | None = None, mode: str | None = None) -> dict[str, BoundVar]:
    """Every bound variable a probe at ``wasm:package[:event[:mode]]`` may read, by name.

    Order: built-ins (``APP_MEMID``), provider variables (not in begin/end/report), the package's, the
    event's.  Families (``argN``, ``immN``, ``localN``) appear under their family name; use
    :func:`lookup` for concrete names.  Mode restrictions are the checker's to report with the right
    message: ``resN`` is listed in every mode (error ``resN can only be used in after probes``).
    Raises ``KeyError`` for a package, event or mode that does not exist.
    """
    pkg, ev = _resolve(package, event, mode)
    out = {v.name: v for v in CORE_VARS}
    if pkg.provider_vars:
        out.update((v.name, v) for v in _PROVIDER_OF[package].vars)
    out.update((v.name, v) for v in pkg.vars)
    if ev is not None:
        out.update((v.name, v) for v in ev.vars)
    return out


def scope_fns(package: str, event: str | None = None, mode: str | None = None) -> dict[str, BoundFn]:
    """Every function a probe at that point may call: built-ins, then package and event functions.

    ``alt_only`` functions are included in every mode so the checker can say why a call is rejected.
    """
    pkg, ev = _resolve(package, event, mode)
    out = {f.name: f for f in CORE_FNS}
    out.update((f.name, f) for f in _PROVIDER_OF[package].fns)
    out.update((f.name, f) for f in pkg.fns)
    if ev is not None:
        out.update((f.name, f) for f in ev.fns)
    return out


_INDEXED_RE = re.compile(r"(arg|res|imm|local)(\d+)")


def lookup(names: dict[str, BoundVar], name: str) -> BoundVar | None:
    """The bound variable ``name`` in a :func:`scope` result, resolving families.

    ``arg3`` is found as ``arg3`` if the catalog lists it, else through the family ``argN`` (giving a
    concrete :class:`BoundVar` named ``arg3`` with the family's type, ``None`` for ``?``).  Returns None
    when the event has no such variable (e.g. ``arg0`` at ``local.get``, whose args column is ``—``).
    """
    var = names.get(name)
    if var is not None:
        return var
    m = _INDEXED_RE.fullmatch(name)
    if m is None:
        return None
    family = names.get(m[1] + "N")
    if family is None:
        return None
    doc = family.doc.replace(" N", f" {m[2]}", 1) if m[1] != "local" else family.doc
    return BoundVar(name, family.type, family.static, doc, engine_only=family.engine_only)
