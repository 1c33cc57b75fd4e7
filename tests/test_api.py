"""The compiler API: loading and validating applications (with locations), scripts, libraries, options,
the output → input function map, and instrumenting + running through the same door as the CLI."""
from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from compiler import api
from compiler.errors import WhammError
from compiler.lang.diagnostics import ScriptError
from compiler.lang.libraries import LibraryError, LibSpecError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEMO = EXAMPLES / "demo" / "app.wasm"


# ---------------------------------------------------------------------------------------- load_app

def test_binary_app_from_a_path(tmp_path):
    app = api.load_app(DEMO)
    assert app.name == str(DEMO) and app.wasm == DEMO.read_bytes()
    assert app.module.names.functions[2] == "calc"


def test_wat_app_is_assembled(tmp_path):
    path = tmp_path / "app.wat"
    path.write_text(DEMO.with_suffix(".wat").read_text())
    app = api.load_app(path)
    assert app.wasm == DEMO.read_bytes() and app.name == str(path)


def test_bytes_are_named_app_wasm_unless_named():
    data = wasmtime.wat2wasm("(module)")
    assert api.load_app(data).name == "app.wasm"
    assert api.load_app(data, "mine.wasm").name == "mine.wasm"


def _error(app, name=None) -> str:
    with pytest.raises(api.InputError) as info:
        api.load_app(app, name)
    return str(info.value)


def test_wat_syntax_error_points_at_line_and_column(tmp_path):
    path = tmp_path / "bad.wat"
    path.write_text("(module\n  (func (result i32)\n    (i32.ad (i32.const 1))))\n")
    assert _error(path) == (f"invalid Wasm module {path}: unknown operator or unexpected token\n"
                            f" --> {path}:3:6\n"
                            "  |\n"
                            "3 |     (i32.ad (i32.const 1))))\n"
                            "  |      ^")


def test_malformed_binary_names_section_and_offset():
    assert _error(b"\0asm\1\0\0\0\x01\x05", "app.wasm") == (
        "invalid Wasm module app.wasm: section size 5 exceeds the 0 bytes left\n"
        " --> app.wasm: type section, byte offset 0x9")


def test_invalid_function_names_code_section_function_and_offset():
    data = wasmtime.wat2wasm('(module (import "m" "f" (func)) (func) (func (result i32) (i64.const 1)))')
    assert _error(data, "app.wasm") == ("invalid Wasm module app.wasm: type mismatch: expected i32, found i64\n"
                                        " --> app.wasm: code section, function 2, byte offset 0x2a")


def test_text_that_is_not_wat_is_rejected_with_a_location(tmp_path):
    path = tmp_path / "notes.wasm"
    path.write_text("hello world\n")
    assert _error(path) == (f"invalid Wasm module {path}: not a WebAssembly module or WAT text (a module starts "
                            f"with \\0asm, WAT text with `(`; this starts with `hello world`)\n --> {path}:1:1")


def test_wat_after_comments_is_still_assembled_and_its_errors_are_the_assembler_s(tmp_path):
    path = tmp_path / "m.wat"
    path.write_text(";; a module\n(; block ;) (module (func $f))\n")
    assert api.load_app(path).module.names.functions == {0: "f"}
    path.write_text("  (modul)\n")
    assert "unknown operator or unexpected token" in _error(path) or "expected" in _error(path)


def test_bytes_that_are_neither_binary_nor_text():
    assert _error(b"\xff\xfe\0\x01", "x.wasm") == (
        "invalid Wasm module x.wasm: not a WebAssembly module or WAT text (no \\0asm magic number, and not "
        "UTF-8 text)\n"
        " --> x.wasm: header section, byte offset 0x0")


def test_missing_app():
    assert _error("no/such/app.wasm") == "cannot read application 'no/such/app.wasm': No such file or directory"


# ------------------------------------------------------------------------------ scripts and libraries

def test_read_script(tmp_path):
    (tmp_path / "a.mm").write_text("wasm:begin { }\n")
    assert api.read_script(tmp_path / "a.mm") == "wasm:begin { }\n"
    with pytest.raises(api.InputError, match=r"^cannot read script '.*nope\.mm': No such file or directory$"):
        api.read_script(tmp_path / "nope.mm")
    (tmp_path / "b.mm").write_bytes(b"\xff\xff")
    with pytest.raises(api.InputError, match="not valid UTF-8"):
        api.read_script(tmp_path / "b.mm")


def test_libraries_from_specs_keep_order_bytes_and_import_module():
    cache = EXAMPLES / "cache" / "cache.wasm"
    libs = api.load_libraries([f"cache(whamm:cache)={cache}", f"whamm_core={cache}"])
    assert list(libs.signatures) == ["cache"]
    assert libs.signatures["cache"].function("check_access") is not None
    (linked,) = libs.linked
    assert (linked.name, linked.import_module, linked.wasm) == ("cache", "whamm:cache", cache.read_bytes())
    assert libs.warnings == ("--user-libs entry for whamm_core ignored (it is built in)",)


def test_library_errors(tmp_path):
    with pytest.raises(LibSpecError, match="invalid --user-libs entry 'cache'"):
        api.load_libraries(["cache"])
    with pytest.raises(LibraryError, match=r"^invalid library cache \(nope\.wasm\): No such file or directory$"):
        api.load_libraries(["cache=nope.wasm"])
    (tmp_path / "bad.wasm").write_bytes(b"\0asm\1\0\0\0\x0a")
    with pytest.raises(LibraryError, match=r"^invalid library bad \("):
        api.load_libraries([f"bad={tmp_path / 'bad.wasm'}"])


