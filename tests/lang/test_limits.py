"""Size limits of scripts, through the real ``whamm`` command: deep nesting, long identifiers, many-star
rules.  Each limit is either handled or refused with a located diagnostic and exit 1; never a hang, a
RecursionError (exit 3) or an invalid module.

The nesting limit (:data:`compiler.lang.parser.MAX_NESTING`) is tested *exactly at* the limit through
every stage (checker, folder, rewriting code generation and run, the wei monitor and its emulator, the
printer) and *just above* it for the diagnostic.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
import wasmtime

from compiler.lang import ast
from compiler.lang.parser import MAX_IDENTIFIER, MAX_NESTING, parse_script
from compiler.lang.printer import to_source

WHAMM = Path(sys.executable).with_name("whamm")

# `_start` calls $f once with argument 3 from function 1.
APP = '(module (func $f (param i32)) (func (export "_start") i32.const 3 call $f))'


def whamm(*argv: object, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WHAMM), *map(str, argv)], capture_output=True, text=True, timeout=timeout)


def _depth(script: ast.Script) -> int:
    """The deepest nesting of any item, counted as the parser counts it (one level per AST node)."""
    deepest, stack = 0, [(item, 1) for item in script.items]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.children(node))
    return deepest


# Each construct: global name and type, a probe whose deepest path grows with n, the expected value.
Probe = Callable[[int], str]
CONSTRUCTS: dict[str, tuple[str, Probe, Callable[[int], str]]] = {
    "nested_if": ("u32", lambda n: "wasm:opcode:call:before {\n" + "if (nested_if == 0) {\n" * n
                  + "nested_if++;\n" + "}\n" * n + "}\n", lambda n: "1"),
    "plus_chain": ("u32", lambda n: "wasm:opcode:call:before { plus_chain = plus_chain" + " + 1" * n + "; }\n",
                   lambda n: str(n)),
    "static_plus": ("u32", lambda n: "wasm:opcode:call:before { static_plus = " + " + ".join(["1"] * n)
                    + "; }\n", lambda n: str(n)),
    "ternary": ("u32", lambda n: "wasm:opcode:call:before { ternary = " + "".join(
        f"(ternary == {k + 1}) ? {k} : (" for k in range(n)) + "7" + ")" * n + "; }\n", lambda n: "7"),
    "negations": ("bool", lambda n: "wasm:opcode:call:before { negations = " + "!" * n + "negations; }\n",
                  lambda n: "true" if n % 2 else "false"),
    "casts": ("u32", lambda n: "wasm:opcode:call:before { casts = (casts + 5)" + " as u32" * n + "; }\n",
              lambda n: "5"),
    "tuple_fields": ("i32", lambda n: "wasm:opcode:call:before { tuple_fields = " + "(0, " * n + "9" + ").1" * n
                     + "; }\n", lambda n: "9"),
    "static_and": ("u32", lambda n: "wasm:opcode:call:before / " + " && ".join(["fid == 1"] * n)
                   + " / { static_and++; }\n", lambda n: "1"),
    "dynamic_and": ("u32", lambda n: "wasm:opcode:call(arg0: i32):before / " + " && ".join(["arg0 == 3"] * n)
                    + " / { dynamic_and++; }\n", lambda n: "1"),
    "fn_chain": ("u32", lambda n: "fn chain(a: u32) -> u32 { return a" + " + a" * n + "; }\n"
                 "wasm:opcode:call:before { fn_chain = chain(2); }\n", lambda n: str(2 * (n + 1))),
}


def _script(name: str, n: int) -> str:
    type_, probe, _ = CONSTRUCTS[name]
    body = probe(n)
    fns = body[:body.index("wasm:")]
    return f"{fns}report var {name}: {type_};\n{body[len(fns):]}"


def _n_at(name: str, depth: int) -> int:
    """The n that nests ``name`` exactly ``depth`` levels (depth is linear in n)."""
    d1, d2 = (_depth(parse_script(_script(name, n))) for n in (10, 11))
    n, rest = divmod(depth - d1, d2 - d1)
    assert rest == 0, f"{name}: depth {depth} is not reachable (steps of {d2 - d1})"
    return 10 + n


def _at_limit_script() -> tuple[str, dict[str, str]]:
    """One script holding every construct nested exactly MAX_NESTING deep, and the report it gives."""
    sizes = {name: _n_at(name, MAX_NESTING) for name in CONSTRUCTS}
    for name, n in sizes.items():
        assert _depth(parse_script(_script(name, n))) == MAX_NESTING
    return _combined(sizes), {name: CONSTRUCTS[name][2](n) for name, n in sizes.items()}


def _report(stdout: str) -> dict[str, str]:
    """name → value of the report's global rows (tuples print as ``(a; b)``, so ``, `` splits columns)."""
    rows = [line.split(", ") for line in stdout.splitlines() if "global_id" in line]
    return {row[2]: row[-1] for row in rows}


