"""The ``wasi:p1`` function table (compiler/events/wasi_p1.json) is gen_wasi's output on Debian wasi-libc's
``wasi/api.h``, and what the provider derives from it agrees with api.h read independently here."""
from __future__ import annotations

import re

from compiler.events import gen_wasi, wasi


def test_committed_table_is_the_generators_output() -> None:
    header = gen_wasi.API_H.read_text(encoding="utf-8")
    assert gen_wasi.OUTPUT.read_text(encoding="utf-8") == gen_wasi.render(gen_wasi.generate(header))


def test_every_api_h_function_and_errno_is_in_the_table() -> None:
    header = gen_wasi.API_H.read_text(encoding="utf-8")
    declared = re.findall(r"^(?:__wasi_errno_t|_Noreturn void) __wasi_(\w+)\($", header, re.M)
    assert [f.name for f in wasi.FUNCTIONS] == declared and len(declared) == 45
    errnos = dict((n.lower(), int(v)) for n, v in re.findall(r"__WASI_ERRNO_(\w+) \(UINT16_C\((\d+)\)\)", header))
    assert dict(wasi.ERRNO) == errnos and errnos["notcapable"] == 76 and errnos["acces"] == 2


def test_argument_positions_follow_the_import_signature() -> None:
    # ANALYSIS.md §4: "the path of path_open is arg6" (9 Wasm parameters, top of stack first)
    assert wasi.function("path_open").wasm_params == 9
    assert wasi.wasi_var("path_open", "path").index == 6 and wasi.wasi_var("path_open", "path_ptr").index == 6
    assert wasi.wasi_var("path_open", "path_len").index == 5
    assert wasi.wasi_var("path_open", "fd").index == 8 and wasi.wasi_var("path_open", "opened_fd").index == 0
    assert wasi.wasi_var("fd_write", "bytes").how == "iovec" and wasi.wasi_var("fd_write", "iovs_len").index == 1
    assert wasi.wasi_var("sock_recv", "iovs_ptr").index == 4 and wasi.wasi_var("sock_send", "bytes").index == 3
    assert wasi.wasi_var("fd_seek", "offset").type == "i64" and wasi.wasi_var("fd_tell", "offset").how == "result"
    results = {f.name: [p.name for p in f.params if p.kind in ("result", "struct")] for f in wasi.FUNCTIONS}
    assert results["sock_recv"] == ["ro_datalen", "ro_flags"] and results["fd_filestat_get"] == ["buf"]
    assert wasi.wasi_var("fd_filestat_get", "buf_ptr") is not None and wasi.wasi_var("fd_filestat_get", "buf") is None
    assert wasi.wasi_var("proc_exit", "errno") is None and wasi.wasi_var("sched_yield", "errno").after_only
