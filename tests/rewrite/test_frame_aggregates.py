"""``frame`` aggregates (ANALYSIS.md §1, docs/AGGREGATES.md): one aggregate per activation of the
instrumented function, in a region of the runtime's frame stack.

One instrumented WAT module, driven export by export from the host, is compared with a Python model of
its calls: every activation of a recursive function prints its own stats and histogram counts at
``func:exit`` (each starts empty, inner activations do not touch outer ones, two calls in a row do not
accumulate), the ``report frame`` rows show the last written activation of each function, and every
exit path (a branch to the outermost label, ``return``, ``return_call``, a trap followed by more calls)
both releases its region (the instrumentation memory stops growing however often they run) and leaves the
next activation empty.  A differential test puts the bucket edges into a frame histogram and into a
global map of histograms reset per activation.  The diagnostics still refuse frame maps, and the wei
target refuses frame variables.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import wasmtime

from compiler import api
from compiler.lang.diagnostics import ScriptError
from compiler.lang.frontend import check_source
from compiler.wasm.validate import engine
from compiler.wei.support import UnsupportedError, check_supported

I64 = 1 << 64

APP = """
(module
  (func $leaf (param i32) (result i32) local.get 0)
  (func $walk (param $n i32)
    (local $k i32)
    loop
      local.get $n local.get $k i32.mul i32.const 3 i32.sub call $leaf drop
      local.get $k i32.const 1 i32.add local.tee $k local.get $n i32.le_s br_if 0
    end
    local.get $n
    if
      local.get $n i32.const 1 i32.sub call $walk
    end
    local.get $n i32.const 1000 i32.mul call $leaf drop)
  (func (export "run") (param i32) local.get 0 call $walk)
  (func (export "twice") (param i32) local.get 0 call $walk local.get 0 call $walk)
  (func $by_br (export "by_br") (param $n i32)
    local.get $n call $leaf drop
    local.get $n br_if 0
    i32.const 7 call $leaf drop)
  (func $by_return (export "by_return") (param $n i32)
    local.get $n call $leaf drop
    local.get $n if return end
    i32.const 9 call $leaf drop)
  (func $by_tail (export "by_tail") (param $n i32)
    local.get $n call $leaf drop
    local.get $n i32.eqz if return end
    local.get $n i32.const 1 i32.sub return_call $by_tail)
  (func $boom (export "boom") (param $n i32)
    local.get $n call $leaf drop
    local.get $n i32.eqz if unreachable end
    local.get $n i32.const 1 i32.sub call $boom))
