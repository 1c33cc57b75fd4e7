"""How the emulated engine supplies a probe's dynamic values at a site (WEI.md §5): one supplier per
bound variable, named by the variable's row (``engine = "supply_…"`` in
:mod:`compiler.events.variables`), so the emulator dispatches by name instead of an if-chain on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from compiler.sites.finding import Site, SLOT_TABLE_IMMEDIATE, slot_table
from compiler.wei.weave import Arg

if TYPE_CHECKING:
    from compiler.sites.finding import FunctionSites

__all__ = ["EngineValue", "SUPPLIERS"]


@dataclass(slots=True)
class EngineValue:
    """How one requested value is supplied at one site: a static ``value`` or a dynamic ``arg``."""

    value: object = None
    arg: Arg | None = None
    resolve_table: int | None = None


def supply_probe_id(fs: FunctionSites, site: Site, name: str, want: tuple | None, probe_id: int) -> EngineValue:
    """``probe_id``: the number the engine gave this attachment."""
    return EngineValue(probe_id)


def supply_operand(fs: FunctionSites, site: Site, name: str, want: tuple | None, probe_id: int) -> EngineValue | None:
    """``argN``: operand N of an opcode site, read by the woven call, if it has the wanted type."""
    if site.placement is not None:
        return None
    k = int(name[3:])
    ops = fs.types.operands(site.index)
    if k >= len(ops) or ops[k] is None or (want is not None and str(ops[k]) != want[0]):
        return None
    return EngineValue(arg=Arg("operand", ops[k], index=k))  # type: ignore[arg-type]


def supply_local(fs: FunctionSites, site: Site, name: str, want: tuple | None, probe_id: int) -> EngineValue | None:
    """``localN``: the function's local N, if it exists with the wanted type."""
    k = int(name[5:])
    locs = fs.types.locals
    if k >= len(locs) or (want is not None and str(locs[k]) != want[0]):
        return None
    return EngineValue(arg=Arg("local", locs[k], index=k))


def supply_target_funcref(fs: FunctionSites, site: Site, name: str, want: tuple | None,
                          probe_id: int) -> EngineValue | None:
    """``target_funcref``: the woven call reads the element in slot ``arg0`` of the site's table."""
    ins = fs.instrs[site.index]
    if ins.op.name not in SLOT_TABLE_IMMEDIATE:
        return None
    return EngineValue(arg=Arg("funcref", want[0] if want else "funcref", index=0, value=slot_table(ins)))


def supply_resolved_fid(fs: FunctionSites, site: Site, name: str, want: tuple | None,
                        probe_id: int) -> EngineValue | None:
    """``resolved_fid`` where dynamic: ``arg0`` goes to the host trampoline, which resolves the slot in the
    live table (the emulator's ``_resolve``); static ``resolved_fid`` comes from the site's bindings instead."""
    ins = fs.instrs[site.index]
    if ins.op.name not in SLOT_TABLE_IMMEDIATE:
        return None
    return EngineValue(arg=Arg("operand", "i32", index=0), resolve_table=slot_table(ins))


#: Supplier name (a row's ``engine``) → supplier.
SUPPLIERS = {f.__name__: f for f in (supply_probe_id, supply_operand, supply_local, supply_target_funcref,
                                      supply_resolved_fid)}
