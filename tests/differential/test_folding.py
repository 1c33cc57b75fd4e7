"""The folding oracle (issue 9): the same report with static folding on and off.

With folding off (:func:`compiler.lang.folder.static_folding`) every probe is injected at every site
its rule matches, with its whole predicate evaluated at run time, so the output before the report must
be identical and every report row of the folded build must appear, with the same value, in the
unfolded one.  The unfolded build may have more per-site rows (sites where the predicate folds to
``false`` get no row when folding, LANGUAGE.md §13.2, and a probe injected nowhere has no shared
rows either); global rows must all be the same.
160 scripts per run, over seven applications, with every mode and variable kind."""
from __future__ import annotations

import pytest

from gen.scripts import REWRITE

from .harness import APPS, Report, run_rewritten
from .loop import check_seeds

CHUNKS, PER_CHUNK = 4, 40
APP_NAMES = sorted(APPS)


def compare(script: str, seed: int) -> None:
    app = APP_NAMES[seed % len(APP_NAMES)]
    folded = Report.parse(run_rewritten(script, app))
    unfolded = Report.parse(run_rewritten(script, app, fold=False))
    assert folded.before == unfolded.before, f"output before the report differs on {app}"
    for key, vals in folded.rows.items():
        assert unfolded.rows.get(key) == vals, f"row {key} on {app}: folded {vals}, unfolded {unfolded.rows.get(key)}"
    probes = {k[8] for k in folded.rows}
    extra = [k for k in unfolded.rows if k not in folded.rows and not Report.per_site(k)
             and not (k[8] and k[8] not in probes)]       # a shared row of a probe injected nowhere
    assert not extra, f"rows only without folding on {app}: {extra}"


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_generated_scripts(chunk):
    assert check_seeds(compare, REWRITE, range(chunk * PER_CHUNK, (chunk + 1) * PER_CHUNK)) == PER_CHUNK


def test_switch_injects_at_every_site():
    """The switch itself: a predicate false at all but one site keeps every site without folding."""
    script = 'wasm:opcode:call:before / fname == "calc" / { report var c: u32; c++; }'
    folded = Report.parse(run_rewritten(script, "app.wasm"))
    unfolded = Report.parse(run_rewritten(script, "app.wasm", fold=False))
    assert {k[5] for k in folded.rows} == {"calc"}
    assert {k[5] for k in unfolded.rows} > {"calc", "main"}
    assert all(v == ["0"] for k, v in unfolded.rows.items() if k[5] != "calc")
