"""Running a module on wasmtime with WASI preview 1: what ``whamm run`` and the shell execute (CLI.md §4).

One :class:`Execution` is one run: its own engine (every proposal on, plus epoch interruption, plus fuel
when a fuel limit is given — wasmtime fixes both per engine), a store with WASI, the user libraries the
module imports instantiated once each in ``--user-libs`` order and registered under their import module
names, then the module itself, ``_initialize``, and the entry point.  An engine per run costs
microseconds and means an epoch tick (a timeout or :meth:`Execution.interrupt`, callable from any thread)
can only ever stop this run.

Nothing is printed here.  The outcome is a :class:`RunResult`: exit status per CLI.md §4.4 (``proc_exit``
status, 134 for a trap, 124 for timeout or fuel), the error text the CLI prints, the backtrace with
**input** function indices (via a :class:`FunctionMap`), and the live store and instance, so a caller can
read report values out of memory after the program ended.

Only failures to set the run up raise: :class:`RunError` (a :class:`~compiler.errors.WhammError`,
exit 1), for example ``cannot instantiate library cache: unknown import ...``.

Which compiler makes the machine code is :attr:`RunOptions.compiler`: ``"optimized"`` (Cranelift, what
``whamm run`` uses: the fastest code) or ``"fast"`` (Winch, wasmtime's baseline compiler: on sqlite it
compiles the branch monitor's output ~5× faster and the code runs ~1.5–2× slower, the right trade for the
shell's edit–run iterations).  Winch does not compile GC, typed function references, exceptions or
relaxed SIMD; a module that needs them is compiled by Cranelift instead (:attr:`Execution.compiler` says
which one did).  :attr:`RunOptions.cache_dir` turns on wasmtime's on-disk cache of compiled code, so a
module compiled once — by any earlier process — is loaded instead of compiled again.
"""
from __future__ import annotations

import enum
import hashlib
import json
import os
import re
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, MutableMapping, Sequence, Union

from compiler.errors import WhammError
from compiler.output_pump import OutputPump
from compiler.wasm.validate import config as base_config

if TYPE_CHECKING:
    import wasmtime

__all__ = [
    "RunError", "RunOptions", "LinkedLibrary", "Outcome", "TraceFrame", "FunctionMap", "RunResult",
    "Execution", "run_module", "EXIT_TRAP", "EXIT_LIMIT", "MAX_TIMEOUT", "MAX_FUEL", "wasi_config", "error_reason",
    "COMPILERS", "UNKNOWN_IMPORTS", "engine_for_run",
]

EXIT_TRAP = 134
"""Status of a run that trapped (as a process killed by SIGABRT)."""
EXIT_LIMIT = 124
"""Status of a run stopped by ``--timeout`` or ``--fuel`` (as coreutils ``timeout``)."""
EXIT_INTERRUPTED = 130
_NO_DEADLINE = 1 << 62
MAX_TIMEOUT = threading.TIMEOUT_MAX
"""Longest ``timeout`` in seconds (about 292 years): a timer thread cannot wait longer."""
MAX_FUEL = (1 << 64) - 1
"""Largest ``fuel``: wasmtime keeps fuel in 64 bits (and silently wraps larger values)."""

COMPILERS = ("fast", "optimized")
"""The values of :attr:`RunOptions.compiler`: Winch (falling back to Cranelift), or Cranelift."""
UNKNOWN_IMPORTS = ("trap", "default")
"""The values of :attr:`RunOptions.unknown_imports`: what the wasmtime CLI's ``--trap-unknown-imports``
and ``--default-values-unknown-imports`` do (ANALYSIS.md §8)."""
#: Appended to a failed instantiation's reason when an import is missing: how to run the app anyway.
_UNKNOWN_IMPORT_HINT = ("; to run it anyway, stub unknown imports: `whamm run --trap-unknown-imports` or "
                        "`--default-values-unknown-imports`, in whamm-shell `set unknown-imports trap|default`")