"""

#: The instrumented functions (every function of APP with frame aggregates) and their indices.
FIDS = {"walk": 1, "by_br": 4, "by_return": 5, "by_tail": 6, "boom": 7}
FUNCS = tuple(FIDS)
_IN = " || ".join(f'fname == "{f}"' for f in FUNCS)

SCRIPT = f"""
wasm:opcode:call(arg0: i32):before / {_IN} / {{
    frame var s: stats; frame var h: hist; frame var l: lhist(-4, 20, 5); report frame var last: hist;
    s.add(arg0); h.add(arg0); l.add(arg0); last.add(arg0);
}}
wasm:func:exit(local0: i32) / {_IN} / {{
    frame var s: stats; frame var h: hist; frame var l: lhist(-4, 20, 5);
    printf("@@ %s %d %u %d %d %d %d %u %u\\n", fname, local0, s.count(), s.sum(), s.min(), s.max(), s.avg(),
           h.count(), l.count());
}}
"""


# ------------------------------------------------------------------------------ the model of APP

def model_calls(export: str, n: int) -> tuple[list[tuple[str, int, list[int]]], bool]:
    """The activations of one call of ``export(n)``: ``(function, n, its samples)`` in the order their
    ``func:exit`` code runs, and whether the call traps."""
    exits: list[tuple[str, int, list[int]]] = []

    def walk(k: int) -> None:
        samples = [k * j - 3 for j in range(k + 1)]
        if k:
            samples.append(k - 1)
            walk(k - 1)
        samples.append(k * 1000)
        exits.append(("walk", k, samples))

    if export in ("run", "twice"):
        for _ in range(1 if export == "run" else 2):
            walk(n)
        return exits, False
    if export == "by_br":
        exits.append(("by_br", n, [n] if n else [n, 7]))
    elif export == "by_return":
        exits.append(("by_return", n, [n] if n else [n, 9]))
    elif export == "by_tail":
        for k in range(n, -1, -1):          # each exits (before its tail call) with its own sample
            exits.append(("by_tail", k, [k]))
    elif export == "boom":
        exits.append(("boom", 0, [0]))     # only the innermost reaches its exit: it traps there
        return exits, True
    return exits, False


def model_line(fn: str, n: int, samples: list[int]) -> str:
    """What the ``func:exit`` probe prints for one activation."""
    total = sum(samples)
    avg = abs(total) // len(samples) * (1 if total >= 0 else -1)
    return f"@@ {fn} {n} {len(samples)} {total} {min(samples)} {max(samples)} {avg} {len(samples)} {len(samples)}"


def model_hist(samples: list[int]) -> str:
    """The report cell of a ``hist`` of signed samples: buckets 0 (and negatives), 1, [2^k, 2^(k+1))."""
    counts: dict[int, int] = {}
    for x in samples:
        b = 0 if x <= 0 else x.bit_length()
        counts[b] = counts.get(b, 0) + 1
    return " ".join(f"{b if b < 2 else f'[{1 << (b - 1)},{1 << b})'}={counts[b]}" for b in sorted(counts))


def model_lhist(samples: list[int], lo: int, hi: int, step: int) -> str:
    """The report cell of an ``lhist(lo, hi, step)``."""
    counts: dict[tuple, int] = {}
    for x in samples:
        if x < lo:
            key: tuple = (0, f"(-inf,{lo})")
        elif x >= hi:
            key = (2, f"[{hi},+inf)")
        else:
            start = lo + (x - lo) // step * step
            key = (1, start, f"[{start},{min(start + step, hi)})")
        counts[key] = counts.get(key, 0) + 1
    return " ".join(f"{k[-1]}={c}" for k, c in sorted(counts.items(), key=lambda kv: kv[0][:-1]))


# ------------------------------------------------------------------------------ running APP

#: The host's calls, in order: recursion, two calls in a row, every exit path, a trap, calls after it.
CALLS = [("run", 4), ("twice", 3), ("by_br", 0), ("by_br", 2), ("by_return", 0), ("by_return", 5),
         ("by_tail", 3), ("boom", 3), ("run", 2), ("by_br", 1), ("by_tail", 1), ("boom", 0), ("twice", 2)]


class Session:
    """An instance of the instrumented APP with WASI standard output in a file, called from the host."""

    def __init__(self, wasm: bytes, out: Path) -> None:
        self.store = wasmtime.Store(engine())
        wasi = wasmtime.WasiConfig()
        wasi.stdout_file = str(out)
        self.store.set_wasi(wasi)
        linker = wasmtime.Linker(self.store.engine)
        linker.define_wasi()
        self.exports = linker.instantiate(self.store, wasmtime.Module(self.store.engine, wasm)).exports(self.store)
        self.out = out

    def call(self, name: str, *args: int) -> bool:
        """Call an export; whether it trapped."""
        try:
            self.exports[name](self.store, *args)  # type: ignore[operator]
        except wasmtime.Trap:
            return True
        return False

    def pages(self) -> int:
        """The instrumentation memory's size in pages."""
        return self.exports["whamm:memory"].size(self.store)  # type: ignore[union-attr]

    def lines(self) -> list[str]:
        return self.out.read_text().splitlines()


@pytest.fixture(scope="module")
def session():
    """APP instrumented with SCRIPT, after the host made :data:`CALLS` and flushed the report:
    ``(session, the trap flags of the calls)``."""
    out = api.instrument(wasmtime.wat2wasm(APP), SCRIPT)
    with tempfile.TemporaryDirectory() as tmp:
        s = Session(out.wasm, Path(tmp) / "stdout")
        traps = [s.call(name, n) for name, n in CALLS]
        s.call("whamm_flush")
        yield s, traps


def test_every_activation_has_its_own_aggregates(session):
    s, traps = session
    expected = []
    for name, n in CALLS:
        exits, _ = model_calls(name, n)
        expected += [model_line(*e) for e in exits]
    assert [line for line in s.lines() if line.startswith("@@ ")] == expected
    assert traps == [model_calls(name, n)[1] for name, n in CALLS]
    assert any(traps) and traps[-1] is False      # calls after a trap were made and checked above


