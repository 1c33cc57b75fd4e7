"""The coalescing oracle (issue 11): the same output with counter coalescing on and off.

Coalescing (docs/COALESCING.md) replaces the constant adds of counter probes in one straight-line run
by one add of their total; every read must still see the exact value, so whatever a run prints — the
program's output, ``wasm:end`` output, the report — is byte-identical with ``no_coalesce``.  Checked on
generated scripts of the correctness issue's generator, on generated *counter* scripts (which mix
coalescible counters — globals, ``shared`` and per-site variables — with readers that must switch
coalescing off for what they read), and with instruction counters, branch counters and call counters
(global and per-site) on every corpus program (WASI programs: the printed report; WAT fixtures: the
report values read live from the instance after each ``@run`` call).  What a trap in the middle of a
run shows is pinned by :func:`test_trap_mid_run_counts_the_whole_run`; that coalescing happens at all
by the ``test_*_are_coalesced`` tests, which count the adds in the output.
"""
from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
import wasmtime

from compiler import api
from compiler.runner import RunOptions
from tests.corpus.catalog import C_PROGRAMS, WAT_PROGRAMS, program

CHUNKS, PER_CHUNK = 2, 40

#: The corpus scripts: an instruction counter, and branch counters of both kinds of variable.
ICOUNT = "report var n: u64; wasm:opcode:*:before { n++; }"
BRANCHES = ("report var branches: u32; report var calls: i64;\n"
            "wasm:opcode:br*:before { branches++; }\n"
            "wasm:opcode:call*:before { calls = calls + 2; }\n"
            "wasm:opcode:br_if(arg0: i32):before { report var taken: u32; if (arg0 != 0) { taken++; } }")
#: Per-site counters (one slot per site): coalesced per run into one shared slot.
ICOUNT_SITE = "wasm:opcode:*:before { report var n: u64; n++; }"
CALLS_SITE = ("wasm:opcode:call:before { report var hits: u32; hits++; }\n"
              "wasm:opcode:call_indirect:before { report var hits: i64; unshared var twice: u32; "
              "hits = hits + 3; twice = 2 + twice; }")
CORPUS_SCRIPTS = {"icount": ICOUNT, "branches": BRANCHES, "icount_site": ICOUNT_SITE, "calls_site": CALLS_SITE}


@pytest.fixture(name="compare")
def _compare(APPS, run_rewritten):
    """``compare(script, seed)``: the script's output on one of the apps, coalesced and not, is the same."""
    names = sorted(APPS)

    def compare(script: str, seed: int) -> None:
        app = names[seed % len(names)]
        coalesced = run_rewritten(script, app)
        plain = run_rewritten(script, app, coalesce=False)
        assert coalesced == plain, f"output differs on {app} with coalescing"
    return compare


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_generated_scripts(chunk, compare, check_seeds, REWRITE):
    assert check_seeds(compare, REWRITE, range(chunk * PER_CHUNK, (chunk + 1) * PER_CHUNK)) == PER_CHUNK


_TYPES = ("u32", "i32", "u64", "i64", "u8", "i16")
_RULES = ("wasm:opcode:*:before", "wasm:opcode:*:after", "wasm:opcode:br_if:before",
          "wasm:opcode:call:before", "wasm:opcode:local.get:before", "wasm:opcode:i32.add:before",
          "wasm:opcode:end:before", "wasm:opcode:br*:at_target", "wasm:func:entry", "wasm:func:exit",
          "wasm:opcode:block:entry", "wasm:opcode:loop:exit")
_PREDICATES = ("", "", "", "/ fid == 1 /", "/ pc > 12 /", '/ fname == "calc" /', "/ fid != 0 && pc < 40 /")


