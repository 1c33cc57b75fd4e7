"""Running a component with WASI preview 2: what ``whamm run`` and the shell execute for a component
application (ANALYSIS.md §6).

:class:`ComponentExecution` is an :class:`~compiler.runner.Execution` whose program is a component: the
same engine per run (epoch interruption, fuel), the same WASI configuration (argv, env, preopened
directories, stdin, output sinks — wasmtime's preview 2 context is built from it), the same timer,
interrupt and outcome rules.  What differs:

* it compiles a ``wasmtime.component.Component``, links ``add_wasip2`` and calls the ``run`` function of
  the component's ``wasi:cli/run`` export (any version); ``run`` returning ``err`` is exit status 1;
* the preview 1 adapter turns ``proc_exit(n)`` into ``wasi:cli/exit``, which only knows success and
  failure: the status is 0 or 1, whatever ``n`` was;
* a component's traps reach Python as plain errors, without trap codes or frames: the outcome is
  told from wasmtime's reason (interrupt, fuel) and the frames are read from its backtrace text, named as
  wasmtime names them (``module!function``);
* user libraries cannot be linked, ``--invoke`` is refused, and the host cannot read a core instance's
  memory: :attr:`RunResult.instance` stays None, and the report is what the module printed.
"""
from __future__ import annotations

import hashlib
import re
import sys
import time
from typing import MutableMapping, Sequence

from compiler.runner import (
    EXIT_LIMIT, EXIT_TRAP, Execution, FunctionMap, LinkedLibrary, Outcome, RunError, RunOptions, RunResult,
    TraceFrame, engine_for_run, error_reason,
)

__all__ = ["ComponentExecution", "RUN_INTERFACE", "EXIT_FAILURE"]

#: The export a WASI command component runs through (``wasi:cli/run@0.2.x``).
RUN_INTERFACE = "wasi:cli/run"
#: The status of a component whose ``run`` returned ``err`` or that exited with a failure.
EXIT_FAILURE = 1
_NO_DEADLINE = 1 << 62
#: One frame of wasmtime's backtrace text: ``  3:    0x41a - module!function``.
_FRAME = re.compile(r"^\s*\d+:\s+0x[0-9a-f]+ - (.*)$")


class ComponentExecution(Execution):
    """A prepared run of a component (see the module docstring); :meth:`run` and :meth:`interrupt`
    behave as :class:`~compiler.runner.Execution`'s."""

    def __init__(self, wasm: bytes, options: RunOptions = RunOptions(),
                 libraries: Sequence[LinkedLibrary] = (), *, app_name: str = "app.wasm",
                 functions: FunctionMap | None = None,
                 compiled: MutableMapping[bytes, bytes] | None = None) -> None:
        if options.invoke is not None:
            raise RunError(f"cannot invoke '{options.invoke}': a component runs through its {RUN_INTERFACE} "
                           "export (--invoke is for core modules)")
        if options.unknown_imports == "default":
            raise RunError("--default-values-unknown-imports is not supported for components "
                           "(--trap-unknown-imports is)")
        super().__init__(wasm, options, (), app_name=app_name, functions=functions, compiled=compiled)

    def _compile_all(self, wasm: bytes, app_name: str, libraries: Sequence[LinkedLibrary]) -> None:
        """The engine and the component (compiled by Cranelift: the component model's trampolines are)."""
        import wasmtime.component  # on first use, as runner.py does

        self.compiler = "cranelift"
        self.engine = engine_for_run(self.options, winch=False)
        self.libraries = []
        key = None
        if self._compiled is not None:
            key = hashlib.sha256(wasm).digest() + b"component" + (b"fuel" if self.options.fuel is not None else b"")
            data = self._compiled.get(key)
            if data is not None:
                self.module = wasmtime.component.Component.deserialize(self.engine, data)
                return
        try:
            self.module = wasmtime.component.Component(self.engine, wasm)
        except wasmtime.WasmtimeError as exc:
            raise RunError(f"cannot instantiate {app_name}: {error_reason(exc)}") from None
        if key is not None:
            self._compiled[key] = bytes(self.module.serialize())  # type: ignore[index]

    def _run(self) -> RunResult:
        import wasmtime  # on first use, as runner.py does
        import wasmtime.component

        store, pumps, timer = self._store()
        linker = wasmtime.component.Linker(self.engine)
        linker.add_wasip2()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        start = time.perf_counter()
        try:
            if timer is not None:
                timer.start()
            run = self._entry(linker, store)
            answer = run(store)
            failed = getattr(answer, "tag", "ok") == "err"
            outcome, status, message, frames = Outcome.RETURNED, EXIT_FAILURE if failed else 0, None, ()
        except wasmtime.ExitTrap as exc:
            outcome, status, message, frames = Outcome.EXITED, exc.code, None, ()
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            outcome, status, message, frames = self._component_failure(exc)
        finally:
            for pump in pumps:
                pump.finish()
            if timer is not None:
                timer.cancel()
            store.set_epoch_deadline(_NO_DEADLINE)
        return RunResult(outcome, status, message, None, frames, (), time.perf_counter() - start, store, None)

    def _entry(self, linker, store):
        """The ``run`` function of the component's ``wasi:cli/run`` export, after instantiating it."""
        import wasmtime  # on first use, as runner.py does

        if self.options.unknown_imports == "trap":
            linker.define_unknown_imports_as_traps(self.module)
        try:
            instance = linker.instantiate(store, self.module)
        except wasmtime.WasmtimeError as exc:
            text = str(exc)
            if "wasm trap" in text or "wasm backtrace" in text:
                raise
            first = text.strip().splitlines()[0] if text.strip() else ""
            if first.startswith("component imports"):     # what is missing, then wasmtime's detail
                hint = "; to run it anyway: `whamm run --trap-unknown-imports`, in whamm-shell `set " \
                       "unknown-imports trap`" if self.options.unknown_imports is None else ""
                raise RunError(f"cannot instantiate {self.app_name}: {first} ({error_reason(exc)}){hint}") from None
            raise RunError(f"cannot instantiate {self.app_name}: {error_reason(exc)}") from None
        run = None
        names = [n for n in self.module.type.exports(self.engine) if n.partition("@")[0] == RUN_INTERFACE]
        if names:
            interface = instance.get_export_index(store, names[0])
            index = instance.get_export_index(store, "run", interface)
            run = instance.get_func(store, index) if index is not None else None
        if run is None:
            raise RunError(f"cannot run {self.app_name}: the component exports no {RUN_INTERFACE} interface "
                           "with a run function (is it a WASI command?)")
        return run

    def _component_failure(self, exc: Exception) -> tuple[Outcome, int, str, tuple[TraceFrame, ...]]:
        """Outcome, status, message and frames of a component's trap, from wasmtime's text."""
        text = getattr(exc, "message", None) or str(exc)
        reason = error_reason(exc).removeprefix("wasm trap: ")
        if reason == "interrupt":
            why = self._stop.outcome or Outcome.INTERRUPTED
            if why is Outcome.TIMED_OUT:
                return why, EXIT_LIMIT, f"execution timed out after {self.options.timeout:g} s", ()
            return why, 130, "execution interrupted", ()
        if "fuel" in reason:
            return Outcome.OUT_OF_FUEL, EXIT_LIMIT, "execution ran out of fuel", ()
        frames = tuple(TraceFrame(m.group(1), None) for m in map(_FRAME.match, text.splitlines()) if m)
        return Outcome.TRAPPED, EXIT_TRAP, f"wasm trap: {reason}", frames
