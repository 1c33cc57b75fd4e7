"""The ``wasi:p1`` provider (ANALYSIS.md §4, docs/WASI.md) on tests/corpus/wasi/files.c, run with a fresh
temporary directory preopened as ``/sandbox``.

The program records every WASI call it makes as ``call NAME key=value ...`` (values it passed and got back,
errno names from api.h's constants, ``fd_path`` from its own table of what each descriptor is) and prints
the lines at its end: the oracle.  Probes print the same line from the provider's variables as
``wasi NAME ...``; both lists must be equal.  Counts of a ``wasi:p1:*:after`` glob are compared with an
independent count by ``wasm:opcode:call`` on the WASI imports.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from compiler import api
from compiler.events.info import render_info, render_list
from compiler.lang.diagnostics import ScriptError
from compiler.runner import RunOptions
from compiler.sites.matching import SiteError, match

FILES = Path(__file__).parents[1] / "corpus" / "wasi" / "files.wasm"

_TAIL = 'errno=%d errno_name=%s fd_path=%s\\n", '
_COMMON = "errno, errno_name, fd_path"

#: One probe per function the program traces, printing the program's own line format.
DECODE = "\n".join([
    f'wasi:p1:fd_prestat_dir_name:after {{ printf("wasi fd_prestat_dir_name fd=%d path=%s {_TAIL}'
    f'fd, path, {_COMMON}); }}',
    f'wasi:p1:path_open:after {{ printf("wasi path_open fd=%d path=%s oflags=%d opened_fd=%d {_TAIL}'
    f'fd, path, oflags, opened_fd, {_COMMON}); }}',
    f'wasi:p1:fd_write:after {{ printf("wasi fd_write fd=%d iovs_len=%d bytes=%d nwritten=%d {_TAIL}'
    f'fd, iovs_len, bytes, nwritten, {_COMMON}); }}',
    f'wasi:p1:fd_seek:after {{ printf("wasi fd_seek fd=%d offset=%d whence=%d newoffset=%d {_TAIL}'
    f'fd, offset, whence, newoffset, {_COMMON}); }}',
    f'wasi:p1:fd_read:after {{ printf("wasi fd_read fd=%d iovs_len=%d bytes=%d nread=%d {_TAIL}'
    f'fd, iovs_len, bytes, nread, {_COMMON}); }}',
    f'wasi:p1:fd_tell:after {{ printf("wasi fd_tell fd=%d offset=%d {_TAIL}fd, offset, {_COMMON}); }}',
    f'wasi:p1:fd_filestat_get:after {{ printf("wasi fd_filestat_get fd=%d buf_ptr=%d {_TAIL}'
    f'fd, buf_ptr, {_COMMON}); }}',
    f'wasi:p1:fd_renumber:after {{ printf("wasi fd_renumber fd=%d to=%d {_TAIL}fd, to, {_COMMON}); }}',
    f'wasi:p1:path_rename:after {{ printf("wasi path_rename fd=%d old_path=%s new_path=%s {_TAIL}'
    f'fd, old_path, new_path, {_COMMON}); }}',
    f'wasi:p1:path_create_directory|path_remove_directory|path_unlink_file:after {{ '
    f'printf("wasi %s fd=%d path=%s {_TAIL}event_name, fd, path, {_COMMON}); }}',
    f'wasi:p1:fd_close:after {{ printf("wasi fd_close fd=%d - {_TAIL}fd, {_COMMON}); }}',
    # before probes see the arguments too (and no result)
    'wasi:p1:path_open:before { printf("before path_open %s %d\\n", path, path_len); }',
])


def _run(script: str, sandbox: Path) -> tuple[int, str, str]:
    """Instrument files.wasm with ``script``, run it with ``sandbox`` as /sandbox: (status, stdout, stderr)."""
    result = api.instrument(FILES, script)
    out: list[bytes] = []
    err: list[bytes] = []
    run = api.run(result, RunOptions(dirs=((str(sandbox), "/sandbox"),), stdout=out.append, stderr=err.append))
    return run.status, b"".join(out).decode(), b"".join(err).decode()


def _lines(text: str, prefix: str) -> list[str]:
    return [line[len(prefix):] for line in text.splitlines() if line.startswith(prefix)]


def _report_map(stdout: str, name: str) -> dict[str, int]:
    """A map row of the CSV report: ``key->value`` pairs (keys without parentheses here)."""
    row = next(line for line in stdout.splitlines() if re.match(rf"\d+, map_id, {name},", line))
    cell = row.rsplit(", ", 1)[1]
    return {k: int(v) for k, v in (pair.split("->") for pair in cell.split(";") if pair)}


@pytest.fixture(scope="module")
def decoded(tmp_path_factory) -> tuple[int, str, str, Path]:
    sandbox = tmp_path_factory.mktemp("sandbox")
    return (*_run(DECODE, sandbox), sandbox)


def test_every_decoded_variable_matches_what_the_program_did(decoded) -> None:
    status, stdout, stderr, sandbox = decoded
    assert status == 0
    program = _lines(stdout, "call ")
    probes = _lines(stdout, "wasi ")
    assert len(program) == 22 and len({line.split()[0] for line in program}) == 13
    assert probes[:len(program)] == program
    # after the program's last call, only wasi-libc's own writes of the trace to stdout
    assert probes[len(program):] and all(p.startswith("fd_write fd=1 ") and p.endswith("fd_path=<stdout>")
                                         for p in probes[len(program):])
    opened = [re.search(r"path=(\S+)", line)[1] for line in program if line.startswith("path_open")]
    assert [line.rsplit(" ", 1) for line in _lines(stdout, "before path_open ")] == \
        [[p, str(len(p))] for p in opened]
    assert "to stderr" in stderr and sorted(p.name for p in sandbox.iterdir()) == \
        ["notes.txt", "other.txt", "renamed.txt", "secret.txt"]


def test_fd_path_follows_preopens_opens_renumber_and_close(decoded) -> None:
    program = _lines(decoded[1], "call ")
    assert "fd_prestat_dir_name fd=3 path=/sandbox errno=0 errno_name=success fd_path=" in program
    assert any(line.startswith("fd_renumber fd=5 to=6") and line.endswith("fd_path=/sandbox/log.txt")
               for line in program)
    assert "fd_write fd=6 iovs_len=2 bytes=15 nwritten=11 errno=0 errno_name=success fd_path=/sandbox/log.txt" \
        in program
    assert program[-1] == "fd_close fd=6 - errno=0 errno_name=success fd_path=/sandbox/log.txt"
    assert any(line.startswith("fd_write fd=2 ") and line.endswith("fd_path=<stderr>") for line in program)


def test_deny_policy_prevents_a_files_creation_and_others_still_work(tmp_path) -> None:
    script = """
