"""Static binders: one small function per static bound variable, computing its value at a site.

Each function is named by its variable's row in :mod:`compiler.events.variables` (``binder =
"bindings.offset"``), and :data:`SITE_BINDERS` registers the per-instruction ones under the variable's
name, so :mod:`compiler.sites.finding` dispatches by name.  A per-site binder takes the function's site
data, the instruction index and the instruction; its value is a pure function of them (the module is
the only input).  Two binders have other shapes: :func:`app_memid` is module-wide and :func:`imm` takes
the immediate's index (the ``immN`` family).
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Callable

from compiler.wasm.model import Instr, MemArg

if TYPE_CHECKING:
    from compiler.sites.finding import FunctionSites
    from compiler.wasm.model import Module

__all__ = ["Binder", "SITE_BINDERS", "FUNCTION_WIDE", "app_memid", "imm"]

Binder = Callable[["FunctionSites", int, Instr], object]


def app_memid(module: Module) -> int | None:
    """``APP_MEMID``: the memory id of the first *defined* memory (the imported ones come first,
    LANGUAGE.md §11.1), None when the module defines none."""
    defined = len(module.memories)
    return len(module.memory_limits()) - defined if defined else None


# -- provider (EVENTS.md §2) --------------------------------------------------------------------------

def fid(fs: FunctionSites, i: int, ins: Instr) -> int:
    """Index of the function (input index space)."""
    return fs.fid


def fname(fs: FunctionSites, i: int, ins: Instr) -> str:
    """The function's name-section name, ``""`` if none."""
    return fs.fname


def pc(fs: FunctionSites, i: int, ins: Instr) -> int:
    """Byte offset of the instruction in the body (the decoder's ``offset``)."""
    return ins.offset


def opidx(fs: FunctionSites, i: int, ins: Instr) -> int:
    """Index of the instruction in the body."""
    return i


def at_func_end(fs: FunctionSites, i: int, ins: Instr) -> bool:
    """Whether the instruction is the body's final ``end``."""
    return i == len(fs.instrs) - 1


def src_file(fs: FunctionSites, i: int, ins: Instr) -> str:
    """The source file of the instruction (ANALYSIS.md §5), ``""`` if unknown."""
    return fs.source_location(i).file


def src_line(fs: FunctionSites, i: int, ins: Instr) -> int:
    """The source line of the instruction, 0 if unknown."""
    return fs.source_location(i).line


def src_col(fs: FunctionSites, i: int, ins: Instr) -> int:
    """The source column of the instruction, 0 if unknown."""
    return fs.source_location(i).col


# -- immediates (EVENTS.md §7.4) ---------------------------------------------------------------------

def _float32(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def _float64(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def imm(ins: Instr, k: int) -> object:
    """Immediate ``immK`` from the decoded immediates: floats as values, ``br_on_cast``'s label after its
    cast flags (``br_table``'s targets are bound by the caller, one ``immK`` per target)."""
    name = ins.op.name
    if name == "br_on_cast" or name == "br_on_cast_fail":
        return ins.imms[k + 1]
    if name == "f32.const":
        return _float32(ins.imms[0])
    if name == "f64.const":
        return _float64(ins.imms[0])
    return ins.imms[k]


# -- MEM (EVENTS.md §8.3) ------------------------------------------------------------------------------

def _memarg(ins: Instr) -> MemArg:
    return ins.imms[0]


def offset(fs: FunctionSites, i: int, ins: Instr) -> int:
    """The memarg's static offset."""
    return _memarg(ins).offset


def align(fs: FunctionSites, i: int, ins: Instr) -> int:
    """The memarg's alignment exponent as encoded."""
    return _memarg(ins).align


def memory(fs: FunctionSites, i: int, ins: Instr) -> int:
    """The memarg's memory index (input index space)."""
    return _memarg(ins).memory


# -- CALLEE (EVENTS.md §8.1) ---------------------------------------------------------------------------

def target_fn_type(fs: FunctionSites, i: int, ins: Instr) -> str:
    """``"import"`` or ``"local"`` for the callee ``imm0``."""
    return fs.ms.callee_info(ins.imms[0])[0]


def target_fn_name(fs: FunctionSites, i: int, ins: Instr) -> str:
    """The callee's import field name or name-section name."""
    return fs.ms.callee_info(ins.imms[0])[1]


def target_imp_module(fs: FunctionSites, i: int, ins: Instr) -> str:
    """The callee's import module or the name section's module name."""
    return fs.ms.callee_info(ins.imms[0])[2]


# -- resolved_fid where it is static (EVENTS.md §8.2) ------------------------------------------------

def resolved_fid(fs: FunctionSites, i: int, ins: Instr) -> int:
    """``ref.func N``: N; ``call_ref``/``return_call_ref``/``table.set``: ``N`` when the instruction
    immediately before is ``ref.func N``, else -1 ("lookback").  (Dynamic at the INDIRECT events.)"""
    if ins.op.name == "ref.func":
        return ins.imms[0]
    if i > 0:
        prev = fs.instrs[i - 1]
        if prev.op.name == "ref.func":
            return prev.imms[0]
    return -1


# -- BR_TABLE (EVENTS.md §8.4) and GC indices --------------------------------------------------------

def num_targets(fs: FunctionSites, i: int, ins: Instr) -> int:
    """Non-default targets of the ``br_table``."""
    return len(ins.imms[0]) - 1


def default_target(fs: FunctionSites, i: int, ins: Instr) -> int:
    """Label depth of the default target (the last of the list)."""
    return ins.imms[0][-1]


def targets(fs: FunctionSites, i: int, ins: Instr) -> dict[int, int]:
    """Target index → label depth, the default excluded."""
    return dict(enumerate(ins.imms[0][:-1]))


def tid(fs: FunctionSites, i: int, ins: Instr) -> int:
    """GC type index: ``imm0``."""
    return ins.imms[0]


def field_idx(fs: FunctionSites, i: int, ins: Instr) -> int:
    """GC field index: ``imm1``."""
    return ins.imms[1]


#: Variable name → its per-instruction binder (the rows' ``binder = "bindings.<name>"``).
SITE_BINDERS: dict[str, Binder] = {f.__name__: f for f in (
    fid, fname, pc, opidx, at_func_end, src_file, src_line, src_col, offset, align, memory, target_fn_type, target_fn_name,
    target_imp_module, resolved_fid, num_targets, default_target, targets, tid, field_idx)}

#: The binders whose value depends on the function only, so site finding computes them once per function.
FUNCTION_WIDE = frozenset({"fid", "fname"})
