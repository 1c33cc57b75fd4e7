"""Source locations from DWARF (ANALYSIS.md §5) checked against llvm-dwarfdump, an independent reader.

* ``src_file``/``src_line``/``src_col`` at generated (random) instructions of the -g corpus programs
  (DWARF 4 and 5, -O0 and -O2, two units, wasi-libc's own units) equal what ``llvm-dwarfdump --lookup``
  says for the instruction's code address;
* ``wasm:source:line:before / src_file.ends_with(F) && src_line == L /`` is matched exactly at the
  statement starts of that line as computed here from ``llvm-dwarfdump --debug-line``'s printed rows,
  with the predicate folded away;
* an input without DWARF binds ""/0, has no source sites and gets one warning.
"""
from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.lang.checker import check_script
from compiler.lang.parser import parse_script
from compiler.sites.finding import ModuleSites
from compiler.sites.matching import match
from compiler.sites.source_use import no_dwarf_warning
from compiler.wasm.dwarf import code_bodies, read_dwarf
from compiler.wasm.errors import DecodeError
from compiler.wasm.model import CustomSection
from compiler.wasm.reader import read_module
from compiler.wasm.source_lines import SourceMap
from compiler.wei.support import UnsupportedError, check_supported

DWARF_DIR = Path(__file__).parents[1] / "corpus" / "dwarf"
PROGRAMS = ("lines", "opt", "multi", "trap")
DEMO = Path(__file__).parents[2] / "examples" / "demo" / "app.wasm"


def _wasm(name: str) -> Path:
    """A -g corpus program (the two-unit one sits with its sources, so their relative paths resolve)."""
    return DWARF_DIR / ("multi/multi.wasm" if name == "multi" else f"{name}.wasm")


@pytest.fixture(scope="module")
def modules():
    return {name: read_module((_wasm(name)).read_bytes()) for name in PROGRAMS}


def _lookup(path: Path, address: int) -> tuple[str, int, int] | None:
    """``llvm-dwarfdump --lookup``'s line info for a code address: (file, line, column), None if none."""
    out = subprocess.run(["llvm-dwarfdump", f"--lookup=0x{address:x}", str(path)], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"Line info: file '([^']*)', line (\d+), column (\d+)", out)
    return None if m is None else (m[1], int(m[2]), int(m[3]))


@pytest.mark.parametrize("name", PROGRAMS)
def test_src_variables_agree_with_llvm_dwarfdump_lookup(modules, name: str) -> None:
    module = modules[name]
    bodies = code_bodies(module)
    ms = ModuleSites(module)
    rng = random.Random(f"src-{name}")
    first = module.num_imported_funcs
    # instructions of the program's own functions (the ones with a name in the C source) and anywhere
    own = [fid for fid, fname in module.names.functions.items()
           if fid >= first and fname in ("main", "__original_main", "collatz_steps", "classify", "mix",
                                         "util_sum", "util_square", "divide", "average", "never_called")]
    picks = [(fid, rng.randrange(len(module.code[fid - first].instrs))) for fid in rng.choices(own, k=8)]
    picks += [(fid, rng.randrange(len(module.code[fid - first].instrs)))
              for fid in rng.choices(range(first, first + len(module.code)), k=4)]
    known = 0
    for fid, index in picks:
        ins = module.code[fid - first].instrs[index]
        expected = _lookup(_wasm(name), bodies[fid - first][0] + ins.offset)
        got = ms.function(fid).opcode_bindings(index)
        where = f"{name}: fid {fid} pc {ins.offset} ({ins.op.name})"
        if expected is None or expected[1] == 0:            # no row, or DWARF's "no source line"
            assert (got["src_file"], got["src_line"], got["src_col"]) == ("", 0, 0), where
            continue
        known += 1
        file, line, col = expected
        assert (got["src_line"], got["src_col"]) == (line, col), where
        assert got["src_file"] == file or got["src_file"].endswith("/" + file.lstrip("./")), where
    assert known >= 6, f"{name}: too few picks with a source line to mean anything ({known})"


