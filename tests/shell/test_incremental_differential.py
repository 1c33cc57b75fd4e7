"""Differential test: the shell's incremental rebuild against a from-scratch build (issue 9).

Seeded random sequences of session commands — probe add / rm / enable / disable / edit, global add,
load (switching between the demo app and a C program of the corpus) and run — drive a
:class:`~whamm_shell.session.Session`.  After every ``run`` the module the shell built incrementally
(:attr:`RunRecord.build`) must equal :meth:`Session.from_scratch` — a fresh, cache-free compilation of
the session's saved script with the same options — byte for byte: that is the design
(:meth:`Session.build`), so nothing weaker is accepted.  A command the session refuses must leave it
as it was, and a build the shell refuses must be refused from scratch with the same message.

``WHAMM_DIFF_SEQUENCES`` (default 220) sets how many sequences run and ``WHAMM_DIFF_SEED`` (default 0)
the first seed.  A failure prints the seed and the commands of its sequence, as shell input.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

import pytest

from compiler import api
from compiler.errors import WhammError
from shellrun import DEMO, REPO
from whamm_shell.session import Session

C_PROGRAM = REPO / "tests" / "corpus" / "c" / "interp.wasm"
APPS = (DEMO, C_PROGRAM)
SEQUENCES = int(os.environ.get("WHAMM_DIFF_SEQUENCES", "220"))
FIRST_SEED = int(os.environ.get("WHAMM_DIFF_SEED", "0"))
#: The share of runs that also execute the module.  What is compared is the module; executing every
#: one (a Cranelift compile each) would cost most of the time budget and check the runner, not the
#: rebuild, so a sample of them runs to keep the session's run path (compiled-module cache, live
#: report) in the loop.
EXECUTE = 0.1

#: Script-level items (each name declared by one item only, so any subset in any order is valid).
GLOBALS = (
    "var count: u32",
    "report var calls: map<str, u32>",
    "report var total: u64",
    "var label: str = \"x\"",
    "report var by_fid: map<u32, u32>",
    "fn twice(x: u32) -> u32 { return x * 2; }",
)

#: Probes covering the facts a body embeds: string literals and names, script globals, per-site and
#: shared memory slots, per-site maps, the runtime, table shadows, predicates folded or left dynamic,
#: frame variables, alt, and the special probes (the exit routine).  Some refer to globals that may be
#: missing: adding them then fails and must leave the session unchanged.  Static predicates on ``fid``
#: keep the probes that match nearly every instruction to a few functions (the suite's time budget).
PROBES = (
    "wasm:opcode:call:before { calls[target_fn_name]++; }",
    "wasm:opcode:br_if:before { report var taken: u32; taken++; }",
    "wasm:opcode:call:before / imm0 == 2 / { count++; }",
    "wasm:opcode:call(arg0: i32):before / arg0 == 0 / { report var zero: u32; zero++; }",
    "wasm:func:entry { report var entered: u32; entered++; }",
    "wasm:func:exit / fname == \"calc\" / { total = total + 1; }",
    "wasm:opcode:local.get:before / fid < 12 / { report shared var gets: u64; gets++; }",
    "wasm:opcode:br_if:before { report var m: map<u32, u32>; m[fid]++; }",
    "wasm:opcode:call:after { by_fid[fid] = by_fid[fid] + twice(1); }",
    "wasm:opcode:i32.add:before / fid < 12 / { report var s: str; s = fname; }",
    "wasm:opcode:call_indirect:before { report var r: map<i32, u32>; r[resolved_fid]++; }",
    "wasm:block:start / fid % 5 == 2 / { report var blocks: u32; blocks++; }",
    "wasm:opcode:i32.store:before / fid > 20 && fid < 30 / { report var last: u32; last = effective_addr; }",
    "wasm:opcode:call:before / fname == \"main\" || fname == \"show_calc\" / { label = \"main\"; }",
    "wasm:end { count = count + 1; }",
    "wasm:report { count = 0; }",
    "wasm:opcode:br_if:before / fid % 3 == 1 / { report frame var depth: u32; depth++; }",
    "wasm:opcode:call(arg0: i32):alt / target_fn_name == \"collatz\" && arg0 == 27 / { count++; return -1; }",
    "wasm:opcode:call:before / fname == \"calc\" / { report var n: u32; n++; }",
    "wasm:begin { label = \"begin\"; }",
    "wasm:opcode:drop:before { }",
)


@dataclass
class Sequence:
    """One random sequence: the session, the commands so far (as shell input) and the runs checked."""

    seed: int
    session: Session
    log: list[str] = field(default_factory=list)
    runs: int = 0

    def fail(self, why: str) -> None:
        script = "\n".join(f"    {line}" for line in self.log)
        pytest.fail(f"incremental != from scratch (seed {self.seed}): {why}\ncommands:\n{script}", pytrace=False)


def step(seq: Sequence, rng: random.Random, apps: dict) -> None:
    """One random command; a refused one must leave the session's script unchanged."""
    session = seq.session
    numbers = list(session.probes)
    choice = rng.random()
    before = session.compose().source
    try:
        if choice < 0.30 or not numbers:
            text = rng.choice(PROBES)
            seq.log.append(f"probe add {text}")
            session.add_probe(text)
        elif choice < 0.38:
            item = rng.choice(GLOBALS)
            seq.log.append(item)
            session.add_item(item)
        elif choice < 0.48:
            n = rng.choice(numbers)
            seq.log.append(f"probe rm {n}")
            session.remove([n])
        elif choice < 0.58:
            picked = rng.sample(numbers, rng.randint(1, len(numbers)))
            seq.log.append(f"probe disable {' '.join(map(str, picked))}")
            session.set_enabled(picked, False)
        elif choice < 0.68:
            picked = rng.sample(numbers, rng.randint(1, len(numbers)))
            seq.log.append(f"probe enable {' '.join(map(str, picked))}")
            session.set_enabled(picked, True)
        elif choice < 0.76:
            n, text = rng.choice(numbers), rng.choice(PROBES)
            seq.log.append(f"probe edit {n} {text}")
            session.edit_probe(n, text)
        elif choice < 0.80:
            path = rng.choice(APPS)
            seq.log.append(f"load {path.relative_to(REPO)}")
            loaded = session.load(path)
            session.instrumenter.compiled = apps.setdefault(path, session.instrumenter.compiled)
            if isinstance(loaded, WhammError):
                return
        else:
            seq.log.append("run")
            run(seq, execute=rng.random() < EXECUTE)
    except WhammError:
        if seq.log[-1] != "run" and session.compose().source != before:
            seq.fail("a refused command changed the session's script")


