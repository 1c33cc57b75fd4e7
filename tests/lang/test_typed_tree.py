"""The checker's output is a typed tree (issue 10, deliverable 1): the facts about a node travel on the
node, so a pass that rebuilds a node cannot lose them, and nothing is keyed by object identity."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from compiler.lang import ast
from compiler.lang.folder import fold_probe
from compiler.lang.frontend import check_source
from compiler.lang.libraries import Library, LibFunc, library_from_bytes
from compiler.lang.scopes import CheckedFunction, CheckedProbe, Program, type_of
from compiler.lang.types import Prim

EXAMPLES = sorted(Path(__file__).resolve().parents[2].joinpath("examples").glob("*/*.mm"))

RICH = """
use toggle;
report var total: u64;
var m: map<str, u32>;
var K: u32 = 3 + 4;
var t: (u8, i32) = (1, 2);
fn pair(a: i32, s: str) -> (i32, str) { var loc: i32 = a * 2; if (loc > 3) { return (loc, s); } return (a, s); }
wasm:opcode:i32.store|i64.store|br_if:before / fid != K || arg0 as u64 > 2 / {
    unshared var u: u32 = fid + 1;
    shared var s: u64 = 5;
    var p: (i32, str) = pair(1, fname);
    m[fname] = m[fname] + 1;
    t.1 = p.0;
    total = total + (arg0 as u64) + s;
    u++;
    if (fname.starts_with("a")) { var sz: u32 = mem_size(memid(whamm_core)); } elif (pc > 4) { u = u ^ 1; } else { u--; }
    var n: i32 = toggle.next() + (pc == 3 ? 1 : 2) as i32;
}
wasm:begin { total = 1; }
"""


def _toggle() -> Library:
    return Library("toggle", None, "toggle", (LibFunc("next", (), Prim.I32, True),), False)


def _programs() -> list[Program]:
    out = [check_source(RICH, "rich.mm", {"toggle": _toggle()})]
    for path in EXAMPLES:
        libs = {lib.stem: library_from_bytes(lib.stem, lib.read_bytes(), str(lib))
                for lib in path.parent.glob("*.wasm") if f"use {lib.stem};" in path.read_text()}
        out.append(check_source(path.read_text(), str(path), libs))
    return out


def _roots(program: Program) -> list[ast.Node]:
    roots: list[ast.Node] = list(program.statements)
    roots += [cf.body for cf in program.functions.values()]
    for cp in program.probes:
        roots += [cp.body] + ([cp.predicate] if cp.predicate is not None else [])
    return roots


def _unread_names(root: ast.Node) -> set[int]:
    """Positions of names that are written, not read (assignment targets and the maps they index) and
    of library names passed to ``memid``: they carry no type."""
    out: set[int] = set()
    for n in ast.walk(root):
        if isinstance(n, (ast.Assign, ast.IncDec)):
            t = n.target
            while isinstance(t, (ast.Field, ast.Index)):
                t = t.tuple if isinstance(t, ast.Field) else t.map
            out.add(t.span.start)
        elif isinstance(n, ast.Call) and n.func == "memid" and n.lib is None:
            out.update(a.span.start for a in n.args if isinstance(a, ast.Name))
    return out


@pytest.mark.parametrize("program", _programs(), ids=lambda p: Path(p.filename).name)
def test_every_checked_node_carries_its_facts(program: Program) -> None:
    for root in _roots(program):
        unread = _unread_names(root)
        for n in ast.walk(root):
            if isinstance(n, ast.Name):
                if n.span.start in unread and n.checked_type is None:
                    assert n.symbol is not None or n.id == "whamm_core" or n.id in program.uses
                    continue
                assert n.symbol is not None, (n.id, n.span)
            if isinstance(n, ast.Expr):
                assert n.checked_type is not None, (type(n).__name__, n.span)
            if isinstance(n, ast.Call):
                assert n.callee is not None, (n.target, n.span)
            if isinstance(n, ast.VarDecl) and root not in program.statements:
                assert n.symbol is not None and n.symbol.name == n.name


def test_no_tables_keyed_by_identity() -> None:
    """The checked program holds typed trees, not ``id(node)`` → fact dictionaries."""
    for cls in (CheckedProbe, CheckedFunction, Program):
        names = {f.name for f in dataclasses.fields(cls)}
        assert not names & {"types", "names", "calls"}, cls
    program = _programs()[0]
    for obj in [program, *program.probes, *program.functions.values()]:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if isinstance(value, dict) and value:
                assert not all(isinstance(k, int) for k in value), (type(obj).__name__, f.name)


def test_a_rebuilt_node_keeps_its_facts_and_the_parse_tree_stays_untyped() -> None:
    program = _programs()[0]
    cp = program.probes[0]
    assign = next(s for s in cp.body.stmts if isinstance(s, ast.Assign) and isinstance(s.value, ast.Binary))
    moved = dataclasses.replace(assign.value, span=ast.NO_SPAN)
    assert moved.checked_type == assign.value.checked_type == Prim.U32
    rebuilt = dataclasses.replace(assign, value=dataclasses.replace(assign.value, op="-"))
    assert type_of(rebuilt.value) is Prim.U32 and type_of(rebuilt.value.left) is Prim.U32
    # typed and parse nodes compare (and hash) alike: the facts are not part of a node's value
    source = cp.probe.body.stmts[3]
    assert source == assign and hash(source) == hash(assign)
    assert all(n.checked_type is None for n in ast.walk(cp.probe) if isinstance(n, ast.Expr))


def test_expansions_have_their_own_typed_copies() -> None:
    program = _programs()[0]
    site_probes = [cp for cp in program.probes if cp.package == "opcode"]
    arg0 = {cp.expansion.event: next(n for n in ast.walk(cp.predicate) if isinstance(n, ast.Name) and n.id == "arg0")
            for cp in site_probes}
    assert {e: n.checked_type for e, n in arg0.items()} == {
        "i32.store": Prim.I32, "i64.store": Prim.I64, "br_if": Prim.U32}   # arg0: the top of the stack
    assert all(n.checked_type is None for n in ast.walk(site_probes[0].probe) if isinstance(n, ast.Expr))


def test_folded_trees_carry_their_own_types() -> None:
    program = _programs()[0]
    for cp in program.probes:
        folded = fold_probe(cp, {"fid": 1, "pc": 3, "fname": "ab", "APP_MEMID": 0}, constants=program.constants,
                            static_call=lambda lib, f, args: None)
        roots = [r for r in (folded.predicate, folded.body, *folded.inits.values()) if isinstance(r, ast.Node)]
        for root in roots:
            unread = _unread_names(root)
            for n in ast.walk(root):
                if isinstance(n, ast.Expr) and n.span.start not in unread:
                    assert n.checked_type is not None, (type(n).__name__, n.span)
                if isinstance(n, ast.Call):
                    assert n.callee is not None
