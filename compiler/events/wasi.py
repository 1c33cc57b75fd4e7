"""The ``wasi`` provider (ANALYSIS.md §4): package ``p1``, one event per WASI preview 1 function.

Everything comes from ``wasi_p1.json``, which :mod:`compiler.events.gen_wasi` generates from wasi-libc's
``wasi/api.h`` — no function, parameter or result is spelled here.  Each function's parameters are listed
in import order with a *kind* (gen_wasi's docstring), and the kind alone decides the bound variables:

=========== ========================================================== =======================================
kind        bound variables                                            value
=========== ========================================================== =======================================
scalar      ``NAME`` (its WASI type)                                   the argument
str         ``NAME: str``, ``NAME_ptr``, ``NAME_len``                  the bytes at ptr, len in app memory
out_str     the same, ``NAME`` in ``after`` only                       what the call wrote there
iovec       ``bytes: u64``, ``iovs_ptr``, ``iovs_len``                 the sum of the buffers' lengths
buffer      ``NAME``, ``NAME_len``                                     raw pointer and length
pointer     ``NAME``                                                   raw pointer
result      ``NAME`` (``after`` only), ``NAME_ptr``                    the value written there; 0 if errno != 0
struct      ``NAME_ptr``                                               the pointer (not decoded)
=========== ========================================================== =======================================

plus ``event_name`` (a per-event constant), ``errno``/``errno_name`` in ``after``, and ``fd_path`` for
functions with an ``fd`` parameter.  :class:`WasiVar` records, per event and name, what code computes the
value (``compiler.rewrite.wasi_env`` lowers it from the saved call arguments).  The import names that
are sites: :data:`IMPORT_MODULES`.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from compiler.lang.types import Prim, WhammType, parse_type

__all__ = ["IMPORT_MODULES", "PACKAGE", "WasiParam", "WasiFunction", "WasiVar", "FUNCTIONS", "ERRNO",
           "ERRNO_NAMES", "NAMES", "function", "event_vars", "wasi_var", "whamm_type", "TRACKED", "FD_PATH_DOC"]

#: Import modules whose functions are ``wasi:p1`` sites (the preview 1 names and the older ones).
IMPORT_MODULES = ("wasi_snapshot_preview1", "wasi_unstable")
#: The one package of the provider.
PACKAGE = "p1"

_DATA = Path(__file__).with_name("wasi_p1.json")


@dataclass(frozen=True, slots=True)
class WasiParam:
    """One parameter of a WASI function as gen_wasi read it: its name, kind, whamm type and the Wasm
    parameters it occupies (``first`` is the index of the first in the import's parameter list)."""

    name: str
    kind: str
    type: str
    wasm: tuple[str, ...]
    first: int


@dataclass(frozen=True, slots=True)
class WasiFunction:
    """A WASI preview 1 function: its parameters in import order and whether it returns an errno."""

    name: str
    doc: str
    returns_errno: bool
    params: tuple[WasiParam, ...]

    @property
    def wasm_params(self) -> int:
        """How many Wasm parameters the import takes (``argK`` of parameter ``i`` is ``wasm_params - 1 - i``)."""
        return sum(len(p.wasm) for p in self.params)

    def param(self, name: str) -> WasiParam | None:
        """The parameter with this WASI name, or None."""
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True, slots=True)
class WasiVar:
    """How a bound variable of one WASI event is computed: ``how`` is one of ``arg`` (the Wasm argument
    ``index`` of the import, as ``type``), ``str`` (decode the pair at ``index``/``index + 1``), ``iovec``
    (sum the list at ``index``/``index + 1``), ``result`` (the value at the pointer argument ``index``),
    ``errno``, ``errno_name``, ``fd_path`` (what the tracked ``fd`` argument ``index`` refers to)."""

    name: str
    how: str
    type: str
    index: int = -1
    after_only: bool = False
    doc: str = ""


def _load() -> tuple[tuple[WasiFunction, ...], tuple[tuple[str, int], ...]]:
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    functions = []
    for f in data["functions"]:
        params, first = [], 0
        for p in f["params"]:
            params.append(WasiParam(p["name"], p["kind"], p["type"], tuple(p["wasm"]), first))
            first += len(p["wasm"])
        functions.append(WasiFunction(f["name"], f["doc"], f["returns_errno"], tuple(params)))
    return tuple(functions), tuple((name, value) for name, value in data["errno"])


