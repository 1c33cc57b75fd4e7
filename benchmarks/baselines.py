"""The benchmark kernels, the whamm analyses measured on them, and the same analyses written by hand.

The hand-written instrumentation is the *limit* whamm's generated code is compared with: what a careful
person would insert with the codec (:mod:`compiler.wasm`), computing exactly the figures whamm reports,
so that a ratio whamm / hand-written is an honest measure of what the compiler leaves on the table.

* **icount** (``wasm:opcode:*:before { executed++; }``): one ``i64`` add of the straight-line run's
  instruction count per run, not per instruction.  A run ends after every instruction that may leave it
  (``br``, ``br_if``, ``br_table``, ``if``, ``else``, ``return``, ``unreachable``, calls: a call may never
  return, as ``proc_exit``) and before every instruction a branch may enter (the start of a ``loop``
  body, after the ``end`` of an ``if`` or of a ``block`` some branch targets).  Entering a ``block`` and
  leaving a ``loop`` fall through and do not split a run.
* **branches** (examples/branches/branches.mm): per ``br_if``/``if`` site a ``taken``/``not_taken``
  pair of ``i32`` counters at constant addresses in a memory of its own, the operand kept in a local and
  an ``if``/``else`` picking the counter (the form whamm emits today: the hand-written limit is no
  shorter, and a branch-free update measured no faster).
* **br_table** (a per-site ``map<u32, u32>`` of the target index taken): per site one ``i32`` counter per
  target plus the default, indexed by the clamped operand (``select``), in the same kind of memory.
* **memory** (loads and stores counted by two ``u64`` report variables): the run's number of loads and
  of stores added once per straight-line run, as the instruction counter.

:func:`hand_counts` and :func:`whamm_counts` read both variants' figures after a run in one comparable
shape; ``tests/benchmarks`` holds them equal on small inputs so the baselines cannot drift.
"""
from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from compiler.wasm import Export, ExternKind, Global, GlobalType, Instr, Limits, MemArg, Module, read_module, validate, write_module

if TYPE_CHECKING:
    from compiler.results import InstrumentResult
    from compiler.runner import RunResult

ROOT = Path(__file__).resolve().parents[1]
APPS = Path(__file__).resolve().parent / "apps"


@dataclass(frozen=True)
class Kernel:
    """A committed compute kernel: its module, and the size argument that makes it finish in
    milliseconds (for tests; without an argument each runs ≥ 0.3 s uninstrumented)."""

    name: str
    small_size: str

    @property
    def path(self) -> Path:
        return APPS / f"{self.name}.wasm"


KERNELS = (Kernel("mm", "24"), Kernel("stencil", "40"), Kernel("vm", "3000"))

SCRIPTS = {
    "icount": (ROOT / "examples" / "instr_count" / "instr_count.mm").read_text(),
    "branches": (ROOT / "examples" / "branches" / "branches.mm").read_text(),
    "br_table": "wasm:opcode:br_table:before {\n    report var hits: map<u32, u32>;\n    hits[target]++;\n}\n",
    "memory": ("report var loads: u64;\nreport var stores: u64;\n"
               "wasm:opcode:*load*:before { loads++; }\nwasm:opcode:*store*:before { stores++; }\n"),
}
"""The whamm scripts, one per analysis (the keys name the analyses everywhere in benchmarks/)."""

LOADS, STORES = "*load*", "*store*"
"""The globs of the memory analysis's rules, applied by hand to instruction names."""

_BRANCHING = {"br", "br_if", "br_table", "if", "else", "return", "unreachable", "call", "call_indirect",
              "call_ref", "return_call", "return_call_indirect", "return_call_ref"}
"""Instructions after which a straight-line run ends (a call may not return: ``proc_exit``)."""

_UNSUPPORTED = {"try", "catch", "catch_all", "delegate", "try_table", "throw", "rethrow", "throw_ref",
                "br_on_null", "br_on_non_null", "br_on_cast", "br_on_cast_fail"}
"""Control flow the run splitter does not model: refused rather than counted wrongly."""

BRANCH_MEMORY_EXPORT = "hand_branch_counters"
BRANCH_SITES, BR_TABLE_SITES = ("br_if", "if"), ("br_table",)


def _op(name: str, *imms: object) -> Instr:
    return Instr.of(name, *imms)


