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

Typing of literals (§6.3) is bidirectional: :meth:`_Body.expr` takes the type the context expects and a
literal (or an expression built only from literals and per-event constants) takes it; elsewhere the
other operand's type is the context.  The resulting type of every node is recorded for the folder and
the code generator.
"""
from __future__ import annotations

import functools
import re
from typing import Iterable, Mapping

from compiler.events import catalog as cat
from compiler.events.rules import ExpandedProbe, RuleError, match_rule
from compiler.lang import ast, values
from compiler.lang.diagnostics import Diagnostic, ScriptError, Span, closest
from compiler.lang.folder import FoldError, constant_value
from compiler.lang.parser import structure_errors
from compiler.lang.libraries import CORE_NAME, WHAMM_CORE, Library
from compiler.lang.scopes import (
    Callee, CalleeKind, CheckedFunction, CheckedProbe, Program, Symbol, VarKind,
)
from compiler.lang.types import (
    UNIT, MapType, Prim, TupleType, WhammType, is_float, is_integer, is_numeric,
)

__all__ = ["check_script", "MAX_ERRORS"]

#: At most this many errors are reported per run (LANGUAGE.md §14).
MAX_ERRORS = 15

_RESERVED = re.compile(r"(arg|res|imm|local)\d+")
_BOUNDABLE = re.compile(r"(arg|res|local)\d+")
_SPECIAL = ("report", "unshared", "shared", "frame")
_NO_SITE_PACKAGES = ("begin", "end", "report")
_MEMID_PARAMS = frozenset({"src_mem", "dst_mem", "memid"})
_PROVIDER_NAMES = frozenset(v.name for v in cat.CATALOG.vars)
_CORE_FNS = {f.name: f for f in cat.CORE_FNS}
_BUILTIN_SYMBOLS = {v.name: Symbol(v.name, v.type, VarKind.BUILTIN, bound=v) for v in cat.CORE_VARS}
_STATIC_BUILTINS = frozenset(f.name for f in cat.CORE_FNS if f.static)
_CAST_TYPES = frozenset(t for t in Prim if t not in (Prim.STR, Prim.FUNCREF))
_BOUND_TYPES = frozenset(t for t in Prim if t is not Prim.STR)

# dependency flags of an expression (static analysis for initializers and @static arguments)
_SITE = 1       # a per-site value (fid, pc, immN, unshared variables of the probe)
_RUNTIME = 2    # known only while the program runs, but not per visit (globals, library calls)
_VISIT = 4      # per-visit state (argN, probe locals, frame variables, parameters)

_FAILED = object()  # a name lookup that already reported its error


def check_script(script: ast.Script, source: str = "", filename: str = "<script>",
                 libraries: Mapping[str, Library] | None = None, *, wei: bool = False) -> Program:
    """Check ``script``; ``libraries`` maps library names to signatures (``whamm_core`` is built in).

    ``wei`` selects the engine target, where engine-only variables such as ``probe_id`` are allowed.
    Warnings are returned in ``Program.warnings``; errors raise :class:`ScriptError` (its diagnostics
    include the warnings found so far).
    """
    return _Checker(script, source, filename, dict(libraries or {}), wei).run()


@functools.lru_cache(maxsize=None)
def _bound_vars(package: str, event: str | None, mode: str | None) -> dict[str, cat.BoundVar]:
    """The catalog scope of a probe without the built-ins (``APP_MEMID`` resolves after globals, §7.3).
    Cached: the result is shared, never mutate it."""
    names = cat.scope(package, event, mode)
    for v in cat.CORE_VARS:
        names.pop(v.name, None)
    return names


@functools.lru_cache(maxsize=256)
def _match(parts: tuple[str, ...]) -> tuple:
    """Rule matching, cached by the rule's text (scripts and the shell repeat rules)."""
    return match_rule(parts)


@functools.lru_cache(maxsize=None)
def _bound_fns(package: str, event: str | None, mode: str | None) -> dict[str, cat.BoundFn]:
    return cat.scope_fns(package, event, mode)


def _key_ok(t: WhammType) -> bool:
    if isinstance(t, TupleType):
        return bool(t.elems) and all(_key_ok(e) for e in t.elems)
    return is_integer(t) or t in (Prim.BOOL, Prim.STR)


def _value_ok(t: WhammType) -> bool:
    if isinstance(t, TupleType):
        return bool(t.elems) and all(_value_ok(e) for e in t.elems)
    return is_numeric(t) or t in (Prim.BOOL, Prim.STR)