def test_report_frame_rows_show_each_functions_last_activation(session):
    s, _ = session
    last: dict[str, list[int]] = {}
    for name, n in CALLS:
        for fn, _, samples in model_calls(name, n)[0]:
            last[fn] = samples          # the activation that wrote last (it exits after its last add)
    lines = s.lines()
    rows = [line.split(", ") for line in lines[lines.index("id, id_type, name, whamm_type, wasm_type, script_id, "
                                                           "fname, fid, pc, probe_id, value(s)") + 1:]]
    assert [(r[1], r[2], r[3], r[4], r[6], r[7], r[8], r[9]) for r in rows] == \
        [("memaddr", "last", "hist", "i32", fn, str(fid), "", "") for fn, fid in FIDS.items()]
    assert [r[10] for r in rows] == [model_hist(last[fn]) for fn in FUNCS]
    # the outermost walk wrote last: its row has its own samples only, none of its callees'
    assert last["walk"] == [2 * j - 3 for j in range(3)] + [1, 2000]


def test_every_exit_path_releases_its_region(session):
    s, _ = session
    before = s.pages()
    for _ in range(300):        # each leaked region would be a 2 KiB block: 300 calls of each, ~50 pages
        for name, n in (("twice", 4), ("by_br", 0), ("by_br", 1), ("by_return", 0), ("by_return", 1),
                        ("by_tail", 3)):
            assert not s.call(name, n)
    assert s.pages() == before


EXCEPTIONS = """
(module
  (tag $e)
  (func $thrower (i32.const 5) drop (throw $e))
  (func $middle (i32.const 10) drop call $thrower)
  (func $catcher (export "catcher") (param $n i32)
    (i32.const 100) drop
    loop
      (block $h (try_table (catch_all $h) call $middle))
      local.get $n i32.const 1 i32.sub local.tee $n br_if 0
    end
    (i32.const 200) drop)
  (func $local_catch (export "local_catch")
    (i32.const 1000) drop
    (block $h (try_table (catch_all $h) (i32.const 2000) drop (throw $e)))
    (i32.const 3000) drop))
"""


def test_exceptions_keep_and_free_the_right_regions(tmp_path):
    """A throw caught by its own function keeps the activation's region (its aggregate goes on after the
    catch); the regions an exception unwound (``middle`` never reaches its exit code) are freed at the
    catch landing, so a catching loop does not grow the memory."""
    script = """
wasm:opcode:i32.const:before / imm0 > 1 / { frame var s: stats; frame var h: hist; s.add(imm0); h.add(imm0); }
wasm:func:exit { frame var s: stats; frame var h: hist; printf("@@ %s %u %d %u\\n", fname, s.count(), s.sum(), h.count()); }
"""
    s = Session(api.instrument(wasmtime.wat2wasm(EXCEPTIONS), script).wasm, tmp_path / "stdout")
    assert not s.call("catcher", 1) and not s.call("local_catch")
    before = s.pages()
    assert not s.call("catcher", 300)       # each region left behind would be a 1 KiB block
    for _ in range(100):
        assert not s.call("local_catch")
    assert s.pages() == before
    lines = [line for line in s.lines() if line.startswith("@@ ")]
    local_catch = ["@@ local_catch 2 3000 2", "@@ local_catch 3 6000 3"]  # func:exit code runs before every throw
    assert lines == ["@@ thrower 1 5 1", "@@ catcher 2 300 2", *local_catch] + \
        ["@@ thrower 1 5 1"] * 300 + ["@@ catcher 2 300 2"] + local_catch * 100


def test_a_catcher_without_frame_aggregates_frees_what_the_throw_left(tmp_path):
    """The regions an exception unwound are freed where it is caught even when the catching function has
    no frame aggregates of its own (and no enclosing activation has any): a catching loop around
    instrumented throwers used to leave one region per iteration behind, without bound."""
    script = """
wasm:opcode:i32.const:before / imm0 > 1 && fname != "catcher" / { frame var s: stats; s.add(imm0); }
wasm:func:exit / fname != "catcher" / { frame var s: stats; printf("@@ %s %u %d\\n", fname, s.count(), s.sum()); }
"""
    s = Session(api.instrument(wasmtime.wat2wasm(EXCEPTIONS), script).wasm, tmp_path / "stdout")
    assert not s.call("catcher", 1)
    before = s.pages()
    assert not s.call("catcher", 3000)      # each region left behind would be a block of 48 bytes or more
    assert s.pages() == before
    assert [line for line in s.lines() if line.startswith("@@ ")] == ["@@ thrower 1 5"] * 3001