#: The proposals Winch cannot compile (wasmtime refuses a Winch engine with the first three on, and with
#: exceptions on it refuses every module): a Winch engine has them off, and a module using them falls back.
_WINCH_OFF = ("wasm_relaxed_simd", "wasm_gc", "wasm_function_references", "wasm_exceptions")
#: ``WASMTIME_STRATEGY_WINCH`` of the C API's ``wasmtime_strategy_enum`` (0 auto, 1 Cranelift, 2 Winch):
#: wasmtime-py's ``Config.strategy`` accepts only ``auto`` and ``cranelift``, but its wheel has Winch built in.
_STRATEGY_WINCH = 2

#: Where a WASI output stream goes: ``None`` inherits the process's descriptor, a path writes a file, a
#: callable receives each chunk of bytes (the shell's capture).
Sink = Union[None, str, "os.PathLike[str]", Callable[[bytes], None]]


class RunError(WhammError):
    """The run could not be set up: a module or library failed to instantiate, or the entry is unusable."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run.  ``argv`` is complete (``argv[0]`` is the application's file name); ``dirs`` are
    ``(host, guest)`` preopens; ``stdin`` is a path or ``None`` to inherit.  ``compiler`` is one of
    :data:`COMPILERS`; ``cache_dir`` a directory for wasmtime's on-disk cache of compiled code (None: no
    disk cache).  ``unknown_imports`` says what stands in for imports that neither WASI nor a user
    library provides (an app written for another host, e.g. ``ic0.debug_print``): None, they fail the
    instantiation; ``"trap"``, functions that trap when called (other kinds still fail, as wasmtime's
    ``--trap-unknown-imports``); ``"default"``, functions that return zeros and globals, tables and
    memories with default values (``--default-values-unknown-imports``)."""

    argv: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    dirs: tuple[tuple[str, str], ...] = ()
    stdin: str | None = None
    stdout: Sink = None
    stderr: Sink = None
    invoke: str | None = None
    timeout: float | None = None
    fuel: int | None = None
    compiler: str = "optimized"
    cache_dir: str | None = None
    unknown_imports: str | None = None


@dataclass(frozen=True, slots=True)
class LinkedLibrary:
    """A user library to provide at run time under ``import_module`` (``NAME`` or ``IMPORT_MODULE``)."""

    name: str
    import_module: str
    wasm: bytes
    path: str | None = None

    @property
    def label(self) -> str:
        """How messages name the library: ``library NAME (PATH)``."""
        return f"library {self.name}" + (f" ({self.path})" if self.path else "")


class Outcome(enum.Enum):
    """How the run ended."""

    RETURNED = "returned"
    EXITED = "exited"
    TRAPPED = "trapped"
    TIMED_OUT = "timed out"
    OUT_OF_FUEL = "out of fuel"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class TraceFrame:
    """One backtrace frame in the user's terms: an application function by **input** index and name
    (``fname`` or ``#fid``), or a compiler-added function ``whamm:<name>`` (``fid`` None)."""

    name: str
    fid: int | None
    src: str = ""
    """``file:line`` of the frame's instruction when the input has DWARF lines (ANALYSIS.md §5), else ``""``."""

    def __str__(self) -> str:
        if self.fid is None:
            return f"  at {self.name}"
        return f"  at {self.name} (function {self.fid}{', ' + self.src if self.src else ''})"


