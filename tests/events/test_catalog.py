"""The catalog against the spec: every row of EVENTS.md §10 and every description table is re-read from
the markdown and compared with what :mod:`compiler.events.catalog` built."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from compiler.events import catalog
from compiler.events.catalog import (
    CATALOG, CATEGORIES, CORE_FNS, CORE_VARS, ENGINE_ONLY_PREFIX, find_event, lookup, opcode_events, scope,
    scope_fns,
)
from compiler.lang.types import MapType, Prim, parse_type

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec"
EVENTS_MD = (SPEC / "EVENTS.md").read_text(encoding="utf-8")
CLI_MD = (SPEC / "CLI.md").read_text(encoding="utf-8")
LANGUAGE_MD = (SPEC / "LANGUAGE.md").read_text(encoding="utf-8")


def _section(text: str, start: str, end: str | None = None) -> str:
    s = text.index(start)
    return text[s:text.index(end, s + len(start))] if end else text[s:]


def _table_rows(text: str) -> list[list[str]]:
    """Cells of every markdown table row in ``text`` (header and ruler rows excluded)."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("| ") or set(line) <= set("|- "):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        rows.append(cells)
    return rows


def _unquote(cell: str) -> str:
    return cell.replace("`", "")


SPEC_ROWS = [r for r in _table_rows(_section(EVENTS_MD, "## 10. All opcode events", "### 10.1"))
             if r[0].isdigit()]


def test_spec_has_310_rows_and_catalog_has_310_events() -> None:
    assert len(SPEC_ROWS) == 310
    assert len(opcode_events()) == 310
    assert [e.index for e in opcode_events()] == list(range(310))


def test_data_file_is_the_spec_table() -> None:
    lines = [ln.split("\t") for ln in catalog._DATA.read_text(encoding="utf-8").splitlines()
             if ln and not ln.startswith("#")]
    assert len(lines) == 310
    for spec, data in zip(SPEC_ROWS, lines):
        spec = [spec[0], re.sub(r"\s*[¹²]", "", _unquote(spec[1]))] + spec[2:]
        assert data == spec


# -- notation of §10, rendered back from the structured catalog ------------------------------------

def _operand_notation(ops: tuple[catalog.Operand, ...]) -> str:
    if not ops:
        return "—"
    out = []
    for op in ops:
        t = "?" if op.type is None else str(op.type)
        if op.index is None and op.type is not None:      # br_table: targets plus default
            out.append(f"{op.prefix}0…{op.prefix}N:{t}")
        else:
            out.append(f"{op.name}:{t}")
    return ", ".join(out)


_MODE_CODES = {"before, after, alt": "D", "before, after, alt, entry, exit": "B",
               "before, after, alt, at_target": "R"}


@pytest.mark.parametrize("row", SPEC_ROWS, ids=lambda r: _unquote(r[1]).split()[0])
def test_every_row_matches_the_spec(row: list[str]) -> None:
    index, name, bytecode, category, modes, args, results, imms, other, fns = row
    name = _unquote(name).split()[0]
    ev = opcode_events()[int(index)]
    assert ev.name == name and ev.package == "opcode"
    assert ev.bytecode == int(bytecode, 16)
    assert ev.category == category and ev.category_id == CATEGORIES[category]
    mode_names = ", ".join(m.name for m in ev.modes)
    assert _MODE_CODES.get(mode_names, mode_names) == modes
    assert _operand_notation(ev.args) == args
    assert _operand_notation(ev.results) == results
    assert _operand_notation(ev.imms) == re.sub(r"^— \(.*\)$", "—", imms)    # a remark after "none"
    assert (", ".join(f.name for f in ev.fns) or "—") == _unquote(fns)
    assert ev.doc == f"Instruments the {name} instruction ({category}, bytecode {bytecode})."

    names = {v.name: v for v in ev.vars}
    opname = "select" if name == "typed_select" else name
    assert names["opname"].constant == opname and names["opname"].definition == f'"{opname}"'
    assert names["bytecode"].constant == int(bytecode, 16) and names["bytecode"].definition == bytecode
    assert names["bytecode"].type is Prim.U16
    assert names["category_id"].constant == CATEGORIES[category]
    assert names["category_name"].constant == category
    for op in ev.args + ev.results + ev.imms:
        assert names[op.name].type == op.type
        assert names[op.name].static == (op.prefix == "imm")
    _check_other(ev, names, other)


