"""The instrumented module's DWARF stays true (ANALYSIS.md §5; docs/DWARF_OUTPUT.md).

C programs built with ``-g`` (tests/corpus/dwarf: -O0 and -O2, DWARF 4 and 5, one and two units, with
wasi-libc's own DWARF 4 units and the tombstones of the functions the linker dropped) are instrumented
with scripts that inject before every instruction; at function entries, block entries, loop exits and
branch targets; add an import (renumbered calls) and a ``func:exit`` wrapper; or keep a shadow stack in
every function and replace instructions (``alt``).  The oracles are independent of the compiler:
llvm-dwarfdump ``--verify``; llvm-symbolizer's answer (function, inlined frames, file:line:col) at each
input instruction against its answer at the same instruction in the output, the instructions paired by
decoding both bodies; every code address llvm-dwarfdump shows in ``.debug_info`` (function ranges,
range and location lists) against that pairing; and wasmtime's DWARF backtrace of a trap, against the
uninstrumented program's.
"""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from compiler.lang.frontend import check_source
from compiler.rewrite import debug_sections, emit as emit_module
from compiler.wasm import read_module
from compiler.wasm.dwarf import code_bodies
from compiler.wasm.model import CustomSection
from compiler.wasm.writer import write_module

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
DWARF = CORPUS / "dwarf"

SCRIPTS = {
    "every": "report var n: u64;\nwasm:opcode:*:before { n++; }\n",
    "blocks": "report var n: u64;\nwasm:func:entry { n++; }\nwasm:opcode:block:entry { n++; }\n"
              "wasm:opcode:loop:exit { n++; }\nwasm:opcode:br_if:after { n++; }\n"
              "wasm:opcode:br_if:at_target { n++; }\nwasm:opcode:if:after { n++; }\n",
    "exit_clock": "report var n: u64;\nwasm:func:exit { n++; }\n"
                  "wasm:opcode:call:before { n = n + nsecs % 2; }\n",
    "alt_stack": "report var prof: map<str, u64>;\nwasm:func:entry { prof[callstack]++; }\n"
                 "wasm:opcode:i32.xor(arg0: i32, arg1: i32):alt { return arg0 ^ arg1; }\n",
}
#: name -> path under tests/corpus/dwarf: -O0 v4; -O2 v5; two units -O0 v4; two units -O2 v5 with a global
#: (its .debug_addr holds a data address, which must not move); wasi-libc's units are -O2 v4 in all
PROGRAMS = {"trap": "trap.wasm", "opt": "opt.wasm", "multi": "multi/multi.wasm", "oob": "oob/oob.wasm"}
#: Events for generated scripts: each a few of them, some behind a predicate that folds per function.
EVENTS = ("wasm:opcode:local.get:before", "wasm:opcode:local.set:after", "wasm:opcode:call:after",
          "wasm:opcode:i32.load:before", "wasm:opcode:i32.store:after", "wasm:opcode:br:at_target",
          "wasm:opcode:br_table:at_target", "wasm:opcode:block:exit", "wasm:opcode:loop:entry",
          "wasm:opcode:loop:after", "wasm:opcode:if:entry", "wasm:opcode:if:exit", "wasm:opcode:else:entry",
          "wasm:opcode:end:before", "wasm:opcode:end:after", "wasm:opcode:select:before",
          "wasm:opcode:return:before", "wasm:opcode:unreachable:before", "wasm:func:entry", "wasm:func:exit")


def _generated(seed: int) -> str:
    rng = random.Random(seed)
    probes = [f"{event}{rng.choice(['', f' / fid % 3 == {rng.randrange(3)} /'])} {{ n++; }}\n"
              for event in rng.sample(EVENTS, 5)]
    return "report var n: u64;\n" + "".join(probes)


SCRIPTS.update({f"generated{seed}": _generated(seed) for seed in range(len(PROGRAMS))})
#: every fixed script on every program, and one generated script on each program
CASES = [(p, s) for p in PROGRAMS for s in SCRIPTS if not s.startswith("generated")] + \
        [(p, f"generated{seed}") for seed, p in enumerate(PROGRAMS)]
TRAPS = ("trap", "oob")