@pytest.fixture(scope="module")
def at_limit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("limits")
    text, expected = _at_limit_script()
    (tmp / "deep.mm").write_text(text)
    (tmp / "app.wasm").write_bytes(wasmtime.wat2wasm(APP))
    return tmp / "deep.mm", tmp / "app.wasm", expected


def test_nesting_exactly_at_the_limit_runs_through_the_rewriter(at_limit) -> None:
    script, app, expected = at_limit
    proc = whamm("run", "-s", script, "-a", app)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert _report(proc.stdout) == expected


def test_nesting_exactly_at_the_limit_runs_through_the_wei_target(at_limit, tmp_path: Path) -> None:
    script, app, expected = at_limit
    monitor = tmp_path / "monitor.wasm"
    built = whamm("instr", "--wei", "-s", script, "-o", monitor)
    assert (built.returncode, built.stderr) == (0, "")
    proc = whamm("run", "--wei-monitor", monitor, "-a", app)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert _report(proc.stdout) == expected


def test_nesting_exactly_at_the_limit_prints_and_reparses(at_limit) -> None:
    script, _, _ = at_limit
    tree = parse_script(script.read_text())
    assert ast.strip_spans(parse_script(to_source(tree))) == ast.strip_spans(tree)


def _combined(sizes: dict[str, int]) -> str:
    """One script with every construct of ``sizes`` nested n deep (functions first, then globals, probes)."""
    texts = [_script(name, n) for name, n in sizes.items()]
    return "".join([t[:t.index("report var")] for t in texts] + [t[t.index("report var"):] for t in texts])


def _too_deep_errors(sizes: dict[str, int], tmp_path: Path) -> list[str]:
    """``whamm check`` on the combined script: exit 1, one located error per construct; their locations."""
    (tmp_path / "deep.mm").write_text(_combined(sizes))
    proc = whamm("check", "-s", tmp_path / "deep.mm")
    assert proc.returncode == 1, proc.stderr[-2000:]
    lines = proc.stderr.splitlines()
    firsts = [k for k, line in enumerate(lines) if line.startswith("error: ")]
    assert [lines[k] for k in firsts] == [f"error: nesting too deep: more than {MAX_NESTING} levels"] * len(
        sizes) + [f"error: aborting due to {len(sizes)} previous errors"]
    return [lines[k + 1].split("deep.mm:")[1] for k in firsts[:-1]]


def test_nesting_one_above_the_limit_is_a_located_error(tmp_path: Path) -> None:
    locations = _too_deep_errors({name: _n_at(name, MAX_NESTING) + 1 for name in CONSTRUCTS}, tmp_path)
    assert len(set(locations)) == len(CONSTRUCTS)


def test_far_deeper_nesting_is_the_same_error_not_a_recursion_error(tmp_path: Path) -> None:
    """The fuzzed inputs: 3000 nested ifs, a 5000-term `+` chain, 2000 `?:`, 5000 `!`, 3000 casts, 3000 `&&`."""
    _too_deep_errors({"nested_if": 3000, "plus_chain": 5000, "ternary": 2000, "negations": 5000,
                      "casts": 3000, "dynamic_and": 3000}, tmp_path)


def test_twelve_stars_in_a_rule_check_quickly(tmp_path: Path) -> None:
    """Glob matching was exponential in the number of stars (12 stars: over 30 s)."""
    (tmp_path / "stars.mm").write_text("report var n: u32;\nwasm:opcode:" + "*" * 12 + "x:before { n++; }\n")
    proc = whamm("check", "-s", tmp_path / "stars.mm", timeout=20)
    assert (proc.returncode, proc.stderr) == (0, "")


