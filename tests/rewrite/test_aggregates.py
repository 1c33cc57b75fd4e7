"""Aggregates (ANALYSIS.md §1) end to end: the report of an instrumented module against an independent
Python model of the buckets on seeded random samples with every edge (0, 1, powers of two and their
neighbours, 2^63, negative values, the open ends of lhist), stats on empty and one-sample values, maps
of aggregates read at absent keys, the live read the shell uses, and the located diagnostics for misuse.
"""
from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
import wasmtime

from compiler import api
from compiler.lang.diagnostics import ScriptError
from compiler.lang.frontend import check_source

I64 = 1 << 64


def _app(samples: list[int]) -> bytes:
    """A module whose _start calls $f(i64) once per sample, in order."""
    calls = "\n".join(f"    (call $f (i64.const {x}))" for x in samples)
    return wasmtime.wat2wasm(f"""(module
  (func $f (param i64))
  (func (export "_start")
{calls}))""")


def _report(script: str, samples: list[int]) -> dict[str, list[str]]:
    """name → the value cells of its rows, from the printed report."""
    result = api.instrument(_app(samples), script)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stdout"
        run = api.run(result, api.RunOptions(("app",), stdout=str(out)))
        assert run.message is None, run.message
        text = out.read_text()
        live = api.read_report_values(result.emitted.layout, run)
    rows: dict[str, list[str]] = {}
    for line in text.split("\n"):
        fields = line.split(", ", 10)
        if len(fields) == 11 and fields[5] == "script0":
            rows.setdefault(fields[2], []).append(fields[10])
    # the shell's live read formats every row as the runtime printed it
    assert {v.var.name for v in live} == rows.keys()
    for v in live:
        assert v.text in rows[v.var.name] or not v.readable     # a tuple global has no getter
    return rows


# ------------------------------------------------------------------------------ the independent model

def model_hist(samples: list[int], signed: bool) -> str:
    counts: dict[int, int] = {}
    for x in samples:
        if not signed:
            x %= I64
        b = 0 if x <= 0 else x.bit_length()       # 1 -> 1, [2,4) -> 2, ..., [2^63, 2^64) -> 64
        counts[b] = counts.get(b, 0) + 1
    parts = []
    for b in sorted(counts):
        label = str(b) if b < 2 else f"[{2 ** (b - 1)},{2 ** b})"
        parts.append(f"{label}={counts[b]}")
    return " ".join(parts)


def model_lhist(samples: list[int], lo: int, hi: int, step: int) -> str:
    counts: dict[tuple, int] = {}
    for x in samples:
        if x < lo:
            key = (0, f"(-inf,{lo})")
        elif x >= hi:
            key = (2, f"[{hi},+inf)")
        else:
            start = lo + (x - lo) // step * step
            key = (1, start, f"[{start},{min(start + step, hi)})")
        counts[key] = counts.get(key, 0) + 1
    return " ".join(f"{k[-1]}={n}" for k, n in sorted(counts.items(), key=lambda kv: kv[0][:-1]))


