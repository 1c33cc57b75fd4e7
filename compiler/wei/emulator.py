"""An engine for monitor modules on wasmtime: ``whamm run --wei-monitor mon.wasm -a app.wasm``
(WEI.md §9).

This plays the part the Wizard engine plays upstream, so wei monitors run anywhere and the wei backend
has a functional oracle (its report must equal the rewriting target's):

1. instantiate the user libraries the monitor imports and the monitor itself, with WASI preview 1, in
   one store (the monitor's start function runs);
2. parse every probe export (:mod:`compiler.wei.names`) and find its candidate sites in the application
   with the rewriting target's site finder (:mod:`compiler.sites.finding`), in traversal order —
   function, instruction, then ``wasm:func`` after the others, then export order, which the compiler
   made REWRITING.md §8's order;
3. at each site: compute the requested static values (``fid``, ``pc``, ``immN`` …), check that the
   dynamic ones exist with the body's parameter types (``argN``, ``localN``; else the probe is not
   attached there), call ``$P`` (attach only if non-zero), then ``$A`` and each ``$S``, remembering
   their results;
4. weave into the application a call per attached site (:mod:`compiler.wei.weave`) to the monitor's
   body export, the application copying string arguments into the engine buffer (from
   ``whamm_buffer:start``) itself; only a dynamic ``resolved_fid`` (a table slot to resolve to a
   function index) goes through a host trampoline, which then calls the body;
5. run the application's entry point; when it returns or calls ``proc_exit``, call ``wasm:exit``
   (not after a trap, like the rewriting target's flush).

String arguments of match-time callbacks are written into the buffer before each call, one after the
other.  ``pc`` passed to the per-site callbacks (``$A``, ``$S``) is the site's report ``pc`` (the first
instruction's for ``wasm:func`` sites, WEI.md §7); elsewhere it is the bound variable's value.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import wasmtime

from compiler.errors import WhammError
from compiler.events.variables import variable
from compiler.runner import (
    EXIT_LIMIT, EXIT_TRAP, LinkedLibrary, Outcome, RunError, RunOptions, RunResult, TraceFrame, error_reason,
    wasi_config,
)
from compiler.sites.finding import ModuleSites, Placement, Site
from compiler.wasm.model import FuncType
from compiler.wasm.reader import read_module
from compiler.wasm.validate import config
from compiler.wei.names import ExportName, is_probe_export, parse_export_name
from compiler.wei.suppliers import SUPPLIERS, EngineValue
from compiler.wei.weave import FUNC_EXPORT, TABLE_EXPORT, Arg, WovenCall, weave

if TYPE_CHECKING:
    from compiler.sites.finding import FunctionSites
    from compiler.wasm.model import Module

__all__ = ["EmulatorError", "Attachment", "Emulation", "emulate", "MONITOR_MODULE", "ENGINE_MODULE",
           "STRING_PARAMS"]


#: Import module names of the woven application: the monitor's exports and the engine's trampolines.
MONITOR_MODULE = "whamm:monitor"
ENGINE_MODULE = "whamm:engine"
#: Requested values that are strings (two parameters: pointer and length in the engine buffer).
STRING_PARAMS = frozenset({"fname", "target_fn_name", "target_fn_type", "target_imp_module"})
_EXIT_EXPORT = "wasm:exit"


class EmulatorError(WhammError):
    """The monitor and the application cannot be run together (bad export, missing buffer, …)."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A probe attached at a site: the export, the site, the engine's probe id and what the per-site
    callbacks returned."""

    export: str
    fid: int
    pc: int
    probe_id: int
    results: tuple


@dataclass(slots=True, eq=False)
class Emulation:
    """The run's :class:`~compiler.runner.RunResult` and every attachment in attach order."""

    result: RunResult
    attachments: tuple[Attachment, ...]