# ------------------------------------------------------------------------------ differential

EDGES = [0, 1, -1, 2, 3, 4, 7, 8, 255, 256, 1023, 1024, (1 << 31) - 1, 1 << 31, 1 << 62, (1 << 63) - 1,
         -(1 << 63), -5, -100, 99, 100, 101, -7, -6, 93, 94]


def _sampler(first: list[int], second: list[int]) -> bytes:
    """``_start`` calls ``$act`` twice, its activations add ``first`` then ``second`` (by calls of ``$g``)."""
    def calls(xs: list[int]) -> str:
        return " ".join(f"(call $g (i64.const {(x + (1 << 63)) % I64 - (1 << 63)}))" for x in xs)
    return wasmtime.wat2wasm(f"""(module
  (func $g (param i64))
  (func $act (param i32) (if (local.get 0) (then {calls(first)}) (else {calls(second)})))
  (func (export "_start") (call $act (i32.const 1)) (call $act (i32.const 0))))""")


DIFF_SCRIPT = """
var activation: u32;
report var gh: map<u32, hist>;
report var gl: map<u32, lhist(-6, 94, 10)>;
report var gs: map<u32, stats>;
wasm:func:entry / fname == "act" / { activation++; }
wasm:opcode:call(arg0: i64):before / fname == "act" / {
    report frame var fh: hist; report frame var fl: lhist(-6, 94, 10); report frame var fs: stats;
    fh.add(arg0); fl.add(arg0); fs.add(arg0);
    gh[activation].add(arg0); gl[activation].add(arg0); gs[activation].add(arg0);
}
"""


def test_frame_histograms_equal_global_ones_reset_per_activation():
    first = [5, 6, 1 << 40, -3]
    second = EDGES
    result = api.instrument(_sampler(first, second), DIFF_SCRIPT)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stdout"
        run = api.run(result, api.RunOptions(("app",), stdout=str(out)))
        assert run.message is None, run.message
        text = out.read_text()
        live = {v.var.name: v.text for v in api.read_report_values(result.emitted.layout, run)}
    cells: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split(", ", 10)
        if len(fields) == 11 and fields[5] == "script0":
            cells[fields[2]] = fields[10]
    assert live == cells            # the shell's live read of the frame rows as the runtime printed them
    for frame, glob in (("fh", "gh"), ("fl", "gl"), ("fs", "gs")):
        entries = dict(e.split("->", 1) for e in cells[glob].split(";"))
        assert sorted(entries) == ["1", "2"]
        assert cells[frame] == entries["2"]         # the last activation, not both
        assert entries["1"] != entries["2"]
    assert cells["fh"] == model_hist(second)
    assert cells["fl"] == model_lhist(second, -6, 94, 10)


# ------------------------------------------------------------------------------ what stays refused

@pytest.mark.parametrize("text, message, line, col", [
    ("wasm:opcode:nop:before { frame var m: map<u32, stats>; }", "map variables must be global, unshared or shared",
     1, 39),
    ("wasm:opcode:nop:before { frame var m: map<u32, u32>; }", "map variables must be global, unshared or shared",
     1, 39),
    ("wasm:opcode:nop:before { var h: hist; }", "aggregate variables must be global, unshared, shared or frame",
     1, 33),
    ("fn f() -> u32 { var h: stats; return 1; }", "aggregate variables must be global, unshared, shared or frame",
     1, 24),
    ("frame var h: hist;", "frame variables are not allowed at script level", 1, 1),
    ("var h: hist;\nwasm:opcode:nop:before { frame var f: stats; f = h; }", "aggregates can only be updated with .add()",
     2, 46),
])
def test_refused_frame_aggregates_are_located_diagnostics(text, message, line, col):
    with pytest.raises(ScriptError) as info:
        check_source(text + "\nwasm:opcode:nop:before { }", "t.mm")
    rendered = str(info.value)
    assert message in rendered
    assert f"t.mm:{line}:{col}" in rendered


def test_the_wei_target_refuses_frame_aggregates():
    with pytest.raises(UnsupportedError) as info:
        check_supported(check_source("wasm:opcode:call:before { frame var h: hist; h.add(1); }", wei=True))
    assert [d.message for d in info.value.diagnostics] == ["frame variables is not supported by the wei target"]
