"""The matcher's function-level prefilter (compiler/sites/matching.py, probe_plans.py): a predicate folded with a
function's ``fid``/``fname`` alone rules out the functions where it is ``false``, and that must change
nothing — the same sites, folds and errors as folding at every site — while skipping exactly the
functions without a site when the predicate reads nothing else."""
from __future__ import annotations

import random

import pytest
import wasmtime

from compiler.errors import WhammError
from compiler.lang.folder import static_folding
from compiler.lang.frontend import check_source
from compiler.sites import probe_plans
from compiler.sites.matching import _Matcher, match
from compiler.sites.static_calls import StaticCalls
from compiler.wasm import read_module

# Named and unnamed functions (fid 1… after one import), with calls, br_if, blocks and a proc_exit.
APP = read_module(wasmtime.wat2wasm("""(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (func $main (param i32) (result i32)
    block local.get 0 br_if 0 local.get 0 call $calc drop end
    local.get 0 call $calc)
  (func $calc (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func (param i32) local.get 0 call $proc_exit)
  (func $mem_read (param i32) (result i32)
    loop local.get 0 br_if 0 end local.get 0 call $calc)
  (func $main_loop call $anon_b call $anon_b)
  (func $anon_b)
  (func (param i32) local.get 0 drop))"""))
NAMES = ("main", "calc", "mem_read", "main_loop", "anon_b", "", "mai", "x")
RULES = ("wasm:opcode:call:before", "wasm:opcode:br_if:before", "wasm:opcode:*:after", "wasm:func:entry",
         "wasm:func:exit", "wasm:block:start", "wasm:block:end", "wasm:opcode:local.get:before")


def _function_atom(rng: random.Random) -> str:
    """A comparison reading only ``fid`` or ``fname``."""
    k = rng.randrange(0, 9)
    name = rng.choice(NAMES)
    return rng.choice((f"fid == {k}", f"fid != {k}", f"fid < {k}", f"fid >= {k}", f"(fid as u8) > {k}",
                       f'fname == "{name}"', f'fname != "{name}"', f'fname.starts_with("{name}")',
                       f'fname.contains("{name[:2]}")', "true", "false", "LIMIT > 2"))


def _site_atom(rng: random.Random) -> str:
    """A comparison that needs the site (``pc``) or may trap there (division, float cast)."""
    k = rng.randrange(0, 9)
    return rng.choice((f"pc > {k * 3}", f"pc % 2 == {k % 2}", f"(pc / (fid - {k})) > 1",
                       f"((fid as f64) * 1.5) as u32 > {k}", f"opidx <= {k}"))


def predicate(rng: random.Random, depth: int, site: bool) -> str:
    if depth == 0 or rng.random() < 0.3:
        return _site_atom(rng) if site and rng.random() < 0.3 else _function_atom(rng)
    form = rng.randrange(4)
    a, b = predicate(rng, depth - 1, site), predicate(rng, depth - 1, site)
    if form == 0:
        return f"({a} && {b})"
    if form == 1:
        return f"({a} || {b})"
    if form == 2:
        return f"!({a})"
    return f"({a} ? {b} : {predicate(rng, depth - 1, site)})"


def script(rng: random.Random, site: bool) -> str:
    probes = []
    for _ in range(rng.randrange(1, 4)):
        rule = rng.choice(RULES)
        probes.append(f"{rule} / {predicate(rng, 3, site)} / {{ report var n: u32; n++; }}")
    return "var LIMIT: u32;\nLIMIT = 4;\n" + "\n".join(probes) + "\n"


def outcome(module, program) -> object:
    """Everything matching decides, or the error it raises."""
    static = StaticCalls(module, program)
    try:
        found = match(module, program, static_call=static)
    except WhammError as exc:
        return type(exc).__name__, str(exc)
    finally:
        static.close()
    return [(s.probe.number, s.fid, s.index, s.placement, s.pc, dict(s.bindings), s.operands, s.results,
             s.folded) for s in found.sites], found.functions, {f: len(v) for f, v in found.by_function.items()}


