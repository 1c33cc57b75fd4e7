"""What the engine interface cannot express (WEI.md §2): one clear error per rejected feature.

An engine calls a monitor *before* an instruction, at function entry/exit and at basic-block
boundaries, with values it reads; it never hands the monitor a way to change the application.  So
everything that needs another position (``after``, ``alt``, ``entry``, ``exit``, ``at_target``, and
with them ``resN``/``failed``), writes into the application (assignments to ``argN``/``localN``,
``alt_call_*``, ``drop_args``, ``dup_at``), per-activation state (``frame`` variables), the application's
memory or tables (``APP_MEMID``, ``resolve_funcref``) or a static table the interface has no parameter
for (``targets``) is rejected with ``<feature> is not supported by the wei target`` at the offending
source text.

Note (differs from upstream whamm): upstream dropped the mode of ``after``/``alt`` probes silently.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from compiler.events.variables import MEMORY_ID_PARAMS
from compiler.lang import ast
from compiler.lang.diagnostics import Diagnostic, ScriptError
from compiler.lang.scopes import CalleeKind, VarKind, callee_of

if TYPE_CHECKING:
    from compiler.lang.diagnostics import Span
    from compiler.lang.scopes import CheckedProbe, Program

__all__ = ["UnsupportedError", "check_supported", "UNSUPPORTED_MODES", "UNSUPPORTED_CALLS"]

#: Modes other than ``before`` (WEI.md §2).
UNSUPPORTED_MODES = frozenset({"after", "alt", "entry", "exit", "at_target"})
#: Bound functions that act on the application.
UNSUPPORTED_CALLS = frozenset({"alt_call_by_id", "alt_call_by_name", "drop_args", "dup_at", "resolve_funcref"})


#: Why the engine interface takes no ``wasi:p1`` probe (docs/WASI.md): a monitor is compiled without the
#: application, so it knows neither which imported function index is a WASI function (the engine's call
#: events name callees by index) nor the memory its strings, iovecs and results live in.
_WASI_HELP = ("a monitor is built without the application: it cannot tell which calls are WASI calls nor "
              "read their strings and results; use the rewriting target (docs/WASI.md)")


class UnsupportedError(ScriptError):
    """The script uses features the engine interface cannot express (rendered like script errors)."""


def check_supported(program: Program) -> None:
    """Raise :class:`UnsupportedError` listing each unsupported use once (source order)."""
    found: dict[tuple[str, int], Diagnostic] = {}

    def reject(feature: str, span: Span | None, help: str | None = None) -> None:
        key = (feature, span.start if span is not None else -1)
        if key not in found:
            found[key] = Diagnostic.error(f"{feature} is not supported by the wei target", span, help=help)

    for stmt in program.statements:
        for n in ast.walk(stmt):
            sym = n.symbol if isinstance(n, ast.Name) else None
            if sym is not None and sym.kind is VarKind.BOUND:
                reject("bound variables in script-level statements", n.span)
    for cp in program.probes:
        roots: list[ast.Node] = [cp.body]
        if cp.predicate is not None:
            roots.append(cp.predicate)
        _check_memory_ids(roots, reject)
        if cp.event is None:
            continue
        _check_probe(cp, reject)
    _check_memory_ids(program.statements, reject)
    for fn in program.functions.values():
        _check_memory_ids([fn.body], reject)
    if found:
        raise UnsupportedError(list(found.values()), program.source, program.filename)


def _check_memory_ids(roots: Iterable[ast.Node], reject) -> None:
    """Memory ids other than ``memid(LIB)``.  The id space starts with the application's memories
    (LANGUAGE.md §11.1), which a monitor compiled without the application neither knows nor reaches, so
    ``mem_size(0)`` would silently read the monitor's own memory where rewriting reads the application's."""
    for root in roots:
        for n in ast.walk(root):
            if not isinstance(n, ast.Call):
                continue
            callee = callee_of(n)
            if callee.bound_fn is None or callee.kind is not CalleeKind.BUILTIN:
                continue
            for a, (pname, _) in zip(n.args, callee.bound_fn.params):
                if pname in MEMORY_ID_PARAMS and not (isinstance(a, ast.Call) and a.func == "memid" and a.lib is None):
                    reject("a memory id other than `memid(LIB)`", a.span,
                           "the monitor cannot reach the application's memories; "
                           "memid(whamm_core) is the instrumentation memory")


def _check_probe(cp: CheckedProbe, reject) -> None:
    if cp.package == "p1":
        reject("the wasi:p1 provider", cp.probe.rule.span, _WASI_HELP)
        return
    mode = cp.mode
    if cp.expansion.package == "source":
        reject("the `wasm:source` package", cp.probe.rule.span,
               "the monitor is compiled without the application's DWARF; use the rewriting target")
    if mode in UNSUPPORTED_MODES:
        parts = cp.probe.rule.parts
        span = parts[3].span if len(parts) > 3 and parts[3].pattern == mode else cp.probe.rule.span
        reject(f"mode `{mode}`", span)
    for sym in cp.symbols:
        if sym.kind is VarKind.FRAME:
            reject("frame variables", sym.decl.span if sym.decl is not None else None)
    roots: list[ast.Node] = [cp.body]
    if cp.predicate is not None:
        roots.insert(0, cp.predicate)
    for root in roots:
        for n in ast.walk(root):
            if isinstance(n, (ast.Assign, ast.CompoundAssign, ast.IncDec)):
                target = n.target
                while isinstance(target, ast.Field):
                    target = target.tuple
                sym = target.symbol if isinstance(target, ast.Name) else None
                if sym is not None and sym.kind is VarKind.BOUND:
                    reject(f"assignment to the bound variable `{target.id}`", n.span)  # type: ignore[union-attr]
            elif isinstance(n, ast.Name):
                sym = n.symbol
                if sym is None:
                    continue
                if sym.kind is VarKind.BUILTIN:
                    reject(f"`{n.id}` (application memory access)", n.span)
                elif sym.kind is VarKind.BOUND and n.id in ("callstack", "stack_depth"):
                    reject(f"`{n.id}`", n.span, "the engine interface passes no call stack; "
                                                 "use the rewriting target")
                elif sym.kind is VarKind.BOUND and n.id in ("src_file", "src_line", "src_col"):
                    reject(f"`{n.id}`", n.span, "the monitor is compiled without the application's DWARF; "
                                                 "use the rewriting target")
                elif sym.kind is VarKind.BOUND and n.id == "targets":
                    reject("the br_table variable `targets`", n.span, "use immN, num_targets and default_target")
            elif isinstance(n, ast.Call):
                callee = callee_of(n)
                if callee.kind is CalleeKind.BOUND and callee.name in UNSUPPORTED_CALLS:
                    reject(f"`{callee.name}`", n.span)
