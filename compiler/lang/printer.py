"""AST → canonical whamm source text (the shell's ``save``, messages that quote code, round-trip tests).

The output re-parses to the same AST (ignoring spans): parentheses are written exactly where the
precedence table of LANGUAGE.md §6.4 needs them, literals keep their source spelling, strings are
re-escaped byte for byte.  Comments and the original layout are not kept: the text is laid out
canonically (4-space indentation, one statement per line, a blank line around functions and probes).
"""
from __future__ import annotations

from compiler.lang import ast
from compiler.lang.types import MapType, Prim, TupleType, WhammType

__all__ = ["to_source", "expression_source", "type_source", "string_literal", "ScriptPrinter"]

INDENT = "    "

# §6.4 levels (higher binds tighter).  Unary is 10, postfix `as`/`.N`/`[k]`/calls 11, operands 12.
_BINARY_LEVEL = {
    "&&": 2, "||": 2, "|": 3, "^": 4, "&": 5,
    "==": 6, "!=": 6, "<": 6, "<=": 6, ">": 6, ">=": 6,
    "<<": 7, ">>": 7, "+": 8, "-": 8, "*": 9, "/": 9, "%": 9,
}
_TERNARY = 1
_UNARY = 10
_POSTFIX = 11
_ATOM = 12

_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"', ord("\\"): "\\\\",
            0: "\\0"}


def to_source(node: ast.Node) -> str:
    """Source text for a script, item, statement, block or expression (scripts end with a newline)."""
    return ScriptPrinter().source(node)


def expression_source(expr: ast.Expr) -> str:
    """One expression on one line, e.g. ``fname == "calc" && (pc > 80 || arg0 != 0)``."""
    return ScriptPrinter().visit(expr)


def type_source(t: WhammType) -> str:
    """A type in source form with spaces after commas: ``map<(u32, u32), u64>``."""
    if isinstance(t, Prim):
        return t.value
    if isinstance(t, MapType):
        return f"map<{type_source(t.key)}, {type_source(t.value)}>"
    assert isinstance(t, TupleType)
    return "(" + ", ".join(type_source(e) for e in t.elems) + ")"