@pytest.fixture(scope="module")
def built(instrument):
    """``(program, script) -> (input bytes, Emitted)`` for every case, made once."""
    out = {}
    for program, script in CASES:
        data = (DWARF / PROGRAMS[program]).read_bytes()
        out[program, script] = data, instrument(SCRIPTS[script], data)
    return out


@pytest.fixture(scope="module")
def aligned(built, aligned_addresses):
    """``(program, script) -> aligned_addresses(…)`` of the case, made on first use."""
    cache = {}

    def get(program: str, script: str):
        if (program, script) not in cache:
            data, emitted = built[program, script]
            cache[program, script] = aligned_addresses(data, emitted.wasm, emitted.func_shift)
        return cache[program, script]
    return get


@pytest.mark.parametrize("program,script", CASES)
def test_dwarfdump_verify_accepts_the_output(built, dwarfdump, program, script):
    data, emitted = built[program, script]
    assert not emitted.warnings, [w.message for w in emitted.warnings]
    names = [c.name for c in read_module(emitted.wasm).customs if c.name.startswith(".debug_")]
    assert names == [c.name for c in read_module(data).customs if c.name.startswith(".debug_")]
    result = dwarfdump(emitted.wasm, "--verify")
    assert result.returncode == 0 and "No errors." in result.stdout, result.stdout[-3000:]


@pytest.mark.parametrize("program,script", CASES)
def test_every_instruction_keeps_its_source_position(built, aligned, symbolize, program, script):
    """llvm-symbolizer names the same function, inlined frames and file:line:col at every input
    instruction and at the same instruction in the output (one of its candidates, when injected code
    next to it holds an equal instruction); injected code is named like an input instruction next to
    it (the one it instruments)."""
    data, emitted = built[program, script]
    candidates, injected = aligned(program, script)
    inputs = sorted(candidates)
    spots = sorted({c for a in inputs for c in candidates[a]} | {a for a, _, _ in injected})
    before = dict(zip(inputs, symbolize(data, inputs)))
    after = dict(zip(spots, symbolize(emitted.wasm, spots)))
    wrong = [(hex(a), before[a], [after[c] for c in candidates[a]]) for a in inputs
             if not any(after[c] == before[a] for c in candidates[a])]
    assert not wrong, f"{len(wrong)} of {len(inputs)} instructions moved to another line, e.g. {wrong[:3]}"
    assert sum(len(candidates[a]) == 1 for a in inputs) > 0.9 * len(inputs)    # few ambiguous
    assert sum(1 for frames in before.values() if frames and frames[0][2]) > 0.5 * len(inputs)
    bad = [(hex(a), after[a], [after[n] for n in (p, f) if n is not None]) for a, p, f in injected
           if after[a] not in [after[n] for n in (p, f) if n is not None]]
    assert injected and not bad, f"{len(bad)} injected instructions with a line of their own: {bad[:3]}"


@pytest.mark.parametrize("program,script", CASES)
def test_debug_info_addresses_are_remapped(built, aligned, info_addresses, program, script):
    """Every code address in .debug_info (low/high pc, call return pcs, range and location lists) is
    the output address of the input's instruction — or of the code injected right before it, which
    instruments it; 0 (a unit's base) and the linker's tombstones stay."""
    data, emitted = built[program, script]
    candidates, injected = aligned(program, script)
    run_before: dict[int, set[int]] = {}
    for address, _, following in injected:
        run_before.setdefault(following, set()).add(address)
    old, new = info_addresses(data), info_addresses(emitted.wasm)
    assert len(old) == len(new) and len(old) > 10
    unmapped = {a for a in old if a not in candidates and a != 0 and a < 0xFFFFFFF0}
    assert not unmapped - {a for a in old if a > 0xFFFFFFFF}, sorted(map(hex, unmapped))[:5]
    diff = []
    for a, b in zip(old, new):
        if a in candidates and not any(b == c or b in run_before.get(c, ()) for c in candidates[a]):
            diff.append((hex(a), hex(b), list(map(hex, candidates[a]))))
        elif a not in candidates and b != a:
            diff.append((hex(a), hex(b), "unchanged"))
    assert not diff, diff[:5]


