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
* The default report (§11) is one ``puts`` of the banner, one call of the runtime's
  ``whamm_report_rows`` over a compact static table of every ``memaddr`` row (:func:`report_table`: a
  branch monitor with thousands of sites adds ≈2 bytes a row, not thousands of calls or texts), then
  the ``global_id`` and ``map_id`` rows.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from compiler.lang import ast, values
from compiler.lang.scopes import CheckedProbe, VarKind, type_of
from compiler.lang.types import MapType, WhammType
from compiler.backend.lowering import BodyCompiler
from compiler.backend.instrs import Code, CodegenError, LocalPool, mem_parts
from compiler.backend.script_code import ScriptEnv, compile_guarded
from compiler.backend.strings import Helper
from compiler.backend.storage import MemStorage, Storage
from compiler.backend.site_code import ModuleContext, global_storage
from compiler.rewrite.site_env import SiteEnv, site_error
from compiler.report.rows import MapLocation, MemoryLocation, ReportVar, row_prefix, type_text, wasm_type_text
from compiler.backend.runtime_abi import encode_type, pack_value
from compiler.report.rows import BANNER, HEADER
from compiler.wasm.binary import sleb, uleb
from compiler.wasm.model import FuncType, MemArg

if TYPE_CHECKING:
    from compiler.lang.folder import Folded
    from compiler.sites.matching import MatchedSite

__all__ = ["start_function", "exit_function", "descriptors", "report_table"]


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
            _default_report(ctx, code, desc)
    if lay.has_runtime:
        code.emit("call", lay.runtime["whamm_flush"])
    code.emit("end")
    return Helper("whamm:exit", FuncType((), ()), tuple(pool.groups()), tuple(code.instrs))


def _puts(code: Code, lay, text: bytes) -> None:
    code.emit("i32.const", lay.string(text))
    code.emit("i32.const", len(text))
    code.emit("call", lay.runtime["puts"])


def _default_report(ctx: ModuleContext, code: Code, desc: Mapping[bytes, int]) -> None:
    """§11: the banner, then every ``memaddr`` row printed by the runtime's ``whamm_report_rows`` from
    a compact static table (:func:`report_table`), then the ``global_id`` and ``map_id`` rows one by one."""
    lay = ctx.layout
    region = lay.region
    assert region is not None
    rt = lay.runtime
    _puts(code, lay, f"\n{BANNER}\n{HEADER}\n".encode())
    table = report_table([v for v in lay.report if isinstance(v.location, MemoryLocation)], region.string, desc)
    if table is not None:
        base = region.alloc(len(table), 4)
        region.put(base, table)
        code.emit("i32.const", base)
        code.emit("i32.const", base + len(table))
        code.emit("call", rt["whamm_report_rows"])
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


#: Row head flags of the report table (report.c).
_VALUE_ELSEWHERE, _NEW_FUNCTION, _NEW_PC, _UNPREDICTED = 8, 4, 2, 1


def _i32(value: int) -> int:
    """``value`` modulo 2³² as a signed 32-bit number: the runtime adds differences in ``u32``
    arithmetic, so this is the shortest LEB128 that gives the same sum."""
    return (value + (1 << 31)) % (1 << 32) - (1 << 31)


def report_table(rows: Sequence[ReportVar], string: Callable[[bytes], int],
                 desc: Mapping[bytes, int]) -> bytes | None:
    """The table the runtime's ``whamm_report_rows`` prints the ``memaddr`` rows from (its layout is in
    ``runtime/report.c``), or None without such rows; ``string(data)`` places a text and returns its
    address (the empty text is never placed).

    Why compact: one record per row made the table of a branch monitor on sqlite 2 MB, larger than the
    module.  What rows share is stored once: a template per (variable, type, probe) with the row text
    around the function and pc and the value's descriptor, a text per function; per row remain a
    one-byte head and LEB128 differences from the row before for what changed (function, pc, and the
    value address where it is not the predicted one), ≈2 bytes a row.  Every row keeps its own address:
    rows may share a slot, and slots need not follow the row order.  A row whose value is read from
    another slot (a coalesced per-site counter, docs/COALESCING.md) adds that slot's distance from its
    own."""
    if not rows:
        return None
    templates: dict[tuple, int] = {}
    records = bytearray()
    functions: dict[int | None, tuple[int, int]] = {}
    stream = bytearray()
    fid_now: object = ()   # no function yet: the first row always names its function
    pc_field = addr = stride = 0

    def text(t: str) -> tuple[int, int]:
        data = t.encode()
        return (string(data) if data else 0, len(data))

    for v in rows:
        name, _, t, probe_id, fid, _, pc, location = v
        key = (name, t, probe_id)
        index = templates.get(key)
        if index is None:
            index = templates[key] = len(templates)
            wasm = "i32" if isinstance(t, MapType) else wasm_type_text(t)
            fixed = text(f", memaddr, {name}, {type_text(t)}, {wasm}, script0, ")
            probe = text(", , " if probe_id is None else f", {probe_id}, ")
            d = 0 if isinstance(t, MapType) else desc[encode_type(t)]
            records += struct.pack("<5I", *fixed, *probe, d)
        head = index << 4
        fn_part = pc_part = addr_part = b""
        if fid != fid_now:
            fid_now = fid
            fn = functions.get(fid)
            if fn is None:
                fn = functions[fid] = text(", , " if fid is None else f"{v.display_fname}, {fid}, ")
            head |= _NEW_FUNCTION
            fn_part = uleb(fn[0]) + uleb(fn[1])
            pc_field = 0
        field = 0 if pc is None else pc + 1
        if field != pc_field:
            head |= _NEW_PC
            pc_part = sleb(field - pc_field)
            pc_field = field
        at = location.memory_offset
        predicted = addr + stride
        if at != predicted:
            head |= _UNPREDICTED
            addr_part = sleb(_i32(at - predicted))
            stride = _i32(at - addr)
        addr = at
        value_part = b""
        if location.value_offset is not None:
            head |= _VALUE_ELSEWHERE
            value_part = sleb(_i32(location.value_offset - at))
        stream += uleb(head)
        stream += fn_part
        stream += pc_part
        stream += addr_part
        stream += value_part
    return struct.pack("<I", len(templates)) + bytes(records) + bytes(stream)


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