FUNCTIONS, ERRNO = _load()
#: errno value → its WASI name (``success``, ``noent``, …), as ``errno_name`` gives it.
ERRNO_NAMES: dict[int, str] = {value: name for name, value in ERRNO}
_BY_NAME = {f.name: f for f in FUNCTIONS}
#: The names of the WASI preview 1 functions.
NAMES = frozenset(_BY_NAME)

#: The functions whose calls update the fd → path table when a script reads ``fd_path``.
TRACKED = ("path_open", "fd_close", "fd_renumber", "fd_prestat_dir_name")
FD_PATH_DOC = ('What fd refers to: <stdin>, <stdout>, <stderr>, a preopened directory\'s name, or the path '
               'of the path_open that returned it; "" if unknown.')


def function(name: str) -> WasiFunction:
    """The WASI function ``name``; ``KeyError`` if preview 1 has none."""
    return _BY_NAME[name]


def _vars(f: WasiFunction) -> tuple[WasiVar, ...]:
    n = f.wasm_params
    out: list[WasiVar] = []

    def arg(name: str, type_: str, wasm_index: int, doc: str, after_only: bool = False) -> None:
        out.append(WasiVar(name, "arg", type_, n - 1 - wasm_index, after_only, doc))

    for p in f.params:
        k = p.first
        if p.kind == "scalar":
            arg(p.name, p.type, k, f"The {p.name} argument.")
        elif p.kind in ("str", "out_str"):
            after = p.kind == "out_str"
            what = "the bytes the call wrote there" if after else "the bytes at the call"
            out.append(WasiVar(p.name, "str", "str", n - 1 - k, after,
                               f"The {p.name} string ({p.name}_ptr, {p.name}_len): {what}."))
            arg(f"{p.name}_ptr", "u32", k, f"Address of {p.name} in the application's memory.")
            arg(f"{p.name}_len", "u32", k + 1, f"Length of {p.name} in bytes.")
        elif p.kind == "iovec":             # ANALYSIS.md §4 names every list's pair iovs_* (api.h: ri_data, …)
            out.append(WasiVar("bytes", "iovec", "u64", n - 1 - k, False,
                               f"Total length of the buffers of the {p.name} list."))
            arg("iovs_ptr", "u32", k, f"Address of the {p.name} list (buffer address, length pairs).")
            arg("iovs_len", "u32", k + 1, f"Number of buffers in the {p.name} list.")
        elif p.kind == "buffer":
            arg(p.name, "u32", k, f"Address of the {p.name} buffer.")
            arg(f"{p.name}_len", "u32", k + 1, f"Length of the {p.name} buffer.")
        elif p.kind == "pointer":
            arg(p.name, "u32", k, f"The {p.name} pointer.")
        elif p.kind == "result":
            out.append(WasiVar(p.name, "result", p.type, n - 1 - k, True,
                               f"The {p.name} result the call wrote; 0 if errno != 0."))
            arg(f"{p.name}_ptr", "u32", k, f"Address the call writes {p.name} to.")
        elif p.kind == "struct":
            arg(f"{p.name}_ptr", "u32", k, f"Address of the {p.name} structure the call fills (not decoded).")
        else:
            raise ValueError(f"wasi_p1.json: unknown parameter kind {p.kind}")
    if f.returns_errno:
        out.append(WasiVar("errno", "errno", "u16", after_only=True, doc="The call's return value."))
        out.append(WasiVar("errno_name", "errno_name", "str", after_only=True,
                           doc="The WASI name of errno (success, noent, acces, badf, ...)."))
    fd = f.param("fd")
    if fd is not None and fd.kind == "scalar":
        out.append(WasiVar("fd_path", "fd_path", "str", n - 1 - fd.first, False, FD_PATH_DOC))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def event_vars(name: str) -> dict[str, WasiVar]:
    """The dynamic bound variables of event ``wasi:p1:<name>`` by name, in ``whamm info`` order."""
    return {v.name: v for v in _vars(function(name))}


def wasi_var(event: str, name: str) -> WasiVar | None:
    """How variable ``name`` of event ``wasi:p1:<event>`` is computed, or None if it has none."""
    return event_vars(event).get(name)


def whamm_type(type_name: str) -> WhammType:
    """A table type name (``u32``, ``str``, ``i64`` …) as the checker's type."""
    return Prim.STR if type_name == "str" else parse_type(type_name)
