"""Breadth (issue 4, must-show 2): one probe for every event × every mode it supports, each reading every
bound variable the event offers, against an application with every opcode family
(``apps/all_ops.wat``).  The output must validate and run, and the application's own output must be
unchanged.

The script is generated from the event catalog (:mod:`compiler.events.catalog`), so a new event or
variable is covered without touching this file.  Reads go into probe-local variables (nothing is
printed, so the output must be byte-identical).  Operands and results the catalog types as ``?`` get a
type bound (``i32``), which also means the probe only lands on sites where that operand is an ``i32``.
``alt`` probes carry the predicate ``never`` — a global that is false at run time but not a
compile-time constant (``wasm:end`` assigns it) — so their replacement code is emitted at every site
but the original instruction still runs; their bodies produce the instruction's result where it has
one (:func:`_alt_result`).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from compiler import api
from compiler.events.catalog import CATALOG, scope
from compiler.lang.types import MapType, Prim
from compiler.runner import RunOptions, run_module
from compiler.wasm.opcodes import BY_NAME

APP = Path(__file__).resolve().parent / "apps" / "all_ops.wat"

#: Events whose result type the catalog cannot fix but a static predicate plus bounds can (for the
#: all_ops app): local.get/global.get of index 0 are i32 there (local 0 bound to i32, $counter).
_ALT_STATIC = {"local.get": ("imm0 == 0", {"local0": "i32"}), "global.get": ("imm0 == 0", {})}

#: Rule-typed instructions whose single result has the type of a bounded operand.
_RESULT_FROM_OPERAND = {"select": "arg1", "typed_select": "arg1", "local.tee": "arg0"}

#: Rule-typed instructions that leave no result (a branch's fall-through values are the label's,
#: none in all_ops; its blocks with results are excluded by the predicate _NO_RESULT_BLOCKS).
_NO_RESULT = {"drop", "local.set", "global.set", "br", "br_if", "br_table", "return", "throw", "throw_ref",
              "struct.set", "array.set", "array.fill", "array.copy", "array.init_data", "array.init_elem",
              "table.set", "table.copy", "table.init", "table.fill", "memory.copy",
              "block", "loop", "if", "else", "try_table"}

#: Rule-typed instructions with one numeric result in all_ops (32-bit memories and tables, i32/i64
#: fields and elements, call_ref of an i32 function).
_NUMERIC_RESULT = {"memory.size", "memory.grow", "table.size", "table.grow", "ref.is_null", "ref.test",
                   "ref.test_null", "struct.get", "struct.get_s", "struct.get_u", "array.get", "array.get_s",
                   "array.get_u", "array.len", "call_ref"}

#: Instructions after which all_ops's code needs values the instruction never leaves (it does not fall
#: through: the `end` of a block with results, a function's end); a replacement that falls through
#: cannot validate there (REWRITING.md §6.3 makes such a site an error).
_NO_FALL_THROUGH = {"unreachable", "return_call", "return_call_indirect", "return_call_ref"}

#: The functions of all_ops whose blocks have results; a block alt without `return` cannot replace those.
_NO_RESULT_BLOCKS = '!(fname == "control" || fname == "exceptions" || fname == "gc")'


def _alt_result(event) -> str | None:
    """How an ``alt`` body for ``event`` ends: ``"return 0;"`` for one numeric result, ``""`` when the
    instruction has no result, None when no generic body can produce its result: a reference (whamm
    has no reference values), or an instruction in _NO_FALL_THROUGH."""
    if event.package != "opcode":
        return ""
    if event.name in _NO_FALL_THROUGH:
        return None
    op = BY_NAME.get(event.name)
    if op is None:
        return None
    if op.results is not None:
        if op.results == ():
            return ""
        numeric = ("i32", "i64", "f32", "f64", "addr")  # addr: all_ops's memories are 32-bit
        return "return 0;" if len(op.results) == 1 and op.results[0] in numeric else None
    if event.name in _NO_RESULT:
        return ""
    if event.name in _RESULT_FROM_OPERAND or event.name in _ALT_STATIC or event.name in _NUMERIC_RESULT:
        return "return 0;"
    if event.name in ("call", "call_indirect"):
        return "return 0;"      # results `?`, bounded to i32 below
    return None


def _encoded(event, name: str) -> bool:
    """Whether an ``immK`` the catalog lists is present in the instruction's binary encoding."""
    if event is None or event.package != "opcode" or not name.startswith("imm") or not name[3:].isdigit():
        return True
    if event.name in ("br_table", "br_on_cast", "br_on_cast_fail"):
        return True
    return int(name[3:]) < len(BY_NAME[event.name].imms)


