"""What an interactive front end asks the compiler besides building: catalog queries for completion and
highlighting, the syntax questions of typed input, ``info`` text and WAT lines.

Everything here is offered through :mod:`compiler.api` (the shell imports nothing else of the
compiler), so the answers come from the same tables and parser the compiler uses — the catalog
(EVENTS.md), the parser's keyword set, the opcode table — never from copies kept in the shell.  It
imports none of the code generators, so a prompt can colour and complete before anything is built.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from compiler.events.catalog import CORE_FNS, CORE_VARS, MODES, PROVIDERS, lookup, opcode_events, scope
from compiler.events.info import render_info
from compiler.events.rules import Pattern, RuleError, match_rule, split_rule
from compiler.lang import ast
from compiler.lang.lexer import KEYWORDS
from compiler.lang.parser import is_complete, parse_items, parse_probe
from compiler.wasm.opcodes import OPCODES
from compiler.wasm.reader import read_module
from compiler.wasm.source_lines import source_comments, source_map
from compiler.wasm.wat import Line, function_lines

if TYPE_CHECKING:
    from compiler.wasm.model import Module

__all__ = [
    "rule_completions", "rule_scope", "KEYWORDS", "bound_variable_names", "bound_function_names",
    "instruction_names", "ScriptItem", "script_items", "ProbeParts", "probe_parts", "probe_is_complete",
    "info_text", "decode_module", "function_wat",
]


# ------------------------------------------------------------------------------------ the catalog

def rule_completions(rule: str) -> list[tuple[str, str, str]]:
    """Candidates for the last part of a partial rule: ``(insert, display, meta)`` in catalog order.

    ``rule`` is the rule text up to the cursor (``wasm:opcode:br*:a``).  Earlier parts may be globs;
    the last part is a plain prefix (case-insensitive, as rule matching is).  A candidate that has a
    further level gets its ``:`` (``opcode:``, ``br_if:``), so completing part by part flows on.
    """
    parts = split_rule(rule)
    *given, prefix = parts
    if any(c in prefix for c in "*?[]!|"):
        return []
    low = prefix.lower()
    level = len(given)
    out: list[tuple[str, str, str]] = []
    if level == 0:
        return [(pv.name + ":", pv.name, pv.doc) for pv in PROVIDERS if pv.name.startswith(low)]
    all_packages = [pk for pv in Pattern(given[0]).filter(PROVIDERS) for pk in pv.packages]
    packages = Pattern(given[1]).filter(all_packages) if level >= 2 else all_packages
    if level == 1:
        for pk in packages:
            if pk.name.startswith(low):
                out.append((pk.name + (":" if pk.events else ""), pk.name, pk.doc))
        return out
    events = [ev for pk in packages for ev in (Pattern(given[2]).filter(pk.events) if level >= 3 else pk.events)]
    if level == 2:
        seen: set[str] = set()
        for ev in events:
            if ev.name.startswith(low) and ev.name not in seen:
                seen.add(ev.name)
                meta = ev.category or ev.doc
                out.append((ev.name + (":" if ev.modes else ""), ev.name, meta))
        return out
    if level == 3:
        valid = {m.name: m.doc for ev in events for m in ev.modes}
        return [(m, m, valid[m]) for m in MODES if m in valid and m.startswith(low)]
    return []


_BOUND_DECL = re.compile(r"(\w+)\s*:\s*([\w<>(), ]+?)\s*(?=[,)])")
_RES = re.compile(r"res(?:\d+|N)")


@functools.lru_cache(maxsize=256)
def rule_scope(rule: str) -> tuple[tuple[str, str, str], ...]:
    """The bound variables a probe with this (complete) rule may use: ``(insert, display, meta)``.

    The intersection over every (event, mode) the rule matches — the checker checks every expansion of a
    probe separately, so a name is offered only when every matched event binds it — without ``resN``
    outside ``after`` and without engine-only variables (errors for the rewriting target), plus the
    names its type bounds declare.  Families (``argN``) insert their stem (``arg``).  An unmatched or
    malformed rule has no bound variables.
    """
    try:
        targets = match_rule(split_rule(rule))
    except RuleError:
        return ()
    scopes = []
    for t in targets:
        names = scope(t.package.name, t.event.name if t.event else None, t.mode.name if t.mode else None)
        after = t.mode is not None and t.mode.name == "after"
        scopes.append({n: v for n, v in names.items()
                       if not v.engine_only and (after or not (_RES.fullmatch(n) or v.after_only))})
    first, rest = scopes[0], scopes[1:]
    out: dict[str, tuple[str, str, str]] = {}
    for name, var in first.items():
        if all(lookup(s, name) is not None for s in rest):
            kind = "static" if var.static else "dynamic"
            meta = f"{var.type if var.type is not None else '?'} ({kind})"
            insert = name[:-1] if var.is_family else name
            out[name] = (insert, name, meta)
    for m in _BOUND_DECL.finditer(" ".join(f"{b})" for b in re.findall(r"\(([^()]*)\)", rule))):
        name, type_ = m[1], m[2].strip()
        out.setdefault(name, (name, name, f"{type_} (type bound)"))
    return tuple(out.values())


def bound_variable_names() -> tuple[str, ...]:
    """Every concrete bound-variable name in the catalog, sorted (families such as ``argN`` are left
    out: a highlighter matches them by pattern)."""
    names = {v.name for v in CORE_VARS} | {v.name for pv in PROVIDERS for v in pv.vars}
    for pkg in (pk for pv in PROVIDERS for pk in pv.packages):
        names.update(v.name for v in pkg.vars)
        for ev in pkg.events:
            names.update(v.name for v in ev.vars)
    return tuple(sorted(n for n in names if not n.endswith("N")))


def bound_function_names() -> tuple[str, ...]:
    """Every bound function name in the catalog (``whamm_core`` ones included), sorted."""
    names = {f.name for f in CORE_FNS} | {f.name for pv in PROVIDERS for f in pv.fns}
    for pkg in (pk for pv in PROVIDERS for pk in pv.packages):
        names.update(f.name for f in pkg.fns)
        for ev in pkg.events:
            names.update(f.name for f in ev.fns)
    return tuple(sorted(names))


def instruction_names() -> frozenset[str]:
    """Every instruction name of the opcode table, plus the catalog's own spellings
    (``typed_select``, ``ref.test_null``, ``ref.cast_null``)."""
    return frozenset(op.name for op in OPCODES) | frozenset(ev.name for ev in opcode_events())


def info_text(rule: str, vars: bool = False, functions: bool = False) -> str:
    """What ``whamm info -r RULE [-v] [-f]`` prints (CLI.md): the events a rule matches and, with the
    flags, their bound variables and functions."""
    return render_info(rule, vars, functions)


# ------------------------------------------------------------------------------------- the syntax

@dataclass(frozen=True, slots=True)
class ScriptItem:
    """One top-level item of a script text: its ``kind`` (``probe``, ``use``, ``fn``, ``var`` or
    ``statement``) and where it is (``[start, end)``)."""

    kind: str
    start: int
    end: int


def script_items(text: str, filename: str = "<input>") -> tuple[ScriptItem, ...]:
    """The top-level items of ``text`` in order (raises :class:`~compiler.lang.diagnostics.ScriptError`
    for a syntax error; nothing is checked)."""
    return tuple(ScriptItem(_kind(node), node.span.start, node.span.end) for node in parse_items(text, filename))


def _kind(node: ast.Item) -> str:
    if isinstance(node, ast.Probe):
        return "probe"
    if isinstance(node, ast.Use):
        return "use"
    if isinstance(node, ast.FnDef):
        return "fn"
    return "var" if isinstance(node, ast.VarDecl) else "statement"


@dataclass(frozen=True, slots=True)
class ProbeParts:
    """Where a probe's rule and predicate are in its text, as ``(start, end)`` (``predicate`` None when
    it has none)."""

    rule: tuple[int, int]
    predicate: tuple[int, int] | None


def probe_parts(text: str, filename: str = "<input>") -> ProbeParts:
    """Parse one probe (``RULE [/ PRED /] { BODY }``; raises ``ScriptError`` for a syntax error)."""
    probe = parse_probe(text, filename)
    pred = probe.predicate
    return ProbeParts((probe.rule.span.start, probe.rule.span.end),
                      None if pred is None else (pred.span.start, pred.span.end))


def probe_is_complete(text: str) -> bool:
    """Whether ``text`` is a whole probe, or could not become one by reading more (the parser keeps
    reading while the input could still become valid: a rule alone waits for its ``{``)."""
    return is_complete(text, "probe")


# -------------------------------------------------------------------------------------------- WAT

def decode_module(wasm: bytes) -> Module:
    """A module decoded from its bytes (an instrumented module, to print its functions)."""
    return read_module(wasm)


def function_wat(module: Module, fid: int) -> list[Line]:
    """The WAT lines of function ``fid`` of ``module``, each with the ``pc`` of its instruction, and
    ``;; file:line`` comments where the source line changes (ANALYSIS.md §5)."""
    return list(source_comments(function_lines(module, fid), source_map(module)))