def straight_runs(instrs: tuple[Instr, ...] | list[Instr]) -> list[tuple[int, int]]:
    """The ``[start, end)`` index ranges of a body's straight-line runs: entering a run's first
    instruction means executing all of them (barring a trap).  Every instruction is in exactly one."""
    starts = [0]
    frames: list[list[object]] = []   # per open construct: [kind, targeted by a branch]
    for index, instr in enumerate(instrs):
        name = instr.op.name
        if name in _UNSUPPORTED:
            raise ValueError(f"hand-written baselines do not model {name} (instruction {index})")
        split_after = name in _BRANCHING or name == "loop"
        if name in ("block", "loop", "if"):
            frames.append([name, False])
        elif name in ("br", "br_if"):
            _target(frames, instr.imms[0])
        elif name == "br_table":
            for depth in instr.imms[0]:
                _target(frames, depth)
        elif name == "end" and frames:
            kind, targeted = frames.pop()
            split_after = kind == "if" or (kind == "block" and bool(targeted))
        if split_after and index + 1 < len(instrs):
            starts.append(index + 1)
    return list(zip(starts, starts[1:] + [len(instrs)]))


def _target(frames: list[list[object]], depth: int) -> None:
    if depth < len(frames):           # the function's own label (a return) needs no split
        frames[-1 - depth][1] = True


def _add_global(module: Module, name: str) -> int:
    """A new exported mutable ``i64`` global starting at 0; its index."""
    module.globals.append(Global(GlobalType("i64", True), (_op("i64.const", 0), _op("end"))))
    index = len(module.global_types()) - 1
    module.exports.append(Export(name, ExternKind.GLOBAL, index))
    return index


def _bump(glob: int, amount: int) -> list[Instr]:
    return [_op("global.get", glob), _op("i64.const", amount), _op("i64.add"), _op("global.set", glob)]


def _per_run(module: Module, counters: list[tuple[int, Callable[[Instr], bool]]]) -> None:
    """Add, at the start of every straight-line run, the run's number of instructions satisfying each
    predicate to its global (no add where that number is 0)."""
    for body in module.code:
        instrs = body.instrs
        out: list[Instr] = []
        for start, end in straight_runs(instrs):
            run = instrs[start:end]
            for glob, counted in counters:
                amount = sum(1 for instr in run if counted(instr))
                if amount:
                    out += _bump(glob, amount)
            out += run
        body.instrs = tuple(out)


def hand_icount(module: Module) -> None:
    _per_run(module, [(_add_global(module, "executed"), lambda instr: True)])


def hand_memory(module: Module) -> None:
    loads, stores = _add_global(module, "loads"), _add_global(module, "stores")
    _per_run(module, [(loads, lambda instr: fnmatch.fnmatchcase(instr.op.name, LOADS)),
                      (stores, lambda instr: fnmatch.fnmatchcase(instr.op.name, STORES))])


def _counter_memory(module: Module, size: int) -> int:
    """A new exported memory of at least ``size`` bytes for counters; its index."""
    memory = len(module.memory_limits())
    module.memories.append(Limits(max(1, math.ceil(size / 65536))))
    module.exports.append(Export(BRANCH_MEMORY_EXPORT, ExternKind.MEMORY, memory))
    return memory


def _sites(module: Module, names: tuple[str, ...]) -> list[tuple[int, int, Instr]]:
    """``(function index, instruction index, instruction)`` of every instruction named in ``names``."""
    first = module.num_imported_funcs
    return [(first + number, index, instr) for number, body in enumerate(module.code)
            for index, instr in enumerate(body.instrs) if instr.op.name in names]


Update = Callable[[Instr, int, int, int, int], list[Instr]]
"""Code inserted before a site: ``update(site, memory, base address, cond local, address local)``."""


def _counted(module: Module, names: tuple[str, ...], slots: Callable[[Instr], int], update: Update) -> None:
    """Insert ``update`` before every site, each site owning ``slots(site)`` consecutive ``i32``
    counters from its base address in a new memory; two ``i32`` locals per function hold the operand
    and the counter's address."""
    sites = _sites(module, names)
    by_function: dict[int, dict[int, int]] = {}
    size = 0
    for fid, index, instr in sites:
        by_function.setdefault(fid, {})[index] = size
        size += 4 * slots(instr)
    memory = _counter_memory(module, size)
    for fid, bases in by_function.items():
        body = module.code[fid - module.num_imported_funcs]
        cond = len(module.func_type(fid).params) + len(body.local_types())
        out: list[Instr] = []
        for index, instr in enumerate(body.instrs):
            if index in bases:
                out += update(instr, memory, bases[index], cond, cond + 1)
            out.append(instr)
        body.locals = (*body.locals, (2, "i32"))
        body.instrs = tuple(out)


