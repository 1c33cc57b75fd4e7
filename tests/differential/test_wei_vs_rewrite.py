"""Rewriting vs the wei emulator on generated scripts (issue 9): for every script of the engine
target's subset, ``whamm run`` and ``whamm run --wei-monitor`` print the same output on the same
application, apart from the report's ``memaddr``/``global_id`` ids and the probe ids' mode suffix
(WEI.md §7; :func:`wei.wei_fixtures.masked`).  160 scripts per run, over seven applications."""
from __future__ import annotations

import difflib

import pytest

from gen.scripts import WEI
from wei.wei_fixtures import masked

from .harness import APPS, run_rewritten, run_wei
from .loop import check_seeds

CHUNKS, PER_CHUNK = 4, 40
APP_NAMES = sorted(APPS)
BANNER = "REPORT CSV FLUSH"


def without_unmatched_shared_rows(emulated: str, rewritten: str) -> str:
    """The emulated output without the shared report rows of probes that have no row at all in the
    rewritten output.  The rewriting target prints no shared row for a probe injected nowhere; the
    monitor cannot know that no site will match and always prints it.  The spec does not say which is
    right (REWRITING.md §11.2 "one row per probe"), so this one difference is set aside (reported in
    issue 9's closing note)."""
    probes = {line.split(", ")[9] for line in rewritten.split("\n") if line.count(", ") >= 10}
    lines = [line for line in emulated.split("\n")
             if not (line.count(", ") >= 10 and line.split(", ")[6:9] == ["", "", ""]
                     and line.split(", ")[9] and line.split(", ")[9] not in probes)]
    # when those were its only rows, rewriting prints no report at all (REWRITING.md §10 step 3)
    header = next((k for k, line in enumerate(lines) if line.startswith("id, id_type, name,")), None)
    if header is not None and BANNER not in rewritten and all(not line for line in lines[header + 1:]):
        lines = lines[:header - 2] + lines[header + 1:]
    return "\n".join(lines)


def compare(script: str, seed: int) -> None:
    app = APP_NAMES[seed % len(APP_NAMES)]
    rewritten = masked(run_rewritten(script, app))
    emulated = without_unmatched_shared_rows(masked(run_wei(script, app)), rewritten)
    if rewritten != emulated:
        diff = "\n".join(difflib.unified_diff(rewritten.splitlines(), emulated.splitlines(), "rewriting", "wei",
                                              lineterm="", n=1))
        raise AssertionError(f"outputs differ on {app}:\n{diff}")


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_generated_scripts(chunk):
    assert check_seeds(compare, WEI, range(chunk * PER_CHUNK, (chunk + 1) * PER_CHUNK)) == PER_CHUNK
