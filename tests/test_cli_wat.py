"""``whamm wat`` through the real dispatcher (``compiler.cli.main``): output, function selection and
one-line errors with exit status 1."""
from __future__ import annotations

import wasmtime

from compiler.cli import main
from compiler.wasm import read_module, validate
from tests.corpus.catalog import CORPUS_DIR, program


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["wat", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_prints_a_binary_module_that_reassembles(capsys) -> None:
    path = CORPUS_DIR / "c" / "strings.wasm"
    status, out, err = _run(capsys, str(path))
    assert status == 0 and err == ""
    assert out.startswith("(module") and "(func $__original_main" in out
    wasm = bytes(wasmtime.wat2wasm(out))
    validate(wasm)
    again = read_module(wasm)
    original = read_module(path.read_bytes())
    assert [[(i.op, i.imms) for i in b.instrs] for b in again.code] == \
        [[(i.op, i.imms) for i in b.instrs] for b in original.code]


def test_accepts_wat_and_selects_a_function_by_name_or_index(capsys) -> None:
    path = str(CORPUS_DIR / "wat" / "names.wat")
    status, by_name, _ = _run(capsys, path, "--func", "area")
    assert status == 0
    assert by_name.splitlines() == [
        "(func $area (type $binop) (param $width i32) (param $height i32) (result i32)",
        "  local.get $width", "  local.get $height", "  i32.mul", ")"]
    assert _run(capsys, path, "--func", "0")[1] == by_name
    assert _run(capsys, path, "--func", "$area")[1] == by_name


def test_legacy_exceptions_print_without_validation(capsys) -> None:
    status, out, _ = _run(capsys, str(program("legacy_exceptions").path))
    assert status == 0 and "delegate 0" in out and "rethrow 1" in out


def test_malformed_binary_is_one_error_line(capsys, tmp_path) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes((CORPUS_DIR / "c" / "interp.wasm").read_bytes()[:100])
    status, out, err = _run(capsys, str(bad))
    assert status == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"error: {bad}: malformed module:") and "offset 0x" in err and "section" in err


def test_wat_syntax_error_keeps_line_and_column(capsys, tmp_path) -> None:
    bad = tmp_path / "bad.wat"
    bad.write_text("(module\n  (func (result i32) i32.const))\n")
    status, _, err = _run(capsys, str(bad))
    assert status == 1 and err.count("\n") == 1
    assert err.startswith(f"error: {bad}:2:")


def test_unknown_function_and_missing_file(capsys, tmp_path) -> None:
    path = str(CORPUS_DIR / "wat" / "names.wat")
    status, _, err = _run(capsys, path, "--func", "nope")
    assert status == 1 and err == f"error: {path} has no function named 'nope'\n"
    status, _, err = _run(capsys, path, "--func", "99")
    assert status == 1 and "has no function 99 (it has 2 functions)" in err
    status, _, err = _run(capsys, str(tmp_path / "missing.wasm"))
    assert status == 1 and "cannot read" in err and "No such file" in err


def test_usage_error_without_app(capsys) -> None:
    assert main(["wat"]) == 2
