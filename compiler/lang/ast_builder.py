"""Building AST nodes from grammar reductions (LANGUAGE.md §2–§12): one callback per grammar rule.

The LALR driver (:mod:`compiler.lang.lalr`) calls :class:`Builder` on every reduction, so nodes are
built directly with no intermediate parse tree.  Only *shape* is decided here (what a rule's children
become, the §5 assignment targets, literal values and their range); meaning is the checker's business.
"""
from __future__ import annotations

from compiler.lang import ast
from compiler.lang.diagnostics import Span
from compiler.lang.lexer import SyntaxProblem, Token, decode_string, int_value
from compiler.lang.types import LHIST_MAX_BUCKETS, UNIT, AggType, MapType, Prim, TupleType

__all__ = ["Builder", "STRING_METHODS"]

#: Methods of ``str`` values (§9.2).  ``x.m(...)`` with a plain name ``x`` is a library call
#: ``Call("x.m")`` unless ``m`` is one of these (then a :class:`~compiler.lang.ast.MethodCall`).
STRING_METHODS = frozenset({"len", "addr", "starts_with", "ends_with", "contains"})



def _cover(first: ast.Node | Token, last: ast.Node | Token) -> Span:
    a = first.span
    b = last.span
    return Span(a.start, b.end, a.line, a.column, b.end_line, b.end_column)


def _fail(message: str, span: Span) -> SyntaxProblem:
    return SyntaxProblem(message, span.start, span.end, span=span)


_PRIMS = {p.value: p for p in Prim}


