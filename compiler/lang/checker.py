"""The type checker: scopes, types and every script error of LANGUAGE.md (§3–§12, §14).

:func:`check_script` turns a parsed :class:`~compiler.lang.ast.Script` into a :class:`~compiler.lang.scopes.Program`
or raises :class:`~compiler.lang.diagnostics.ScriptError` with up to 15 errors in source order.  The order
of work follows what each step needs:

1. structure (``use`` placement, what may stand at script level), globals and function signatures — so
   probes and functions may use globals and functions declared further down;
2. script-level statements in order, then the compile-time constants of §7.4 (they decide what is static
   in ``@static`` arguments and memory ids);
3. function bodies, then each probe rule expanded into probes (EVENTS.md §9) and its predicate and body
   checked once per expansion (bound variable types differ per event).  An error found at several
   expansions of one rule is reported once, at its first expansion.

The result is a typed tree: every statement and expression is checked into a copy carrying its type,
symbol or callee (:mod:`compiler.lang.ast`), stored on the program, its functions and each expanded
probe.  This module is the script-wide driver (order of work, declarations of globals and functions,
rule expansion, §7.4 constants); a body is checked by :class:`~compiler.lang.check_stmts.BodyChecker`
(statements) on top of :class:`~compiler.lang.check_exprs.ExprChecker` (expressions, calls) and
:class:`~compiler.lang.check_names.NameScope` (name lookup).
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Mapping

from compiler.events import catalog as cat
from compiler.events.rules import ExpandedProbe, RuleError, match_rule
from compiler.lang import ast
from compiler.lang.check_names import BOUNDABLE, CORE_FNS, NO_SITE_PACKAGES, RESERVED, bound_fns, bound_vars
from compiler.lang.check_stmts import BodyChecker
from compiler.lang.diagnostics import Diagnostic, ScriptError, Span
from compiler.lang.fd_path_tracking import tracking_probes
from compiler.lang.folder import FoldError, constant_value
from compiler.lang.parser import structure_errors
from compiler.lang.libraries import CORE_NAME, WHAMM_CORE, Library
from compiler.lang.scopes import CheckedFunction, CheckedProbe, Program, Symbol, VarKind
from compiler.lang.check_exprs import AGG_UPDATE
from compiler.lang.types import UNIT, AggType, MapType, Prim, TupleType, WhammType, is_integer, is_numeric

__all__ = ["check_script", "MAX_ERRORS"]

#: At most this many errors are reported per run (LANGUAGE.md §14).
MAX_ERRORS = 15

_BOUND_TYPES = frozenset(t for t in Prim if t is not Prim.STR)


def check_script(script: ast.Script, source: str = "", filename: str = "<script>",
                 libraries: Mapping[str, Library] | None = None, *, wei: bool = False) -> Program:
    """Check ``script``; ``libraries`` maps library names to signatures (``whamm_core`` is built in).

    ``wei`` selects the engine target, where engine-only variables such as ``probe_id`` are allowed.
    Warnings are returned in ``Program.warnings``; errors raise :class:`ScriptError` (its diagnostics
    include the warnings found so far).
    """
    return Checker(script, source, filename, dict(libraries or {}), wei).run()


@functools.lru_cache(maxsize=256)
def _match(parts: tuple[str, ...]) -> tuple:
    """Rule matching, cached by the rule's text (scripts and the shell repeat rules)."""
    return match_rule(parts)


def _key_ok(t: WhammType) -> bool:
    if isinstance(t, TupleType):
        return bool(t.elems) and all(_key_ok(e) for e in t.elems)
    return is_integer(t) or t in (Prim.BOOL, Prim.STR)


def _value_ok(t: WhammType) -> bool:
    if isinstance(t, TupleType):
        return bool(t.elems) and all(_value_ok(e) for e in t.elems)
    return is_numeric(t) or t in (Prim.BOOL, Prim.STR) or isinstance(t, AggType)