report var denied: u32;
wasi:p1:path_open:alt / path.starts_with("secret") / { denied++; return ERRNO_ACCES; }
wasi:p1:path_unlink_file:alt { }
"""
    status, stdout, _ = _run(script, tmp_path)
    assert status == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "other.txt", "renamed.txt"]
    program = _lines(stdout, "call ")
    opens = [line for line in program if line.startswith("path_open")]
    assert [re.search(r"errno_name=(\w+)", line)[1] for line in opens] == \
        ["success", "noent", "success", "success", "acces"]
    # an alt body that falls through returns ERRNO_SUCCESS: unlinking the missing file "succeeds"
    assert any(line.startswith("path_unlink_file") and "errno=0 errno_name=success" in line for line in program)
    assert re.search(r"^\d+, global_id, denied, u32, .*, 1$", stdout, re.M)


def test_glob_counts_equal_an_independent_count_of_the_import_calls(tmp_path) -> None:
    script = """
report var by_provider: map<str, u32>;
report var by_opcode: map<str, u32>;
wasi:p1:*:after { by_provider[event_name]++; }
wasm:opcode:call|return_call:after / target_fn_type == "import" && target_imp_module == "wasi_snapshot_preview1" / {
    by_opcode[target_fn_name]++;
}
"""
    status, stdout, _ = _run(script, tmp_path)
    assert status == 0
    provider, independent = _report_map(stdout, "by_provider"), _report_map(stdout, "by_opcode")
    assert provider == independent and len(provider) >= 10
    program = _lines(stdout, "call ")
    for name in ("path_open", "fd_renumber", "fd_close", "fd_read", "path_rename"):
        assert provider[name] == sum(line.split()[0] == name for line in program)


def test_misuse_is_rejected_with_located_diagnostics() -> None:
    cases = [
        ("report var n: u32;\nwasi:p1:nosuch:before { n++; }\n",
         "no match for the event pattern: nosuch", "script.mm:2:9"),
        ('report var n: u32;\nwasi:p1:fd_write:before / path == "x" / { n++; }\n',
         "unknown variable `path`", "script.mm:2:27"),
        ("report var n: u32;\nwasi:p1:fd_write:before { n += nwritten; }\n",
         "nwritten can only be used in after probes", "script.mm:2:32"),
        ("wasi:p1:path_open:alt { return \"no\"; }\n", "expected u16, found str", "script.mm:1:32"),
        ("wasi:p1:proc_exit:alt { return 5; }\n", "proc_exit returns nothing; `return` cannot have a value",
         "script.mm:1:32"),
    ]
    for script, message, where in cases:
        with pytest.raises(ScriptError) as info:
            api.check(script)
        text = str(info.value)
        assert message in text and where in text, text


def test_wasi_unstable_imports_are_sites_and_a_tabled_import_warns() -> None:
    wat = """(module
      (import "wasi_unstable" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_close" (func $c (param i32) (result i32)))
      (import "env" "fd_write" (func $other (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (table 1 funcref)
      (elem (i32.const 0) $w)
      (func (export "_start")
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))
        (drop (call $other (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))
        (drop (call $c (i32.const 9))))
      (func $tail (result i32)
        (return_call $c (i32.const 9))))"""
    script = "report var n: u32;\nwasi:p1:fd_write|fd_close:before { n++; }\n"
    result = api.instrument(wat.encode(), script)
    sites = match(result.app.module, result.program).sites
    # the wasi_unstable fd_write and both fd_close calls (call, return_call); not env.fd_write
    assert [(s.probe.expansion.event, s.fid, s.index) for s in sites] == \
        [("fd_write", 3, 4), ("fd_close", 3, 13), ("fd_close", 4, 1)]
    warnings = [d.message for d in result.diagnostics]
    assert warnings == ["WASI imports placed in a table (fd_write): calls through call_indirect are not wasi:p1 sites"]
    mistyped = wat.replace('(func $c (param i32) (result i32))', '(func $c (param i32))').replace(
        "(drop (call $c (i32.const 9)))", "(call $c (i32.const 9))").replace(
        "(func $tail (result i32)", "(func $tail")
    with pytest.raises(SiteError) as info:
        api.instrument(mistyped.encode(), script)
    assert "import wasi_snapshot_preview1.fd_close has type (i32) -> (), not (i32) -> (i32) as WASI preview 1's " \
           "fd_close" in str(info.value) and "script.mm:2:1" in str(info.value)


def test_info_documents_every_variable_and_lists_the_rules() -> None:
    text = render_info("wasi:p1:path_open:*", vars=True)
    for line in ('event_name: str ==> "path_open"', "fd: u32", "dirflags: u32", "path: str", "path_ptr: u32",
                 "path_len: u32", "oflags: u16", "fs_rights_base: u64", "fs_rights_inheriting: u64",
                 "fdflags: u16", "opened_fd: u32", "opened_fd_ptr: u32", "errno: u16", "errno_name: str",
                 "fd_path: str", "ERRNO_ACCES: u16 ==> 2", "ERRNO_NOTCAPABLE: u16 ==> 76", "fid: u32", "pc: u32"):
        assert f"        {line}\n" in text, line
    rules = render_list("wasi:*").splitlines()
    assert len(rules) == 45 * 3 - 1 and rules[:3] == ["wasi:p1:args_get:before", "wasi:p1:args_get:after",
                                                      "wasi:p1:args_get:alt"]
    assert "wasi:p1:proc_exit:after" not in rules and "wasi:p1:proc_exit:alt" in rules   # it never returns