class Builder:
    """lark callbacks, one per grammar rule/alias; each builds one AST node from its children.

    Children are tokens (every terminal is kept) and already-built nodes; ``[optional]`` parts
    arrive as None.  Only shape is built here; meaning is the checker's business.
    """

    # ---- entry points
    def script(self, c: list) -> list:
        return c

    def probe_start(self, c: list) -> ast.Probe:
        return c[0]

    def stmt_start(self, c: list) -> ast.Stmt:
        return c[0]

    def expr_start(self, c: list) -> ast.Expr:
        return c[0]

    # ---- script level
    def use_decl(self, c: list) -> ast.Use:
        return ast.Use(c[1].value, c[1].span, _cover(c[0], c[2]))

    def params(self, c: list) -> tuple:
        return tuple(c[0::2])

    def param(self, c: list) -> ast.Param:
        return ast.Param(c[0].value, c[2], c[0].span, _cover(c[0], c[2]))

    def fn_def(self, c: list) -> ast.FnDef:
        # FN ID LPAR params? RPAR [ARROW type] block
        return ast.FnDef(c[1].value, c[3] or (), c[6], c[7], c[1].span, _cover(c[0], c[7]))

    # ---- probes
    def probe(self, c: list) -> ast.Probe:
        # probe_rule [PRED_OPEN expr PRED_CLOSE] block
        return ast.Probe(c[0], c[2], c[4], _cover(c[0], c[4]))

    def probe_rule(self, c: list) -> ast.ProbeRule:
        parts = tuple(p for p, _ in c[0::2])
        span = _cover(c[0][0], c[-1][1])
        if len(parts) > 4:
            raise _fail("a probe rule has at most 4 parts (provider:package:event:mode)", span)
        if len(parts) == 2 and not (parts[0].pattern and parts[1].pattern):
            raise _fail("both parts of a 2-part probe rule must be present", span)
        return ast.ProbeRule(parts, span)

    def rule_part(self, c: list) -> tuple[ast.RulePart, object]:
        tok, bounds = c
        part = ast.RulePart(tok.value, bounds[0] if bounds else (), tok.span)
        return part, (bounds[1] if bounds else tok)

    def bounds(self, c: list) -> tuple[tuple[ast.TypeBound, ...], Token]:
        return tuple(c[1:-1:2]), c[-1]

    def bound(self, c: list) -> ast.TypeBound:
        return ast.TypeBound(c[0].value, c[2], _cover(c[0], c[2]))

    # ---- statements
    def block(self, c: list) -> ast.Block:
        return ast.Block(tuple(c[1:-1]), _cover(c[0], c[-1]))

    def var_decl(self, c: list) -> ast.VarDecl:
        k = 0
        while c[k].type != "VAR":
            k += 1
        name = c[k + 1]
        return ast.VarDecl(tuple(t.value for t in c[:k]), name.value, c[k + 3], c[k + 5],
                           name.span, _cover(c[0], c[-1]))

    def assign(self, c: list) -> ast.Assign:
        target = c[0]
        if not _is_target(target, tuples=True):
            raise _fail("invalid assignment target (expected a variable, `m[k]` or `t.N`)", target.span)
        return ast.Assign(target, c[2], _cover(target, c[-1]))

    def compound_assign(self, c: list) -> ast.CompoundAssign:
        target = c[0]
        if not _is_target(target, tuples=True):
            raise _fail(f"invalid target of `{c[1].value}` (expected a variable, `m[k]` or `t.N`)", target.span)
        return ast.CompoundAssign(target, c[1].value[:-1], c[2], _cover(target, c[-1]))

    def incdec(self, c: list) -> ast.IncDec:
        target = c[0]
        if not _is_target(target, tuples=False):
            raise _fail(f"`{c[1].value}` needs a variable or a map element `m[k]`", target.span)
        return ast.IncDec(target, c[1].value, _cover(target, c[-1]))

    def call_stmt(self, c: list) -> ast.CallStmt:
        call = c[0]
        if isinstance(call, (ast.Call, ast.MethodCall)):
            return ast.CallStmt(call, _cover(call, c[1]))
        if _is_target(call, tuples=True):
            raise _fail("expected `=`, `++` or `--`, found `;`", c[1].span)
        raise _fail("expected a statement, found an expression (only calls can stand alone)", call.span)

    def return_stmt(self, c: list) -> ast.Return:
        return ast.Return(c[1], _cover(c[0], c[2]))

    def if_stmt(self, c: list) -> ast.If:
        # IF LPAR expr RPAR block elif_branch* [ELSE block]
        elifs = tuple(c[5:-2])
        orelse = c[-1]
        return ast.If(c[2], c[4], elifs, orelse, _cover(c[0], orelse or (elifs[-1] if elifs else c[4])))

    def elif_branch(self, c: list) -> ast.Elif:
        return ast.Elif(c[2], c[4], _cover(c[0], c[4]))

    # ---- types
    def prim_type(self, c: list) -> ast.TypeRef:
        tok = c[0]
        prim = _PRIMS.get(tok.value)
        if tok.value in ("stats", "hist"):
            return ast.TypeRef(AggType(tok.value), tok.span)
        if prim is None:
            raise _fail(f"unknown type `{tok.value}`", tok.span)
        return ast.TypeRef(prim, tok.span)

    def lhist_type(self, c: list) -> ast.TypeRef:
        """``lhist(MIN, MAX, STEP)`` (ANALYSIS.md §1): integer literals, ``STEP > 0``, ``MAX > MIN``."""
        name, lo, hi, step = c[0], c[2], c[4], c[6]
        span = _cover(c[0], c[7])
        if name.value != "lhist":
            raise _fail(f"unknown type `{name.value}(...)` (the only parameterised type is lhist)", name.span)
        values = [-int_value(t.value[1:]) if t.value[0] == "-" else int_value(t.value) for t in (lo, hi, step)]
        for tok, v in zip((lo, hi, step), values):
            if not -(1 << 63) <= v < (1 << 63):
                raise _fail("lhist bounds must fit in i64", tok.span)
        if values[2] <= 0:
            raise _fail("lhist: STEP must be greater than 0", step.span)
        if values[1] <= values[0]:
            raise _fail("lhist: MAX must be greater than MIN", hi.span)
        t = AggType("lhist", *values)
        if t.inner > LHIST_MAX_BUCKETS:
            raise _fail(f"lhist: at most {LHIST_MAX_BUCKETS} buckets between MIN and MAX "
                        f"(this one has {t.inner})", span)
        return ast.TypeRef(t, span)

    def map_type(self, c: list) -> ast.TypeRef:
        return ast.TypeRef(MapType(c[2].type, c[4].type), _cover(c[0], c[5]))

    def unit_type(self, c: list) -> ast.TypeRef:
        return ast.TypeRef(UNIT, _cover(c[0], c[1]))

    def tuple_type(self, c: list) -> ast.TypeRef:
        elems = c[1:-1:2]
        if len(elems) == 1:       # `(T)` is just T in parentheses
            return ast.TypeRef(elems[0].type, _cover(c[0], c[-1]))
        return ast.TypeRef(TupleType(tuple(e.type for e in elems)), _cover(c[0], c[-1]))

    # ---- expressions
    def ternary(self, c: list) -> ast.Ternary:
        return ast.Ternary(c[0], c[2], c[4], _cover(c[0], c[4]))

    def binary(self, c: list) -> ast.Binary:
        left, op, right = c
        return ast.Binary(op.value, left, right, _cover(left, right))

    def unary(self, c: list) -> ast.Unary:
        return ast.Unary(c[0].value, c[1], _cover(c[0], c[1]))

    def cast(self, c: list) -> ast.Cast:
        return ast.Cast(c[0], c[2], _cover(c[0], c[2]))

    def field(self, c: list) -> ast.Field:
        return ast.Field(c[0], int(c[2].value), _cover(c[0], c[2]))

    def method_call(self, c: list) -> ast.Expr:
        # postfix DOT ID LPAR [args] RPAR
        receiver, method, args = c[0], c[2].value, c[4] or ()
        span = _cover(receiver, c[5])
        if isinstance(receiver, ast.Name) and method not in STRING_METHODS:
            return ast.Call(f"{receiver.id}.{method}", args, None, span)
        return ast.MethodCall(receiver, method, args, span)

    def index(self, c: list) -> ast.Index:
        return ast.Index(c[0], c[2], _cover(c[0], c[3]))

    def int_lit(self, c: list) -> ast.IntLit:
        tok = c[0]
        text = tok.value
        value = -int_value(text[1:]) if text[0] == "-" else int_value(text)
        return ast.IntLit(value, text, tok.span)

    def float_lit(self, c: list) -> ast.FloatLit:
        tok = c[0]
        return ast.FloatLit(float(tok.value.replace("_", "")), tok.value, tok.span)

    def str_lit(self, c: list) -> ast.StrLit:
        tok = c[0]
        return ast.StrLit(decode_string(tok.value)[0], tok.span)

    def true_lit(self, c: list) -> ast.BoolLit:
        return ast.BoolLit(True, c[0].span)

    def false_lit(self, c: list) -> ast.BoolLit:
        return ast.BoolLit(False, c[0].span)

    def name(self, c: list) -> ast.Name:
        return ast.Name(c[0].value, c[0].span)

    def call(self, c: list) -> ast.Call:
        return ast.Call(c[0].value, c[2] or (), None, _cover(c[0], c[3]))

    def annotated_call(self, c: list) -> ast.Call:
        # AT ID ID [DOT ID] LPAR [args] RPAR
        at, ann = c[0], c[1]
        if ann.value not in ast.ANNOTATIONS:
            raise _fail(f"unknown annotation @{ann.value} (expected @static or @init)", _cover(at, ann))
        target = f"{c[2].value}.{c[4].value}" if c[3] is not None else c[2].value
        return ast.Call(target, c[6] or (), ann.value, _cover(at, c[7]))

    def paren(self, c: list) -> ast.Expr:
        return c[1]

    def unit_lit(self, c: list) -> ast.TupleLit:
        return ast.TupleLit((), _cover(c[0], c[1]))

    def tuple_lit(self, c: list) -> ast.TupleLit:
        return ast.TupleLit(tuple(c[1:-1:2]), _cover(c[0], c[-1]))

    def args(self, c: list) -> tuple:
        return tuple(c[0::2])


def _is_target(node: ast.Node, tuples: bool) -> bool:
    """§5 targets: ``ID``, ``ID[expr]`` and (for ``=``) ``ID(.INT)+``."""
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Index):
        return isinstance(node.map, ast.Name)
    if tuples and isinstance(node, ast.Field):
        while isinstance(node, ast.Field):
            node = node.tuple
        return isinstance(node, ast.Name)
    return False
