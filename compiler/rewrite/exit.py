"""Program start and exit of a rewritten module: the start routine, the exit sequence, the default report
(REWRITING.md §4, §10, §11).  The code they run outside sites (script-level statements, user functions,
``wasm:begin/end/report`` bodies, getters) is compiled as in the monitor, by
:mod:`compiler.backend.script_code`.

* ``whamm:start`` (§4) creates the maps, runs the script-level statements, the shared initialisers (probe
  order), every site's initialisers and ``@init`` calls (site allocation order), the ``wasm:begin`` bodies,
  and finally the application's own start function.  Initialisers that fold to constants are not code at
  all: their bytes go straight into the instrumentation memory's data (they have no effects to order).
* ``whamm:exit`` (§10) is guarded to run once; it runs the ``wasm:end`` bodies, then the ``wasm:report``
  bodies or the default report (only if some report variable instance exists), then flushes the output.
* The default report (§11) is one ``puts`` of the banner, a loop over a static table of
  ``(prefix, prefix length, type descriptor, value address)`` records for every ``memaddr`` row (so a
  branch monitor with thousands of sites adds a table, not thousands of calls), then the ``global_id``
  and ``map_id`` rows.
"""
from __future__ import annotations

import array
import sys
from typing import TYPE_CHECKING, Mapping, Sequence

from compiler.lang import ast, values
from compiler.lang.scopes import CheckedProbe, VarKind, type_of
from compiler.lang.types import MapType, WhammType
from compiler.backend.lowering import BodyCompiler
from compiler.backend.instrs import Code, CodegenError, LocalPool, mem_parts, op
from compiler.backend.script_code import ScriptEnv, compile_guarded
from compiler.backend.strings import Helper
from compiler.backend.storage import MemStorage, Storage
from compiler.backend.site_code import ModuleContext, global_storage
from compiler.rewrite.site_env import SiteEnv, site_error
from compiler.report.rows import MapLocation, MemoryLocation, ReportVar, row_prefix, type_text, wasm_type_text
from compiler.backend.runtime_abi import encode_type, pack_value
from compiler.report.rows import BANNER, HEADER
from compiler.wasm.model import FuncType, MemArg

if TYPE_CHECKING:
    from compiler.lang.folder import Folded
    from compiler.sites.matching import MatchedSite

__all__ = ["start_function", "exit_function", "descriptors"]


# ------------------------------------------------------------------------------------------------
# The start routine (§4)


def _constant(expr: ast.Expr) -> tuple[bool, object]:
    """Whether ``expr`` is a literal (or a tuple of literals) and its value in ``values`` form."""
    if isinstance(expr, ast.IntLit):
        return True, values.int_literal(expr.value, type_of(expr))  # type: ignore[arg-type]
    if isinstance(expr, ast.FloatLit):
        return True, values.float_literal(expr.text, type_of(expr))  # type: ignore[arg-type]
    if isinstance(expr, (ast.BoolLit, ast.StrLit)):
        return True, expr.value
    if isinstance(expr, ast.TupleLit) and expr.elems:
        parts = [_constant(e) for e in expr.elems]
        if all(ok for ok, _ in parts):
            return True, tuple(v for _, v in parts)
    return False, None


def _init_slot(ctx: ModuleContext, storage: Storage, t: WhammType, expr: ast.Expr,
               compiler: BodyCompiler) -> None:
    """Initialise a slot: constant bytes in the data when possible, else code in the start routine."""
    ok, value = _constant(expr)
    region = ctx.layout.region
    if ok and isinstance(storage, MemStorage) and region is not None:
        region.put(storage.addr, pack_value(t, value, region.string))
        return
    storage.store_prefix(compiler.code, compiler.env)
    compiler.expr(expr)
    storage.store_suffix(compiler.code, compiler.env)