@dataclass(slots=True, eq=False)
class _Probe:
    """A parsed probe export with its functions and per-name body parameter types."""

    order: int
    text: str
    name: ExportName
    body: wasmtime.Func
    predicate: wasmtime.Func | None
    calls: tuple[wasmtime.Func, ...]
    call_results: tuple[tuple[str, ...], ...]
    param_types: dict[str, tuple[str, ...]]
    trampoline: int | None = None
    dynamic: tuple[str, ...] = ()


@dataclass(slots=True, eq=False)
class _Plan:
    """The trampolines' per-attachment data."""

    statics: list[list] = field(default_factory=list)       # per attachment: arguments (None = dynamic)


def emulate(monitor: bytes, app: bytes, libraries: Sequence[LinkedLibrary] = (),
            options: RunOptions = RunOptions(), *, app_name: str = "app.wasm",
            app_module: Module | None = None) -> Emulation:
    """Run ``app`` (validated Wasm bytes) under the engine monitor ``monitor`` (WEI.md §9).  Setup
    problems raise :class:`EmulatorError` or :class:`~compiler.runner.RunError`; how the program ended is
    in the result (exit status per CLI.md §4.4)."""
    return _Engine(monitor, app, libraries, options, app_name, app_module).run()


def _signed(valtype: str, value: int) -> int:
    bits = 64 if valtype == "i64" else 32
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