def _debug_line_tables(path: Path) -> list[tuple[dict[int, str], list[list[tuple[int, int, int, int, bool]]]]]:
    """Every line table as llvm-dwarfdump prints it: file index → name, and its sequences of rows
    (address, line, column, file, is_stmt); the end_sequence row closes a sequence (kept, as its end)."""
    text = subprocess.run(["llvm-dwarfdump", "--debug-line", str(path)], capture_output=True, text=True,
                          check=True).stdout
    tables = []
    for chunk in text.split("debug_line[")[1:]:
        files = {int(k): v for k, v in re.findall(r'file_names\[\s*(\d+)\]:\s*\n\s*name: "([^"]*)"', chunk)}
        sequences, current = [], []
        for m in re.finditer(r"^0x([0-9a-f]+) +(\d+) +(\d+) +(\d+) +\d+ +\d+ *(.*)$", chunk, re.M):
            flags = m[5].split()
            current.append((int(m[1], 16), int(m[2]), int(m[3]), int(m[4]), "is_stmt" in flags))
            if "end_sequence" in flags:
                sequences.append(current)
                current = []
        tables.append((files, sequences))
    return tables


def _oracle_statement_starts(module, path: Path, file_suffix: str, line: int) -> set[tuple[int, int]]:
    """(fid, pc) of the first instruction of every is_stmt row of (file, line) whose row before has
    another (file, line), from llvm-dwarfdump's rows and the bodies' instruction offsets."""
    bodies = code_bodies(module)
    first = module.num_imported_funcs
    out = set()
    for files, sequences in _debug_line_tables(path):
        for seq in sequences:
            for k, (address, ln, _col, f, stmt) in enumerate(seq[:-1]):
                prev = seq[k - 1] if k else None
                if not stmt or ln != line or not files.get(f, "").endswith(file_suffix):
                    continue
                if prev is not None and (prev[1], prev[3]) == (ln, f):
                    continue
                end = seq[k + 1][0]
                for pos, (start, stop) in enumerate(bodies):
                    if start <= address < stop:
                        pcs = [ins.offset for ins in module.code[pos].instrs]
                        inside = [pc for pc in pcs if address <= start + pc < end]
                        if inside:
                            out.add((first + pos, inside[0]))
    return out


def _matched(module, script: str):
    program = check_script(parse_script(script, "t.mm"), script, "t.mm", {})
    return program, match(module, program)


@pytest.mark.parametrize("name, file, line", [
    ("lines", "lines.c", 11), ("lines", "lines.c", 39), ("lines", "lines.c", 9),
    ("multi", "util.c", 5), ("multi", "main.c", 10), ("opt", "opt.c", 25), ("trap", "trap.c", 7),
])
def test_source_line_event_injects_exactly_at_the_lines_statement_starts(modules, name, file, line) -> None:
    module = modules[name]
    expected = _oracle_statement_starts(module, _wasm(name), file, line)
    assert expected, f"{file}:{line} has no statement start in {name}.wasm"
    script = (f'wasm:source:line:before / src_file.ends_with("{file}") && src_line == {line} / '
              "{ report var n: u32; n++; }")
    program, matches = _matched(module, script)
    sites = matches.sites
    assert {(s.fid, s.pc) for s in sites} == expected
    assert all(s.folded.predicate is True for s in sites)          # the predicate folded away
    assert not no_dwarf_warning(module, program)


def test_every_statement_start_of_a_module_is_a_site(modules) -> None:
    """Without a predicate: the sites are the union of every line's statement starts (lines.c, all units)."""
    module = modules["multi"]
    _, matches = _matched(module, "wasm:source:line:before { report var n: u32; n++; }")
    sites = {(s.fid, s.pc) for s in matches.sites}
    for file, line in (("main.c", 9), ("main.c", 11), ("util.c", 12), ("util.c", 6)):
        assert _oracle_statement_starts(module, _wasm("multi"), file, line) <= sites
    info = read_dwarf(module)
    assert info is not None and len(info.comp_dirs) > 2        # the two units and wasi-libc's


def test_input_without_dwarf_binds_unknown_and_warns_once() -> None:
    module = read_module(DEMO.read_bytes())
    program, matches = _matched(module, 'wasm:opcode:call:before / src_line == 0 && src_file == "" / '
                                        '{ report var n: u32; n++; }\n'
                                        'wasm:source:line:before { report var m: u32; m++; }')
    assert matches.sites and all(s.probe.number == 0 for s in matches.sites)
    warnings = no_dwarf_warning(module, program)
    assert len(warnings) == 1 and "no DWARF line table" in warnings[0].message