def _check_other(ev: catalog.Event, names: dict[str, catalog.BoundVar], other: str) -> None:
    per_event = {"opname", "bytecode", "category_id", "category_name"}
    operands = {op.name for op in ev.args + ev.results + ev.imms}
    extra = [n for n in names if n not in per_event | operands]
    if other == "—":
        assert extra == [] and ev.mem is None
    elif m := re.fullmatch(r"MEM\((\d+|—), addr=arg(\d+), (read|write)\)", other):
        size = None if m[1] == "—" else int(m[1])
        assert ev.mem == catalog.MemAccess(size, int(m[2]), m[3] == "write")
        expect = ["addr", "offset", "align", "memory", "effective_addr", "is_write"]
        assert extra == (expect if size is None else ["data_size"] + expect)
        assert names["addr"].alias_of == f"arg{m[2]}" and names["addr"].definition == f"arg{m[2]}"
        assert f"arg{m[2]}" in names
        assert names["is_write"].constant is (m[3] == "write")
        assert names["is_write"].definition == ("true" if m[3] == "write" else "false")
        if size is not None:
            assert names["data_size"].constant == size and names["data_size"].definition == str(size)
        assert names["offset"].type is Prim.U64 and names["effective_addr"].definition == "addr + offset as u32"
    elif other == "CALLEE":
        assert extra == ["target_fn_type", "target_fn_name", "target_imp_module"]
        assert all(names[n].static and names[n].type is Prim.STR for n in extra)
    elif other == "INDIRECT":
        assert extra == ["table_entry_idx", "target_funcref", "resolved_fid"]
        assert names["table_entry_idx"].alias_of == "arg0"
        assert names["target_funcref"].type is Prim.FUNCREF
        assert not names["resolved_fid"].static
    elif other == "BR_TABLE":
        assert extra == ["num_targets", "default_target", "targets", "target"]
        assert names["targets"].type == MapType(Prim.U32, Prim.U32)
        assert not names["target"].static
    elif other == "resolved_fid:i32 (lookback)":
        assert extra == ["resolved_fid"] and names["resolved_fid"].static
    else:
        items = [re.fullmatch(r"(\w+):(\w+) = (.+?)( \(dyn\))?", it) for it in other.split("; ")]
        assert extra == [it[1] for it in items]
        for it in items:
            var = names[it[1]]
            assert var.type == parse_type(it[2]) and var.definition == it[3]
            assert var.static == (it[4] is None)


def test_corrections_of_upstream_catalog() -> None:
    assert _operand_notation(find_event("opcode", "i64.eq").args) == "arg0:i64, arg1:i64"
    cmpxchg = scope("opcode", "i64.atomic.rmw8.cmpxchg_u", "before")
    assert cmpxchg["addr"].alias_of == "arg2" and cmpxchg["arg1"].type is Prim.I64


# -- descriptions ------------------------------------------------------------------------------------

def test_catalog_descriptions_of_section_1() -> None:
    rows = _table_rows(_section(EVENTS_MD, "| entry | description |", "\n---"))
    docs = {_unquote(r[0]): r[1] for r in rows if r[0] != "entry"}
    assert docs["provider wasm"] == CATALOG.doc
    for pk in CATALOG.packages:
        if pk.name != "source":              # ANALYSIS.md §5, checked below
            assert docs[f"package {pk.name}"] == pk.doc
    for pk in ("func", "block"):
        for ev in CATALOG.package(pk).events:
            assert docs[f"event {pk}:{ev.name}"] == ev.doc


def test_catalog_order_of_section_1() -> None:
    assert CATALOG.name == "wasm"
    assert [p.name for p in CATALOG.packages] == ["begin", "end", "report", "func", "block", "opcode", "source"]
    assert [e.name for e in CATALOG.package("func").events] == ["entry", "exit"]
    assert [e.name for e in CATALOG.package("block").events] == ["start", "end"]
    assert all(not CATALOG.package(p).events for p in ("begin", "end", "report"))
    assert [m.name for m in find_event("opcode", "unreachable").modes] == ["alt", "before"]
    assert [m.name for m in find_event("opcode", "end").modes] == ["before", "after"]
    assert CATALOG.children == CATALOG.packages
    opcode = CATALOG.package("opcode")
    assert opcode.event("br_if") is find_event("opcode", "br_if") and opcode.event("semantic_after") is None
    assert opcode.children is opcode.events and CATALOG.package("nope") is None
    assert find_event("opcode", "typed_select").opname == "select"
    assert find_event("opcode", "block").mode("after").internal == "semantic_after"
    assert find_event("opcode", "block").mode("semantic_after") is None
    with pytest.raises(KeyError):
        find_event("opcode", "br_iff")


def _all_vars() -> list[catalog.BoundVar]:
    out = list(CORE_VARS) + list(CATALOG.vars)
    for pk in CATALOG.packages:
        out += pk.vars
        for ev in pk.events:
            out += ev.vars
    return out