def test_check_uses_library_signatures():
    libs = api.load_libraries([f"cache={EXAMPLES / 'cache' / 'cache.wasm'}"])
    program = api.check((EXAMPLES / "cache" / "cache.mm").read_text(), "cache.mm", libs)
    assert program.uses == ["cache"]
    with pytest.raises(ScriptError, match="library cache is used by the script but was not provided"):
        api.check((EXAMPLES / "cache" / "cache.mm").read_text(), "cache.mm")


def test_no_bundle_needs_no_body_and_no_pred():
    with pytest.raises(api.OptionsError, match="--no-bundle requires --no-body and --no-pred"):
        api.Options(no_bundle=True, no_body=True)
    assert api.Options(no_body=True, no_pred=True, no_bundle=True).no_bundle


def test_errors_are_whamm_errors():
    assert issubclass(api.InputError, WhammError) and issubclass(api.OptionsError, WhammError)


# ------------------------------------------------------------------------------- instrument and run

CALLS = (EXAMPLES / "calls" / "calls.mm").read_text()
REPORT_HEADER = (b"================================= REPORT CSV FLUSH ====================================\n"
                 b"id, id_type, name, whamm_type, wasm_type, script_id, fname, fid, pc, probe_id, value(s)\n")
DEMO_OUTPUT = (b"==== CALC ====\ncalc(9, 0) -> 9\ncalc(3, 2) -> 6\ncalc(4, 4) -> 14\n"
               b"==== COLLATZ ====\ncollatz(6) -> 8 steps\ncollatz(27) -> 111 steps\n")


def test_instrument_returns_validated_bytes_layout_and_timings():
    result = api.instrument(DEMO, CALLS, script_name="calls.mm")
    from compiler.wasm import validate
    validate(result.wasm)
    assert result.app.name == str(DEMO) and result.program.filename == "calls.mm"
    assert [name for name in ("read", "parse", "check", "match", "emit", "encode", "validate")
            if name not in result.timings] == []
    assert all(seconds >= 0 for seconds in result.timings.values())
    assert result.layout is result.emitted.layout
    assert result.render_warnings() == ""


def test_run_prints_app_output_then_the_report(tmp_path):
    out = tmp_path / "out"
    result = api.run(api.instrument(DEMO, CALLS), api.RunOptions(stdout=str(out)))
    assert result.status == 0
    text = out.read_bytes()
    assert text.startswith(DEMO_OUTPUT + b"\n" + REPORT_HEADER)
    assert text.endswith(b", global_id, count, u32, i32, script0, , , , , 3\n")


def test_script_and_emitter_warnings_are_rendered_with_the_source():
    result = api.instrument(DEMO, "wasm:opcode:call:before { }\n", script_name="w.mm")
    text = result.render_warnings()
    assert text.startswith("warning: probe has an empty body\n --> w.mm:1:1")


def test_library_warnings_come_first():
    libs = api.load_libraries([f"whamm_core={EXAMPLES / 'cache' / 'cache.wasm'}"])
    result = api.instrument(DEMO, CALLS, libs=libs)
    assert result.render_warnings() == "warning: --user-libs entry for whamm_core ignored (it is built in)"


TRAPPING = """(module
  (func $boom (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $main (export "_start") (drop (call $boom (i32.const 0)))))"""


def test_trap_backtrace_uses_input_function_indices():
    """The report adds an fd_write import, which shifts every defined function in the output."""
    result = api.instrument(wasmtime.wat2wasm(TRAPPING), "report var n: u32;\nwasm:opcode:call:before { n++; }\n")
    outcome = api.run(result)
    assert outcome.status == 134
    assert outcome.error_text == ("error: wasm trap: integer divide by zero\n"
                                  "  at boom (function 0)\n  at main (function 1)")


def test_added_functions_are_named_whamm():
    result = api.instrument(wasmtime.wat2wasm(TRAPPING), "report var n: u32;\nwasm:opcode:call:before { n++; }\n")
    added = [result.functions.frame(i) for i in result.emitted.added_functions]
    assert added and all(f.fid is None and f.name.startswith("whamm:") for f in added)


def test_prepare_run_names_argv0_after_the_app_and_links_libraries(tmp_path):
    cache_dir = EXAMPLES / "cache"
    script = ("use cache;\nreport var hits: u32;\n"
              "wasm:opcode:i32.load:before { hits = hits + cache.check_access(effective_addr as i32, 4) as u32; }\n")
    result = api.instrument(cache_dir / "matrix.wasm", script, libs=[f"cache={cache_dir / 'cache.wasm'}"])
    execution = api.prepare_run(result, api.RunOptions(stdout=str(tmp_path / "out")))
    assert execution.options.argv == ("matrix.wasm",)
    assert [lib.name for lib, _ in execution.libraries] == ["cache"]
    outcome = execution.run()
    assert outcome.status == 0
    assert (tmp_path / "out").read_text().startswith("row-major sum 8386560\ncolumn-major sum 8386560\n")


def test_static_library_calls_fold_per_site_and_are_not_imported(tmp_path):
    lib = tmp_path / "pick.wasm"
    lib.write_bytes(wasmtime.wat2wasm(
        '(module (func (export "wanted") (param i32 i32) (result i32) (i32.eq (local.get 0) (i32.const 2))))'))
    script = ("use pick;\nreport var hits: u32;\n"
              "wasm:opcode:call:before / @static pick.wanted(fid as i32, pc as i32) == 1 / { hits++; }\n")
    result = api.instrument(DEMO, script, libs=[f"pick={lib}"])
    from compiler.wasm import read_module
    assert {imp.module for imp in read_module(result.wasm).imports} == {"wasi_snapshot_preview1"}
    out = tmp_path / "out"
    assert api.run(result, api.RunOptions(stdout=str(out))).status == 0
    assert out.read_text().endswith(", hits, u32, i32, script0, , , , , 6\n")  # calls made inside calc