@pytest.mark.parametrize("program,script", [(p, s) for p, s in CASES if p in TRAPS])
def test_trap_backtrace_names_the_same_lines(built, trap_frames, program, script):
    """wasmtime's DWARF backtrace of the instrumented program's trap equals the original's; the
    input's DWARF copied unchanged onto the output (what the rewriting did before) would not."""
    data, emitted = built[program, script]
    frames = trap_frames(data)
    assert len(frames) >= 3 and frames[0][1].rsplit(":", 2)[0].endswith(".c"), frames
    assert trap_frames(emitted.wasm) == frames
    if script == "every":
        stale = read_module(emitted.wasm)
        originals = {c.name: c for c in read_module(data).customs}
        stale.customs = [CustomSection(c.name, originals[c.name].data, c.after) if c.name.startswith(".debug_")
                         else c for c in stale.customs]
        assert trap_frames(write_module(stale)) != frames


def _with_customs(data: bytes, edit) -> bytes:
    module = read_module(data)
    module.customs = edit([CustomSection(c.name, c.data, c.after) for c in module.customs])
    return write_module(module)


def test_a_section_that_cannot_be_remapped_alone_is_dropped_with_a_note(instrument, dwarfdump):
    data = _with_customs((DWARF / "trap.wasm").read_bytes(), lambda cs: cs + [
        CustomSection(".debug_aranges", b"\x00" * 8, 11), CustomSection("sourceMappingURL", b"\x06a.map", 11)])
    emitted = instrument(SCRIPTS["every"], data)
    notes = sorted(w.message for w in emitted.warnings)
    assert len(notes) == 2 and "'sourceMappingURL' dropped" in notes[0] and ".debug_aranges dropped" in notes[1]
    names = {c.name for c in read_module(emitted.wasm).customs}
    assert ".debug_aranges" not in names and "sourceMappingURL" not in names and ".debug_line" in names
    assert dwarfdump(emitted.wasm, "--verify").returncode == 0


def test_dwarf_that_cannot_be_remapped_is_dropped_never_stale(instrument, run):
    """A range starting inside an instruction (here: one byte into main's locals) names no output
    address: the DWARF goes, with one warning, and the program still runs."""
    def corrupt(customs):
        ranges = next(c for c in customs if c.name == ".debug_ranges")
        assert ranges.data[:4] == b"\x1f\x00\x00\x00"                   # [0x1f, 0xb0): main
        return [CustomSection(c.name, b"\x20" + c.data[1:], c.after) if c is ranges else c for c in customs]
    data = _with_customs((DWARF / "trap.wasm").read_bytes(), corrupt)
    emitted = instrument(SCRIPTS["every"], data)
    assert len(emitted.warnings) == 1
    message = emitted.warnings[0].message
    assert message.startswith("DWARF dropped from the output (") and "0x20" in message, message
    assert not [c.name for c in read_module(emitted.wasm).customs if c.name.startswith(".debug_")]
    status, stdout, _ = run(emitted.wasm)
    assert stdout == "start\n" and str(status).startswith("trap:")


def test_inputs_without_dwarf_never_reach_the_rewriter(instrument, monkeypatch):
    """An input without debug sections is emitted as before: the DWARF step is not even entered."""
    def refuse(*args):
        raise AssertionError("the DWARF rewriter ran on an input without DWARF")
    monkeypatch.setattr(emit_module, "_true_dwarf", refuse)
    emitted = instrument(SCRIPTS["every"], (CORPUS / "c" / "interp.wasm").read_bytes())
    assert not [c for c in read_module(emitted.wasm).customs if c.name.startswith(".debug_")]


def test_the_input_dwarf_read_once_serves_later_builds(built, monkeypatch):
    """The shell rebuilds one input module many times: its DWARF is read once (debug_sections keeps the
    last input read); a later build of the same module object gives the bytes a fresh read gives."""
    reads = []
    parse = debug_sections._parse
    monkeypatch.setattr(debug_sections, "_parse", lambda sections: reads.append(1) or parse(sections))
    module = read_module((DWARF / PROGRAMS["oob"]).read_bytes())
    for script in ("every", "blocks"):
        emitted = emit_module.instrument(module, check_source(SCRIPTS[script], "test.mm"))
        assert emitted.wasm == built["oob", script][1].wasm
    assert len(reads) == 1


