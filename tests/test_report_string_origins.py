"""``compiler/report/string_origins.py``: when no string a program holds can contain ``->`` (what lets the
shell read a component's ``str``-keyed maps).  Each form a string enters a program by is checked: names
and literals without ``->`` and the forms that only move them establish it; a literal or function name
with ``->``, application memory (``path``, ``read_str``), and writes over string bytes do not."""
from __future__ import annotations

import pytest

from compiler import api
from compiler.report.string_origins import strings_exclude

MAP = "report var m: map<str, u32>; "

ESTABLISHED = [
    "wasm:func:entry { m[fname]++; }",
    "wasm:func:entry { m[callstack]++; }",
    'wasm:func:entry { m["a-b>c;d"]++; }',
    "var s: str; wasm:func:entry { s = fname; m[s]++; }",
    "fn f(x: str) -> str { return x; } wasm:func:entry { m[f(fname)]++; }",
    "report var t: map<u32, (str, u8)>; wasm:func:entry { t[fid] = (fname, 1); m[t[fid].0]++; }",
]

NOT_ESTABLISHED = [
    'wasm:func:entry { m["a->b"]++; }',
    'var g: str = "a->b"; wasm:func:entry { m[g]++; }',
    'wasm:func:entry { var g: str = "x->"; m[g]++; }',
    'fn f() -> str { return "x->"; } wasm:func:entry { m[f()]++; }',
    "wasi:p1:path_open:before { m[path]++; }",
    "wasm:func:entry { m[read_str(0, 0, 4)]++; }",
    "wasm:func:entry { m[fname]++; write_str(0, 0, fname); }",
    "wasm:func:entry { m[fname]++; memcpy(0, 0, 0, 0, 1); }",
]


@pytest.mark.parametrize("body", ESTABLISHED)
def test_names_and_plain_literals_hold_no_arrow(body):
    assert strings_exclude(api.check(MAP + body), ["main", "f-", ">g"], "->")


@pytest.mark.parametrize("body", NOT_ESTABLISHED)
def test_other_origins_may_hold_an_arrow(body):
    assert not strings_exclude(api.check(MAP + body), ["main"], "->")


def test_a_function_name_with_an_arrow_makes_fname_unsafe():
    program = api.check(MAP + "wasm:func:entry { m[fname]++; }")
    assert not strings_exclude(program, ["main", "operator->"], "->")