def _probe(package: str, event, mode: str | None, typed: bool) -> tuple[str | None, bool]:
    """The probe text (None when the mode cannot be given a valid generic body, see _alt_result) and
    whether the event has variables only a type bound makes readable.  With ``typed`` those are read
    too, under ``i32`` bounds, which restrict the probe to sites where they are ``i32``; without, the
    probe reads everything else and lands on every site."""
    names = scope(package, event.name if event else None, mode)
    bounds: dict[str, str] = {}
    reads: list[str] = []
    explicit = {n for n in names if not names[n].is_family}
    predicate = None
    needs_bounds = False
    if mode == "alt":
        if _alt_result(event) is None:
            return None, False
        static = _ALT_STATIC.get(event.name)
        if event.name in ("block", "loop", "if", "else", "try_table"):
            predicate = f"{_NO_RESULT_BLOCKS} && never"
        elif static:
            predicate = f"{static[0]} && never"
            bounds.update(static[1])
        else:
            predicate = "never"
        if event.name in _RESULT_FROM_OPERAND:
            bounds[_RESULT_FROM_OPERAND[event.name]] = "i32"
        if any(r.prefix == "res" and r.type is None for r in event.results):
            bounds["res0"] = "i32"      # types the replacement's result
    for name, var in names.items():
        if var.engine_only or name in bounds and mode == "alt" and name.startswith("res"):
            continue
        if not _encoded(event, var.alias_of or name):
            continue            # array.len: the catalog's imm0/tid have no encoding (skips the site)
        if var.is_family:
            prefix = name[:-1]
            if prefix == "res" and mode != "after" or prefix == "imm" and var.type is None:
                continue        # results exist only after; `immN:?` is not usable (EVENTS.md §7.4)
            index = next(i for i in range(8) if f"{prefix}{i}" not in explicit)
            name = f"{prefix}{0 if prefix in ('local', 'imm') else index}"
            if var.type is None:
                needs_bounds = True
                if not typed:
                    continue
                bounds[name] = "i32"
        elif (name.startswith("res") or "res0" in (var.definition or "")) and mode != "after":
            continue            # results (and `failed`, derived from res0) exist only after the instruction
        elif var.type is None:
            if name.startswith("imm"):
                continue        # `immK:?` (heap types of GC casts): not usable
            needs_bounds = True
            if not typed:
                continue
            bounds[name] = "i32"
        reads.append(_read(name, var.type, bounds.get(name)))
    if mode == "alt":
        reads.append(_alt_result(event) or "")
    rule_event = f":{event.name}" if event else ""
    bound_text = f"({', '.join(f'{k}: {v}' for k, v in bounds.items())})" if bounds else ""
    if package == "opcode":
        rule = f"wasm:{package}{rule_event}{bound_text}:{mode}"
    elif bound_text:
        rule = f"wasm{bound_text}:{package}{rule_event}"
    else:
        rule = f"wasm:{package}{rule_event}"
    pred = f" / {predicate} /" if predicate else ""
    body = "\n    ".join(r for r in reads if r)
    return f"{rule}{pred} {{\n    {body}\n}}\n", needs_bounds