class FunctionMap:
    """Output function index → :class:`TraceFrame`.

    Built from the frames of every output function, or from a function resolving one index (called
    only when a trap needs it).  An index neither covers is shown as wasmtime names it.
    """

    __slots__ = ("_frames", "_resolve", "_locate")

    def __init__(self, frames: Sequence[TraceFrame] | Callable[[int], TraceFrame | None] = (),
                 locate: Callable[[int, int], str] | None = None) -> None:
        self._resolve = frames if callable(frames) else None
        self._frames = () if callable(frames) else tuple(frames)
        self._locate = locate

    def frame(self, index: int, wasmtime_name: str | None = None, pc: int | None = None) -> TraceFrame:
        """The backtrace frame of output function ``index``, in the input's terms; a function the map does not
        know keeps wasmtime's name (or ``#index``).  With the frame's ``pc`` (wasmtime's ``func_offset``)
        and a ``locate`` function, the frame names its source ``file:line``."""
        found = self._resolve(index) if self._resolve is not None else (
            self._frames[index] if 0 <= index < len(self._frames) else None)
        frame = found or TraceFrame(wasmtime_name or f"#{index}", index)
        if self._locate is not None and pc is not None and frame.fid is not None:
            src = self._locate(index, pc)
            if src:
                frame = TraceFrame(frame.name, frame.fid, src)
        return frame

    @classmethod
    def identity(cls, names: Mapping[int, str], count: int) -> FunctionMap:
        """Every function is an application function; ``names`` from the name section."""
        return cls(tuple(TraceFrame(names.get(i) or f"#{i}", i) for i in range(count)))


@dataclass(slots=True, eq=False)
class RunResult:
    """The end of a run.

    ``status`` is the process exit status of CLI.md §4.4.  ``message`` (without ``error: ``) and
    ``frames`` describe a trap or a limit; ``results`` are the ``--invoke`` results formatted one per
    line.  ``store``/``instance`` stay usable: report values can be read from the instance's memory
    after the program ended (``instance`` is None when instantiation itself trapped or exited).
    """

    outcome: Outcome
    status: int
    message: str | None = None
    trap_code: str | None = None
    frames: tuple[TraceFrame, ...] = ()
    results: tuple[str, ...] = ()
    elapsed: float = 0.0
    store: wasmtime.Store | None = None
    instance: wasmtime.Instance | None = None

    @property
    def error_text(self) -> str | None:
        """What ``whamm run`` prints on stderr: ``error: wasm trap: <reason>`` plus one line per frame."""
        if self.message is None:
            return None
        return "\n".join([f"error: {self.message}", *map(str, self.frames)])


