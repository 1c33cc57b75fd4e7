"""Generate ``wasi_p1.json``, the function table of the ``wasi:p1`` provider (ANALYSIS.md §4), from the WASI
preview 1 definitions that Debian's wasi-libc ships as ``/usr/include/wasm32-wasi/wasi/api.h``.

Why generated: the table (45 functions, their parameters in import order, their types, which pairs are
strings or iovec lists, which pointers receive results) must agree with the interface wasi-libc calls, and
copying it by hand is how an ``arg6`` ends up meaning the wrong thing.  api.h declares each import as the C
function ``__wasi_<name>(...)``; the C signature is turned back into the import's one the way wasi-libc's
own wrappers do it:

* ``const char *X`` is a string the wrapper passes as ``(X_ptr, X_len)`` (kind ``str``);
* ``const __wasi_(c)iovec_t *X, size_t X_len`` is an iovec list passed as ``(X_ptr, X_len)`` (``iovec``);
* ``uint8_t * X, __wasi_size_t X_len`` is a buffer the call fills: raw pointer and length (``buffer``);
  ``fd_prestat_dir_name``'s is the directory's name, which ``after`` probes read as ``path`` (``out_str``);
* ``T *retptrN`` is the N-th result, written through a pointer: api.h calls every one ``retptrN``, so the
  names come from WASI's snapshot-01 documentation (:data:`RESULT_NAMES`); a struct result is
  not decoded (``struct``), a scalar one is (``result``);
* any other pointer is a raw address (``pointer``); every other parameter a scalar (``scalar``).

Run ``python -m compiler.events.gen_wasi`` (or ``make wasi-table``) to rewrite the JSON file;
``tests/events/test_wasi_table.py`` checks the committed file equals this module's output.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

__all__ = ["API_H", "OUTPUT", "RESULT_NAMES", "generate", "render", "main"]

API_H = Path("/usr/include/wasm32-wasi/wasi/api.h")
OUTPUT = Path(__file__).with_name("wasi_p1.json")

#: The result names api.h does not give (it says ``retptr0``, ``retptr1``), per function in result order:
#: WASI snapshot-01's documentation, as ANALYSIS.md §4 lists them.  ``sock_accept``'s result is ``fd``
#: there, which is also the name of its parameter: it is ``accepted_fd`` here (docs/WASI.md).
RESULT_NAMES: dict[str, tuple[str, ...]] = {
    "args_sizes_get": ("argc", "argv_buf_size"),
    "environ_sizes_get": ("environc", "environ_buf_size"),
    "clock_res_get": ("resolution",),
    "clock_time_get": ("time",),
    "fd_fdstat_get": ("stat",),
    "fd_filestat_get": ("buf",),
    "fd_pread": ("nread",),
    "fd_prestat_get": ("buf",),
    "fd_pwrite": ("nwritten",),
    "fd_read": ("nread",),
    "fd_readdir": ("bufused",),
    "fd_seek": ("newoffset",),
    "fd_tell": ("offset",),
    "fd_write": ("nwritten",),
    "path_filestat_get": ("buf",),
    "path_open": ("opened_fd",),
    "path_readlink": ("bufused",),
    "poll_oneoff": ("nevents",),
    "sock_accept": ("accepted_fd",),
    "sock_recv": ("ro_datalen", "ro_flags"),
    "sock_send": ("so_datalen",),
}

#: C types of api.h → (whamm type, Wasm type of the import parameter).  ``__wasi_fd_t`` is ``int`` in C
#: but a handle (u32) in WASI.
_C_TYPES = {
    "uint8_t": "u8", "uint16_t": "u16", "uint32_t": "u32", "uint64_t": "u64", "int64_t": "i64",
    "int": "i32", "__SIZE_TYPE__": "u32", "size_t": "u32",
}

_FUNC_RE = re.compile(r"^(?:__wasi_errno_t|_Noreturn void) __wasi_(\w+)\(\n(.*?)\n\)", re.M | re.S)
_TYPEDEF_RE = re.compile(r"^typedef (\w+) (__wasi_\w+_t);$", re.M)
_ERRNO_RE = re.compile(r"^#define __WASI_ERRNO_(\w+) \(UINT16_C\((\d+)\)\)$", re.M)
_COMMENT_RE = re.compile(r"/\*\*.*?\*/", re.S)
_PARAM_RE = re.compile(r"^(const )?([\w ]+?) ?(\*(?: \*)?)? ?(\w+)$")


def _scalar_type(c_type: str, typedefs: dict[str, str]) -> str:
    if c_type == "__wasi_fd_t":
        return "u32"
    while c_type in typedefs:
        c_type = typedefs[c_type]
    if c_type not in _C_TYPES:
        raise ValueError(f"api.h: unknown C type {c_type}")
    return _C_TYPES[c_type]


def _doc(header: str, name: str) -> str:
    """The first sentence of the comment above ``__wasi_<name>``: what ``whamm info`` prints for the event."""
    at = header.index(f" __wasi_{name}(\n")
    comment = header[:at].rsplit("/**", 1)[1].split("*/", 1)[0]
    lines = [ln.strip().lstrip("*").strip() for ln in comment.splitlines()]
    text = " ".join(ln for ln in lines if ln and not ln.startswith("@")).strip()
    first = text.split(". ", 1)[0].rstrip(".")
    return first + "."


def generate(header: str) -> dict:
    """The provider's table from api.h's text: errno values and the functions in api.h's (alphabetical)
    order, each with its parameters in import order."""
    typedefs = dict((alias, base) for base, alias in _TYPEDEF_RE.findall(header))
    errnos = [(name.lower(), int(value)) for name, value in _ERRNO_RE.findall(header)]
    functions = []
    for m in _FUNC_RE.finditer(header):
        name, body = m[1], _COMMENT_RE.sub("", m[2])
        decls = [d.strip() for d in body.split(",") if d.strip() and d.strip() != "void"]
        params: list[dict] = []
        results = list(RESULT_NAMES.get(name, ()))
        k = 0
        while k < len(decls):
            pm = _PARAM_RE.match(" ".join(decls[k].split()))
            if pm is None:
                raise ValueError(f"api.h: cannot read parameter {decls[k]!r} of {name}")
            const, c_type, star, pname = pm.groups()
            nxt = decls[k + 1].split()[-1] if k + 1 < len(decls) else None
            if star and pname.startswith("retptr"):
                rname = results.pop(0)
                is_struct = c_type not in typedefs and c_type != "__wasi_fd_t"
                params.append({"name": rname, "kind": "struct" if is_struct else "result",
                               "type": "u32" if is_struct else _scalar_type(c_type, typedefs),
                               "wasm": ["i32"]})
            elif star == "*" and c_type == "char":
                params.append({"name": pname, "kind": "str", "type": "str", "wasm": ["i32", "i32"]})
            elif star == "*" and c_type in ("__wasi_iovec_t", "__wasi_ciovec_t") and nxt == pname + "_len":
                params.append({"name": pname, "kind": "iovec", "type": "u64", "wasm": ["i32", "i32"]})
                k += 1
            elif star == "*" and c_type == "uint8_t" and nxt == pname + "_len":
                kind = "out_str" if name == "fd_prestat_dir_name" and pname == "path" else "buffer"
                params.append({"name": pname, "kind": kind, "type": "str" if kind == "out_str" else "u32",
                               "wasm": ["i32", "i32"]})
                k += 1
            elif star:
                params.append({"name": pname, "kind": "pointer", "type": "u32", "wasm": ["i32"]})
            else:
                t = _scalar_type(c_type, typedefs)
                params.append({"name": pname, "kind": "scalar", "type": t,
                               "wasm": ["i64" if t in ("u64", "i64") else "i32"]})
            k += 1
        if results:
            raise ValueError(f"api.h: {name} has fewer results than RESULT_NAMES lists")
        functions.append({"name": name, "doc": _doc(header, name),
                          "returns_errno": m[0].startswith("__wasi_errno_t"), "params": params})
    unnamed = set(RESULT_NAMES) - {f["name"] for f in functions}
    if unnamed or not functions or not errnos:
        raise ValueError(f"api.h: functions or errno values missing ({sorted(unnamed)})")
    return {"source": str(API_H), "errno": errnos, "functions": functions}


def render(table: dict) -> str:
    """The JSON text committed as ``wasi_p1.json`` (one function per line, so diffs stay readable)."""
    lines = ["{", f'  "source": {json.dumps(table["source"])},',
             f'  "errno": {json.dumps(table["errno"])},', '  "functions": [']
    lines += [f"    {json.dumps(f)}{',' if i + 1 < len(table['functions']) else ''}"
              for i, f in enumerate(table["functions"])]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rewrite ``wasi_p1.json`` from api.h (``--check``: only compare, exit 1 when they differ)."""
    args = sys.argv[1:] if argv is None else argv
    if not API_H.is_file():
        print(f"gen_wasi: {API_H} not found (install Debian's wasi-libc)", file=sys.stderr)
        return 1
    text = render(generate(API_H.read_text(encoding="utf-8")))
    if args == ["--check"]:
        same = OUTPUT.is_file() and OUTPUT.read_text(encoding="utf-8") == text
        print(f"gen_wasi: {OUTPUT.name} {'is up to date' if same else 'differs from api.h'}")
        return 0 if same else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"gen_wasi: wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