def counter_script(rng: random.Random) -> str:
    """A script of counters: constant adds (coalescible where the variable is a 32/64-bit global
    nothing else reads, or a shared variable), per-site counters, and readers — probes, a user
    function and ``wasm:end``."""
    names = [f"g{i}" for i in range(rng.randint(1, 4))]
    types = {g: rng.choice(_TYPES) for g in names}
    lines = [f"report var {g}: {types[g]};" for g in names]
    lines.append("report var seen: u64;")

    def add(g: str) -> str:
        k = rng.choice((1, 2, 7, 255, 1 << 31, (1 << 32) - 1, 123456789))
        return rng.choice((f"{g}++;", f"{g}--;", f"{g} = {g} + {k};", f"{g} = {k} + {g};", f"{g} = {g} - {k};"))

    if rng.random() < 0.3:
        g = rng.choice(names)
        lines.append(f"fn peek() -> u64 {{ return {g} as u64; }}")
        lines.append("wasm:opcode:return:before { seen = seen + peek(); }")
    for _ in range(rng.randint(1, 5)):
        stmts = [add(rng.choice(names)) for _ in range(rng.randint(1, 3))]
        roll = rng.random()
        if roll < 0.15:                                   # a reader: its variable is not coalesced
            stmts.append(f"seen = seen + ({rng.choice(names)} as u64);")
        elif roll < 0.25:                                 # per-site counters: coalesced per run
            t = rng.choice(_TYPES)
            stmts += [f"report var here: {t}; unshared var u: u64;", add("here"), add("u")]
        elif roll < 0.3:                                  # ... not when initialised or read
            stmts += [f"report var here: {rng.choice(_TYPES)} = 3;", add("here")]
        elif roll < 0.35:
            stmts += ["report var here: u32;", add("here"), "seen = seen + (here as u64);"]
        elif roll < 0.55:                                 # a shared counter: coalesced with the globals
            stmts.insert(0, f"shared report var s: {rng.choice(_TYPES)};")
            stmts.append(add("s"))
        lines.append(f"{rng.choice(_RULES)} {rng.choice(_PREDICATES)} {{ {' '.join(stmts)} }}")
    if rng.random() < 0.5:                                # a per-site instruction counter
        rule = rng.choice(("wasm:opcode:*:before", "wasm:opcode:*:before", "wasm:opcode:*:before",
                           "wasm:opcode:local.get:before", "wasm:opcode:*:after"))
        t = rng.choice(_TYPES[:4] + _TYPES)
        lines.append(f"{rule} {rng.choice(_PREDICATES)} {{ report var n: {t}; {add('n')} }}")
    if rng.random() < 0.5:
        g = rng.choice(names)
        lines.append(f"wasm:end {{ seen = seen * 3 + ({g} as u64); }}")
    return "\n".join(lines)


@pytest.mark.parametrize("chunk", range(2))
def test_counter_scripts(chunk, compare):
    for seed in range(chunk * 30, (chunk + 1) * 30):
        script = counter_script(random.Random(seed))
        try:
            compare(script, seed)
        except AssertionError as exc:
            raise AssertionError(f"counter script (seed {seed}):\n{script}\n{exc}") from None


def _stdout(wasm_app: bytes, script: str, coalesce: bool, name: str) -> str:
    result = api.instrument(wasm_app, script, options=api.Options(no_coalesce=not coalesce))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stdout"
        run = api.run(result, RunOptions((name,), stdout=str(out), timeout=120))
        assert run.message is None, run.message
        return out.read_text()


#: sqlite's per-site instruction counter (473,690 report rows) alone would take a minute.
_WASI_RUNS = [(name, script) for name in [p.name for p in C_PROGRAMS] + ["sqlite"] for script in sorted(CORPUS_SCRIPTS)
              if (name, script) != ("sqlite", "icount_site")]


@pytest.mark.parametrize("name,script", _WASI_RUNS)
def test_corpus_wasi(name, script):
    prog = program(name)
    text = CORPUS_SCRIPTS[script]
    coalesced = _stdout(prog.wasm, text, True, name)
    assert "REPORT CSV FLUSH" in coalesced
    assert coalesced == _stdout(prog.wasm, text, False, name)