def without_prefilter(monkeypatch: pytest.MonkeyPatch, module, program) -> object:
    with monkeypatch.context() as m:
        m.setattr(probe_plans, "_function_names", lambda probe, static_names: None)
        return outcome(module, program)


@pytest.mark.parametrize("site", [False, True], ids=["function-only", "with-site-values"])
def test_generated_predicates_match_alike(monkeypatch, site):
    """Same sites, folds and errors with the prefilter and without, folding on and off."""
    rng = random.Random(20 + site)
    for _ in range(60):
        text = script(rng, site)
        program = check_source(text)
        for fold in (True, False):
            with static_folding(fold):
                assert outcome(APP, program) == without_prefilter(monkeypatch, APP, program), (fold, text)


def test_skips_exactly_the_functions_without_sites():
    """With a predicate over ``fid``/``fname`` only, the functions ruled out for a probe are those where
    its rule has candidate sites but the probe has none (and functions with no candidate at all)."""
    rng = random.Random(7)
    skipped_some = False
    for _ in range(80):
        rule = rng.choice(RULES)
        pred = predicate(rng, 3, site=False)
        program = check_source(f"var LIMIT: u32;\nLIMIT = 4;\n{rule} / {pred} / {{ report var n: u32; n++; }}\n")
        everywhere = check_source(f"{rule} {{ report var n: u32; n++; }}\n")
        candidates = _functions_by_event(match(APP, everywhere).sites)
        with_sites = _functions_by_event(match(APP, program).sites)
        matcher = _Matcher(APP, program, None)
        assert matcher.prefiltered, pred
        for plan in matcher.prefiltered:
            e = plan.probe.expansion
            event = (e.package, e.event, e.mode)
            ruled_out = {fid for fid in matcher.ms.defined if plan in matcher.ruled_out(matcher.ms.function(fid))}
            assert not ruled_out & with_sites.get(event, set()), (rule, pred, event)
            assert candidates.get(event, set()) - with_sites.get(event, set()) <= ruled_out, (rule, pred, event)
            skipped_some |= bool(ruled_out & candidates.get(event, set()))
    assert skipped_some


def _functions_by_event(sites) -> dict[tuple, set[int]]:
    out: dict[tuple, set[int]] = {}
    for s in sites:
        e = s.probe.expansion
        out.setdefault((e.package, e.event, e.mode), set()).add(s.fid)
    return out


@pytest.mark.parametrize("pred, names", [
    ('fname == "main"', ("fname",)),
    ("fid >= 3 && pc > 2", ("fid",)),
    ("pc > 2", ()),
    ("(pc / (fid - 3)) == 1", None),                # may trap at a site: every site is folded
    ("(fid as f32) as u32 == 1", None),            # a float to int cast may trap
    ("memid(whamm_core) == 0 && fid == 1", None),  # a static built-in (may fail at a site)
])
def test_which_predicates_are_prefiltered(pred, names):
    program = check_source(f"wasm:opcode:call:before / {pred} / {{ }}\n")
    (plan,) = probe_plans.probe_plans(program)
    assert plan.function_names == names


def test_a_trap_in_a_ruled_out_operand_is_still_reported():
    """``fid != 1 && pc / (fid - 1) == 1`` in ``main`` (fid 1): with fid alone the left operand is false,
    but at each site both operands are folded first (LANGUAGE.md §13.2.3), so the division traps there —
    the site reports it rather than the function being skipped."""
    program = check_source("wasm:opcode:call:before / fid != 1 && pc / (fid - 1) == 1 / { }\n")
    with pytest.raises(WhammError, match="division by zero in constant expression"):
        match(APP, program)


def test_generated_scripts_match_alike(monkeypatch, check_seeds, REWRITE, APPS):
    """The differential generator's scripts (every mode and variable kind) on its applications."""
    names = sorted(APPS)
    modules = {name: read_module(APPS[name]) for name in names}

    def compare(text: str, seed: int) -> None:
        program = check_source(text, "gen.mm")
        module = modules[names[seed % len(names)]]
        assert outcome(module, program) == without_prefilter(monkeypatch, module, program)

    assert check_seeds(compare, REWRITE, range(40)) == 40