@dataclass(slots=True, eq=False)
class _Stop:
    """Why the epoch was bumped (set before the bump, read when the INTERRUPT trap arrives)."""

    outcome: Outcome | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Execution:
    """A prepared run: engine, compiled module, options.  :meth:`run` executes it once.

    :meth:`interrupt` may be called from any thread while :meth:`run` is executing (the shell's Ctrl-C,
    a watchdog); the run then ends with :attr:`Outcome.INTERRUPTED`.

    ``compiled`` is an optional cache of compiled code shared between executions (the shell's, SHELL.md
    "compiled wasmtime modules are cached by content hash"): serialized wasmtime modules keyed by the
    SHA-256 of the Wasm bytes, the engine's fuel setting and the compiler.  Deserializing skips the
    compiler, so running an unchanged module again starts in milliseconds although every execution has
    its own engine.

    :attr:`compiler` is the compiler that made the code: ``"winch"`` or ``"cranelift"`` (``"cranelift"``
    also when ``fast`` was asked for but Winch refused a module: then the app and its libraries are all
    compiled by Cranelift, on one engine).
    """

    def __init__(self, wasm: bytes, options: RunOptions = RunOptions(),
                 libraries: Sequence[LinkedLibrary] = (), *, app_name: str = "app.wasm",
                 functions: FunctionMap | None = None,
                 compiled: MutableMapping[bytes, bytes] | None = None) -> None:
        _check_limits(options)
        self.options = options
        self.app_name = app_name
        self.functions = functions or FunctionMap()
        if options.compiler not in COMPILERS:
            raise RunError(f"unknown compiler '{options.compiler}': expected one of {', '.join(COMPILERS)}")
        if options.unknown_imports not in (None, *UNKNOWN_IMPORTS):
            raise RunError(f"unknown setting for unknown imports '{options.unknown_imports}': expected one of "
                           f"{', '.join(UNKNOWN_IMPORTS)}")
        self._compiled = compiled
        self._stop = _Stop()
        self.compiler = "winch" if options.compiler == "fast" else "cranelift"
        try:
            self._compile_all(wasm, app_name, libraries)
        except _WinchRefused:
            self.compiler = "cranelift"
            self._compile_all(wasm, app_name, libraries)

    def _compile_all(self, wasm: bytes, app_name: str, libraries: Sequence[LinkedLibrary]) -> None:
        """The engine of :attr:`compiler`, the application's module and the libraries it imports."""
        self.engine = engine_for_run(self.options, winch=self.compiler == "winch")
        self.module = self._compile(wasm, app_name)
        imported = {imp.module for imp in self.module.imports}
        self.libraries = [(lib, self._compile(lib.wasm, lib.label)) for lib in libraries
                          if lib.import_module in imported]

    def _compile(self, wasm: bytes, what: str) -> wasmtime.Module:
        import wasmtime  # on first use: compiler.api imports this module at the CLI's and shell's start-up
        key = None
        if self._compiled is not None:
            key = (hashlib.sha256(wasm).digest() + (b"fuel" if self.options.fuel is not None else b"")
                   + self.compiler.encode())
            data = self._compiled.get(key)
            if data is not None:
                return wasmtime.Module.deserialize(self.engine, data)
        try:
            module = wasmtime.Module(self.engine, wasm)
        except wasmtime.WasmtimeError as exc:
            if self.compiler == "winch":
                raise _WinchRefused from None
            raise RunError(f"cannot instantiate {what}: {error_reason(exc)}") from None
        if key is not None:
            self._compiled[key] = module.serialize()  # type: ignore[index]
        return module

    # ------------------------------------------------------------------------------------------- running

    def interrupt(self) -> None:
        """Stop the running program as soon as possible (thread-safe; no effect once it has ended)."""
        self._bump(Outcome.INTERRUPTED)

    def _bump(self, outcome: Outcome) -> None:
        with self._stop.lock:
            if self._stop.outcome is None:
                self._stop.outcome = outcome
        self.engine.increment_epoch()

    def run(self, *, interruptible: bool = False) -> RunResult:
        """Instantiate and call the entry point.  With ``interruptible`` the program runs on a worker
        thread and a ``KeyboardInterrupt`` in the calling thread interrupts it (native Wasm code does not
        let Python's signal handler run, so Ctrl-C would otherwise wait for the program)."""
        if not interruptible:
            return self._run()
        box: list[RunResult | BaseException] = []
        go, done = threading.Event(), threading.Event()

        def work() -> None:
            go.wait()
            try:
                box.append(self._run())
            except BaseException as exc:  # noqa: BLE001 - handed back to the calling thread
                box.append(exc)
            finally:
                done.set()

        worker = threading.Thread(target=work, name="whamm-run", daemon=True)
        worker.start()
        # Wait on an Event, not Thread.join: a KeyboardInterrupt raised inside join() can leave CPython's
        # thread state saying "finished" while the worker still runs, and the result would be missing.
        # The program starts (``go``) inside the try, and the whole wait is inside it too: a Ctrl-C at any
        # moment after that interrupts the program instead of escaping (a Ctrl-C while the worker thread
        # is still being started escapes before anything ran).
        while True:
            try:
                go.set()
                while not done.wait(0.05):
                    pass
                break
            except KeyboardInterrupt:
                self.interrupt()
        outcome = box[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _run(self) -> RunResult:
        import wasmtime  # on first use: compiler.api imports this module at the CLI's and shell's start-up

        store, pumps, timer = self._store()
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        for stream in (sys.stdout, sys.stderr):  # Python's buffered text first, then the program's
            stream.flush()
        start = time.perf_counter()
        instance = None
        try:
            if timer is not None:
                timer.start()
            for lib, module in self.libraries:
                lib_instance = self._instantiate(linker, store, module, lib.label)
                linker.define_instance(store, lib.import_module, lib_instance)
            instance = self._instantiate(linker, store, self.module, self.app_name)
            results = self._call_entry(store, instance)
            outcome, status, message, code, frames = Outcome.RETURNED, 0, None, None, ()
        except wasmtime.ExitTrap as exc:
            results, outcome, status, message, code, frames = (), Outcome.EXITED, exc.code, None, None, ()
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            results = ()
            outcome, status, message, code, frames = self._failure(exc)
        finally:
            for pump in pumps:
                pump.finish()
            if timer is not None:
                timer.cancel()
            # Lift the limits so the caller can still call exports (getters) on the live instance.
            store.set_epoch_deadline(_NO_DEADLINE)
            if self.options.fuel is not None:
                store.set_fuel(_NO_DEADLINE)
        return RunResult(outcome, status, message, code, frames, results, time.perf_counter() - start,
                         store, instance)

    def _store(self) -> tuple[wasmtime.Store, list, threading.Timer | None]:
        """A store with this run's limits (epoch deadline, fuel) and WASI configuration, the output pumps
        (started) and the timeout's timer (not started yet) — the same for a module and a component."""
        import wasmtime  # on first use: compiler.api imports this module at the CLI's and shell's start-up

        store = wasmtime.Store(self.engine)
        store.set_epoch_deadline(1)
        if self._stop.outcome is not None:  # interrupted before the deadline existed: it must still stop
            self.engine.increment_epoch()
        if self.options.fuel is not None:
            store.set_fuel(self.options.fuel)
        wasi, pumps = wasi_config(self.options, self.app_name)
        store.set_wasi(wasi)
        for pump in pumps:
            pump.start()
        timer = None
        if self.options.timeout is not None:
            timer = threading.Timer(self.options.timeout, self._bump, (Outcome.TIMED_OUT,))
            timer.daemon = True
        return store, pumps, timer

    def _instantiate(self, linker: wasmtime.Linker, store: wasmtime.Store, module: wasmtime.Module,
                     what: str) -> wasmtime.Instance:
        """Instantiate; traps and exits of a start function propagate, anything else is a setup error."""
        import wasmtime  # on first use: compiler.api imports this module at the CLI's and shell's start-up
        try:
            if self.options.unknown_imports == "trap":
                linker.define_unknown_imports_as_traps(module)
            elif self.options.unknown_imports == "default":
                linker.define_unknown_imports_as_default_values(store, module)
            return linker.instantiate(store, module)
        except (wasmtime.Trap, wasmtime.ExitTrap):
            raise
        except wasmtime.WasmtimeError as exc:
            if "wasm trap" in str(exc) or "wasm backtrace" in str(exc):
                raise
            reason = error_reason(exc)
            stubbed = self.options.unknown_imports is not None
            hint = _UNKNOWN_IMPORT_HINT if reason.startswith("unknown import") and not stubbed else ""
            raise RunError(f"cannot instantiate {what}: {reason}{hint}") from None

    def _call_entry(self, store: wasmtime.Store, instance: wasmtime.Instance) -> tuple[str, ...]:
        import wasmtime  # on first use: compiler.api imports this module at the CLI's and shell's start-up

        exports = instance.exports(store)
        init = exports.get("_initialize")
        if isinstance(init, wasmtime.Func):
            init(store)
        name = self.options.invoke
        if name is None:
            name = next((n for n in ("", "_start") if isinstance(exports.get(n), wasmtime.Func)), None)
            if name is None:
                return ()
        func = exports.get(name)
        if not isinstance(func, wasmtime.Func):
            raise RunError(f"cannot invoke '{name}': the module exports no function of that name")
        ftype = func.type(store)
        if ftype.params:
            raise RunError(f"cannot invoke '{name}': it takes {len(ftype.params)} parameter(s)")
        value = func(store)
        values = [] if value is None else list(value) if len(ftype.results) > 1 else [value]
        return tuple(_format_value(v, t) for v, t in zip(values, ftype.results))

    def _failure(self, exc: Exception) -> tuple[Outcome, int, str, str | None, tuple[TraceFrame, ...]]:
        import wasmtime  # on first use: compiler.api imports this module at the CLI's and shell's start-up

        code = getattr(exc, "trap_code", None)
        if code == wasmtime.TrapCode.INTERRUPT:
            why = self._stop.outcome or Outcome.INTERRUPTED
            if why is Outcome.TIMED_OUT:
                return why, EXIT_LIMIT, f"execution timed out after {_seconds(self.options.timeout)} s", \
                    None, ()
            return why, EXIT_INTERRUPTED, "execution interrupted", None, ()
        if code == wasmtime.TrapCode.OUT_OF_FUEL:
            return Outcome.OUT_OF_FUEL, EXIT_LIMIT, "execution ran out of fuel", None, ()
        frames = tuple(self.functions.frame(f.func_index, f.func_name, f.func_offset)
                       for f in (getattr(exc, "frames", None) or ()))
        reason = error_reason(exc)
        if reason.startswith("wasm trap: "):
            reason = reason[len("wasm trap: "):]
        return Outcome.TRAPPED, EXIT_TRAP, f"wasm trap: {reason}", code.name if code else None, frames


class _WinchRefused(Exception):
    """Winch could not compile a module (a proposal it lacks, or a module invalid anyway): compile
    everything with Cranelift, which also gives the message if the module is invalid."""


def engine_for_run(options: RunOptions, *, winch: bool) -> wasmtime.Engine:
    """An engine for one run: every proposal on (those Winch lacks off for ``winch``), epoch interruption,
    fuel when a fuel limit is given, and the on-disk cache when ``options.cache_dir`` is set."""
    import wasmtime  # on first use: compiler.api imports this module at the CLI's and shell's start-up
    from wasmtime import _ffi

    cfg = base_config()
    cfg.epoch_interruption = True
    if options.fuel is not None:
        cfg.consume_fuel = True
    if winch:
        for feature in _WINCH_OFF:
            setattr(cfg, feature, False)
        _ffi.wasmtime_config_strategy_set(cfg.ptr(), _STRATEGY_WINCH)
    if options.cache_dir is not None:
        try:
            cfg.cache = _cache_config(options.cache_dir)
        except (OSError, wasmtime.WasmtimeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else error_reason(exc)
            raise RunError(f"cannot use compile cache directory '{options.cache_dir}': {reason}") from None
    return wasmtime.Engine(cfg)


def _cache_config(directory: str) -> str:
    """The path of a wasmtime cache configuration (TOML) that keeps the compiled code in
    ``directory/code`` (written once; wasmtime reads its cache settings only from a file).

    The configuration sits beside the code directory, not in it: wasmtime's cache worker cleans its
    directory in the background and deleted a configuration kept there."""
    code = os.path.join(directory, "code")
    os.makedirs(code, exist_ok=True)
    path = os.path.join(directory, "wasmtime-cache.toml")
    text = f"[cache]\ndirectory = {json.dumps(os.path.abspath(code))}\n"  # a JSON string is a TOML one
    try:
        with open(path, encoding="utf-8") as existing:
            if existing.read() == text:
                return path
    except FileNotFoundError:
        pass
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)  # atomic: a concurrent session never reads half a file
    return path


def _check_limits(options: RunOptions) -> None:
    """Refuse limits the engine cannot honour, rather than running without them (a timer beyond
    :data:`MAX_TIMEOUT` would fail in its own thread and the run would have no timeout)."""
    timeout, fuel = options.timeout, options.fuel
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:
        raise RunError(f"invalid timeout {timeout:g}: expected a positive number of seconds up to "
                       f"{MAX_TIMEOUT:.0f}")
    if fuel is not None and not 0 <= fuel <= MAX_FUEL:
        raise RunError(f"invalid fuel {fuel!r}: expected an integer from 0 to {MAX_FUEL}")


def run_module(wasm: bytes, options: RunOptions = RunOptions(), libraries: Sequence[LinkedLibrary] = (),
               *, app_name: str = "app.wasm", functions: FunctionMap | None = None,
               interruptible: bool = False) -> RunResult:
    """Prepare and run ``wasm`` once (see :class:`Execution`)."""
    return Execution(wasm, options, libraries, app_name=app_name, functions=functions).run(
        interruptible=interruptible)


# ------------------------------------------------------------------------------------------------ helpers

def wasi_config(opts: RunOptions, app_name: str) -> tuple[wasmtime.WasiConfig, list[OutputPump]]:
    """The WASI configuration of a run (CLI.md §4: argv, env, preopened directories, stdin, output
    sinks) and the pumps of its callable sinks, to :meth:`~OutputPump.start` with the run and
    :meth:`~OutputPump.finish` after it.  Shared with the wei emulator."""
    import wasmtime  # on first use: compiler.api imports this module at the CLI's and shell's start-up

    wasi = wasmtime.WasiConfig()
    wasi.argv = list(opts.argv) or [app_name]
    wasi.env = [list(pair) for pair in opts.env]
    for host, guest in opts.dirs:
        try:
            wasi.preopen_dir(host, guest)
        except wasmtime.WasmtimeError:
            raise RunError(f"cannot preopen directory '{host}'") from None
    if opts.stdin is None:
        wasi.inherit_stdin()
    else:
        try:
            wasi.stdin_file = opts.stdin
        except wasmtime.WasmtimeError:
            raise RunError(f"cannot read stdin file '{opts.stdin}'") from None
    pumps: list[OutputPump] = []
    _sink(wasi, "stdout", opts.stdout, pumps)
    _sink(wasi, "stderr", opts.stderr, pumps)
    return wasi, pumps



def _sink(wasi: wasmtime.WasiConfig, stream: str, sink: Sink, pumps: list[OutputPump]) -> None:
    import wasmtime  # on first use: compiler.api imports this module at the CLI's and shell's start-up
    if sink is None:
        getattr(wasi, f"inherit_{stream}")()
    elif callable(sink):
        pump = OutputPump(sink)
        try:
            setattr(wasi, f"{stream}_file", pump.path)
        finally:
            pump.opened()
        pumps.append(pump)
    else:
        try:
            setattr(wasi, f"{stream}_file", os.fspath(sink))
        except wasmtime.WasmtimeError:
            raise RunError(f"cannot open {stream} file '{os.fspath(sink)}'") from None


def error_reason(exc: BaseException) -> str:
    """The cause of a wasmtime error without its backtrace: the last line after ``Caused by:``.  When
    there are several causes wasmtime numbers them (``0: memory fault at …``, ``1: wasm trap: …``);
    the number is not part of the reason."""
    text = getattr(exc, "message", None) or str(exc)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if "Caused by:" in lines:
        lines = lines[lines.index("Caused by:") + 1:]
        lines = [_CAUSE_NUMBER.sub("", line, count=1) for line in lines]
    return lines[-1] if lines else type(exc).__name__


_CAUSE_NUMBER = re.compile(r"^\d+:\s*")


def _seconds(value: float | None) -> str:
    """``2`` for 2.0, ``0.5`` for 0.5: the timeout as the user is likely to have typed it."""
    return "0" if value is None else f"{value:g}"


def _format_value(value: object, valtype: object) -> str:
    """One ``--invoke`` result: integers in decimal (signed, as wasmtime returns them), floats in the
    shortest text that reads back to the same value of their own type, references by kind."""
    import wasmtime  # on first use: compiler.api imports this module at the CLI's and shell's start-up
    if isinstance(value, bool) or value is None:
        return "null" if value is None else str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if str(valtype) == "f32" and value == value and value not in (float("inf"), float("-inf")):
            bits = struct.pack("<f", value)
            for digits in range(1, 10):
                text = f"{value:.{digits}g}"
                if struct.pack("<f", float(text)) == bits:
                    return text
        return repr(value)
    if isinstance(value, wasmtime.Func):
        return "<funcref>"
    return f"<{valtype}>"