def test_variable_descriptions_of_section_8_6() -> None:
    rows = _table_rows(_section(EVENTS_MD, "| name | description |", "Bound functions (`whamm info -f`"))
    docs = {_unquote(r[0]): re.match(r"`(.*)`", r[1])[1] for r in rows if r[0] != "name"}
    seen = set()
    for var in _all_vars():
        m = re.fullmatch(r"(arg|res|imm)(\d+)", var.name)
        if m:
            expected = docs[m[1] + "N"].replace(" N", f" {m[2]}", 1)
            seen.add(m[1] + "N")
        elif var.name in _ANALYSIS_VARS + _SOURCE_VARS:     # ANALYSIS.md §3, §5, checked below
            continue
        else:
            expected = docs[var.name]
            seen.add(var.name)
        assert var.doc == expected, var.name
        assert var.engine_only == (var.name == "probe_id")
    assert seen == set(docs), set(docs) ^ seen


#: The bound variables ANALYSIS.md §3 adds to every site (time and call stacks).
_ANALYSIS_VARS = ("nsecs", "callstack", "stack_depth")

#: The static bound variables ANALYSIS.md §5 adds to every opcode, function and block event (DWARF lines).
_SOURCE_VARS = ("src_file", "src_line", "src_col")


def test_source_variables_and_event_of_analysis_section_5() -> None:
    """ANALYSIS.md §5: src_file: str, src_line: u32, src_col: u32, static, at every site; the event
    wasm:source:line with the mode before."""
    analysis = (SPEC / "ANALYSIS.md").read_text(encoding="utf-8")
    section = _section(analysis, "## 5. Source level (DWARF)", "## 6.")
    types = dict(re.findall(r"`(src_\w+): (\w+)`", section))
    provider = {v.name: v for v in CATALOG.vars}
    assert tuple(types) == _SOURCE_VARS
    for name, t in types.items():
        assert str(provider[name].type) == t and provider[name].static is True
    assert "`wasm:source:line:before`" in section
    assert [m.name for m in find_event("source", "line").modes] == ["before"]
    assert "src_line" in scope("source", "line", "before") and "src_file" in scope("block", "end")


def test_analysis_variables_of_section_3() -> None:
    """ANALYSIS.md §3's variables are provider variables (every probe at a site) of its types."""
    analysis = (SPEC / "ANALYSIS.md").read_text(encoding="utf-8")
    rows = _table_rows(_section(analysis, "## 3. Time and call stacks", "**Flame graphs.**"))
    types = {_unquote(r[0]): r[1].split(",")[0].strip("` ") for r in rows if r[0] != "name"}
    provider = {v.name: v for v in CATALOG.vars}
    assert set(types) == set(_ANALYSIS_VARS)
    for name, t in types.items():
        assert str(provider[name].type) == t and provider[name].static is False and provider[name].doc


def test_function_descriptions() -> None:
    rows = _table_rows(_section(EVENTS_MD, "| function | description |", "\n---"))
    docs = {_unquote(r[0]): r[1].strip("`") for r in rows if r[0] != "function"}
    wasi_fns = {f.name for f in catalog.provider_of("p1").package("p1").fns}   # ANALYSIS.md §4, not EVENTS.md
    fns = {f.signature: f for f in catalog._BOUND_FNS.values() if f.name not in wasi_fns}
    assert {sig: f.doc for sig, f in fns.items()} == docs
    builtins = {_unquote(r[0]): r for r in _table_rows(_section(LANGUAGE_MD, "### 11.2", "```"))
                if r[0] != "function"}
    assert [f.name for f in CORE_FNS] == list(builtins)
    for f in CORE_FNS:
        _, sig, meaning, static = builtins[f.name]
        assert f"{f.name}{_unquote(sig)}".replace(", ", ",").replace(" ", "") == \
            f.signature.replace(", ", ",").replace(" ", "")
        assert f.doc == _unquote(meaning).replace("**", "")  # markdown emphasis is not text
        assert f.static == (static == "yes")


def test_mode_descriptions_of_cli_section_3() -> None:
    rows = _table_rows(_section(CLI_MD, "## 3. Descriptions used by `info` for modes", "\n---"))
    docs = {_unquote(r[0]): r[1] for r in rows if r[0] != "mode"}
    assert list(docs) == list(catalog.MODES)
    for ev in opcode_events():
        for mode in ev.modes:
            assert mode.doc == docs[mode.name]