class _Checker:
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
        self.errors.append(Diagnostic.error(message, span, **notes))

    def warn(self, message: str, span: Span | None, **notes: str | None) -> None:
        d = Diagnostic.warning(message, span, **notes)
        if d not in self.warnings:  # the body of a glob rule is checked once per expansion
            self.warnings.append(d)

    def fail_if_errors(self) -> None:
        if self.errors:
            unique = {(d.message, d.span): d for d in reversed(self.errors)}
            errors = sorted(unique.values(), key=lambda d: (d.span is None, d.span.start if d.span else 0))
            raise ScriptError(errors[:MAX_ERRORS] + self.warnings, self.prog.source, self.prog.filename)

    # ---------------------------------------------------------------------------------------- phases

    def run(self) -> Program:
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
        self.shadow_warnings()
        self.fail_if_errors()
        names = sorted((n for n, s in prog.globals.items() if s.is_map), key=lambda n: n.encode())
        prog.map_ids = {n: i for i, n in enumerate(names)}
        prog.warnings = sorted(self.warnings, key=lambda d: d.span.start if d.span else -1)
        return prog

    def structure(self) -> None:
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
        for item in self.script.items:
            if isinstance(item, ast.FnDef):
                name = item.name
                if (name in self.fn_sigs or name in _CORE_FNS or name in self.prog.uses
                        or name == CORE_NAME):
                    self.error(f"`{name}` is already defined", item.name_span)
                    continue
                self.fn_sigs[name] = item
                for p in item.params:
                    self.check_type(p.type, allow_map=True)
                if item.result is not None:
                    self.check_type(item.result, allow_map=True)
            elif isinstance(item, ast.VarDecl):
                self.declare_global(item)

    def declare_global(self, decl: ast.VarDecl) -> None:
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
        if _RESERVED.fullmatch(name):
            self.error(f"`{name}` is reserved for the compiler (argN, resN, immN and localN cannot be "
                       f"declared)", span)
            return False
        return True

    def check_modifiers(self, decl: ast.VarDecl) -> tuple[str, ...]:
        mods = decl.modifiers
        for i, m in enumerate(mods):
            if m in mods[:i]:
                self.error(f"duplicate modifier `{m}`", decl.span)
        if sum(1 for m in set(mods) if m in ("unshared", "shared", "frame")) > 1:
            self.error("a variable may have at most one of unshared, shared or frame", decl.span)
        return mods

    def check_type(self, ref: ast.TypeRef, allow_map: bool) -> bool:
        """Map key/value rules (D8), maps only at the top, no ``funcref`` in declarations."""
        t = ref.type
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
            return all(self._plain_type_ok(e, span) for e in t.elems)
        if t is Prim.FUNCREF:
            self.error("funcref cannot be used as the type of a variable or parameter", span)
            return False
        return True

    # ---------------------------------------------------------------------------------- script level

    def check_script_level(self) -> None:
        body = _Body(self, "script", self.prog.types, self.prog.names, self.prog.calls)
        for item in self.script.items:
            if isinstance(item, ast.Stmt) and not isinstance(item, (ast.If, ast.Return)):
                self.prog.statements.append(item)
                if isinstance(item, ast.VarDecl):
                    if item.init is not None and item.name in self.prog.globals:
                        sym = self.prog.globals[item.name]
                        if sym.decl is item:
                            body.expect(item.init, sym.type)
                    elif item.init is not None:
                        body.expr(item.init, item.type.type)
                else:
                    body.stmt(item)
                self.constant(item)

    def count_assignments(self) -> None:
        """How often each global name is assigned anywhere (for §7.4); locals shadowing a global are
        conservatively counted too."""
        counts = self.assign_counts
        for node in ast.walk(self.script):
            target = None
            if isinstance(node, ast.VarDecl) and node.init is not None:
                target = node.name
            elif isinstance(node, (ast.Assign, ast.IncDec)):
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
            value = constant_value(expr, prog.types, prog.names, prog.calls, prog.constants)
        except FoldError as exc:
            self.errors.append(exc.diagnostic)
            return
        if value is not None:
            prog.constants[name] = value

    # ------------------------------------------------------------------------------------- functions

    def check_function(self, fn: ast.FnDef) -> None:
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
        body = _Body(self, "function", cf.types, cf.names, cf.calls, function=cf)
        for s in params:
            body.scope[s.name] = s
        body.block(fn.body)
        cf.symbols = [s for s in body.scope.values() if s.kind is not VarKind.PARAM]
        if result is not None and result != UNIT and not _always_returns(fn.body):
            self.error(f"function {fn.name} may finish without returning a value", fn.name_span)

    # ---------------------------------------------------------------------------------------- probes

    def check_probe(self, probe: ast.Probe, counter: int) -> int:
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
            if not _BOUNDABLE.fullmatch(b.name):
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
                                t.mode.name if t.mode else None)
            cp = CheckedProbe(probe, exp, t.event, dict(bounds))
            if many:
                # Expansions that bind every name the probe uses identically check identically: share
                # the (read-only) tables of the first one instead of checking the body again.
                scope = _bound_vars(exp.package, exp.event, exp.mode)
                fns = _bound_fns(exp.package, exp.event, exp.mode)
                key = (exp.package, exp.mode, tuple(cat.lookup(scope, n) for n in used_names),
                       tuple(fns.get(f) for f in used_fns))
                twin = done.get(key)
                if twin is not None:
                    cp.symbols, cp.bound_used = twin.symbols, twin.bound_used
                    cp.types, cp.names, cp.calls = twin.types, twin.names, twin.calls
                    self.prog.probes.append(cp)
                    continue
                done[key] = cp
            before = len(self.errors)
            _Body(self, "probe", cp.types, cp.names, cp.calls, probe=cp).probe()
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
            if cp.package not in _NO_SITE_PACKAGES:
                where.setdefault((cp.package, cp.expansion.event, cp.mode), cp)
        for name, sym in self.prog.globals.items():
            for key, cp in where.items():
                if cat.lookup(_bound_vars(*key), name) is not None:
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