@pytest.mark.parametrize("statement, error", [
    ("f = 1e39;", "float literal out of range for f32 (its magnitude exceeds the largest f32)"),
    ("f = 1.0 + -3.5e38;", "float literal out of range for f32 (its magnitude exceeds the largest f32)"),
    ("f = 3.4028235e38; f = -inf; f = 1e-99; d = 1e39; d = 1.7976931348623157e308;", None),
    ("d = 1e309;", "float literal out of range (its magnitude exceeds the largest f64)"),
    ("d = 1e9999999;", "float literal out of range (its magnitude exceeds the largest f64)"),  # was a hang
    ("d = " + "9" * 5000 + ".5;", "float literal out of range (its magnitude exceeds the largest f64)"),
    ("d = 1e-9999999; d = 0." + "0" * 5000 + "1e5000;", None),
    ("i = " + "9" * 5000 + ";", "integer literal out of range (-2^63 to 2^64-1)"),  # was exit 3
    ("i = 18446744073709551615; i = -9223372036854775808; i = 0x" + "0" * 40 + "FF;", None),
    ("i = 18_446_744_073_709_551_616;", "integer literal out of range (-2^63 to 2^64-1)"),
])
def test_out_of_range_literals_are_located_errors(statement: str, error: str | None, tmp_path: Path) -> None:
    """An f32 context has no rule turning `1e39` into `inf` (LANGUAGE.md §6.3), so it is an error at the
    literal like a literal beyond every f64; integers wrap to their context only within −2⁶³ … 2⁶⁴−1."""
    (tmp_path / "lit.mm").write_text("report var f: f32;\nreport var d: f64;\nreport var i: u8;\n"
                                     f"wasm:opcode:call:before {{ {statement} }}\n")
    proc = whamm("check", "-s", tmp_path / "lit.mm")
    if error is None:
        assert (proc.returncode, proc.stderr) == (0, "")
    else:
        assert proc.returncode == 1 and proc.stderr.startswith(f"error: {error}\n --> "), proc.stderr
        caret_line = proc.stderr.splitlines()[4]
        column = int(proc.stderr.splitlines()[1].rsplit(":", 1)[1])
        assert caret_line.index("^") == caret_line.index("|") + column + 1


def test_identifiers_exactly_at_the_length_limit_run_on_both_targets(tmp_path: Path) -> None:
    """A 100,000-character global made an invalid module: its getter export ``get_<name>`` (and
    ``whamm:global:<name>.<k>`` for tuples) passed the engines' 100,000-byte name limit."""
    g, t, f, local = ("g" * MAX_IDENTIFIER, "t" * MAX_IDENTIFIER, "f" * MAX_IDENTIFIER, "v" * MAX_IDENTIFIER)
    (tmp_path / "long.mm").write_text(
        f"report var {g}: u32;\nreport var {t}: (u32, str);\nfn {f}(x: u32) -> u32 {{ return x + 1; }}\n"
        f"wasm:opcode:call:before {{ var {local}: u32 = {f}({g}); {g} = {local}; {t} = ({local}, \"s\"); }}\n")
    (tmp_path / "app.wasm").write_bytes(wasmtime.wat2wasm(APP))
    proc = whamm("run", "-s", tmp_path / "long.mm", "-a", tmp_path / "app.wasm")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert _report(proc.stdout) == {g: "1", t: "(1; s)"}
    built = whamm("instr", "--wei", "-s", tmp_path / "long.mm", "-o", tmp_path / "mon.wasm")
    assert (built.returncode, built.stderr) == (0, "")
    proc = whamm("run", "--wei-monitor", tmp_path / "mon.wasm", "-a", tmp_path / "app.wasm")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert _report(proc.stdout) == {g: "1", t: "(1; s)"}


@pytest.mark.parametrize("length", [MAX_IDENTIFIER + 1, 100_000])
def test_longer_identifiers_are_a_located_error(length: int, tmp_path: Path) -> None:
    (tmp_path / "long.mm").write_text(f"report var {'g' * length}: u32;\nwasm:opcode:call:before {{ }}\n")
    proc = whamm("check", "-s", tmp_path / "long.mm")
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[:2] == [
        f"error: identifier too long: {length} characters (at most {MAX_IDENTIFIER})", f" --> {tmp_path / 'long.mm'}:1:12"]
