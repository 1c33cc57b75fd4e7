"""``frame`` aggregates on generated programs (docs/AGGREGATES.md), against a Python model of the calls.

Each seed makes a module of three mutually recursive functions ``f0``..``f2`` (parameter ``n``, every
call passes ``n - 1`` under ``n > 0``) whose bodies mix samples (calls of ``$leaf``), calls, nested
blocks and every way out: a branch to an enclosing block or to the outermost label (``br_if``,
``br_table`` with both), ``return``, ``return_call``, ``return_call_indirect``, a ``throw`` caught by the
same activation, a ``throw`` that leaves it, and calls inside a ``try_table`` that catches.  The host
calls each function through an uninstrumented catching wrapper ``c<i>``, for ``n`` = 0..4, three times
over.  Every activation prints its own frame ``stats`` and ``hist`` at each ``func:exit`` (which runs
before a throw too); the model interprets the same program tree.  The instrumentation memory must stop
growing: every region is freed, whichever way its activation ended.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import wasmtime

from compiler import api
from compiler.wasm.validate import engine

NFUNCS = 3


@dataclass
class Sample:
    value: int


@dataclass
class Call:
    callee: int
    catching: bool          # inside a try_table (catch_all) of the caller


@dataclass
class Block:
    body: list


@dataclass
class Throw:
    mod: int                # when n % mod == rem
    rem: int
    caught: bool            # inside a try_table of its own function


@dataclass
class Exit:
    kind: str               # br | br_table | return | return_call | return_call_indirect
    mod: int                # when n % mod == rem
    rem: int
    callee: int = 0
    targets: tuple = field(default=())    # br: (levels,); br_table: levels per n % 3, the default last


def _items(rng: random.Random, depth: int, budget: int) -> list:
    items: list = []
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        if r < 0.25:
            items.append(Sample(rng.randint(-5, 300)))
        elif r < 0.45:
            items.append(Call(rng.randrange(NFUNCS), rng.random() < 0.4))
        elif r < 0.55:
            items.append(Throw(rng.randint(2, 5), rng.randint(0, 1), rng.random() < 0.3))
        elif r < 0.7 and depth < 4 and budget > 0:
            items.append(Block(_items(rng, depth + 1, budget - 1)))
        else:
            kind = rng.choice(["br", "br_table", "return", "return_call", "return_call_indirect"])
            exit_ = Exit(kind, rng.randint(2, 4), rng.randint(0, 1), rng.randrange(NFUNCS))
            if kind == "br":                # depth levels up = the outermost label
                exit_.targets = (rng.choice([depth, rng.randint(0, depth)]),)
            elif kind == "br_table":
                exit_.targets = tuple(rng.randint(0, depth) for _ in range(rng.randint(1, 3))) + (depth,)
            items.append(exit_)
    return items


def generate(seed: int) -> list[list]:
    """The bodies of ``f0``..``f2``, each starting with a sample (so no exit prints an empty stats)."""
    rng = random.Random(seed)
    return [[Sample(rng.randint(0, 50))] + _items(rng, 0, 3) for _ in range(NFUNCS)]


# ------------------------------------------------------------------------------ the program as WAT

def _wat_items(items: list, depth: int, out: list[str]) -> None:
    for it in items:
        if isinstance(it, Sample):
            out.append(f"local.get $n i32.const {it.value} i32.add call $leaf drop")
        elif isinstance(it, Call):
            call = f"local.get $n i32.const 1 i32.sub call $f{it.callee}"
            if it.catching:
                call = f"block try_table (catch_all 0) {call} end end"
            out.append(f"local.get $n if {call} end")
        elif isinstance(it, Block):
            out.append("block")
            _wat_items(it.body, depth + 1, out)
            out.append("end")
        else:
            cond = f"local.get $n i32.const {it.mod} i32.rem_u i32.const {it.rem} i32.eq"
            if isinstance(it, Throw):
                throw = f"{cond} if throw $e end"
                out.append(f"block try_table (catch_all 0) {throw} end end" if it.caught else throw)
            elif it.kind == "br":
                out.append(f"{cond} br_if {it.targets[0]}")
            elif it.kind == "br_table":   # inside the `if`, every label is one further out
                out.append(f"{cond} if local.get $n i32.const 3 i32.rem_u br_table "
                           f"{' '.join(str(t + 1) for t in it.targets)} end")
            elif it.kind == "return":
                out.append(f"{cond} if return end")
            else:
                callee = f"return_call $f{it.callee}" if it.kind == "return_call" else \
                    f"i32.const {it.callee} return_call_indirect (type $t)"
                out.append(f"{cond} local.get $n i32.const 0 i32.ne i32.and if "
                           f"local.get $n i32.const 1 i32.sub {callee} end")


def to_wat(funcs: list[list]) -> str:
    lines = ["(module (type $t (func (param i32))) (tag $e)",
             "(func $leaf (param i32) (result i32) local.get 0)",
             f"(table {len(funcs)} funcref) (elem (i32.const 0) {' '.join(f'$f{i}' for i in range(len(funcs)))})"]
    for i, body in enumerate(funcs):
        out: list[str] = []
        _wat_items(body, 0, out)
        lines.append(f"(func $f{i} (type $t) (param $n i32)\n  " + "\n  ".join(out) + ")")
        lines.append(f"(func $c{i} (export \"c{i}\") (param i32) "
                     f"block try_table (catch_all 0) local.get 0 call $f{i} end end)")
    return "\n".join(lines) + ")"


# ------------------------------------------------------------------------------ the model

class _Branch(Exception):
    def __init__(self, levels: int) -> None:
        self.levels = levels


class _Return(Exception):
    def __init__(self, tail: tuple[int, int] | None = None) -> None:
        self.tail = tail


class _Thrown(Exception):
    pass


def model(funcs: list[list], fi: int, n: int, exits: list[str]) -> None:
    """Append the line each activation of ``f<fi>(n)`` prints, in order; raises :class:`_Thrown` when
    the call ends by an exception."""
    while True:                         # once more per tail call
        samples: list[int] = []
        tail = None
        try:
            _run(funcs, funcs[fi], n, samples, exits, f"f{fi}")
        except _Branch:
            pass
        except _Return as ret:
            tail = ret.tail
        exits.append(_line(f"f{fi}", n, samples))
        if tail is None:
            return
        fi, n = tail


def _line(fname: str, n: int, samples: list[int]) -> str:
    return f"@@ {fname} {n} {len(samples)} {sum(samples)} {min(samples)} {max(samples)} {len(samples)}"


def _run(funcs: list[list], items: list, n: int, samples: list[int], exits: list[str], fname: str) -> None:
    for it in items:
        if isinstance(it, Sample):
            samples.append(n + it.value)
        elif isinstance(it, Call):
            if n:
                samples.append(n - 1)
                try:
                    model(funcs, it.callee, n - 1, exits)
                except _Thrown:
                    if not it.catching:
                        raise
        elif isinstance(it, Block):
            try:
                _run(funcs, it.body, n, samples, exits, fname)
            except _Branch as branch:
                if branch.levels:
                    raise _Branch(branch.levels - 1) from None
        elif n % it.mod != it.rem:
            continue
        elif isinstance(it, Throw):
            exits.append(_line(fname, n, samples))     # func:exit code runs before every throw
            if not it.caught:
                raise _Thrown
        elif it.kind == "br":
            raise _Branch(it.targets[0])
        elif it.kind == "br_table":
            raise _Branch(it.targets[min(n % 3, len(it.targets) - 1)])
        elif it.kind == "return":
            raise _Return
        elif n:
            raise _Return((it.callee, n - 1))


SCRIPT = """
wasm:opcode:call(arg0: i32):before / fname == "f0" || fname == "f1" || fname == "f2" / {
    frame var s: stats; frame var h: hist;
    s.add(arg0); h.add(arg0);
}
wasm:func:exit(local0: i32) / fname == "f0" || fname == "f1" || fname == "f2" / {
    frame var s: stats; frame var h: hist;
    printf("@@ %s %d %u %d %d %d %u\\n", fname, local0, s.count(), s.sum(), s.min(), s.max(), h.count());
}
"""

#: The host's calls: each function through its catching wrapper, n = 0..4, three rounds.
CALLS = [(f, n) for n in range(5) for f in range(NFUNCS)] * 3


@pytest.mark.parametrize("seed", range(100))
def test_generated_programs_match_the_model(seed, tmp_path):
    funcs = generate(seed)
    wasm = api.instrument(wasmtime.wat2wasm(to_wat(funcs)), SCRIPT).wasm
    store = wasmtime.Store(engine())
    wasi = wasmtime.WasiConfig()
    wasi.stdout_file = str(tmp_path / "stdout")
    store.set_wasi(wasi)
    linker = wasmtime.Linker(store.engine)
    linker.define_wasi()
    exports = linker.instantiate(store, wasmtime.Module(store.engine, wasm)).exports(store)
    expected: list[str] = []
    pages = []
    for f, n in CALLS:
        exports[f"c{f}"](store, n)  # type: ignore[operator]
        try:
            model(funcs, f, n, expected)
        except _Thrown:
            pass
        pages.append(exports["whamm:memory"].size(store))  # type: ignore[union-attr]
    got = [line for line in (tmp_path / "stdout").read_text().splitlines() if line.startswith("@@ ")]
    assert got == expected
    assert pages[len(CALLS) // 3 - 1] == pages[-1], "the frame stack keeps regions of finished activations"