def test_a_variables_address_in_debug_addr_stays(built, dwarfdump):
    """DWARF 5 keeps a global variable's linear-memory address in .debug_addr beside the code
    addresses (its location is ``DW_OP_addrx``): that entry does not move, the code entries do."""
    data, emitted = built["oob", "every"]
    variable = re.search(r'DW_AT_name\t\("table"\)\n(?:[^\n]*\n){0,3}?[^\n]*DW_AT_location\t\(DW_OP_addrx 0x0\)',
                         dwarfdump(data, "--debug-info").stdout)
    assert variable, "main.c's table is the first entry of the first address table"

    def tables(wasm: bytes) -> list[list[int]]:
        text = dwarfdump(wasm, "--debug-addr").stdout
        return [[int(a, 16) for a in re.findall(r"^0x([0-9a-f]+)$", t, re.M)] for t in text.split("Addrs: [")[1:]]
    before, after = tables(data), tables(emitted.wasm)
    assert [len(t) for t in before] == [len(t) for t in after] and len(before[0]) > 1
    assert after[0][0] == before[0][0]
    assert all(a != b for a, b in zip(before[0][1:], after[0][1:]))       # the code addresses moved


@pytest.mark.parametrize("program", ["trap", "oob"])    # DW_TAG_GNU_call_site (DWARF 4), DW_AT_call_return_pc (5)
def test_call_sites_return_right_after_the_call(instrument, dwarfdump, program):
    """A call site's return pc is where the call returns: right after the call instruction in the
    output, before the code a ``call:after`` probe injected there."""
    data = (DWARF / PROGRAMS[program]).read_bytes()
    emitted = instrument("report var n: u64;\nwasm:opcode:call:after { n++; }\n", data)

    def return_pcs(wasm: bytes) -> list[int]:
        out = []
        for die in dwarfdump(wasm, "--debug-info").stdout.split("\n\n"):
            m = re.search(r"DW_AT_call_return_pc\t\(0x([0-9a-f]+)\)", die) or (
                "DW_TAG_GNU_call_site" in die and re.search(r"DW_AT_low_pc\t\(0x([0-9a-f]+)\)", die))
            if m:
                out.append(int(m.group(1), 16))
        return out

    def after_calls(wasm: bytes) -> set[int]:
        module = read_module(wasm)
        ends = set()
        for (start, _), body in zip(code_bodies(module), module.code):
            ins = body.instrs
            ends |= {start + ins[k + 1].offset for k in range(len(ins) - 1) if ins[k].op.name.startswith("call")}
        return ends
    before, after = return_pcs(data), return_pcs(emitted.wasm)
    assert len(before) == len(after) > 10
    assert set(before) <= after_calls(data)
    assert set(after) <= after_calls(emitted.wasm)
    assert all(a != b for a, b in zip(before, after))


@pytest.mark.parametrize("version", [4, 5])
def test_split_dwarf_is_dropped_never_stale(instrument, version):
    """-gsplit-dwarf leaves the unit's DIEs in a .dwo file whose code addresses go through this module's
    .debug_addr among data addresses: remapping only the skeleton's would leave the .dwo's stale (DWARF 5),
    and GNU's headerless DWARF 4 .debug_addr was read as a DWARF 5 table (a ValueError in the note)."""
    data = (DWARF / "split" / f"split{version}.wasm").read_bytes()
    debug = sorted(c.name for c in read_module(data).customs if c.name.startswith(".debug_"))
    emitted = instrument("wasm:opcode:*:before { report var n: u32; n++; }", data)
    assert [w.message for w in emitted.warnings if "DWARF" in w.message] == [
        f"DWARF dropped from the output ({', '.join(debug)}): cannot remap it: split DWARF (-gsplit-dwarf): "
        f"the code addresses of split{version}.dwo are not in this module"]
    assert ".debug_addr" in debug and not [c for c in read_module(emitted.wasm).customs if c.name in debug]