class Checker:
    """The script-wide state of one check: program being built, function signatures, errors."""

    def __init__(self, script: ast.Script, source: str, filename: str, libraries: dict[str, Library],
                 wei: bool) -> None:
        self.script = script
        self.wei = wei
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.prog = Program(script, source, filename)
        self.provided = libraries
        self.fn_sigs: dict[str, ast.FnDef] = {}
        self.assign_counts: dict[str, int] = {}

    # ------------------------------------------------------------------------------------- reporting

    def error(self, message: str, span: Span | None, **notes: str | None) -> None:
        """Record an error; checking goes on so that one run reports as many as it can (:meth:`fail_if_errors`)."""
        self.errors.append(Diagnostic.error(message, span, **notes))

    def warn(self, message: str, span: Span | None, **notes: str | None) -> None:
        """Record a warning once, although the body of a glob rule is checked once per expansion."""
        d = Diagnostic.warning(message, span, **notes)
        if d not in self.warnings:  # the body of a glob rule is checked once per expansion
            self.warnings.append(d)

    def fail_if_errors(self) -> None:
        """Raise :class:`ScriptError` with the recorded errors (deduplicated, in source order, at most
        ``MAX_ERRORS``) and the warnings, if there is any error."""
        if self.errors:
            unique = {(d.message, d.span): d for d in reversed(self.errors)}
            errors = sorted(unique.values(), key=lambda d: (d.span is None, d.span.start if d.span else 0))
            raise ScriptError(errors[:MAX_ERRORS] + self.warnings, self.prog.source, self.prog.filename)

    # ---------------------------------------------------------------------------------------- phases

    def run(self) -> Program:
        """Check the whole script in dependency order (declarations, script level, functions, probes) and
        return the :class:`Program`; raises :class:`ScriptError` if anything was wrong."""
        prog = self.prog
        self.structure()
        self.declare_globals_and_functions()
        self.count_assignments()
        self.check_script_level()
        for fn in self.fn_sigs.values():
            self.check_function(fn)
        counter = 0
        for item in self.script.items:
            if isinstance(item, ast.Probe):
                counter = self.check_probe(item, counter)
        if any(cp.package == "p1" and "fd_path" in cp.bound_used for cp in prog.probes):
            for item in tracking_probes(len(prog.source)):    # fd_path's table (ANALYSIS.md §4)
                counter = self.check_probe(item, counter)
        self.shadow_warnings()
        self.fail_if_errors()
        names = sorted((n for n, s in prog.globals.items() if s.is_map), key=lambda n: n.encode())
        prog.map_ids = {n: i for i, n in enumerate(names)}
        prog.warnings = sorted(self.warnings, key=lambda d: d.span.start if d.span else -1)
        return prog

    def structure(self) -> None:
        """§3's item order and ``use`` declarations: what must hold before any name can be resolved."""
        self.errors.extend(structure_errors(self.script.items, self.prog.source))
        for item in self.script.items:
            if isinstance(item, ast.Use):
                if item.name in self.prog.uses:
                    self.error(f"`{item.name}` is already defined", item.name_span)
                    continue
                self.prog.uses.append(item.name)
                if item.name != CORE_NAME and item.name not in self.provided:
                    self.error(f"library {item.name} is used by the script but was not provided "
                               f"(--user-libs {item.name}=PATH)", item.name_span)
        libs: dict[str, Library] = {}
        for name in self.prog.uses:
            lib = WHAMM_CORE if name == CORE_NAME else self.provided.get(name)
            if lib is not None:
                libs[name] = lib
        self.prog.libraries = libs

    def declare_globals_and_functions(self) -> None:
        """Enter every function signature and script-level variable first, so probes and functions may use
        them whatever the order of the items."""
        for item in self.script.items:
            if isinstance(item, ast.FnDef):
                name = item.name
                if (name in self.fn_sigs or name in CORE_FNS or name in self.prog.uses
                        or name == CORE_NAME):
                    self.error(f"`{name}` is already defined", item.name_span)
                    continue
                self.fn_sigs[name] = item
                for p in item.params:
                    self.check_type(p.type, allow_map=True, allow_agg=False)
                if item.result is not None:
                    self.check_type(item.result, allow_map=True, allow_agg=False)
            elif isinstance(item, ast.VarDecl):
                self.declare_global(item)

    def declare_global(self, decl: ast.VarDecl) -> None:
        """Declare one script-level variable (no ``frame``; maps allowed; the name must be new and not reserved)."""
        mods = self.check_modifiers(decl)
        if "frame" in mods:
            self.error("frame variables are not allowed at script level", decl.span)
        self.check_type(decl.type, allow_map=True)
        if self.check_name(decl.name, decl.name_span):
            if decl.name in self.prog.globals:
                self.error(f"`{decl.name}` is already defined", decl.name_span)
                return
            self.prog.globals[decl.name] = Symbol(decl.name, decl.type.type, VarKind.GLOBAL,
                                                  report="report" in mods, decl=decl)

    # ------------------------------------------------------------------------------------ validation

    def check_name(self, name: str, span: Span) -> bool:
        """Whether ``name`` may be declared: ``argN``/``resN``/``immN``/``localN`` are the compiler's."""
        if RESERVED.fullmatch(name):
            self.error(f"`{name}` is reserved for the compiler (argN, resN, immN and localN cannot be "
                       f"declared)", span)
            return False
        return True

    def check_modifiers(self, decl: ast.VarDecl) -> tuple[str, ...]:
        """The declaration's modifiers, after reporting duplicates and more than one storage class."""
        mods = decl.modifiers
        for i, m in enumerate(mods):
            if m in mods[:i]:
                self.error(f"duplicate modifier `{m}`", decl.span)
        if sum(1 for m in set(mods) if m in ("unshared", "shared", "frame")) > 1:
            self.error("a variable may have at most one of unshared, shared or frame", decl.span)
        return mods

    def check_type(self, ref: ast.TypeRef, allow_map: bool, allow_agg: bool | None = None) -> bool:
        """Map key/value rules (D8), maps only at the top, no ``funcref`` in declarations.  Aggregates
        (ANALYSIS.md §1) are allowed where maps are (``allow_agg`` None), as ``frame`` variables
        (``allow_agg`` True: a per-activation region, docs/AGGREGATES.md) and as map values; they live
        in memory and are updated in place, so never as parameters, results or tuple elements."""
        t = ref.type
        if isinstance(t, AggType):
            if allow_agg is False:
                self.error("aggregates cannot be function parameters or results", ref.span)
                return False
            if not allow_map and not allow_agg:
                self.error("aggregate variables must be global, unshared, shared or frame", ref.span)
                return False
            return True
        if isinstance(t, MapType):
            if not allow_map:
                self.error("map variables must be global, unshared or shared", ref.span)
                return False
            ok = True
            if not _key_ok(t.key):
                self.error(f"unsupported map key type {t.key}", ref.span)
                ok = False
            if not _value_ok(t.value):
                self.error(f"unsupported map value type {t.value}", ref.span)
                ok = False
            return ok
        return self._plain_type_ok(t, ref.span)

    def _plain_type_ok(self, t: WhammType, span: Span) -> bool:
        if isinstance(t, MapType):
            self.error("tuples may not contain maps", span)
            return False
        if isinstance(t, TupleType):
            for e in t.elems:
                if isinstance(e, AggType):
                    self.error("tuples may not contain aggregates", span)
                    return False
            return all(self._plain_type_ok(e, span) for e in t.elems)
        if t is Prim.FUNCREF:
            self.error("funcref cannot be used as the type of a variable or parameter", span)
            return False
        return True

    # ---------------------------------------------------------------------------------- script level

    def check_script_level(self) -> None:
        """Check the script-level statements, which run once in ``wasm:begin`` order (REWRITING.md §4), and the
        globals' initializers."""
        body = BodyChecker(self, "script")
        prog = self.prog
        for item in self.script.items:
            if isinstance(item, ast.Stmt) and not isinstance(item, (ast.If, ast.Return)):
                typed: ast.Stmt = item
                if isinstance(item, ast.VarDecl):
                    sym = prog.globals.get(item.name)
                    if sym is not None and sym.decl is item and isinstance(sym.type, AggType) \
                            and item.init is not None:
                        self.error(AGG_UPDATE, item.init.span)
                        typed = dataclasses.replace(item, init=None, symbol=sym)
                    elif sym is not None and sym.decl is item:
                        init = body.expect(item.init, sym.type) if item.init is not None else None
                        typed = dataclasses.replace(item, init=init, symbol=sym)
                    elif sym is None and item.init is not None:
                        typed = dataclasses.replace(item, init=body.expr(item.init, item.type.type))
                else:
                    typed = body.stmt(item)
                prog.statements.append(typed)
                self.constant(typed)

    def count_assignments(self) -> None:
        """How often each global name is assigned anywhere (for §7.4); locals shadowing a global are
        conservatively counted too."""
        counts = self.assign_counts
        for node in ast.walk(self.script):
            target = None
            if isinstance(node, ast.VarDecl) and node.init is not None:
                target = node.name
            elif isinstance(node, (ast.Assign, ast.CompoundAssign, ast.IncDec)):
                t = node.target
                while isinstance(t, (ast.Field, ast.Index)):
                    t = t.tuple if isinstance(t, ast.Field) else t.map
                if isinstance(t, ast.Name):
                    target = t.id
            if target is not None:
                counts[target] = counts.get(target, 0) + 1
        for fn in self.fn_sigs.values():
            for p in fn.params:
                counts[p.name] = counts.get(p.name, 0) + 2

    def constant(self, stmt: ast.Stmt) -> None:
        """Record ``stmt``'s target as a compile-time constant (§7.4) if it is one; called right after
        the statement is checked, so later script-level code (``@static`` arguments) sees it."""

        prog = self.prog
        if isinstance(stmt, ast.VarDecl) and stmt.init is not None:
            name, expr = stmt.name, stmt.init
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.target, ast.Name):
            name, expr = stmt.target.id, stmt.value
        else:
            return
        sym = prog.globals.get(name)
        if self.assign_counts.get(name) != 1 or sym is None or not isinstance(sym.type, Prim) \
                or sym.type is Prim.FUNCREF:
            return
        try:
            value = constant_value(expr, prog.constants)
        except FoldError as exc:
            self.errors.append(exc.diagnostic)
            return
        if value is not None:
            prog.constants[name] = value

    # ------------------------------------------------------------------------------------- functions

    def check_function(self, fn: ast.FnDef) -> None:
        """Check a user function's parameters and typed body (D3); one that has a result must return on every path."""
        params = []
        seen: set[str] = set()
        for p in fn.params:
            if p.name in seen:
                self.error(f"`{p.name}` is already defined", p.name_span)
            seen.add(p.name)
            self.check_name(p.name, p.name_span)
            params.append(Symbol(p.name, p.type.type, VarKind.PARAM, decl=p))
        result = fn.result.type if fn.result is not None else None
        cf = CheckedFunction(fn, tuple(params), result)
        self.prog.functions[fn.name] = cf
        body = BodyChecker(self, "function", function=cf)
        for s in params:
            body.scope[s.name] = s
        cf.body = body.block(fn.body)
        cf.symbols = [s for s in body.scope.values() if s.kind is not VarKind.PARAM]
        if result is not None and result != UNIT and not _always_returns(fn.body):
            self.error(f"function {fn.name} may finish without returning a value", fn.name_span)

    # ---------------------------------------------------------------------------------------- probes

    def check_probe(self, probe: ast.Probe, counter: int) -> int:
        """Expand the probe's rule to its events (EVENTS.md §9) and check the body at each expansion; returns
        the next free probe number (``counter`` + the number of expansions)."""
        rule = probe.rule
        try:
            targets = _match(tuple(p.pattern for p in rule.parts))
        except RuleError:
            try:  # again with the spans, for a located diagnostic
                match_rule([p.pattern for p in rule.parts], [p.span for p in rule.parts])
            except RuleError as exc:
                self.errors.append(exc.diagnostic())
            return counter
        bounds: dict[str, WhammType] = {}
        for b in (b for part in rule.parts[:3] for b in part.bounds):  # bounds on the mode: ignored
            if not BOUNDABLE.fullmatch(b.name):
                self.error("type bounds may only name argN, resN or localN", b.span)
                continue
            if b.name in bounds:
                self.error(f"`{b.name}` is already defined", b.span)
            t = b.type.type
            if t not in _BOUND_TYPES:
                self.error(f"a type bound must be a numeric type, bool or funcref, found {t}", b.type.span)
                continue
            bounds[b.name] = t
        if not probe.body.stmts and any(t.mode is None or t.mode.name != "alt" for t in targets):
            self.warn("probe has an empty body", rule.span)
        seen_spans: set[tuple[int, int]] = set()
        many = len(targets) > 1
        used_names, used_fns = _referenced(probe) if many else ((), ())
        done: dict[tuple, CheckedProbe] = {}
        for i, t in enumerate(targets):
            exp = ExpandedProbe(counter + i, t.package.name, t.event.name if t.event else None,
                                t.mode.name if t.mode else None, cat.provider_of(t.package.name).name)
            cp = CheckedProbe(probe, exp, t.event, dict(bounds))
            if many:
                # Expansions that bind every name the probe uses identically check identically: share
                # the (read-only) typed trees of the first one instead of checking the body again.
                scope = bound_vars(exp.package, exp.event, exp.mode)
                fns = bound_fns(exp.package, exp.event, exp.mode)
                key = (exp.package, exp.mode, tuple(cat.lookup(scope, n) for n in used_names),
                       tuple(fns.get(f) for f in used_fns))
                twin = done.get(key)
                if twin is not None:
                    cp.symbols, cp.bound_used = twin.symbols, twin.bound_used
                    cp.predicate, cp.body = twin.predicate, twin.body
                    self.prog.probes.append(cp)
                    continue
                done[key] = cp
            before = len(self.errors)
            BodyChecker(self, "probe", probe=cp).probe()
            new = self.errors[before:]
            del self.errors[before:]
            for d in new:
                key = (d.span.start, d.span.end) if d.span else (-1, -1)
                if key in seen_spans:
                    continue
                seen_spans.add(key)
                if many:
                    d = d.with_note("note", f"in the expansion {exp.rule}")
                self.errors.append(d)
            self.prog.probes.append(cp)
        return counter + len(targets)

    def shadow_warnings(self) -> None:
        """Warn once per global that a bound variable hides in some probe (§7.3)."""
        where: dict[tuple, CheckedProbe] = {}
        for cp in self.prog.probes:
            if cp.package not in NO_SITE_PACKAGES:
                where.setdefault((cp.package, cp.expansion.event, cp.mode), cp)
        for name, sym in self.prog.globals.items():
            for key, cp in where.items():
                if cat.lookup(bound_vars(*key), name) is not None:
                    assert sym.decl is not None
                    self.warn(f"global `{name}` is shadowed by a bound variable in "
                              f"{cp.expansion.rule}", sym.decl.name_span,
                              note="inside such probes the name refers to the bound variable")
                    break


def _referenced(probe: ast.Probe) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The variable names and plain function names a probe's predicate and body mention."""
    names: set[str] = set()
    fns: set[str] = set()
    for n in ast.walk(probe):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Call):
            if n.lib is None:
                fns.add(n.func)
            else:
                names.add(n.lib)  # `x.m()` may be a method call on variable x
    return tuple(sorted(names)), tuple(sorted(fns))


def _always_returns(block: ast.Block) -> bool:
    for s in block.stmts:
        if isinstance(s, ast.Return):
            return True
        if isinstance(s, ast.If) and s.orelse is not None:
            if _always_returns(s.then) and all(_always_returns(e.body) for e in s.elifs) \
                    and _always_returns(s.orelse):
                return True
    return False