def start_function(ctx: ModuleContext, statements: Sequence[ast.Stmt],
                   shared_inits: Sequence[tuple[CheckedProbe, Mapping[str, ast.Expr]]],
                   sites: Sequence[MatchedSite], begin: Sequence[tuple[CheckedProbe, Folded]],
                   app_start: int | None, desc: Mapping[bytes, int]) -> Helper:
    """``whamm:start`` (§4); ``statements`` are the folded script-level statements, ``shared_inits``
    the folded shared initialisers per probe (probe order)."""
    lay = ctx.layout
    prog = ctx.program
    pool = LocalPool(0)
    code = Code()
    # 1. state: maps
    for mid, mt in lay.maps:
        code.emit("i32.const", mid)
        code.emit("i32.const", desc[encode_type(mt.key) + encode_type(mt.value)])
        code.emit("call", lay.runtime["whamm_map_create"])
    # 2. script-level statements
    env = ScriptEnv(ctx, None, pool)
    for stmt in statements:
        c = BodyCompiler(env, code)
        if isinstance(stmt, ast.VarDecl):
            if stmt.init is None:
                continue
            sym = prog.globals[stmt.name]
            c.assign_to(global_storage(lay, sym), sym.type, (), stmt.init)
            continue
        c.stmt(stmt)
    # 3. shared initialisers, probe order
    for probe, inits in shared_inits:
        senv = SiteEnv(ctx, probe, None, pool, None, None)
        c = BodyCompiler(senv, code)
        for sym in probe.symbols:
            if sym.kind is VarKind.SHARED and sym.name in inits and not isinstance(sym.type, MapType):
                _init_slot(ctx, senv.storage(sym), sym.type, inits[sym.name], c)
    # 4. per-site initialisation, site allocation order
    # keyed by identity: sites share their folded bodies, and ``sites`` keeps every body alive while the
    # ids are looked up (hashing the bodies by value would walk each tree once per site)
    calls_of: dict[int, list[ast.Call]] = {}
    for site in sites:
        f = site.folded
        init_calls = calls_of.get(id(f.body))
        if init_calls is None:
            init_calls = calls_of[id(f.body)] = _init_calls(f.body)
        if not f.inits and not init_calls:
            continue
        senv = SiteEnv(ctx, site.probe, site, pool, None, None)
        c = BodyCompiler(senv, code)
        try:
            for sym in site.probe.symbols:
                if sym.kind is VarKind.UNSHARED and sym.name in f.inits and not isinstance(sym.type, MapType):
                    _init_slot(ctx, senv.storage(sym), sym.type, f.inits[sym.name], c)
            for call in init_calls:
                c.expr(call)
                c.drop(c.type_of(call))
        except CodegenError as exc:
            raise site_error(prog, exc.message, exc.span, site) from None
    # 5. wasm:begin
    for probe, folded in begin:
        benv = ScriptEnv(ctx, probe, pool)
        compile_guarded(BodyCompiler(benv, code), folded, ctx.no_pred)
    # 6. the application's start function
    if app_start is not None:
        code.emit("call", app_start)
    code.emit("end")
    return Helper("whamm:start", FuncType((), ()), tuple(pool.groups()), tuple(code.instrs))


def _init_calls(body: ast.Block | None) -> list[ast.Call]:
    out: list[ast.Call] = []
    if body is None:
        return out

    def walk(b: ast.Block) -> None:
        for s in b.stmts:
            if isinstance(s, ast.CallStmt) and isinstance(s.call, ast.Call) and s.call.annotation == "init":
                out.append(s.call)
            elif isinstance(s, ast.If):
                walk(s.then)
                for e in s.elifs:
                    walk(e.body)
                if s.orelse is not None:
                    walk(s.orelse)

    walk(body)
    return out


# ------------------------------------------------------------------------------------------------
# The exit sequence (§10) and the default report (§11)


def exit_function(ctx: ModuleContext, end: Sequence[tuple[CheckedProbe, Folded]],
                  report: Sequence[tuple[CheckedProbe, Folded]], no_report: bool,
                  desc: Mapping[bytes, int]) -> Helper:
    """``whamm:exit`` (REWRITING.md §10): runs once (a flag guards it), then the ``wasm:end`` bodies, the
    ``wasm:report`` bodies or else the default report (§11) unless ``no_report``, and flushes the runtime.
    ``desc`` maps encoded types to their descriptor addresses for the default report."""
    lay = ctx.layout
    pool = LocalPool(0)
    code = Code()
    flag = lay.exit_flag
    assert flag is not None
    code.emit("global.get", flag)
    code.open("if", None)
    code.emit("return")
    code.end()
    code.emit("i32.const", 1)
    code.emit("global.set", flag)
    for probe, folded in end:
        env = ScriptEnv(ctx, probe, pool)
        compile_guarded(BodyCompiler(env, code), folded, ctx.no_pred)
    if not no_report:
        if report:
            for probe, folded in report:
                env = ScriptEnv(ctx, probe, pool)
                compile_guarded(BodyCompiler(env, code), folded, ctx.no_pred)
        elif lay.has_instances:
            _default_report(ctx, code, pool, desc)
    if lay.has_runtime:
        code.emit("call", lay.runtime["whamm_flush"])
    code.emit("end")
    return Helper("whamm:exit", FuncType((), ()), tuple(pool.groups()), tuple(code.instrs))


def _puts(code: Code, lay, text: bytes) -> None:
    code.emit("i32.const", lay.string(text))
    code.emit("i32.const", len(text))
    code.emit("call", lay.runtime["puts"])