def test_damaged_dwarf_is_a_decode_error_never_a_traceback() -> None:
    """Random damage to the debug sections of a real module (generated inputs): every outcome is a
    reading or a DecodeError naming the section, and the CLI says so with exit status 1."""
    data = _wasm("multi").read_bytes()
    rng = random.Random("damage")
    outcomes = set()
    for _ in range(16):
        module = read_module(data)
        k = rng.choice([i for i, c in enumerate(module.customs) if c.name in (".debug_line", ".debug_info",
                                                                                 ".debug_abbrev")])
        raw = bytearray(module.customs[k].data)
        if rng.random() < 0.3:
            raw = raw[:rng.randrange(len(raw))]
        else:
            for _ in range(rng.randrange(1, 8)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
        module.customs[k] = CustomSection(module.customs[k].name, bytes(raw), module.customs[k].after)
        try:
            smap = SourceMap(module, read_dwarf(module))
            for fid in ModuleSites(module).defined:
                smap.locations(fid)
                smap.statement_starts(fid)
            smap.code_lines()
            outcomes.add("read")
        except DecodeError as err:
            assert "unreadable DWARF" in str(err) and "custom .debug_" in str(err)
            outcomes.add("error")
    assert outcomes == {"read", "error"}


def test_cli_refuses_damaged_dwarf_with_a_located_message(tmp_path) -> None:
    data = bytearray((DWARF_DIR / "lines.wasm").read_bytes())
    at = data.find(b"\x0b.debug_line") + 12          # the section's name, then its first bytes
    data[at + 4:at + 40] = b"\xff" * 36               # the unit's header after its length
    app = tmp_path / "damaged.wasm"
    app.write_bytes(bytes(data))
    done = subprocess.run([sys.executable, "-m", "compiler.cli", "run", "--coverage", str(tmp_path / "c.info"),
                           "-a", str(app)], capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert done.returncode == 1 and "unreadable DWARF" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "c.info").exists()


@pytest.mark.parametrize("name", ["opt", "multi"])
def test_units_and_subprograms_agree_with_llvm_dwarfdump(modules, name: str) -> None:
    """The reader's compilation directories (unit order) and subprogram ranges (DWARF 5 and 4; a
    high_pc given as a length resolved) equal llvm-dwarfdump --debug-info's, discarded code aside."""
    text = subprocess.run(["llvm-dwarfdump", "--debug-info", str(_wasm(name))], capture_output=True, text=True,
                          check=True).stdout
    comp_dirs = re.findall(r'DW_AT_comp_dir\s+\("([^"]*)"\)', text)
    subprograms = set()
    for block in text.split("DW_TAG_subprogram")[1:]:
        block = block.split("\n\n")[0]
        low = re.search(r"DW_AT_low_pc\s+\((0x[0-9a-f]+)\)", block)
        high = re.search(r"DW_AT_high_pc\s+\((0x[0-9a-f]+)\)", block)
        fname = re.search(r'DW_AT_name\s+\("([^"]*)"\)', block) or \
            re.search(r'DW_AT_(?:abstract_origin|specification)\s+\(0x[0-9a-f]+ "([^"]*)"\)', block)
        if low and high and fname:                      # "(dead code)" has no hex low_pc
            subprograms.add((fname[1], int(low[1], 16), int(high[1], 16)))
    info = read_dwarf(modules[name])
    assert list(info.comp_dirs) == comp_dirs
    bodies = code_bodies(modules[name])
    ours = {(s.name, s.low, s.high) for s in info.subprograms if any(a <= s.low < b for a, b in bodies)}
    assert ours == subprograms and len(ours) > 10
    assert all(s.file and s.line for s in info.subprograms if s.name == "__wasm_call_dtors")   # via its origin


def test_the_wei_target_refuses_source_level() -> None:
    """An engine monitor is compiled without the application: no line table to fold src_* or place
    wasm:source:line with, so both are refused (with the rule's and the variable's location)."""
    script = 'wasm:source:line:before { report var n: u32; n++; }\nwasm:opcode:call:before / src_line == 3 / { }\n'
    program = check_script(parse_script(script, "t.mm"), script, "t.mm", {}, wei=True)
    with pytest.raises(UnsupportedError) as err:
        check_supported(program)
    text = str(err.value)
    assert "the `wasm:source` package is not supported by the wei target" in text
    assert "`src_line` is not supported by the wei target" in text and "t.mm:2:" in text