def model_stats(samples: list[int]) -> str:
    if not samples:
        return "count=0 sum=0 min=0 max=0 avg=0"
    total = sum(samples)
    wrapped = (total + (1 << 63)) % I64 - (1 << 63)
    avg = int(wrapped / len(samples)) if abs(wrapped) < 1 << 52 else \
        (abs(wrapped) // len(samples)) * (1 if wrapped >= 0 else -1)
    return f"count={len(samples)} sum={wrapped} min={min(samples)} max={max(samples)} avg={avg}"


EDGES = [0, 1, -1, 2, 3, 4, 7, 8, 255, 256, 1023, 1024, (1 << 31) - 1, 1 << 31, (1 << 62), (1 << 63) - 1,
         -(1 << 63), -5, -100, 99, 100, 101, -7, -6, 93, 94]

SCRIPT = """
report var hs: hist;
report var hu: hist;
report var l: lhist(-6, 94, 10);
report var s: stats;
wasm:opcode:call(arg0: i64):before { hs.add(arg0); l.add(arg0); s.add(arg0); }
wasm:opcode:call(arg0: u64):before { hu.add(arg0); }
"""


@pytest.mark.parametrize("seed", range(3))
def test_buckets_match_the_model(seed):
    rng = random.Random(seed)
    samples = list(EDGES) + [rng.choice([rng.randrange(-200, 200), rng.randrange(-(1 << 63), 1 << 63),
                                         1 << rng.randrange(64), (1 << rng.randrange(1, 64)) - 1])
                             for _ in range(60)]
    samples = [(x + (1 << 63)) % I64 - (1 << 63) for x in samples]       # as i64 constants
    rows = _report(SCRIPT, samples)
    assert rows["hs"] == [model_hist(samples, signed=True)]
    assert rows["hu"] == [model_hist(samples, signed=False)]       # 2^63 and above in the top bucket
    assert rows["l"] == [model_lhist(samples, -6, 94, 10)]


def test_hist_top_bucket_and_negative():
    rows = _report(SCRIPT, [-(1 << 63), -1, 0, 1, 2, (1 << 63) - 1])
    assert rows["hs"] == ["0=3 1=1 [2,4)=1 [4611686018427387904,9223372036854775808)=1"]
    assert rows["hu"] == ["0=1 1=1 [2,4)=1 [4611686018427387904,9223372036854775808)=1 "
                          "[9223372036854775808,18446744073709551616)=2"]


def test_lhist_last_inner_bucket_ends_at_max():
    rows = _report("report var l: lhist(0, 25, 10);\nwasm:opcode:call(arg0: i64):before { l.add(arg0); }",
                   [-1, 0, 9, 10, 20, 24, 25, 1000])
    assert rows["l"] == ["(-inf,0)=1 [0,10)=2 [10,20)=1 [20,25)=2 [25,+inf)=2"]


def test_stats_empty_one_sample_and_readers():
    script = """
report var empty: stats;
report var one: stats;
report var h: hist;
report var many: stats;
report var reads: (u64, i64, i64, i64, i64);
report var hcount: u64;
wasm:opcode:call(arg0: i64):before {
    if (arg0 == 42) { one.add(arg0); }
    many.add(arg0);
    reads = (empty.count(), empty.avg(), one.sum(), many.min(), many.avg());
    hcount = h.count() + 7;
}
"""
    samples = [42, -7, -8, 3]
    rows = _report(script, samples)
    assert rows["empty"] == ["count=0 sum=0 min=0 max=0 avg=0"]
    assert rows["one"] == ["count=1 sum=42 min=42 max=42 avg=42"]
    assert rows["many"] == [model_stats(samples)]
    assert rows["many"] == ["count=4 sum=30 min=-8 max=42 avg=7"]
    assert rows["h"] == [""]                         # an empty histogram prints nothing
    assert rows["reads"] == ["(0; 0; 42; -8; 7)"]
    assert rows["hcount"] == ["7"]


def test_avg_truncates_toward_zero():
    rows = _report("report var s: stats;\nwasm:opcode:call(arg0: i64):before { s.add(arg0); }", [-7, -8])
    assert rows["s"] == ["count=2 sum=-15 min=-8 max=-7 avg=-7"]


def test_maps_of_aggregates_and_absent_keys():
    script = """
report var m: map<u32, stats>;
report var h: map<str, lhist(0, 10, 5)>;
report var probe: map<u32, hist>;
report var absent: (u64, u64);
report unshared var per_site: stats;
report shared var shared_h: hist;
wasm:opcode:call(arg0: i64):before {
    m[(arg0 % 2) as u32].add(arg0);
    h["k"].add(arg0);
    absent = (probe[7].count(), m[99].count());
    per_site.add(arg0);
    shared_h.add(arg0);
}
"""
    rows = _report(script, [1, 2, 3, 12])
    assert rows["m"] == ["0->count=2 sum=14 min=2 max=12 avg=7;1->count=2 sum=4 min=1 max=3 avg=2"]
    assert rows["h"] == ["k->[0,5)=3 [10,+inf)=1"]
    assert rows["probe"] == ["empty map"]           # reading an absent key inserts nothing
    assert rows["absent"] == ["(0; 0)"]
    assert rows["per_site"] == ["count=4 sum=18 min=1 max=12 avg=4"]
    assert rows["shared_h"] == ["1=1 [2,4)=2 [8,16)=1"]


@pytest.mark.parametrize("text, message, line, col", [
    ("var s: stats = 3;", "aggregates can only be updated with .add()", 1, 16),
    ("var s: stats; var t: stats;\nwasm:opcode:nop:before { s = t; }", "aggregates can only be updated with .add()", 2, 26),
    ("var s: stats;\nwasm:opcode:nop:before { var b: bool = s == s; }", "aggregates can only be updated with .add()", 2, 40),
    ("var s: stats;\nwasm:opcode:nop:before { s++; }", "aggregates can only be updated with .add()", 2, 26),
    ("var m: map<u32, hist>;\nwasm:opcode:nop:before { m[1] = m[2]; }", "aggregates can only be updated with .add()", 2, 26),
    ("var s: hist;\nfn f(x: u32) -> u32 { return x; }\nwasm:opcode:nop:before { var y: u32 = f(s); }",
     "aggregates can only be updated with .add()", 3, 41),
    ("fn f(x: stats) -> u32 { return 1; }", "aggregates cannot be function parameters or results", 1, 9),
    ("var t: (u32, hist);", "tuples may not contain aggregates", 1, 8),
    ("var m: map<stats, u32>;", "unsupported map key type stats", 1, 8),
    ("wasm:opcode:nop:before { var h: hist; }", "aggregate variables must be global, unshared, shared or frame", 1, 33),
    ("var h: hist;\nwasm:opcode:nop:before { var x: i64 = h.sum(); }", "hist has no method `sum`", 2, 39),
    ("var h: stats;\nwasm:opcode:nop:before { h.add(1.5); }", "stats.add expects an integer, found f32", 2, 32),
    ("var h: stats;\nwasm:opcode:nop:before { h.add(); }", "method `add` takes 1 argument but 0 were given", 2, 26),
    ("var l: lhist(10, 0, 1);", "lhist: MAX must be greater than MIN", 1, 18),
    ("var l: lhist(0, 10, 0);", "lhist: STEP must be greater than 0", 1, 21),
    ("var l: lhist(0, 100000, 1);", "lhist: at most 1000 buckets", 1, 8),
])
def test_misuse_is_a_located_diagnostic(text, message, line, col):
    with pytest.raises(ScriptError) as info:
        check_source(text + "\nwasm:opcode:nop:before { }", "t.mm")
    rendered = str(info.value)
    assert message in rendered
    assert f"t.mm:{line}:{col}" in rendered