def test_provider_variables_of_section_2() -> None:
    rows = _table_rows(_section(EVENTS_MD, "## 2. Bound variables", "### 2.1"))
    spec = {_unquote(r[0]).split()[0]: (r[1], r[2]) for r in rows if r[0] != "name"}
    events_vars = [v for v in CATALOG.vars if v.name not in _ANALYSIS_VARS + _SOURCE_VARS]   # then ANALYSIS.md's
    assert [v.name for v in events_vars] == list(spec)
    assert [v.name for v in CATALOG.vars] == list(spec) + list(_ANALYSIS_VARS) + list(_SOURCE_VARS)
    for var in events_vars:
        type_text, lifetime = spec[var.name]
        assert (var.type is None) == (type_text == "from a type bound")
        if var.type is not None:
            assert str(var.type) == _unquote(type_text)
        assert var.static == (lifetime == "static")
    assert [(v.name, v.type) for v in CORE_VARS] == [("APP_MEMID", Prim.U32)]


def test_category_ids_of_section_7_1() -> None:
    rows = _table_rows(_section(EVENTS_MD, "| id | name | id | name |", "(`ref` and `simd`"))
    pairs = {}
    for r in rows:
        for i in range(0, len(r), 2):
            if r[i].isdigit():
                pairs[_unquote(r[i + 1])] = int(r[i])
    assert pairs == CATEGORIES


# -- scopes --------------------------------------------------------------------------------------------

def test_scope_of_special_packages_has_only_builtins() -> None:
    for pk in ("begin", "end", "report"):
        assert list(scope(pk)) == ["APP_MEMID"]
        assert list(scope_fns(pk)) == [f.name for f in CORE_FNS]


def test_scope_of_func_and_block_events() -> None:
    entry = scope("func", "entry")
    assert list(entry) == ["APP_MEMID", "fid", "fname", "pc", "opidx", "at_func_end", "localN", "probe_id",
                           "nsecs", "callstack", "stack_depth", "src_file", "src_line", "src_col"]
    assert "instr_count" not in scope("block", "start")
    count = scope("block", "end")["instr_count"]
    assert count.type is Prim.U32 and count.static
    assert "drop_args" not in scope_fns("func", "exit")


def test_scope_of_opcode_events() -> None:
    s = scope("opcode", "i32.store", "before")
    assert s["addr"].alias_of == "arg1" and s["arg0"].type is Prim.I32 and s["arg1"].type is Prim.U32
    assert s["data_size"].constant == 4 and s["is_write"].constant is True
    grow = scope("opcode", "memory.grow", "after")
    assert grow["failed"].definition == "res0 == -1" and not grow["failed"].static
    assert grow["res0"].type is Prim.I32
    gc = scope("opcode", "struct.get", "before")
    assert gc["tid"].alias_of == "imm0" and gc["field_idx"].alias_of == "imm1" and gc["tid"].static
    assert scope("opcode", "ref.func", "before")["resolved_fid"].definition == "imm0 as i32"
    fns = scope_fns("opcode", "call", "alt")
    assert fns["alt_call_by_id"].alt_only and fns["drop_args"].alt_only
    assert "resolve_funcref" not in fns
    assert scope_fns("opcode", "memory.copy", "before")["dup_at"].params == (("dst_mem", Prim.U32),
                                                                              ("dst_addr", Prim.U32))
    assert scope_fns("opcode", "table.get", "before")["resolve_funcref"].result is Prim.I32


def test_scope_rejects_unknown_points() -> None:
    for args in (("opcodes", "call", "before"), ("opcode", "calls", "before"), ("opcode", "call", "entry"),
                 ("opcode", "block", "semantic_after"), ("opcode", None, None), ("func", "entry", "before")):
        with pytest.raises(KeyError):
            scope(*args)


def test_lookup_resolves_families() -> None:
    call = scope("opcode", "call", "before")
    arg3 = lookup(call, "arg3")
    assert arg3.name == "arg3" and arg3.type is None and not arg3.static
    assert arg3.doc.startswith("Operand 3 of the instruction")
    assert lookup(call, "res1").type is None
    assert lookup(call, "imm1") is None                     # call has exactly imm0
    assert lookup(call, "imm0").type is Prim.U32
    imm5 = lookup(scope("opcode", "br_table", "before"), "imm5")
    assert imm5.type is Prim.U32 and imm5.static
    assert lookup(scope("opcode", "local.get", "before"), "arg0") is None
    assert lookup(scope("opcode", "local.set", "before"), "arg0").type is None
    assert lookup(scope("opcode", "local.set", "before"), "arg1") is None
    assert lookup(scope("func", "entry"), "local2").type is None
    assert lookup(scope("begin"), "local0") is None
    assert lookup(call, "fname").type is Prim.STR
    assert lookup(call, "bogus") is None
    assert lookup(call, "argN").is_family
