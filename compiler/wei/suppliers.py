"""How the emulated engine supplies a probe's dynamic values at a site (WEI.md §5): one supplier per
bound variable, named by the variable's row (``engine = "supply_…"`` in
:mod:`compiler.events.variables`), so the emulator dispatches by name instead of an if-chain on it.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence
from compiler.errors import WhammError
from compiler.events.variables import variable
from compiler.sites.finding import SLOT_TABLE_IMMEDIATE, ModuleSites, Placement, Site, slot_table
from compiler.runner import (
    EXIT_LIMIT, EXIT_TRAP, LinkedLibrary, Outcome, RunError, RunOptions, RunResult, TraceFrame, error_reason,
    wasi_config,
)
from compiler.wasm.model import FuncType
from compiler.wasm.reader import read_module
from compiler.wasm.validate import config
from compiler.wei.names import ExportName, is_probe_export, parse_export_name
from compiler.wei.weave import FUNC_EXPORT, TABLE_EXPORT, Arg, WovenCall, weave
if TYPE_CHECKING:
    import wasmtime

    from compiler.sites.finding import FunctionSites
    from compiler.wasm.model import Module
from compiler.wei.emulator import _resolve

@dataclass(slots=True)
class _Value:
    """How one requested value is supplied at one site: a static ``value`` or a dynamic ``arg``."""

    value: object = None
    arg: Arg | None = None
    resolve_table: int | None = None


def supply_probe_id(fs: FunctionSites, site: Site, name: str, want: tuple | None, probe_id: int) -> _Value:
    """``probe_id``: the number the engine gave this attachment."""
    return _Value(probe_id)


def supply_operand(fs: FunctionSites, site: Site, name: str, want: tuple | None, probe_id: int) -> _Value | None:
    """``argN``: operand N of an opcode site, read by the woven call, if it has the wanted type."""
    if site.placement is not None:
        return None
    k = int(name[3:])
    ops = fs.types.operands(site.index)
    if k >= len(ops) or ops[k] is None or (want is not None and str(ops[k]) != want[0]):
        return None
    return _Value(arg=Arg("operand", ops[k], index=k))  # type: ignore[arg-type]


def supply_local(fs: FunctionSites, site: Site, name: str, want: tuple | None, probe_id: int) -> _Value | None:
    """``localN``: the function's local N, if it exists with the wanted type."""
    k = int(name[5:])
    locs = fs.types.locals
    if k >= len(locs) or (want is not None and str(locs[k]) != want[0]):
        return None
    return _Value(arg=Arg("local", locs[k], index=k))


def supply_target_funcref(fs: FunctionSites, site: Site, name: str, want: tuple | None,
                          probe_id: int) -> _Value | None:
    """``target_funcref``: the woven call reads the element in slot ``arg0`` of the site's table."""
    ins = fs.instrs[site.index]
    if ins.op.name not in SLOT_TABLE_IMMEDIATE:
        return None
    return _Value(arg=Arg("funcref", want[0] if want else "funcref", index=0, value=slot_table(ins)))


def supply_resolved_fid(fs: FunctionSites, site: Site, name: str, want: tuple | None,
                        probe_id: int) -> _Value | None:
    """``resolved_fid`` where dynamic: ``arg0`` goes to the host trampoline, which resolves the slot in the
    live table (:func:`_resolve`); static ``resolved_fid`` comes from the site's bindings instead."""
    ins = fs.instrs[site.index]
    if ins.op.name not in SLOT_TABLE_IMMEDIATE:
        return None
    return _Value(arg=Arg("operand", "i32", index=0), resolve_table=slot_table(ins))


#: Supplier name (a row's ``engine``) → supplier.
_SUPPLIERS = {f.__name__: f for f in (supply_probe_id, supply_operand, supply_local, supply_target_funcref,
                                      supply_resolved_fid)}