def _default_report(ctx: ModuleContext, code: Code, pool: LocalPool, desc: Mapping[bytes, int]) -> None:
    """§11: the banner, then a loop over a static table with one record per ``memaddr`` row, then the
    ``global_id`` and ``map_id`` rows one by one.

    A record is nine ``u32``: value address (also the row's id), the fixed part
    ``", memaddr, <name>, <type>, <wasm>, script0, "``, the function part ``"<fname>, <fid>, "`` (or
    ``", , "``), the pc (-1: empty), the probe part ``", <probe_id>, "`` (or ``", , "``) — each text as
    address and length — and the value's type descriptor (0: a map id to print with ``print_map``).
    When some row's value is not in its own slot (coalesced per-site counters, docs/COALESCING.md),
    every record has a tenth ``u32``, the value's address, and the first is only the id."""
    lay = ctx.layout
    region = lay.region
    assert region is not None
    mem = lay.memory
    rt = lay.runtime
    _puts(code, lay, f"\n{BANNER}\n{HEADER}\n".encode())
    texts: dict[str, tuple[int, int]] = {}

    def text(t: str) -> tuple[int, int]:
        got = texts.get(t)
        if got is None:
            data = t.encode()
            got = texts[t] = (region.string(data) if data else 0, len(data))
        return got

    descs: dict[object, int] = {}
    fixed: dict[tuple[str, object], tuple[int, int]] = {}
    funcs: dict[object, tuple[int, int]] = {}
    probes: dict[object, tuple[int, int]] = {}
    table = array.array("i")
    rows = 0
    moved = any(isinstance(v.location, MemoryLocation) and v.location.value_offset is not None for v in lay.report)
    for v in lay.report:
        loc = v.location
        if not isinstance(loc, MemoryLocation):
            continue
        t = v.whamm_type
        d = descs.get(t)
        if d is None:
            d = descs[t] = 0 if isinstance(t, MapType) else desc[encode_type(t)]
        a = fixed.get((v.name, t))
        if a is None:
            wasm = "i32" if isinstance(t, MapType) else wasm_type_text(t)
            a = fixed[(v.name, t)] = text(f", memaddr, {v.name}, {type_text(t)}, {wasm}, script0, ")
        b = funcs.get(v.fid)
        if b is None:
            b = funcs[v.fid] = text(", , " if v.fid is None else f"{v.fname or f'#{v.fid}'}, {v.fid}, ")
        c = probes.get(v.probe_id)
        if c is None:
            c = probes[v.probe_id] = text(", , " if v.probe_id is None else f", {v.probe_id}, ")
        table.extend((loc.memory_offset, a[0], a[1], b[0], b[1], -1 if v.pc is None else v.pc, c[0], c[1], d))
        if moved:
            table.append(loc.value_address)
        rows += 1
    if rows:
        data = table.tobytes() if sys.byteorder == "little" else _swapped(table)
        base = region.alloc(len(data), 8)
        region.put(base, data)
        end = base + len(data)
        ptr = pool.new("i32")

        def ld(off: int) -> list:
            return [op("local.get", ptr), op("i32.load", MemArg(2, off, mem))]

        value = 36 if moved else 0      # the offset of the value's address in a record

        seq = [op("i32.const", base), op("local.set", ptr), op("block", None), op("loop", None),
               op("local.get", ptr), op("i32.const", end), op("i32.ge_u"), op("br_if", 1),
               *ld(0), op("call", rt["putu32"]),
               *ld(4), *ld(8), op("call", rt["puts"]),
               *ld(12), *ld(16), op("call", rt["puts"]),
               *ld(20), op("i32.const", -1), op("i32.ne"), op("if", None), *ld(20), op("call", rt["putu32"]),
               op("end"),
               *ld(24), *ld(28), op("call", rt["puts"]),
               *ld(32), op("i32.eqz"), op("if", None),
               *ld(value), op("i32.load", MemArg(2, 0, mem)), op("call", rt["print_map"]),
               op("else"), *ld(32), *ld(value), op("call", rt["whamm_print_value"]), op("end"),
               op("i32.const", 10), op("call", rt["putc"]),
               op("local.get", ptr), op("i32.const", 40 if moved else 36), op("i32.add"), op("local.set", ptr),
               op("br", 0), op("end"), op("end")]
        code.extend(seq)
    for v in lay.report:
        if isinstance(v.location, MemoryLocation):
            continue
        _puts(code, lay, row_prefix(v).encode())
        if isinstance(v.location, MapLocation):
            code.emit("i32.const", v.location.map_id)
            code.emit("call", rt["print_map"])
        else:
            _global_value(code, lay, v, desc)
        code.emit("i32.const", 10)
        code.emit("call", rt["putc"])


def _swapped(table: array.array) -> bytes:
    t = array.array("i", table)
    t.byteswap()
    return t.tobytes()


def _global_value(code: Code, lay, v: ReportVar, desc: Mapping[bytes, int]) -> None:
    """Copy a global report variable into the value scratch slot and print it from there."""
    parts = mem_parts(v.whamm_type, lay.value_scratch)
    for g, (off, _, store, _) in zip(v.location.globals, parts):  # type: ignore[union-attr]
        code.emit("i32.const", 0)
        code.emit("global.get", g)
        code.emit(store, MemArg(0, off, lay.memory))
    code.emit("i32.const", desc[encode_type(v.whamm_type)])
    code.emit("i32.const", lay.value_scratch)
    code.emit("call", lay.runtime["whamm_print_value"])


def descriptors(layout) -> dict[bytes, int]:
    """Place every type descriptor the start routine and the report need; returns bytes → address."""
    out: dict[bytes, int] = {}
    region = layout.region
    if region is None:
        return out
    for _, mt in layout.maps:
        d = encode_type(mt.key) + encode_type(mt.value)
        out.setdefault(d, region.string(d))
    for t in {v.whamm_type for v in layout.report if not isinstance(v.whamm_type, MapType)}:
        d = encode_type(t)
        out.setdefault(d, region.string(d))
    return out