class _Engine:
    def __init__(self, monitor: bytes, app: bytes, libraries: Sequence[LinkedLibrary], options: RunOptions,
                 app_name: str, app_module: Module | None) -> None:

        self.options = options
        self.app_name = app_name
        self.app = app
        self.app_module = app_module if app_module is not None else read_module(app)
        cfg = config()
        cfg.epoch_interruption = True
        if options.fuel is not None:
            cfg.consume_fuel = True
        self.engine = wasmtime.Engine(cfg)
        self.monitor = self._compile(monitor, "the monitor module")
        imported = {imp.module for imp in self.monitor.imports}
        self.libraries = [(lib, self._compile(lib.wasm, lib.label)) for lib in libraries
                          if lib.import_module in imported]
        self.attachments: list[Attachment] = []
        self.timed_out = False
        self.added_imports = 0
        self.app_module_name = self.app_module.names.module if self.app_module.names is not None else None

    def _compile(self, wasm: bytes, what: str) -> wasmtime.Module:
        try:
            return wasmtime.Module(self.engine, wasm)
        except wasmtime.WasmtimeError as exc:
            raise RunError(f"cannot instantiate {what}: {error_reason(exc)}") from None

    # ------------------------------------------------------------------------------------ running

    def run(self) -> Emulation:

        store = wasmtime.Store(self.engine)
        store.set_epoch_deadline(1)
        if self.options.fuel is not None:
            store.set_fuel(self.options.fuel)
        wasi, pumps = wasi_config(self.options, os.path.basename(self.app_name))
        store.set_wasi(wasi)
        for pump in pumps:
            pump.start()
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        self.store = store
        timer = None
        if self.options.timeout is not None:
            timer = threading.Timer(self.options.timeout, self._time_out)
            timer.daemon = True
            timer.start()
        start = time.perf_counter()
        monitor_instance = None
        results: tuple[str, ...] = ()
        frames: tuple[TraceFrame, ...] = ()
        try:
            for lib, module in self.libraries:
                linker.define_instance(store, lib.import_module, self._instantiate(linker, module, lib.label))
            monitor_instance = self._instantiate(linker, self.monitor, "the monitor module")
            self.exports = monitor_instance.exports(store)
            woven, trampolines = self._attach()
            linker.define_instance(store, MONITOR_MODULE, monitor_instance)
            for k, (ftype, fn) in trampolines.items():
                linker.define_func(ENGINE_MODULE, str(k), ftype, fn, access_caller=True)
            instance = self._instantiate(linker, self._compile(woven, self.app_name), self.app_name)
            results = self._call_entry(instance)
            outcome, status, message, code = Outcome.RETURNED, 0, None, None
            self._exit()
        except wasmtime.ExitTrap as exc:
            outcome, status, message, code = Outcome.EXITED, exc.code, None, None
            if monitor_instance is not None:
                self._exit()
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            outcome, status, message, code = self._failure(exc)
            frames = tuple(self._frame(f) for f in (getattr(exc, "frames", None) or ()))
        finally:
            for pump in pumps:
                pump.finish()
            if timer is not None:
                timer.cancel()
        return Emulation(RunResult(outcome, status, message, code, frames, results, time.perf_counter() - start,
                                   store, monitor_instance), tuple(self.attachments))

    def _time_out(self) -> None:
        self.timed_out = True
        self.engine.increment_epoch()

    def _instantiate(self, linker: wasmtime.Linker, module: wasmtime.Module, what: str) -> wasmtime.Instance:
        try:
            return linker.instantiate(self.store, module)
        except (wasmtime.Trap, wasmtime.ExitTrap):
            raise
        except wasmtime.WasmtimeError as exc:
            if "wasm trap" in str(exc) or "wasm backtrace" in str(exc):
                raise
            raise RunError(f"cannot instantiate {what}: {error_reason(exc)}") from None

    def _exit(self) -> None:
        fn = self.exports.get(_EXIT_EXPORT)
        if isinstance(fn, wasmtime.Func):
            self.store.set_epoch_deadline(1 << 62)
            if self.options.fuel is not None:
                self.store.set_fuel(1 << 62)
            fn(self.store)

    def _call_entry(self, instance: wasmtime.Instance) -> tuple[str, ...]:
        exports = instance.exports(self.store)
        init = exports.get("_initialize")
        if isinstance(init, wasmtime.Func):
            init(self.store)
        name = self.options.invoke
        if name is None:
            name = next((n for n in ("", "_start") if isinstance(exports.get(n), wasmtime.Func)), None)
            if name is None:
                return ()
        func = exports.get(name)
        if not isinstance(func, wasmtime.Func):
            raise RunError(f"cannot invoke '{name}': the module exports no function of that name")
        ftype = func.type(self.store)
        if ftype.params:
            raise RunError(f"cannot invoke '{name}': it takes {len(ftype.params)} parameter(s)")
        value = func(self.store)
        values = [] if value is None else list(value) if len(ftype.results) > 1 else [value]
        return tuple("null" if v is None else repr(v) if isinstance(v, float) else str(v) for v in values)

    def _frame(self, frame: wasmtime.Frame) -> TraceFrame:
        """A backtrace frame in the user's terms: application functions by **input** index (the woven
        module's added imports shift them), monitor functions as ``whamm:monitor:<name>``."""
        index, name = frame.func_index, frame.func_name
        if frame.module_name != self.app_module_name:
            return TraceFrame(f"{frame.module_name or 'module'}:{name or f'#{index}'}", None)
        nimp = self.app_module.num_imported_funcs
        if index >= nimp + self.added_imports:
            index -= self.added_imports
        elif index >= nimp:
            return TraceFrame(f"{ENGINE_MODULE}:{name or index}", None)
        names = self.app_module.names.functions if self.app_module.names is not None else {}
        return TraceFrame(names.get(index) or f"#{index}", index)

    def _failure(self, exc: Exception) -> tuple[Outcome, int, str, str | None]:
        code = getattr(exc, "trap_code", None)
        if code == wasmtime.TrapCode.INTERRUPT:
            if self.timed_out:
                return Outcome.TIMED_OUT, EXIT_LIMIT, \
                    f"execution timed out after {self.options.timeout:g} s", None
            return Outcome.INTERRUPTED, 130, "execution interrupted", None
        if code == wasmtime.TrapCode.OUT_OF_FUEL:
            return Outcome.OUT_OF_FUEL, EXIT_LIMIT, "execution ran out of fuel", None
        reason = error_reason(exc).removeprefix("wasm trap: ")
        return Outcome.TRAPPED, EXIT_TRAP, f"wasm trap: {reason}", code.name if code else None

    # ---------------------------------------------------------------------------------- attaching

    def _probes(self) -> list[_Probe]:
        out = []
        for text, item in self.exports.items():
            if not is_probe_export(text):
                continue
            try:
                name = parse_export_name(text)
            except WhammError as exc:
                raise EmulatorError(str(exc)) from None
            if not isinstance(item, wasmtime.Func):
                raise EmulatorError(f"probe export {text!r} is not a function")
            pred = self._callback(text, name.predicate.index) if name.predicate is not None else None
            calls = tuple(self._callback(text, c.index) for c in name.calls)
            call_results = tuple(tuple(str(t) for t in c.type(self.store).results) for c in calls)
            params = [str(t) for t in item.type(self.store).params]
            pos = sum(len(r) for r in call_results)
            types: dict[str, tuple[str, ...]] = {}
            for n in name.params:
                width = 2 if n in STRING_PARAMS else 1
                types[n] = tuple(params[pos:pos + width])
                pos += width
            if pos != len(params):
                raise EmulatorError(f"probe export {text!r}: its function takes {len(params)} parameters, the "
                                    f"name describes {pos}")
            out.append(_Probe(len(out), text, name, item, pred, calls, call_results, types))
        return out

    def _callback(self, export: str, index: int) -> wasmtime.Func:
        fn = self.exports.get(f"${index}")
        if not isinstance(fn, wasmtime.Func):
            raise EmulatorError(f"probe export {export!r} names callback ${index}, which the monitor does not "
                                "export")
        return fn

    def _buffer(self) -> tuple[wasmtime.Memory, int, int]:
        mem = self.exports.get("whamm_buffer")
        start = self.exports.get("whamm_buffer:start")
        size = self.exports.get("whamm_buffer:max")
        if not isinstance(mem, wasmtime.Memory) or not isinstance(start, wasmtime.Global) or \
                not isinstance(size, wasmtime.Global):
            raise EmulatorError("the monitor does not export whamm_buffer, whamm_buffer:start and "
                                "whamm_buffer:max")
        return mem, int(start.value(self.store)), int(size.value(self.store))

    def _strings(self, values: Sequence[object]) -> list:
        """Arguments for a call: strings written into the engine buffer as (ptr, len)."""
        mem, start, size = self.buffer
        out: list = []
        pos = start
        for v in values:
            if isinstance(v, bytes):
                if pos + len(v) > start + size:
                    raise EmulatorError(f"string arguments exceed whamm_buffer:max ({size} bytes)")
                mem.write(self.store, v, pos)
                out += [pos, len(v)]
                pos += len(v)
            else:
                out.append(v)
        return out

    def _invoke(self, fn: wasmtime.Func, values: Sequence[object]) -> object:
        """Call a monitor function: strings into the buffer, integers in the signed form wasmtime takes."""
        args = self._strings(values)
        types = [str(t) for t in fn.type(self.store).params]
        args = [_signed(t, a) if t in ("i32", "i64") and isinstance(a, int) else a for t, a in zip(types, args)]
        return fn(self.store, *args)

    def _attach(self) -> tuple[bytes, dict]:
        """Match, call the match-time callbacks and weave: the woven application and its trampolines."""
        probes = self._probes()
        self.buffer = self._buffer()
        ms = ModuleSites(self.app_module)
        by_event: dict[str, list[_Probe]] = {}
        other: list[_Probe] = []
        for p in probes:
            if p.name.package == "opcode":
                by_event.setdefault(p.name.event, []).append(p)
            else:
                other.append(p)
        imports: list[tuple[str, str, FuncType]] = []
        import_of: dict[str, int] = {}
        calls: list[WovenCall] = []
        plans: dict[int, _Plan] = {}
        tables: set[int] = set()
        resolve = False
        next_id = 0
        for fid in ms.defined:
            fs = ms.function(fid)
            candidates: list[tuple[int, int, int, Site, _Probe]] = []
            for i, ins in enumerate(fs.instrs):
                found = by_event.get(ins.op.name)
                if found:
                    site = fs.opcode_site(i)
                    candidates.extend((i, 0, p.order, site, p) for p in found)
            for p in other:
                for site in fs.sites(p.name.package, p.name.event):
                    candidates.append((site.index, 1 if p.name.package == "func" else 0, p.order, site, p))
            candidates.sort(key=lambda c: c[:3])
            for _, _, _, site, p in candidates:
                values = self._values(p, fs, site, next_id)
                if values is None:
                    continue
                if p.predicate is not None:
                    args = self._statics(p, p.name.predicate.params, values, site, False)  # type: ignore[union-attr]
                    if not self._invoke(p.predicate, args):
                        continue
                got = []
                for fn, ref in zip(p.calls, p.name.calls):
                    r = self._invoke(fn, self._statics(p, ref.params, values, site, True))
                    got.extend(r if isinstance(r, (list, tuple)) else () if r is None else (r,))
                self.attachments.append(Attachment(p.text, fid, site.pc, next_id, tuple(got)))
                next_id += 1
                rtypes_flat = [t for r in p.call_results for t in r]
                head = [Arg("const", t, value=_signed(t, v) if t in ("i32", "i64") else v)
                        for t, v in zip(rtypes_flat, got)]
                dynamic = [n for n in p.name.params if values[n].arg is not None]
                needs_host = any(values[n].resolve_table is not None for n in p.name.params)
                if needs_host or p.trampoline is not None:
                    if p.trampoline is None:
                        p.trampoline = len(imports)
                        p.dynamic = tuple(dynamic)
                        ftype = FuncType(("i32",) + tuple(t for n in dynamic for t in p.param_types[n]), ())
                        imports.append((ENGINE_MODULE, str(p.trampoline), ftype))
                        plans[p.trampoline] = _Plan()
                    plan = plans[p.trampoline]
                    aid = len(plan.statics)
                    plan.statics.append([got, [None if values[n].arg is not None else values[n].value
                                               for n in p.name.params],
                                         [values[n].resolve_table for n in p.name.params]])
                    args = (Arg("const", "i32", value=aid),) + tuple(values[n].arg for n in dynamic)  # type: ignore
                    if any(values[n].resolve_table is not None for n in p.name.params):
                        resolve = True
                        tables.update(values[n].resolve_table for n in p.name.params  # type: ignore[misc]
                                      if values[n].resolve_table is not None)
                    target = p.trampoline
                else:
                    if p.text not in import_of:
                        import_of[p.text] = len(imports)
                        ftype = FuncType(tuple(t for r in p.call_results for t in r) +
                                         tuple(t for n in p.name.params for t in p.param_types[n]), ())
                        imports.append((MONITOR_MODULE, p.text, ftype))
                    args = tuple(head) + self._args(p, values)
                    target = import_of[p.text]
                calls.append(WovenCall(fid, site.index, site.placement or Placement.BEFORE, target, args))
        self.added_imports = len(imports)
        woven = weave(self.app_module, imports, calls, export_functions=resolve, export_tables=sorted(tables),
                      buffer=(MONITOR_MODULE, "whamm_buffer"))
        trampolines = {}
        for p in probes:
            if p.trampoline is not None:
                ftype = wasmtime.FuncType([_valtype(t) for t in imports[p.trampoline][2].params], [])
                trampolines[p.trampoline] = (ftype, self._trampoline(p, plans[p.trampoline]))
        return woven, trampolines

    def _args(self, p: _Probe, values: dict[str, EngineValue]) -> tuple[Arg, ...]:
        """The woven arguments of a direct call: dynamic values, constants, and strings copied into the
        engine buffer one after the other."""
        _, start, size = self.buffer
        pos = start
        out = []
        for n in p.name.params:
            v = values[n]
            if v.arg is not None:
                out.append(v.arg)
            elif isinstance(v.value, bytes):
                if pos + len(v.value) > start + size:
                    raise EmulatorError(f"string arguments exceed whamm_buffer:max ({size} bytes)")
                out.append(Arg("string", "i32", pos, v.value))
                pos += len(v.value)
            else:
                t = p.param_types[n][0]
                out.append(Arg("const", t, value=_const(t, v.value)))
        return tuple(out)

    def _values(self, p: _Probe, fs: FunctionSites, site: Site, probe_id: int) -> dict[str, EngineValue] | None:
        """Every value ``p`` requests (body and callbacks) at ``site``, or None where one is unavailable."""
        names: list[str] = list(p.name.params)
        for ref in (p.name.predicate, *p.name.calls):
            if ref is not None:
                names += [n for n in ref.params if n not in names]
        b = site.bindings
        out: dict[str, EngineValue] = {}
        for n in names:
            if n in b:                                # static at this site: its binder's value
                v = b[n]
                out[n] = EngineValue(v.encode() if isinstance(v, str) else int(v) if isinstance(v, bool) else v)
                continue
            supply = SUPPLIERS.get(variable(n).engine)   # type: ignore[arg-type]
            got = None if supply is None else supply(fs, site, n, p.param_types.get(n), probe_id)
            if got is None:
                return None
            out[n] = got
        return out

    def _statics(self, p: _Probe, params: Sequence[str], values: dict[str, EngineValue], site: Site,
                 per_site: bool) -> list:
        out = []
        for n in params:
            v = values[n]
            if v.arg is not None:
                raise EmulatorError(f"probe export {p.text!r}: a match-time callback requests the run-time "
                                    f"value {n}")
            if n == "pc" and per_site:
                out.append(site.pc)
            else:
                out.append(v.value)
        return out

    def _trampoline(self, p: _Probe, plan: _Plan):
        """The host function behind a probe whose calls need the engine: writes strings into the buffer,
        resolves table slots, then calls the body."""
        body = p.body
        names = p.name.params
        dyn_index = {n: k for k, n in enumerate(p.dynamic)}

        def call(caller, aid, *dyn):
            got, statics, resolve = plan.statics[aid]
            args: list = list(got)
            for k, n in enumerate(names):
                if statics[k] is not None:
                    args.append(statics[k])
                    continue
                v = dyn[dyn_index[n]]
                if resolve[k] is not None:
                    v = _resolve(caller, resolve[k], v)
                args.append(v)
            self._invoke(body, args)

        return call


def _resolve(caller, table: int, index: int) -> int:
    """``resolved_fid``: the input function index stored in slot ``index`` of ``table``, -1 if none."""
    t = caller.get(TABLE_EXPORT.format(table))
    if not isinstance(t, wasmtime.Table) or not 0 <= index < t.size(caller):
        return -1
    ref = t.get(caller, index)
    if not isinstance(ref, wasmtime.Func):
        return -1
    key = getattr(ref._func, "__private")
    k = 0
    while True:
        f = caller.get(FUNC_EXPORT.format(k))
        if not isinstance(f, wasmtime.Func):
            return -1
        if getattr(f._func, "__private") == key:
            return k
        k += 1


def _const(valtype: str, value: object) -> object:
    if valtype in ("i32", "i64"):
        return int(value)  # type: ignore[call-overload]
    return float(value)  # type: ignore[arg-type]


def _valtype(t: object):
    name = str(t)
    return {"i32": wasmtime.ValType.i32(), "i64": wasmtime.ValType.i64(), "f32": wasmtime.ValType.f32(),
            "f64": wasmtime.ValType.f64(), "funcref": wasmtime.ValType.funcref()}[name]