class _Body:
    """Checks one body (script level, a function, or one expansion of a probe)."""

    def __init__(self, checker: _Checker, kind: str, types: dict, names: dict, calls: dict,
                 function: CheckedFunction | None = None, probe: CheckedProbe | None = None) -> None:
        self.c = checker
        self.kind = kind
        self.types = types
        self.names = names
        self.calls = calls
        self.function = function
        self.cp = probe
        self.scope: dict[str, Symbol] = {}
        self.bound_vars: dict[str, cat.BoundVar] = {}
        self.bound_fns: dict[str, cat.BoundFn] = {}
        if probe is not None:
            exp = probe.expansion
            self.bound_vars = _bound_vars(exp.package, exp.event, exp.mode)
            self.bound_fns = _bound_fns(exp.package, exp.event, exp.mode)

    # ------------------------------------------------------------------------------------- helpers

    def error(self, message: str, span: Span | None, **notes: str | None) -> None:
        self.c.error(message, span, **notes)

    @property
    def event_name(self) -> str:
        exp = self.cp.expansion  # type: ignore[union-attr]
        return exp.event or exp.package

    def bound_example(self, name: str) -> str:
        exp = self.cp.expansion  # type: ignore[union-attr]
        if exp.package == "opcode":
            return f"wasm:opcode:{exp.event}({name}: i32):{exp.mode or 'before'}"
        if exp.event is not None:
            return f"wasm:{exp.package}:{exp.event}({name}: i32)"
        return f"wasm({name}: i32):func:entry"

    # ----------------------------------------------------------------------------------- probes

    def probe(self) -> None:
        cp = self.cp
        assert cp is not None
        pred = cp.probe.predicate
        if pred is not None:
            t = self.expr(pred, Prim.BOOL)
            if t is not None and t != Prim.BOOL:
                self.error(f"predicate must have type bool, found {t}", pred.span)
        self.block(cp.probe.body)
        cp.symbols = list(self.scope.values())

    # --------------------------------------------------------------------------------- statements

    def block(self, block: ast.Block) -> None:
        returned = False
        for s in block.stmts:
            if returned:
                self.c.warn("unreachable statement", s.span,
                            note="statements after `return` never run")
                returned = False  # warn once per block
                self.stmt(s)
                continue
            self.stmt(s)
            if isinstance(s, ast.Return):
                returned = True

    def stmt(self, s: ast.Stmt) -> None:
        if isinstance(s, ast.VarDecl):
            self.var_decl(s)
        elif isinstance(s, ast.Assign):
            t = self.target(s.target, assign=True)
            if t is not None:
                self.expect(s.value, t)
            else:
                self.expr(s.value, None)
        elif isinstance(s, ast.IncDec):
            t = self.target(s.target, assign=True)
            if t is not None and not is_numeric(t):
                self.error(f"`{s.op}` needs a numeric variable, found {t}", s.span)
        elif isinstance(s, ast.CallStmt):
            t = self.call(s.call, None, statement=True)
            if t is not None:
                self.types[id(s.call)] = t    # the code generator drops a result the statement discards
        elif isinstance(s, ast.Return):
            self.ret(s)
        elif isinstance(s, ast.If):
            self.cond(s.cond)
            self.block(s.then)
            for e in s.elifs:
                self.cond(e.cond)
                self.block(e.body)
            if s.orelse is not None:
                self.block(s.orelse)

    def cond(self, e: ast.Expr) -> None:
        t = self.expr(e, Prim.BOOL)
        if t is not None and t != Prim.BOOL:
            self.error(f"expected bool, found {t}", e.span, note="an `if` condition must be a bool")

    def ret(self, s: ast.Return) -> None:
        if self.kind == "function":
            fn = self.function
            assert fn is not None
            if fn.result is None or fn.result == UNIT:
                if s.value is not None:
                    self.error(f"function {fn.name} has no result type; `return` cannot have a value",
                               s.value.span)
                    self.expr(s.value, None)
            elif s.value is None:
                self.error(f"expected {fn.result}, found ()", s.span)
            else:
                self.expect(s.value, fn.result)
        elif self.kind == "probe":
            if s.value is not None:
                if not self.cp.is_alt:  # type: ignore[union-attr]
                    self.error("`return` with a value is only allowed in alt probes and functions",
                               s.value.span)
                self.expr(s.value, None)

    def var_decl(self, d: ast.VarDecl) -> None:
        if self.kind == "script":
            return
        mods = self.c.check_modifiers(d)
        special = [m for m in mods if m in _SPECIAL]
        if self.kind == "function" and special:
            self.error("special declarations are not allowed in functions", d.span)
            mods = ()
        if self.kind == "probe" and special and self.cp.package in _NO_SITE_PACKAGES:  # type: ignore[union-attr]
            self.error(f"special declarations are not allowed in wasm:{self.cp.package}", d.span)  # type: ignore[union-attr]
            mods = ()
        if self.kind == "function":
            kind = VarKind.FUNCTION_LOCAL
        elif "frame" in mods:
            kind = VarKind.FRAME
        elif "shared" in mods:
            kind = VarKind.SHARED
        elif "unshared" in mods or "report" in mods:
            kind = VarKind.UNSHARED
        else:
            kind = VarKind.PROBE_LOCAL
        t = d.type.type
        self.c.check_type(d.type, allow_map=kind in (VarKind.UNSHARED, VarKind.SHARED))
        if kind is VarKind.FRAME and d.init is not None:
            self.error("frame variables cannot have an initializer", d.init.span)
        elif d.init is not None:
            self.expect(d.init, t)
            if kind in (VarKind.UNSHARED, VarKind.SHARED):
                self.initializer(d.init, kind)
        if not self.c.check_name(d.name, d.name_span):
            return
        if d.name in self.scope or (self.kind == "probe" and self.bound_lookup(d.name) is not None):
            self.error(f"`{d.name}` is already defined", d.name_span)
            return
        self.scope[d.name] = Symbol(d.name, t, kind, report="report" in mods, decl=d)

    def initializer(self, e: ast.Expr, kind: VarKind) -> None:
        flags, node = self.deps(e)
        if flags & _VISIT:
            self.error("cannot initialize an unshared/shared variable with per-visit state; assign it in "
                       "a separate statement", node[_VISIT].span)
        elif kind is VarKind.SHARED and flags & _SITE:
            self.error("cannot initialize a shared variable with a per-site value; use an unshared "
                       "variable or assign it in a separate statement", node[_SITE].span)

    # ------------------------------------------------------------------------------ assignment targets

    def target(self, t: ast.Expr, assign: bool) -> WhammType | None:
        if isinstance(t, ast.Name):
            sym = self.resolve(t)
            if sym is None:
                return None
            if sym.kind in (VarKind.BOUND, VarKind.BUILTIN):
                if not self.assignable(sym):
                    self.error(f"cannot assign to `{t.id}`", t.span)
                    return None
            return sym.type
        if isinstance(t, ast.Index):
            mt = self.target(t.map, assign=False) if isinstance(t.map, ast.Name) else self.expr(t.map, None)
            if mt is None:
                return None
            if not isinstance(mt, MapType):
                self.error(f"cannot index a value of type {mt}", t.map.span)
                return None
            if isinstance(t.map, ast.Name) and self.names.get(id(t.map)) is not None and \
                    self.names[id(t.map)].kind is VarKind.BOUND:
                self.error(f"cannot assign to `{t.map.id}`", t.map.span)
                return None
            self.expect(t.key, mt.key)
            self.types[id(t)] = mt.value
            return mt.value
        if isinstance(t, ast.Field):
            tt = self.target(t.tuple, assign)
            if tt is None:
                return None
            return self.field_type(t, tt)
        self.error("invalid assignment target", t.span)
        return None

    def assignable(self, sym: Symbol) -> bool:
        name = sym.name
        mode = self.cp.mode if self.cp is not None else None
        if name.startswith("local") and _BOUNDABLE.fullmatch(name):
            return True
        if name.startswith("arg") and _BOUNDABLE.fullmatch(name):
            return mode in ("before", "alt")
        if name.startswith("res") and _BOUNDABLE.fullmatch(name):
            return mode == "after"
        return False

    # ----------------------------------------------------------------------------------- names

    def bound_lookup(self, name: str) -> cat.BoundVar | None:
        return cat.lookup(self.bound_vars, name) if self.bound_vars else None

    def resolve(self, n: ast.Name) -> Symbol | None:
        """Resolve a variable name (§7.3 lookup order) and check bound-variable rules."""
        sym = self.scope.get(n.id)
        if sym is None and self.cp is not None:
            sym = self.bound_symbol(n)  # type: ignore[assignment]
            if sym is _FAILED:
                return None
        if sym is None:
            sym = self.c.prog.globals.get(n.id) or _BUILTIN_SYMBOLS.get(n.id)
        if sym is None:
            self.unknown_variable(n)
            return None
        self.names[id(n)] = sym
        return sym

    def bound_symbol(self, n: ast.Name) -> Symbol | None | object:
        """The bound variable ``n`` names in this probe, None if it names none, or ``_FAILED`` when it
        names one that cannot be used here (the error is reported)."""
        cp = self.cp
        assert cp is not None
        name = n.id
        exp = cp.expansion
        if exp.package in _NO_SITE_PACKAGES and (name in _PROVIDER_NAMES or _BOUNDABLE.fullmatch(name)):
            self.error(f"{name} is not available in wasm:{exp.package}", n.span)
            return _FAILED
        var = self.bound_lookup(name)
        bound_t = cp.bounds.get(name)
        m = _RESERVED.fullmatch(name)
        if var is None and bound_t is None:
            if m and exp.package not in _NO_SITE_PACKAGES:
                what = {"arg": "operand", "res": "result", "imm": "immediate", "local": "local"}[m[1]]
                self.error(f"event {self.event_name} has no {what} {name}", n.span)
                return _FAILED
            return None
        if name.startswith("res") and m and exp.mode != "after":
            self.error(f"{name} can only be used in after probes", n.span)
            return _FAILED
        if var is not None and var.engine_only and not self.c.wei:
            self.error(f"{name} is only available in the engine target (--wei)", n.span)
            return _FAILED
        t = bound_t if bound_t is not None and m and m[1] != "imm" else (var.type if var else None)
        if t is None:
            if m and m[1] == "imm":
                self.error(f"{name} of event {self.event_name} has no usable type", n.span)
            else:
                self.error(f"{name} has no known type at event {self.event_name}; add a type bound, "
                           f"e.g. {self.bound_example(name)}", n.span)
            return _FAILED
        if var is None:
            var = cat.BoundVar(name, t, False, "")
        cp.bound_used.setdefault(name, var)
        return Symbol(name, t, VarKind.BOUND, bound=var)

    def visible_names(self) -> list[str]:
        names = list(self.scope)
        if self.cp is not None:
            names += [v for v in self.bound_vars if not v.endswith("N") and
                      not self.bound_vars[v].engine_only]
        names += list(self.c.prog.globals) + list(_BUILTIN_SYMBOLS)
        return list(dict.fromkeys(names))

    def unknown_variable(self, n: ast.Name) -> None:
        pool = self.visible_names()
        best = closest(n.id, pool)
        if best is not None:
            self.error(f"unknown variable `{n.id}`", n.span, help=f"did you mean `{best}`?")
        else:
            self.error(f"unknown variable `{n.id}`", n.span,
                       note="variables in scope: " + ", ".join(pool) if pool else None)

    # ------------------------------------------------------------------------------ expressions

    def expect(self, e: ast.Expr, t: WhammType) -> None:
        got = self.expr(e, t)
        if got is not None and got != t:
            self.error(f"expected {t}, found {got}", e.span)

    def literalish(self, e: ast.Expr) -> bool:
        """Built only from literals and per-event constants (§6.3): such expressions take the context's
        numeric type."""
        if isinstance(e, (ast.IntLit, ast.FloatLit)):
            return True
        if isinstance(e, ast.Name):
            if e.id in self.scope or self.cp is None:
                return False
            var = self.bound_lookup(e.id)
            return var is not None and var.constant is not None and is_numeric(var.type)
        if isinstance(e, ast.Binary) and e.op not in ("&&", "||", "==", "!=", "<", "<=", ">", ">="):
            return self.literalish(e.left) and self.literalish(e.right)
        if isinstance(e, ast.Unary) and e.op == "~":
            return self.literalish(e.operand)
        if isinstance(e, ast.Ternary):
            return self.literalish(e.then) and self.literalish(e.orelse)
        return False

    def natural(self, e: ast.Expr) -> WhammType:
        """The type of a literal-only expression without context (§6.3 rule 2; constants win)."""
        if isinstance(e, ast.IntLit):
            return values.int_literal_type(e.value)
        if isinstance(e, ast.FloatLit):
            return values.float_literal_type(e.text)
        if isinstance(e, ast.Name):
            var = self.bound_lookup(e.id)
            assert var is not None and var.type is not None
            return var.type
        if isinstance(e, ast.Unary):
            return self.natural(e.operand)
        parts = [e.left, e.right] if isinstance(e, ast.Binary) else [e.then, e.orelse]  # type: ignore[attr-defined]
        return _unify([self.natural(p) for p in parts],
                      [isinstance(p, ast.Name) or not self._plain_literal(p) for p in parts])

    def _plain_literal(self, e: ast.Expr) -> bool:
        if isinstance(e, (ast.IntLit, ast.FloatLit)):
            return True
        if isinstance(e, ast.Binary):
            return self._plain_literal(e.left) and self._plain_literal(e.right)
        if isinstance(e, ast.Unary):
            return self._plain_literal(e.operand)
        if isinstance(e, ast.Ternary):
            return self._plain_literal(e.then) and self._plain_literal(e.orelse)
        return False

    def expr(self, e: ast.Expr, want: WhammType | None) -> WhammType | None:
        t = self._expr(e, want)
        if t is not None:
            self.types[id(e)] = t
        return t

    def _expr(self, e: ast.Expr, want: WhammType | None) -> WhammType | None:
        if isinstance(e, (ast.IntLit, ast.FloatLit)):
            if want is not None and is_numeric(want):
                if isinstance(e, ast.FloatLit) and want is Prim.F32 and values.float_literal_overflows(e.text, want):
                    self.error("float literal out of range for f32 (its magnitude exceeds the largest f32)",
                               e.span)
                return want
            return self.natural(e)
        if isinstance(e, ast.BoolLit):
            return Prim.BOOL
        if isinstance(e, ast.StrLit):
            return Prim.STR
        if isinstance(e, ast.Name):
            sym = self.resolve(e)
            if sym is None:
                return None
            if sym.kind is VarKind.BOUND and sym.bound is not None and sym.bound.constant is not None \
                    and is_numeric(sym.type) and want is not None and is_numeric(want):
                return want  # a per-event constant converts like a literal
            return sym.type
        if isinstance(e, ast.Binary):
            return self.binary(e, want)
        if isinstance(e, ast.Unary):
            if e.op == "!":
                t = self.expr(e.operand, Prim.BOOL)
                if t is not None and t != Prim.BOOL:
                    self.error(f"`!` needs a bool operand, found {t}", e.operand.span)
                    return None
                return Prim.BOOL
            t = self.expr(e.operand, want if want is not None and is_integer(want) else None)
            if t is not None and not is_integer(t):
                self.error(f"`~` needs an integer operand, found {t}", e.operand.span)
                return None
            return t
        if isinstance(e, ast.Ternary):
            return self.ternary(e, want)
        if isinstance(e, ast.Cast):
            src = self.expr(e.expr, None)
            dst = e.type.type
            if dst not in _CAST_TYPES:
                self.error(f"cannot cast to {dst}: casts convert between numeric types and bool",
                           e.type.span)
                return None
            if src is not None and src not in _CAST_TYPES:
                self.error(f"cannot cast {src} to {dst}: casts convert between numeric types and bool",
                           e.span)
                return None
            return dst
        if isinstance(e, ast.Call):
            return self.call(e, want, statement=False)
        if isinstance(e, ast.MethodCall):
            return self.method(e)
        if isinstance(e, ast.TupleLit):
            if not e.elems:
                return UNIT
            hints: Iterable[WhammType | None] = [None] * len(e.elems)
            if isinstance(want, TupleType) and len(want.elems) == len(e.elems):
                hints = want.elems
            elems = [self.expr(x, h) for x, h in zip(e.elems, hints)]
            if any(x is None for x in elems):
                return None
            return TupleType(tuple(elems))  # type: ignore[arg-type]
        if isinstance(e, ast.Index):
            mt = self.expr(e.map, None)
            if mt is None:
                self.expr(e.key, None)
                return None
            if not isinstance(mt, MapType):
                self.error(f"cannot index a value of type {mt}", e.map.span)
                return None
            self.expect(e.key, mt.key)
            return mt.value
        if isinstance(e, ast.Field):
            tt = self.expr(e.tuple, None)
            return None if tt is None else self.field_type(e, tt)
        self.error("unsupported expression", e.span)
        return None

    def field_type(self, e: ast.Field, tt: WhammType) -> WhammType | None:
        if not isinstance(tt, TupleType) or tt == UNIT:
            self.error(f"type {tt} has no element {e.index}", e.span)
            return None
        if e.index >= len(tt.elems):
            self.error(f"tuple of type {tt} has no element {e.index}", e.span)
            return None
        t = tt.elems[e.index]
        self.types[id(e)] = t
        return t

    def operands(self, left: ast.Expr, right: ast.Expr,
                 want: WhammType | None) -> tuple[WhammType | None, WhammType | None]:
        """Type two operands that must agree, letting literals take the other side's type."""
        ll, rl = self.literalish(left), self.literalish(right)
        if ll and rl:
            t = want if want is not None and is_numeric(want) else self.natural_pair(left, right)
            return self.expr(left, t), self.expr(right, t)
        if ll:
            rt = self.expr(right, want)
            return self.expr(left, rt if rt is not None and is_numeric(rt) else None), rt
        lt = self.expr(left, want)
        return lt, self.expr(right, lt if lt is not None and is_numeric(lt) else want)

    def natural_pair(self, left: ast.Expr, right: ast.Expr) -> WhammType:
        return _unify([self.natural(left), self.natural(right)],
                      [not self._plain_literal(left), not self._plain_literal(right)])

    def binary(self, e: ast.Binary, want: WhammType | None) -> WhammType | None:
        op = e.op
        if op in ("&&", "||"):
            for side in (e.left, e.right):
                t = self.expr(side, Prim.BOOL)
                if t is not None and t != Prim.BOOL:
                    self.error(f"`{op}` needs bool operands, found {t}", side.span)
            return Prim.BOOL
        compare = op in values.EQUALITY_OPS or op in values.ORDER_OPS
        lt, rt = self.operands(e.left, e.right, None if compare else want)
        if lt is None or rt is None:
            return Prim.BOOL if compare else None
        if lt != rt:
            self.error(f"mismatched types {lt} and {rt} (add an explicit cast with 'as')", e.span)
            return Prim.BOOL if compare else None
        t = lt
        if op in values.EQUALITY_OPS:
            ok = is_numeric(t) or t in (Prim.BOOL, Prim.STR)
        elif op in values.ORDER_OPS or op in values.ARITHMETIC_OPS:
            ok = is_numeric(t)
        elif op in values.SHIFT_OPS:
            ok = is_integer(t)
        else:  # & | ^
            ok = is_integer(t) or t is Prim.BOOL
        if not ok:
            self.error(f"operator `{op}` cannot be applied to {t}", e.span)
            return Prim.BOOL if compare else None
        if op in ("/", "%") and is_integer(t) and self._plain_literal(e.right):
            try:
                divisor = constant_value(e.right, self.types, {}, {}, {})
            except FoldError:
                divisor = None  # reported where it happens
            if divisor == 0:
                self.error("division by zero in constant expression", e.span)
        return Prim.BOOL if compare else t

    def ternary(self, e: ast.Ternary, want: WhammType | None) -> WhammType | None:
        ct = self.expr(e.cond, Prim.BOOL)
        if ct is not None and ct != Prim.BOOL:
            self.error(f"expected bool, found {ct}", e.cond.span)
        if want is not None and not is_numeric(want):
            tt, ot = self.expr(e.then, want), self.expr(e.orelse, want)
        else:
            tt, ot = self.operands(e.then, e.orelse, want)
        if tt is None or ot is None:
            return None
        if tt != ot:
            self.error(f"mismatched types {tt} and {ot} (add an explicit cast with 'as')", e.span)
            return None
        return tt

    def method(self, e: ast.MethodCall) -> WhammType | None:
        rt = self.expr(e.receiver, None)
        for a in e.args:
            self.expr(a, Prim.STR)
        if rt is None:
            return None
        if rt is not Prim.STR:
            self.error(f"no method `{e.method}` on type {rt}", e.span,
                       note="methods exist only on str values")
            return None
        result = values.STR_METHODS.get(e.method)
        if result is None:
            best = closest(e.method, values.STR_METHODS)
            self.error(f"str has no method `{e.method}`", e.span,
                       help=f"did you mean `{best}`?" if best else None)
            return None
        want = 0 if e.method in ("len", "addr") else 1
        if len(e.args) != want:
            self.error(f"method `{e.method}` takes {want} argument{'s' * (want != 1)} but "
                       f"{len(e.args)} were given", e.span)
            return result
        for a in e.args:
            t = self.types.get(id(a))
            if t is not None and t is not Prim.STR:
                self.error(f"expected str, found {t}", a.span)
        return result

    # ------------------------------------------------------------------------------------- calls

    def call(self, e: ast.Call | ast.MethodCall, want: WhammType | None,
             statement: bool) -> WhammType | None:
        if isinstance(e, ast.MethodCall):
            return self.method(e)
        ann = e.annotation
        if ann is not None and ann not in ast.ANNOTATIONS:
            self.error(f"unknown annotation @{ann} (expected @static or @init)", e.span)
        if ann is not None and e.lib is None:
            self.error(f"@{ann} can only annotate library calls", e.span)
        if ann == "init" and not statement:
            self.error("@init can only be used on a call statement", e.span)
        callee = self.callee(e)
        if callee is None:
            for a in e.args:
                if not (isinstance(a, ast.Name) and e.func == "memid"):
                    self.expr(a, None)
            return None
        self.calls[id(e)] = callee
        if callee.kind is CalleeKind.BUILTIN and callee.name == "memid":
            self.memid_arg(e)
        else:
            if len(e.args) != len(callee.params):
                n = len(callee.params)
                self.error(f"function {e.target} takes {n} argument{'s' * (n != 1)} but "
                           f"{len(e.args)} {'was' if len(e.args) == 1 else 'were'} given", e.span)
                for a in e.args:
                    self.expr(a, None)
            else:
                for a, p in zip(e.args, callee.params):
                    if p is not None:
                        self.expect(a, p)
                self.call_rules(e, callee)
        if not statement and callee.result == UNIT:
            self.error(f"function {e.target} does not return a value", e.span)
            return None
        return callee.result

    def callee(self, e: ast.Call) -> Callee | None:
        lib = e.lib
        if lib is not None:
            if lib not in self.c.prog.uses:
                receiver = self.variable_type(lib, e.span)
                if receiver is not None:  # `x.m(...)` where x is a variable: an unknown method
                    best = closest(e.func, values.STR_METHODS) if receiver is Prim.STR else None
                    self.error(f"no method `{e.func}` on type {receiver}", e.span,
                               help=f"did you mean `{best}`?" if best else None)
                    return None
                self.error(f"unknown library `{lib}`", e.span,
                           help=f"add `use {lib};` before the first probe")
                return None
            library = self.c.prog.libraries.get(lib)
            if library is None:
                return None  # reported at the `use`
            fn = library.function(e.func)
            if fn is None:
                best = closest(e.func, [f.name for f in library.functions])
                self.error(f"library {lib} has no exported function {e.func}", e.span,
                           help=f"did you mean `{best}`?" if best else None)
                return None
            if not fn.supported:
                self.error(f"library function {e.func} has an unsupported signature", e.span,
                           note="only i32, i64, f32 and f64 parameters and at most one result")
                return None
            return Callee(CalleeKind.LIBRARY, e.func, fn.params, fn.result or UNIT, library=lib, lib_fn=fn)
        name = e.func
        if name in self.c.fn_sigs:
            fn_def = self.c.fn_sigs[name]
            return Callee(CalleeKind.USER, name, tuple(p.type.type for p in fn_def.params),
                          fn_def.result.type if fn_def.result is not None else UNIT)
        bf = _CORE_FNS.get(name) or self.bound_fns.get(name)
        if bf is None:
            pool = list(self.c.fn_sigs) + list(_CORE_FNS) + list(self.bound_fns)
            best = closest(name, pool)
            self.error(f"unknown function `{name}`", e.span,
                       help=f"did you mean `{best}`?" if best else None)
            return None
        if bf.alt_only and (self.cp is None or not self.cp.is_alt):
            self.error(f"{name} can only be used in alt probes", e.span)
            return None
        kind = CalleeKind.BUILTIN if name in _CORE_FNS else CalleeKind.BOUND
        return Callee(kind, name, tuple(t for _, t in bf.params), bf.result or UNIT, bound_fn=bf)

    def variable_type(self, name: str, span: Span) -> WhammType | None:
        """The type of variable ``name`` if one is visible (without reporting anything)."""
        sym = self.scope.get(name)
        if sym is not None:
            return sym.type
        if self.cp is not None:
            var = self.bound_lookup(name)
            if var is not None:
                return var.type
        sym = self.c.prog.globals.get(name) or _BUILTIN_SYMBOLS.get(name)
        return sym.type if sym is not None else None

    def memid_arg(self, e: ast.Call) -> None:
        if len(e.args) != 1 or not isinstance(e.args[0], ast.Name):
            self.error("memid expects the name of a used library, e.g. memid(whamm_core)", e.span)
            return
        name = e.args[0].id
        if name != CORE_NAME and name not in self.c.prog.uses:
            self.error(f"unknown library `{name}`", e.args[0].span,
                       help=f"add `use {name};` before the first probe")

    def call_rules(self, e: ast.Call, callee: Callee) -> None:
        bf = callee.bound_fn
        if bf is not None:
            for a, (pname, _) in zip(e.args, bf.params):
                if pname in _MEMID_PARAMS or (callee.name == "alt_call_by_id"):
                    flags, _ = self.deps(a)
                    if flags & (_SITE | _RUNTIME | _VISIT):
                        what = "memory ids" if pname in _MEMID_PARAMS else "the function id"
                        self.error(f"{what} must be compile-time constants", a.span)
        if e.annotation == "static":
            for a in e.args:
                flags, node = self.deps(a)
                if flags & (_RUNTIME | _VISIT):
                    bad = node.get(_VISIT) or node.get(_RUNTIME)
                    self.error("cannot use dynamic data in a static library call", bad.span)

    # ------------------------------------------------------------------------- static analysis

    def deps(self, e: ast.Expr) -> tuple[int, dict[int, ast.Node]]:
        """Dependency flags of a checked expression and, per flag, the first node responsible."""
        flags = 0
        first: dict[int, ast.Node] = {}

        def add(flag: int, node: ast.Node) -> None:
            nonlocal flags
            flags |= flag
            first.setdefault(flag, node)

        def visit(n: ast.Expr) -> None:
            if isinstance(n, ast.Name):
                sym = self.names.get(id(n))
                if sym is None:
                    return
                if sym.kind is VarKind.BOUND:
                    var = sym.bound
                    if var is None or not var.static:
                        add(_VISIT, n)
                    elif var.constant is None:
                        add(_SITE, n)
                elif sym.kind is VarKind.GLOBAL:
                    if n.id not in self.c.prog.constants:
                        add(_RUNTIME, n)
                elif sym.kind is VarKind.UNSHARED:
                    add(_SITE, n)
                    add(_RUNTIME, n)
                elif sym.kind is VarKind.SHARED:
                    add(_RUNTIME, n)
                elif sym.kind is not VarKind.BUILTIN:
                    add(_VISIT, n)
                return
            if isinstance(n, ast.Call):
                callee = self.calls.get(id(n))
                if n.annotation == "static":
                    pass  # evaluated while instrumenting: as static as its arguments
                elif callee is None or callee.kind is not CalleeKind.BUILTIN or \
                        callee.name not in _STATIC_BUILTINS:
                    add(_RUNTIME, n)
                if callee is not None and callee.name == "memid":
                    return
                for a in n.args:
                    visit(a)
                return
            if isinstance(n, ast.MethodCall) and n.method == "addr":
                add(_RUNTIME, n)
            if isinstance(n, ast.Index):
                add(_RUNTIME, n)
            for child in ast.children(n):
                if isinstance(child, ast.Expr):
                    visit(child)

        visit(e)
        return flags, first


def _unify(types: list[WhammType], fixed: list[bool]) -> WhammType:
    """The common type of literal-only operands without context: a per-event constant's type wins,
    else a float beats an integer, else the wider of i32 < i64 < u64."""
    for t, f in zip(types, fixed):
        if f:
            return t
    if any(is_float(t) for t in types):
        return Prim.F64 if Prim.F64 in types else Prim.F32
    order = [Prim.I32, Prim.I64, Prim.U64]
    return max(types, key=lambda t: order.index(t) if t in order else 0)