def _increment(memory: int, base: int, address: int) -> list[Instr]:
    """``mem[base + address]++`` with ``address`` on the stack (kept in local ``address``)."""
    arg = MemArg(2, base, memory)
    return [_op("local.tee", address), _op("local.get", address), _op("i32.load", arg),
            _op("i32.const", 1), _op("i32.add"), _op("i32.store", arg)]


def _targets(instr: Instr) -> int:
    """A ``br_table``'s number of non-default targets."""
    return len(instr.imms[0]) - 1


def _branch_update(instr: Instr, memory: int, base: int, cond: int, address: int) -> list[Instr]:
    # taken at base, not_taken at base + 4, picked by an if on the kept operand: the update is then
    # predicted as well as the branch itself (a branch-free update, its address computed from the
    # operand, has to wait for the operand)
    def increment(at: int) -> list[Instr]:
        arg = MemArg(2, at, memory)
        return [_op("i32.const", 0), _op("i32.const", 0), _op("i32.load", arg), _op("i32.const", 1),
                _op("i32.add"), _op("i32.store", arg)]
    return [_op("local.tee", cond), _op("local.get", cond), _op("if", None), *increment(base), _op("else"),
            *increment(base + 4), _op("end")]


def _br_table_update(instr: Instr, memory: int, base: int, cond: int, address: int) -> list[Instr]:
    # the counter of target min(operand, n): the default's is the last one
    n = _targets(instr)
    return [_op("local.tee", cond), _op("i32.const", n), _op("local.get", cond), _op("i32.const", n),
            _op("i32.lt_u"), _op("select"), _op("i32.const", 2), _op("i32.shl"),
            *_increment(memory, base, address), _op("local.get", cond)]


def hand_branches(module: Module) -> None:
    _counted(module, BRANCH_SITES, lambda instr: 2, _branch_update)


def hand_br_table(module: Module) -> None:
    _counted(module, BR_TABLE_SITES, lambda instr: _targets(instr) + 1, _br_table_update)


HAND: dict[str, Callable[[Module], None]] = {
    "icount": hand_icount, "branches": hand_branches, "br_table": hand_br_table, "memory": hand_memory,
}


def hand_written(app: bytes, analysis: str) -> bytes:
    """``app`` instrumented by hand for ``analysis`` (a key of :data:`SCRIPTS`), validated."""
    module = read_module(app)
    HAND[analysis](module)
    wasm = write_module(module)
    validate(wasm)
    return wasm


# ------------------------------------------------------------------------------------------ the figures

Counts = dict
"""An analysis's figures in one shape for both variants: ``{name: total}`` for the counters (icount,
memory), ``{(fid, pc): (taken, not_taken)}`` for branches, ``{(fid, pc): {target: hits}}`` (non-zero
hits only) for br_table."""


def hand_counts(analysis: str, app: bytes, result: RunResult) -> Counts:
    """The figures the hand-written variant of ``app`` left in ``result``'s instance."""
    if result.instance is None:
        raise ValueError(f"{analysis}: the hand-written run left no instance to read")
    exports = result.instance.exports(result.store)
    if analysis in ("icount", "memory"):
        names = ("executed",) if analysis == "icount" else ("loads", "stores")
        return {name: exports[name].value(result.store) for name in names}
    memory = exports[BRANCH_MEMORY_EXPORT]
    names = BRANCH_SITES if analysis == "branches" else BR_TABLE_SITES
    counts: Counts = {}
    address = 0
    for fid, _, instr in _sites(read_module(app), names):
        slots = 2 if analysis == "branches" else _targets(instr) + 1
        data = bytes(memory.read(result.store, address, address + 4 * slots))
        values = [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]
        address += 4 * slots
        if analysis == "branches":
            counts[(fid, instr.offset)] = tuple(values)
        else:
            counts[(fid, instr.offset)] = {target: hits for target, hits in enumerate(values) if hits}
    return counts


def whamm_counts(analysis: str, instrumented: InstrumentResult, result: RunResult) -> Counts:
    """The figures of whamm's report for ``analysis``, read from ``result``'s instance."""
    from compiler import api
    values = api.read_report_values(instrumented.layout, result)
    unreadable = [value.var.name for value in values if not value.readable]
    if unreadable:
        raise ValueError(f"{analysis}: whamm's report rows {unreadable} cannot be read")
    if analysis in ("icount", "memory"):
        return {value.var.name: value.value for value in values}
    rows: dict[tuple[int, int], dict[str, object]] = {}
    for value in values:
        rows.setdefault((value.var.fid, value.var.pc), {})[value.var.name] = value.value
    if analysis == "branches":
        return {site: (row["taken"], row["not_taken"]) for site, row in rows.items()}
    return {site: {target: hits for target, hits in row["hits"].items() if hits} for site, row in rows.items()}