def _live(wasm_app: bytes, script: str, coalesce: bool, export: str) -> tuple[bool, list[str]]:
    """``(trapped, report values read live)`` after invoking ``export`` (the shell's read)."""
    result = api.instrument(wasm_app, script, options=api.Options(no_coalesce=not coalesce))
    run = api.run(result, RunOptions(("app.wasm",), invoke=export, stdout=tempfile.mktemp(), timeout=60))
    return run.message is not None, [v.text for v in api.read_report_values(result.layout, run)]


#: WAT fixtures the runner can call: wasmtime-py cannot run legacy try/catch, and only the
#: parameterless ``@run`` exports can be invoked (``--invoke`` passes no arguments).
_WAT_RUNS = [(p.name, r.export) for p in WAT_PROGRAMS if not p.legacy_exceptions
             for r in p.runs if not r.args and r.expected != "trap"]


@pytest.mark.parametrize("script", sorted(CORPUS_SCRIPTS))
@pytest.mark.parametrize("name,export", _WAT_RUNS)
def test_corpus_wat(name, export, script):
    wasm_app = program(name).wasm
    text = CORPUS_SCRIPTS[script]
    assert _live(wasm_app, text, True, export) == _live(wasm_app, text, False, export)


def test_runs_are_coalesced():
    """The switch does something: the instruction counter of a C program sets its global far less often."""
    wasm_app = program("matrix").wasm
    sets = [api.instrument(wasm_app, ICOUNT, options=api.Options(no_coalesce=off)).wasm.count(b"\x24")
            for off in (False, True)]
    assert sets[0] * 2 < sets[1]


def test_per_site_counters_are_coalesced():
    """The per-site instruction counter of a C program adds far less often (``i64.const 1; i64.add``
    is its add, uncoalesced one per instruction) and its output is smaller; most report rows read
    another site's slot."""
    wasm_app = program("matrix").wasm
    on, off = (api.instrument(wasm_app, ICOUNT_SITE, options=api.Options(no_coalesce=off)) for off in (False, True))
    adds = [out.wasm.count(b"\x42\x01\x7c") for out in (on, off)]
    assert adds[0] * 3 < adds[1]
    assert len(on.wasm) < len(off.wasm)
    moved = sum(v.location.value_offset is not None for v in on.layout.report)
    assert moved * 3 > len(on.layout.report) * 2
    assert all(v.location.value_offset is None for v in off.layout.report)


TRAP_WAT = """(module
  (memory 1)
  (func (export "go")
    i32.const 1
    i32.const 0
    i32.div_u
    drop
    nop
    nop))"""


def test_trap_mid_run_counts_the_whole_run():
    """docs/COALESCING.md: a trap inside a run shows the run's whole total (its add comes first)."""
    wasm_app = wasmtime.wat2wasm(TRAP_WAT)
    trapped, coalesced = _live(wasm_app, ICOUNT, True, "go")
    assert trapped
    assert _live(wasm_app, ICOUNT, False, "go") == (True, ["3"])        # const, const, div_u
    assert coalesced == ["7"]                                         # … drop, nop, nop, end
    # per-site: every site of the run shows the run's execution, also drop, nop, nop, end
    assert _live(wasm_app, ICOUNT_SITE, False, "go") == (True, ["1", "1", "1", "0", "0", "0", "0"])
    assert _live(wasm_app, ICOUNT_SITE, True, "go") == (True, ["1"] * 7)


DEAD_WAT = """(module
  (func (export "go")
    block
      br 0
      nop          ;; dead: after br, up to the block's end
      nop
    end            ;; targeted: what follows is reached
    nop
    i32.const 0
    if
      return
      nop          ;; dead
    end            ;; an if without else: reached from the if
    return
    nop))          ;; dead, up to the function's end"""


