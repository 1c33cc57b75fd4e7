"""Running many generated scripts through one comparison: seeded, chunked, and on a failure shrunk
to a small script that still fails, printed with its seed."""
from __future__ import annotations

import os
import traceback
from typing import Callable

from gen.scripts import Profile, Script, from_seed, shrink

#: The run's base seed: fixed, so CI runs are deterministic; set WHAMM_GEN_SEED to explore others.
BASE_SEED = int(os.environ.get("WHAMM_GEN_SEED", "0"))


def failure(compare: Callable[[str, int], None], text: str, seed: int) -> str | None:
    """The failure of ``compare`` on ``text`` as text, or None when it passes."""
    try:
        compare(text, seed)
    except Exception:  # noqa: BLE001 - any exception is a finding to report with its script
        return traceback.format_exc(limit=3)
    return None


def check_seeds(compare: Callable[[str, int], None], profile: Profile, seeds: range) -> int:
    """Generate a script per seed and run ``compare(script, seed)`` on it; the first failure is
    shrunk (same kind of failure: the last line of the message) and raised with the script."""
    for i in seeds:
        seed = BASE_SEED + i
        script = from_seed(seed, profile)
        problem = failure(compare, script.text, seed)
        if problem is None:
            continue
        kind = problem.strip().splitlines()[-1].split(":")[0]
        small: Script = shrink(script, lambda text: (f := failure(compare, text, seed)) is not None
                               and f.strip().splitlines()[-1].split(":")[0] == kind, profile)
        again = failure(compare, small.text, seed) or problem
        raise AssertionError(f"generated script (seed {seed}, {profile.name} profile, shrunk) fails:\n"
                             f"{small.text}\n{again}\n--- original script ---\n{script.text}")
    return len(seeds)