def _read(name: str, wtype, bound: str | None) -> str:
    var = f"v_{name}"
    if bound is not None:
        return f"var {var}: {bound} = {name};"
    if isinstance(wtype, MapType):
        return f"var {var}: {wtype.value} = {name}[0];"
    if wtype == Prim.FUNCREF:
        return f"var {var}: i32 = resolve_funcref({name}, table_entry_idx);"
    return f"var {var}: {wtype} = {name};"


def breadth_script() -> tuple[str, set[tuple[str, str | None]], list[str]]:
    """The generated script, the (event, mode) pairs it has probes for, and those left out (``alt``
    only, see _alt_result).

    Per (event, mode): one probe reading every variable readable without a bound; and, where the event
    has ``?`` operands or results (or ``localN``), a second one reading those too under ``i32`` bounds —
    except for ``alt``, where two probes would conflict at one site."""
    probes: list[str] = ["var never: bool;\n", "wasm:begin { never = false; }\n",
                         "wasm:end { never = false; }\n"]
    covered: set[tuple[str, str | None]] = set()
    skipped: list[str] = []
    for package in CATALOG.packages:
        for event in package.events:
            for mode in event.modes or (None,):
                name = mode.name if mode else None
                text, needs_bounds = _probe(package.name, event, name, typed=False)
                if text is None:
                    skipped.append(f"{event.name}:{name}")
                    continue
                probes.append(text)
                covered.add((event.name, name))
                if needs_bounds and name != "alt":
                    probes.append(_probe(package.name, event, name, typed=True)[0])
    return "\n".join(probes), covered, skipped


@pytest.fixture(scope="module")
def app() -> bytes:
    return wasmtime.wat2wasm(APP.read_text())


@pytest.fixture(scope="module")
def instrumented(app) -> api.InstrumentResult:
    script, _, _ = breadth_script()
    return api.instrument(app, script, script_name="breadth.mm")


def test_script_covers_every_event_and_mode():
    _, covered, skipped = breadth_script()
    pairs = {(e.name, m.name if m else None) for p in CATALOG.packages for e in p.events
             for m in e.modes or (None,)}
    assert covered | {tuple(s.split(":")) for s in skipped} == pairs
    # alt is left out only where no generic body can produce the replaced instruction's result
    assert all(s.endswith(":alt") for s in skipped) and len(skipped) < 30


def test_output_validates_and_behaviour_is_unchanged(app, instrumented, tmp_path):
    from compiler.wasm import validate
    validate(instrumented.wasm)
    original = run_module(app, RunOptions(stdout=str(tmp_path / "a")))
    result = run_module(instrumented.wasm, RunOptions(stdout=str(tmp_path / "b")))
    assert (original.status, original.message) == (0, None)
    assert (result.status, result.message) == (0, None)
    assert (tmp_path / "b").read_bytes() == (tmp_path / "a").read_bytes()


def test_every_instruction_of_the_app_got_its_probes(instrumented):
    """Every instrumentable instruction in all_ops is a site of its event's ``before`` probe, and of
    its ``after`` probe unless it never falls through; every mode of the catalog found some site."""
    from compiler.events.catalog import find_event
    from compiler.sites.matching import match
    from compiler.sites.static_calls import StaticCalls
    module = instrumented.app.module
    matches = match(module, instrumented.program, static_call=StaticCalls(module, instrumented.program))
    landed = {(s.probe.expansion.event, s.probe.expansion.mode) for s in matches.sites}
    ops = set()
    for body in module.code:
        for instr in body.instrs:
            try:
                ops.add(find_event("opcode", instr.op.name).name)
            except KeyError:
                pass            # SIMD: no events (EVENTS.md §10)
    assert {op for op in ops if (op, "before") not in landed} == set()
    assert {mode for _, mode in landed} == {"before", "after", "alt", "entry", "exit", "at_target", None}
    assert len(landed) > 400