def run(seq: Sequence, execute: bool) -> None:
    """``run``: build incrementally (and, with ``execute``, run it), then compare with from scratch."""
    session = seq.session
    try:
        if execute:
            built = session.run(stdout=lambda data: None, stderr=lambda data: None).build
        else:
            built = session.build()
    except WhammError as exc:
        refused: WhammError = exc
    else:
        refused = None
    if refused is not None:
        try:
            session.from_scratch()
        except WhammError as fresh:
            if type(fresh) is not type(refused):
                seq.fail(f"the shell refused with {type(refused).__name__}, from scratch {type(fresh).__name__}")
            return
        seq.fail(f"the shell refused to build ({refused}); from scratch builds")
    seq.runs += 1
    fresh = session.from_scratch()
    if built.wasm != fresh.wasm:
        seq.fail(f"the modules differ ({len(built.wasm)} vs {len(fresh.wasm)} bytes)")
    if session.last_build is not built:
        seq.fail("Session.last_build is not the module that was built")


def test_incremental_builds_equal_builds_from_scratch() -> None:
    apps: dict = {}
    total_runs = 0
    loaded = {path: api.load_app(path) for path in APPS}
    for seed in range(FIRST_SEED, FIRST_SEED + SEQUENCES):
        rng = random.Random(seed)
        path = APPS[seed % len(APPS)]
        session = Session(loaded[path])
        session.settings = session.settings.__class__(timeout=20)
        session.instrumenter.compiled = apps.setdefault(path, session.instrumenter.compiled)
        seq = Sequence(seed, session, [f"load {path.relative_to(REPO)}"])
        for _ in range(rng.randint(3, 7)):
            step(seq, rng, apps)
        if seq.log[-1] != "run":
            seq.log.append("run")
            run(seq, execute=rng.random() < EXECUTE)
        total_runs += seq.runs
    assert total_runs >= SEQUENCES          # every sequence ends with a run that was compared
