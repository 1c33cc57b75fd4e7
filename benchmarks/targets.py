"""The issue's targets in one table at the end of ``make bench``.

Each benchmark that measures a figure with a target (``overhead.py``, ``output_costs.py``,
``shell_latency.py``) prints it in its own table and also calls :func:`record`; when ``make bench``
runs them it names a file in ``WHAMM_BENCH_TARGETS``, where :func:`record` appends one JSON line per
figure, and finally runs

    python3 benchmarks/targets.py FILE

which prints every figure of that one run next to its target, so the closing summary is one table
measured in one sitting rather than numbers gathered from separate runs.  Run on their own, the
benchmarks record nothing.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ENVIRONMENT = "WHAMM_BENCH_TARGETS"


def record(figure: str, low: float, median: float, unit: str, target: float) -> None:
    """Append ``figure``'s min and median to the summary file of this ``make bench`` run, if any.
    "Met" is judged on the median (a target is an upper bound)."""
    path = os.environ.get(ENVIRONMENT)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(json.dumps({"figure": figure, "min": low, "median": median, "unit": unit,
                                  "target": target}) + "\n")


def table(lines: list[str]) -> list[str]:
    """The summary table of the recorded figures, in the order they were measured."""
    rows = [json.loads(line) for line in lines if line.strip()]
    width = max([len(row["figure"]) for row in rows] + [6]) + 2
    out = [f"{'figure':<{width}}{'min':>9}{'median':>9}{'':5}{'target':>9}{'met':>5}"]
    for row in rows:
        met = "yes" if row["median"] <= row["target"] else "no"
        out.append(f"{row['figure']:<{width}}{row['min']:>9.3f}{row['median']:>9.3f} {row['unit']:<4}"
                   f"{'≤ ' + format(row['target'], 'g'):>9}{met:>5}")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python3 benchmarks/targets.py SUMMARY-FILE", file=sys.stderr)
        return 2
    try:
        lines = Path(argv[0]).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        print(f"targets: cannot read {argv[0]}: {error.strerror}", file=sys.stderr)
        return 1
    if not lines:
        print("targets: no figure was recorded", file=sys.stderr)
        return 1
    print("\n".join(table(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
