"""The values :mod:`compiler.api` hands out: the options, a loaded application, the user libraries and
an instrumentation result.

They live here, below the API, so that :mod:`compiler.build` (the incremental instrumentation the API
offers to the shell) can make and return them without importing the API it is part of: every caller
reaches them as ``compiler.api.Options``, ``compiler.api.InstrumentResult``, … (re-exported there).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

from compiler.components import embed
from compiler.lang.diagnostics import render
from compiler.lang.libraries import Library
from compiler.options import Options, OptionsError
from compiler.runner import FunctionMap, LinkedLibrary, TraceFrame

if TYPE_CHECKING:
    from compiler.lang.diagnostics import Diagnostic
    from compiler.lang.scopes import Program
    from compiler.rewrite.emit import Emitted
    from compiler.rewrite.plan import FunctionPlan
    from compiler.backend.state import Layout
    from compiler.scripts import ScriptSources
    from compiler.wasm.component import Component, CoreModule
    from compiler.wasm.model import Module

__all__ = ["OptionsError", "Options", "App", "Libraries", "InstrumentResult", "function_map"]


@dataclass(frozen=True, slots=True, eq=False)
class App:
    """An application ready to instrument: ``wasm`` (assembled from WAT if needed), the name used in
    messages and as ``argv[0]``, and the decoded module (bodies decode lazily).

    For a component (ANALYSIS.md §6), ``component`` is the whole component, ``core`` the core module
    chosen to instrument, and ``wasm``/``module`` are that module's bytes and decoding."""

    name: str
    wasm: bytes
    module: Module
    component: Component | None = None
    core: CoreModule | None = None

    def package(self, instrumented: bytes) -> bytes:
        """What the output is: the instrumented module, or the component with it in place (validated;
        see :func:`compiler.components.embed`)."""
        if self.component is None or self.core is None:
            return instrumented
        return embed(self.component, self.core, instrumented, self.name)


@dataclass(frozen=True, slots=True)
class Libraries:
    """User libraries by name: signatures for the checker, modules for the runner, and the warnings
    loading produced (an entry for the built-in ``whamm_core``)."""

    signatures: dict[str, Library] = field(default_factory=dict)
    linked: tuple[LinkedLibrary, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class InstrumentResult:
    """A validated instrumented module and what goes with it.

    ``diagnostics`` are the script's warnings (render with :meth:`render_warnings`, which needs the
    source), ``messages`` other warnings as text; ``emitted`` is the backend's result, whose ``layout``
    says where every report variable lives (REWRITING.md §17); ``timings`` maps each phase (``read``,
    ``parse``, ``check``, ``match``, ``layout``, ``emit``, ``encode``, ``validate``) to seconds.
    """

    wasm: bytes
    app: App
    program: Program
    libraries: Libraries
    diagnostics: tuple[Diagnostic, ...]
    messages: tuple[str, ...]
    emitted: Emitted
    timings: dict[str, float]
    plans: Mapping[int, FunctionPlan] | None = None
    """The plan of every rewritten function by input index, when the build kept them: a trap's frames
    then name their ``file:line`` (:mod:`compiler.rewrite.origin`)."""

    def render_warnings(self, color: bool = False, sources: ScriptSources | None = None) -> str:
        """Every warning as the CLI prints it on stderr ("" when there are none); ``sources`` renders
        them against the ``-s``/``-e`` parts the script was joined from."""
        parts = [f"warning: {m}" for m in self.messages]
        if self.diagnostics:
            parts.append(render(self.diagnostics, self.program.source, self.program.filename, color)
                         if sources is None else sources.render(self.diagnostics, color))
        return "\n".join(parts)

    @property
    def layout(self) -> Layout:
        """Where every report variable lives (the emitter's layout)."""
        return self.emitted.layout

    @property
    def functions(self) -> FunctionMap:
        """Output function index → input function (and, with the plans, source line), for backtraces."""
        return function_map(self.app, self.emitted, self.wasm, self.plans)


def function_map(app: App, emitted: Emitted, wasm: bytes | None = None,
                 plans: Mapping[int, FunctionPlan] | None = None) -> FunctionMap:
    """Which input function each output function is (REWRITING.md §3, guarantee 6): application
    functions by input index and name (``fname`` or ``#fid``), added ones as ``whamm:<name>``.  Given
    the output ``wasm`` and the build's ``plans``, a frame also names its ``file:line`` (ANALYSIS.md §5)."""
    names = app.module.names.functions if app.module.names else {}

    def resolve(index: int) -> TraceFrame:
        fid = emitted.input_function(index)
        if fid is None:
            name = emitted.added_functions.get(index) or f"#{index}"
            return TraceFrame(name if name.startswith("whamm:") else f"whamm:{name}", None)
        return TraceFrame(names.get(fid) or f"#{fid}", fid)

    locate = None
    if wasm is not None and plans is not None:
        from compiler.rewrite.origin import trap_locator  # the rewriter loads with the first instrumentation
        locate = trap_locator(app.module, wasm, emitted, plans)
    return FunctionMap(resolve, locate)