def test_dead_runs_get_no_add():
    """docs/COALESCING.md, "Dead runs": a run after ``br``/``return`` that nothing enters gets no add;
    the live ones get theirs (``block; br`` 2, ``nop; i32.const; if`` 3, the ``if``'s ``return`` 1, the
    last ``return`` 1), and the count is the same as uncoalesced."""
    wasm_app = wasmtime.wat2wasm(DEAD_WAT)
    out = api.instrument(wasm_app, ICOUNT).wasm
    assert [out.count(b"\x42" + bytes([k]) + b"\x7c\x24") for k in range(1, 6)] == [2, 1, 1, 0, 0]
    assert _live(wasm_app, ICOUNT, True, "go") == _live(wasm_app, ICOUNT, False, "go") == (False, ["6"])


def dead_code_wat(rng: random.Random) -> str:
    """A module whose exported ``go`` and the functions it calls mix straight-line code with
    unconditional branches (``br`` to any enclosing block, ``br_table``, ``return``, ``return_call``,
    ``unreachable``) followed by dead code, inside blocks, ``if``/``else`` (constant conditions, some
    branches targeting the ``if``) and loops whose back edge a local bounds (so every call ends)."""
    def exits(labels: list[str]) -> list[int]:
        return [depth for depth, kind in enumerate(reversed(labels)) if kind != "loop"]

    def body(labels: list[str], budget: list[int]) -> list[str]:
        out: list[str] = []
        for _ in range(rng.randint(1, 4)):
            budget[0] -= 1
            roll = rng.random()
            if roll < 0.3 or len(labels) > 3 or budget[0] < 0:
                out += rng.choice((["nop"], ["i32.const 7", "drop"], ["i32.const 2", "call $leaf"]))
            elif roll < 0.5:
                pick = rng.random()
                if pick < 0.45 and exits(labels):
                    out.append(f"br {rng.choice(exits(labels))}")
                elif pick < 0.6 and exits(labels):
                    targets = " ".join(str(rng.choice(exits(labels))) for _ in range(rng.randint(1, 3)))
                    out += ["local.get 0", f"br_table {targets}"]
                elif pick < 0.75:
                    out.append("return")
                elif pick < 0.9:
                    out += ["i32.const 2", "return_call $leaf"]
                else:
                    out.append("unreachable")
            elif roll < 0.6 and exits(labels):
                out += [f"i32.const {rng.randint(0, 1)}", f"br_if {rng.choice(exits(labels))}"]
            elif roll < 0.75:
                out += ["block", *body(labels + ["block"], budget), "end"]
            elif roll < 0.9:
                then = body(labels + ["if"], budget)
                other = ["else", *body(labels + ["if"], budget)] if rng.random() < 0.6 else []
                out += [f"i32.const {rng.randint(0, 1)}", "if", *then, *other, "end"]
            else:                        # taken again while local 1 lasts
                inner = body(labels + ["loop"], budget)
                out += ["loop", *inner, "local.get 1", "if", "local.get 1", "i32.const 1", "i32.sub",
                        "local.set 1", "br 1", "end", "end"]
        return out

    funcs = []
    for name, head in (("go", '(export "go") (local i32 i32)'), ("f1", "(param i32) (local i32)"),
                       ("f2", "(param i32) (local i32)")):
        code = ["i32.const 2", "local.set 1"]
        if name == "go":
            code += ["i32.const 1", "call $f1", "i32.const 0", "call $f2"]
        code += body([], [rng.randint(8, 24)])
        funcs.append(f"(func ${name} {head}\n    " + "\n    ".join(code) + ")")
    return "(module\n  (func $leaf (param i32))\n  " + "\n  ".join(funcs) + ")"


@pytest.mark.parametrize("script", ["icount", "icount_site"])
def test_dead_code_counts(script):
    """Generated modules with dead code after unconditional branches: coalesced = uncoalesced (the
    dead runs' adds are left out, the rest of the counts must not notice)."""
    text = CORPUS_SCRIPTS[script]
    for seed in range(40):
        wat = dead_code_wat(random.Random(seed))
        wasm_app = wasmtime.wat2wasm(wat)
        coalesced = _live(wasm_app, text, True, "go")
        assert coalesced == _live(wasm_app, text, False, "go"), f"seed {seed}:\n{wat}"
