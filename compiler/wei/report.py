"""``wasm:exit`` and the default report of a monitor (WEI.md §7, REWRITING.md §10–§12).

The exit sequence is the rewriting target's: run at most once, ``wasm:end`` bodies, then the
``wasm:report`` bodies or the default report, then flush.  The default report differs only in where
per-site rows come from: the engine created the sites at match time, so their rows are the linked lists
of row headers that ``$A`` built (one list per type group, in ``$A`` call order), printed by
``whamm:site_rows``.  Within each type group (REWRITING.md §11.3 order) the site rows come first, then the
group's shared rows; ``global_id`` and ``map_id`` rows follow as in rewriting.  Probe ids omit the mode
(``0_wasm:opcode:call``).

The report is printed only if some report variable instance exists: global or shared report
variables always do; site rows exist once the engine has called an ``$A`` with report variables.
Note: a shared report variable's row is printed even if the engine attached its probe nowhere (the
monitor cannot know), where the rewriting target prints it only for probes with sites.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from compiler.lang.types import MapType
from compiler.backend.instrs import Code, LocalPool, mem_parts
from compiler.backend.strings import Helper
from compiler.report.rows import BANNER, HEADER
from compiler.report.rows import GlobalLocation, MapLocation, MemoryLocation, row_prefix, type_group_key
from compiler.wasm.model import FuncType, MemArg
from compiler.wei.layout import HEADER_SIZE, Header, Info
from compiler.wei.start import guarded

if TYPE_CHECKING:
    from compiler.lang.folder import Folded
    from compiler.lang.scopes import CheckedProbe
    from compiler.backend.site_code import ModuleContext
    from compiler.report.rows import ReportVar
    from compiler.wei.layout import MonitorLayout

__all__ = ["exit_function", "site_rows_function"]


def _puts(code: Code, ml: MonitorLayout, text: bytes) -> None:
    code.emit("i32.const", ml.layout.string(text))
    code.emit("i32.const", len(text))
    code.emit("call", ml.layout.runtime["puts"])


def exit_function(ctx: ModuleContext, ml: MonitorLayout, end: Sequence[tuple[CheckedProbe, Folded]],
                  report: Sequence[tuple[CheckedProbe, Folded]], no_report: bool) -> Helper:
    """``wasm:exit`` (WEI.md §7)."""
    lay = ml.layout
    pool = LocalPool(0)
    code = Code()
    assert lay.exit_flag is not None
    code.emit("global.get", lay.exit_flag)
    code.open("if", None)
    code.emit("return")
    code.end()
    code.emit("i32.const", 1)
    code.emit("global.set", lay.exit_flag)
    for probe, folded in end:
        guarded(ctx, probe, folded, pool, code)
    if not no_report:
        if report:
            for probe, folded in report:
                guarded(ctx, probe, folded, pool, code)
        elif ml.static_instances or ml.groups:
            _default_report(ml, code)
    code.emit("call", lay.runtime["whamm_flush"])
    code.emit("end")
    return Helper("whamm:exit", FuncType((), ()), tuple(pool.groups()), tuple(code.instrs))


def _default_report(ml: MonitorLayout, code: Code) -> None:
    lay = ml.layout
    guarded = not ml.static_instances
    if guarded:  # only if some $A created a report row
        code.emit("i32.const", 0)
        for head in ml.heads:
            code.emit("global.get", head)
            code.emit("i32.or")
        code.open("if", None)
    _puts(code, ml, f"\n{BANNER}\n{HEADER}\n".encode())
    shared = [v for v in lay.report if isinstance(v.location, MemoryLocation)]
    keys = sorted({type_group_key(t) for t in ml.groups} | {type_group_key(v.whamm_type) for v in shared})
    for key in keys:
        for g, t in enumerate(ml.groups):
            if type_group_key(t) == key:
                code.emit("global.get", ml.heads[g])
                code.emit("call", lay.functions["whamm:site_rows"])
        for v in shared:
            if type_group_key(v.whamm_type) == key:
                _static_row(ml, code, v)
    for v in lay.report:
        if not isinstance(v.location, MemoryLocation):
            _static_row(ml, code, v)
    if guarded:
        code.end()


def _static_row(ml: MonitorLayout, code: Code, v: ReportVar) -> None:
    """A shared, global or map row: its constant prefix, then the value."""
    lay = ml.layout
    rt = lay.runtime
    _puts(code, ml, row_prefix(v).encode())
    loc = v.location
    if isinstance(loc, MapLocation):
        code.emit("i32.const", loc.map_id)
        code.emit("call", rt["print_map"])
    elif isinstance(loc, MemoryLocation):
        if isinstance(v.whamm_type, MapType):
            code.emit("i32.const", 0)
            code.emit("i32.load", MemArg(2, loc.memory_offset, lay.memory))
            code.emit("call", rt["print_map"])
        else:
            code.emit("i32.const", ml.desc(v.whamm_type))
            code.emit("i32.const", loc.memory_offset)
            code.emit("call", rt["whamm_print_value"])
    else:
        assert isinstance(loc, GlobalLocation)
        parts = mem_parts(v.whamm_type, lay.value_scratch)
        for g, (off, _, store, _) in zip(loc.globals, parts):
            code.emit("i32.const", 0)
            code.emit("global.get", g)
            code.emit(store, MemArg(0, off, lay.memory))
        code.emit("i32.const", ml.desc(v.whamm_type))
        code.emit("i32.const", lay.value_scratch)
        code.emit("call", rt["whamm_print_value"])
    code.emit("i32.const", 10)
    code.emit("call", rt["putc"])


def site_rows_function(ml: MonitorLayout) -> Helper:
    """``whamm:site_rows(header)``: print the rows of one type group's list (REWRITING.md §11.2 layout:
    the value's address as the id, the constant middle, ``fname`` or ``#fid``, ``fid``, ``pc``, the
    probe id, the value)."""
    lay = ml.layout
    rt = lay.runtime
    mem = lay.memory
    code = Code()
    p, info = 0, 1

    def ld(base: int, off: int) -> None:
        code.emit("local.get", base)
        code.emit("i32.load", MemArg(2, off, mem))

    sep = lay.string(b", ")
    code.open("block", None)
    loop = code.open("loop", None)
    code.emit("local.get", p)
    code.emit("i32.eqz")
    code.emit("br_if", 1)
    ld(p, Header.INFO)
    code.emit("local.set", info)
    code.emit("local.get", p)
    code.emit("i32.const", HEADER_SIZE)
    code.emit("i32.add")
    code.emit("call", rt["putu32"])
    ld(info, Info.MID_PTR)
    ld(info, Info.MID_LEN)
    code.emit("call", rt["puts"])
    ld(p, Header.FNAME_LEN)
    code.emit("i32.eqz")
    code.open("if", None)
    code.emit("i32.const", ord("#"))
    code.emit("call", rt["putc"])
    ld(p, Header.FID)
    code.emit("call", rt["putu32"])
    code.emit("else")
    ld(p, Header.FNAME_PTR)
    ld(p, Header.FNAME_LEN)
    code.emit("call", rt["puts"])
    code.end()
    for field_ in (Header.FID, Header.PC):
        code.emit("i32.const", sep)
        code.emit("i32.const", 2)
        code.emit("call", rt["puts"])
        ld(p, field_)
        code.emit("call", rt["putu32"])
    code.emit("i32.const", sep)
    code.emit("i32.const", 2)
    code.emit("call", rt["puts"])
    ld(info, Info.TAIL_PTR)
    ld(info, Info.TAIL_LEN)
    code.emit("call", rt["puts"])
    ld(info, Info.DESC)
    code.emit("i32.eqz")
    code.open("if", None)
    ld(p, HEADER_SIZE)
    code.emit("call", rt["print_map"])
    code.emit("else")
    ld(info, Info.DESC)
    code.emit("local.get", p)
    code.emit("i32.const", HEADER_SIZE)
    code.emit("i32.add")
    code.emit("call", rt["whamm_print_value"])
    code.end()
    code.emit("i32.const", 10)
    code.emit("call", rt["putc"])
    ld(p, Header.NEXT)
    code.emit("local.set", p)
    code.br(loop)
    code.end()
    code.end()
    code.emit("end")
    return Helper("whamm:site_rows", FuncType(("i32",), ()), ((1, "i32"),), tuple(code.instrs))