def string_literal(value: bytes) -> str:
    """A quoted literal that decodes to exactly ``value`` (§2.4): valid UTF-8 is kept as text,
    control characters and stray bytes become escapes."""
    out = ['"']
    for ch in value.decode("utf-8", "surrogateescape"):
        code = ord(ch)
        esc = _ESCAPES.get(code)
        if esc is not None:
            out.append(esc)
        elif 0xDC80 <= code <= 0xDCFF:          # a byte that is not part of valid UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable():
            out.append(f"\\u{{{code:x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _level(expr: ast.Expr) -> int:
    if isinstance(expr, ast.Binary):
        return _BINARY_LEVEL[expr.op]
    if isinstance(expr, ast.Ternary):
        return _TERNARY
    if isinstance(expr, ast.Unary):
        return _UNARY
    if isinstance(expr, (ast.Cast, ast.Field, ast.Index, ast.MethodCall)):
        return _POSTFIX
    return _ATOM


class ScriptPrinter(ast.NodeVisitor):
    """Whamm source text of a tree.  Each ``visit_<Node>`` method prints its node: an expression, type or
    rule to a string, a statement or item to a list of lines (without indentation, which :meth:`_block`
    adds)."""

    def source(self, node: ast.Node) -> str:
        """The script text of ``node``: one line for an expression, type or rule, newline-joined lines for
        statements and items (a whole script ends with a newline)."""
        if isinstance(node, ast.Expr):
            return self.visit(node)
        if isinstance(node, (ast.TypeRef, ast.ProbeRule)):
            return self.visit(node)
        lines = self.visit(node)
        text = "\n".join(lines)
        return text + "\n" if isinstance(node, ast.Script) else text

    # ------------------------------------------------------------------------------ items
    def visit_Script(self, node: ast.Script) -> list[str]:
        lines: list[str] = []
        prev: ast.Item | None = None
        for item in node.items:
            big = isinstance(item, (ast.Probe, ast.FnDef))
            if prev is not None and (big or isinstance(prev, (ast.Probe, ast.FnDef))):
                lines.append("")
            lines.extend(self.visit(item))
            prev = item
        return lines

    def visit_Use(self, node: ast.Use) -> list[str]:
        return [f"use {node.name};"]

    def visit_FnDef(self, node: ast.FnDef) -> list[str]:
        params = ", ".join(f"{p.name}: {self.visit(p.type)}" for p in node.params)
        result = f" -> {self.visit(node.result)}" if node.result is not None else ""
        return self._block(f"fn {node.name}({params}){result} ", node.body)

    def visit_Probe(self, node: ast.Probe) -> list[str]:
        head = self.visit(node.rule)
        if node.predicate is not None:
            head += f" / {self.visit(node.predicate)} /"
        return self._block(head + " ", node.body)

    def visit_ProbeRule(self, node: ast.ProbeRule) -> str:
        return ":".join(self.visit(p) for p in node.parts)

    def visit_RulePart(self, node: ast.RulePart) -> str:
        if not node.bounds:
            return node.pattern
        bounds = ", ".join(f"{b.name}: {self.visit(b.type)}" for b in node.bounds)
        return f"{node.pattern}({bounds})"

    def visit_TypeRef(self, node: ast.TypeRef) -> str:
        return type_source(node.type)

    # ------------------------------------------------------------------------- statements
    def _block(self, head: str, block: ast.Block) -> list[str]:
        """``head{`` + indented statements + ``}`` (``head{}`` when empty)."""
        if not block.stmts:
            return [head + "{}"]
        lines = [head + "{"]
        for stmt in block.stmts:
            lines.extend(INDENT + line for line in self.visit(stmt))
        lines.append("}")
        return lines

    def visit_Block(self, node: ast.Block) -> list[str]:
        return self._block("", node)

    def visit_VarDecl(self, node: ast.VarDecl) -> list[str]:
        mods = "".join(m + " " for m in node.modifiers)
        init = f" = {self.visit(node.init)}" if node.init is not None else ""
        return [f"{mods}var {node.name}: {self.visit(node.type)}{init};"]

    def visit_Assign(self, node: ast.Assign) -> list[str]:
        return [f"{self.visit(node.target)} = {self.visit(node.value)};"]

    def visit_CompoundAssign(self, node: ast.CompoundAssign) -> list[str]:
        return [f"{self.visit(node.target)} {node.op}= {self.visit(node.value)};"]

    def visit_IncDec(self, node: ast.IncDec) -> list[str]:
        return [f"{self.visit(node.target)}{node.op};"]

    def visit_CallStmt(self, node: ast.CallStmt) -> list[str]:
        return [f"{self.visit(node.call)};"]

    def visit_Return(self, node: ast.Return) -> list[str]:
        return ["return;" if node.value is None else f"return {self.visit(node.value)};"]

    def visit_If(self, node: ast.If) -> list[str]:
        lines = self._block(f"if ({self.visit(node.cond)}) ", node.then)
        for branch in node.elifs:
            more = self._block(f"elif ({self.visit(branch.cond)}) ", branch.body)
            lines[-1] += " " + more[0]
            lines.extend(more[1:])
        if node.orelse is not None:
            more = self._block("else ", node.orelse)
            lines[-1] += " " + more[0]
            lines.extend(more[1:])
        return lines

    # ------------------------------------------------------------------------ expressions
    def _operand(self, expr: ast.Expr, min_level: int) -> str:
        text = self.visit(expr)
        return f"({text})" if _level(expr) < min_level else text

    def visit_IntLit(self, node: ast.IntLit) -> str:
        return node.text

    def visit_FloatLit(self, node: ast.FloatLit) -> str:
        return node.text

    def visit_BoolLit(self, node: ast.BoolLit) -> str:
        return "true" if node.value else "false"

    def visit_StrLit(self, node: ast.StrLit) -> str:
        return string_literal(node.value)

    def visit_Name(self, node: ast.Name) -> str:
        return node.id

    def visit_Binary(self, node: ast.Binary) -> str:
        level = _BINARY_LEVEL[node.op]
        left = self._operand(node.left, level)
        right = self._operand(node.right, level + 1)
        return f"{left} {node.op} {right}"

    def visit_Unary(self, node: ast.Unary) -> str:
        return node.op + self._operand(node.operand, _UNARY)

    def visit_Ternary(self, node: ast.Ternary) -> str:
        cond = self._operand(node.cond, _TERNARY + 1)
        return f"{cond} ? {self.visit(node.then)} : {self.visit(node.orelse)}"

    def visit_Cast(self, node: ast.Cast) -> str:
        return f"{self._operand(node.expr, _POSTFIX)} as {self.visit(node.type)}"

    def visit_Call(self, node: ast.Call) -> str:
        ann = f"@{node.annotation} " if node.annotation else ""
        return f"{ann}{node.target}({self._args(node.args)})"

    def visit_MethodCall(self, node: ast.MethodCall) -> str:
        return f"{self._receiver(node.receiver)}.{node.method}({self._args(node.args)})"

    def visit_TupleLit(self, node: ast.TupleLit) -> str:
        return f"({self._args(node.elems)})"

    def visit_Index(self, node: ast.Index) -> str:
        return f"{self._receiver(node.map)}[{self.visit(node.key)}]"

    def visit_Field(self, node: ast.Field) -> str:
        return f"{self._receiver(node.tuple)}.{node.index}"

    def _receiver(self, expr: ast.Expr) -> str:
        """The left side of ``.N``, ``[k]``, ``.m()``.  A cast is parenthesised for clarity, a number
        so that ``(1).0`` does not read as the float ``1.0``."""
        text = self.visit(expr)
        wrap = _level(expr) < _POSTFIX or isinstance(expr, (ast.Cast, ast.IntLit, ast.FloatLit))
        return f"({text})" if wrap else text

    def _args(self, args: tuple[ast.Expr, ...]) -> str:
        return ", ".join(self.visit(a) for a in args)
