"""The engine monitor-module target (WEI.md): ``whamm instr --wei`` and an engine emulator on wasmtime.

Public surface:

* :func:`compiler.wei.monitor.build_monitor` ``(program, *, options=None, libraries=None) -> Monitor`` —
  a script checked with ``check_source(..., wei=True)`` → validated monitor bytes, the probe exports
  (:class:`compiler.wei.names.ExportName` + plan, export order), the layout and phase timings.  Rejected
  features raise :class:`compiler.wei.support.UnsupportedError` (``<feature> is not supported by the wei
  target``).
* :func:`compiler.wei.names.parse_export_name` / :class:`~compiler.wei.names.ExportName` — WEI.md §4.
* :func:`compiler.wei.emulator.emulate` ``(monitor, app, libraries=(), options=RunOptions(), *,
  app_name, app_module=None) -> Emulation`` — run an application under a monitor (WEI.md §9).
* :mod:`compiler.wei.cli` — the ``--wei`` paths of ``whamm instr`` and ``whamm run --wei-monitor``.

Internals: :mod:`~compiler.wei.support` (what the interface cannot express), :mod:`~compiler.wei.plan`
(folding, predicate placement, callbacks, merging), :mod:`~compiler.wei.params` (parameter order and
types), :mod:`~compiler.wei.layout`, :mod:`~compiler.wei.codegen`, :mod:`~compiler.wei.report`
(``wasm:exit``), :mod:`~compiler.wei.weave` (the emulator's code insertion).
"""
from __future__ import annotations

__all__: list[str] = []
