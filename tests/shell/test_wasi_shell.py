"""The shell with ``wasi:p1`` probes (docs/WASI.md): ``fd_path``'s tracking probes, which the checker adds
and no session probe owns, are matched and run in the shell as in ``whamm run``."""
from __future__ import annotations

import re


def test_fd_path_is_tracked_in_the_shell(shell, REPO, tmp_path) -> None:
    files = REPO / "tests" / "corpus" / "wasi" / "files.wasm"
    done = shell(files, "-c", f"set dir {tmp_path}::/sandbox", "-c",
                 "report var w: map<str, u64>; wasi:p1:fd_write:after / errno == 0 / { w[fd_path] += nwritten as u64; }",
                 "-c", "run")
    assert done.status == 0, done.err
    # the program's own trace: what it wrote through each descriptor, and what that descriptor was
    written: dict[str, int] = {}
    for m in re.finditer(r"^call fd_write fd=[3-9] .* nwritten=(\d+) errno=0 .* fd_path=(\S+)$", done.out, re.M):
        written[m[2]] = written.get(m[2], 0) + int(m[1])
    assert written.keys() == {"/sandbox/notes.txt", "/sandbox/log.txt"}
    for path, n in written.items():
        assert f"  w[{path}] = {n}\n" in done.out
