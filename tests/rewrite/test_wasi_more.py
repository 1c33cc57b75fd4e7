"""More of the ``wasi:p1`` provider (ANALYSIS.md §4, docs/WASI.md) on tests/corpus/wasi/more.c: the result
variables of functions files.c does not call (``argc``, ``environ_buf_size``, ``resolution``, ``time``,
``nevents``, ``bufused``, ``nread``/``nwritten`` of the positioned calls), and ``fd_path`` with a preopen
named ``.``, ``./`` and ``..`` in a path, ``fd_renumber`` onto an open descriptor and a closed number
reused.  The program records each call it makes (``call NAME key=value ...``); probes print the same
line from the provider's variables (``wasi NAME ...``); both lists must be equal.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler import api
from compiler.lang.diagnostics import ScriptError
from compiler.runner import RunOptions

MORE = Path(__file__).parents[1] / "corpus" / "wasi" / "more.wasm"

_END = 'errno=%d fd_path=%s\\n", '


def _probe(function: str, fields: str, values: str, fd: str = "fd", fd_path: str = "fd_path") -> str:
    """A probe printing ``function``'s line in the program's format (``fd`` and ``fd_path`` given as
    expressions for the functions without a descriptor, which the program records as 0 / <stdin>)."""
    return (f'wasi:p1:{function}:after {{ printf("wasi {function} fd=%d {fields} {_END}'
            f'{fd}, {values}{", " if values else ""}errno, {fd_path}); }}')


NO_FD = {"fd": "0", "fd_path": '"<stdin>"'}
DECODE = "\n".join([
    _probe("fd_prestat_dir_name", "path=%s", "path"),
    _probe("args_sizes_get", "argc=%d argv_buf_size=%d", "argc, argv_buf_size", **NO_FD),
    _probe("environ_sizes_get", "environc=%d environ_buf_size=%d", "environc, environ_buf_size", **NO_FD),
    _probe("clock_res_get", "id=%d resolution=%u", "id, resolution", **NO_FD),
    _probe("clock_time_get", "id=%d precision=%u time=%u", "id, precision, time", **NO_FD),
    _probe("random_get", "buf_len=%d", "buf_len", **NO_FD),
    _probe("poll_oneoff", "nsubscriptions=%d nevents=%d", "nsubscriptions, nevents", **NO_FD),
    _probe("path_create_directory", "path=%s", "path"),
    _probe("path_open", "path=%s opened_fd=%d", "path, opened_fd"),
    _probe("fd_pwrite", "iovs_len=%d bytes=%d offset=%d nwritten=%d", "iovs_len, bytes, offset, nwritten"),
    _probe("fd_pread", "iovs_len=%d bytes=%d offset=%d nread=%d", "iovs_len, bytes, offset, nread"),
    _probe("fd_readdir", "buf_len=%d cookie=%d bufused=%d", "buf_len, cookie, bufused"),
    _probe("path_symlink", "old_path=%s new_path=%s", "old_path, new_path"),
    _probe("path_readlink", "path=%s buf_len=%d bufused=%d", "path, buf_len, bufused"),
    _probe("fd_renumber", "to=%d", "to"),
    _probe("fd_write", "iovs_len=%d bytes=%d nwritten=%d", "iovs_len, bytes, nwritten"),
    _probe("fd_close", "-", ""),
])


@pytest.fixture(scope="module")
def decoded(tmp_path_factory) -> tuple[int, str]:
    sandbox = tmp_path_factory.mktemp("dot")
    result = api.instrument(MORE, DECODE)
    out: list[bytes] = []
    run = api.run(result, RunOptions(dirs=((str(sandbox), "."),), argv=("more.wasm", "x", "yy"), env=(("A", "1"), ("BB", "22")),
                                     stdout=out.append, stderr=out.append))
    return run.status, b"".join(out).decode()


def test_every_result_variable_matches_what_the_program_got(decoded) -> None:
    status, stdout = decoded
    assert status == 0
    lines = stdout.splitlines()
    program = [line[5:] for line in lines if line.startswith("call ")]
    probes = [line[5:] for line in lines if line.startswith("wasi ")]
    # args_get and path_filestat_get record what no variable holds (argv[0], the size read from the struct)
    program = [line for line in program if not line.startswith(("args_get", "path_filestat_get"))]
    assert len(program) == 22 and probes[:len(program)] == program
    assert "argc=3 argv_buf_size=15" in program[1] and "environc=2 environ_buf_size=10" in program[2]
    assert any(" bufused=8 " in line for line in program if line.startswith("path_readlink"))


def test_fd_path_through_a_dot_preopen_renumber_onto_an_open_fd_and_a_reused_number(decoded) -> None:
    program = [line[5:] for line in decoded[1].splitlines() if line.startswith("call ")]
    assert "fd_pread fd=4 iovs_len=2 bytes=105 offset=4 nread=4 errno=0 fd_path=././sub/../data.txt" in program
    assert "fd_renumber fd=4 to=5 errno=0 fd_path=././sub/../data.txt" in program
    assert "fd_write fd=4 iovs_len=1 bytes=6 nwritten=0 errno=8 fd_path=" in program
    assert "fd_write fd=4 iovs_len=1 bytes=6 nwritten=6 errno=0 fd_path=./sub/inner.txt" in program
    assert program[-2:] == ["fd_close fd=5 - errno=0 fd_path=././sub/../data.txt", "fd_close fd=5 - errno=8 fd_path="]


def test_fd_path_read_only_where_no_site_still_tracks_without_an_internal_error(tmp_path) -> None:
    """A script whose only ``fd_path`` probe has no site in the module still gets the tracking probes on
    fd_close, fd_renumber, ...: they need the runtime's table (it used to be left out: "the layout has no
    function whamm_fd_path_close")."""
    result = api.instrument(MORE, 'wasi:p1:sock_shutdown:after { printf("%s\\n", fd_path); }')
    out: list[bytes] = []
    run = api.run(result, RunOptions(dirs=((str(tmp_path), "."),), stdout=out.append))
    assert run.status == 0 and "fd_close fd=5 - errno=8 fd_path=" in b"".join(out).decode()


def test_an_unknown_variable_in_a_wasi_probe_gets_a_readable_hint() -> None:
    """The 77 ERRNO_* constants stand as one entry in the list of the names in scope, and the four whose
    name ends in N (ERRNO_AGAIN, ERRNO_ISCONN, …) are names like the others, not index families."""
    with pytest.raises(ScriptError) as info:
        api.check('wasi:p1:*:after { printf("%d\\n", nwritten); }')
    text = str(info.value)
    assert "ERRNO_SUCCESS … ERRNO_NOTCAPABLE (77 errno constants)" in text and "ERRNO_ACCES" not in text, text
    with pytest.raises(ScriptError) as info:
        api.check("wasi:p1:fd_read:after / errno == ERRNO_AGIAN / { }")
    assert "did you mean `ERRNO_AGAIN`?" in str(info.value)
