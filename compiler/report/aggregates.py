"""Aggregate values (ANALYSIS.md §1) as Python sees them: their buckets, the report (CSV) form and the
human form of bpftrace.

A value is what :func:`compiler.backend.runtime_abi.unpack_value` reads from memory: ``stats`` the
tuple ``(count, sum, min, max)``, a histogram the tuple of its bucket counts (``hist``: 65 buckets,
``lhist``: the open ends first and last).  The runtime (``runtime/agg.c``) prints the report form at
run time; these twins format values the shell reads from a live instance, and define the text for tests.
"""
from __future__ import annotations

from compiler.lang.types import AggType

__all__ = ["buckets", "stats_avg", "agg_count", "agg_json", "bucket_labels", "format_agg", "format_agg_human"]


def buckets(t: AggType) -> list[tuple[int | None, int | None]]:
    """Each bucket's ``[lo, hi)``; None is an open end (``-inf``/``+inf``)."""
    if t.kind == "hist":
        return [(0, 1), (1, 2)] + [(1 << k, 1 << (k + 1)) for k in range(1, 64)]
    inner = [(t.lo + i * t.step, min(t.lo + (i + 1) * t.step, t.hi)) for i in range(t.inner)]
    return [(None, t.lo), *inner, (t.hi, None)]


def stats_avg(count: int, total: int) -> int:
    """``sum / count`` truncated toward zero; 0 when empty."""
    if not count:
        return 0
    q = abs(total) // count
    return q if total >= 0 else -q


def agg_count(t: AggType, v: tuple) -> int:
    """How many samples were added (``.count()``): what a report table shows and sorts by."""
    return v[0] if t.kind == "stats" else sum(v)


def agg_json(t: AggType, v: tuple) -> dict | list:
    """The value as JSON data: ``stats`` an object with count, sum, min, max and avg; a histogram the
    list of its non-empty buckets ``{"lo", "hi", "count"}`` in ascending order (``null`` for an open
    end), like the report's cell."""
    if t.kind == "stats":
        count, total, lo, hi = v
        return {"count": count, "sum": total, "min": lo, "max": hi, "avg": stats_avg(count, total)}
    return [{"lo": lo, "hi": hi, "count": n} for (lo, hi), n in zip(buckets(t), v) if n]


def bucket_labels(t: AggType) -> list[str]:
    """Each histogram bucket's name in the report's cell, ``label=n``: ``0``, ``1``, ``[2,4)``, …
    (``hist``), ``(-inf,MIN)``, ``[lo,hi)``, …, ``[MAX,+inf)`` (``lhist``).  Distinct, so a printed
    cell names its buckets unambiguously (:mod:`compiler.report.printed` reads it back)."""
    labels = []
    for i, (lo, hi) in enumerate(buckets(t)):
        if t.kind == "hist" and i < 2:
            labels.append(str(i))
        elif lo is None:
            labels.append(f"(-inf,{hi})")
        elif hi is None:
            labels.append(f"[{lo},+inf)")
        else:
            labels.append(f"[{lo},{hi})")
    return labels


def format_agg(t: AggType, v: tuple) -> str:
    """The report's value cell: ``count=3 sum=30 min=5 max=15 avg=10``, or the non-empty buckets
    ``label=n`` joined by spaces (:func:`bucket_labels`); an empty histogram is the empty text."""
    if t.kind == "stats":
        count, total, lo, hi = v
        return f"count={count} sum={total} min={lo} max={hi} avg={stats_avg(count, total)}"
    return " ".join(f"{label}={n}" for label, n in zip(bucket_labels(t), v) if n)


_SUFFIXES = ("", "K", "M", "G", "T", "P", "E")


def _power_label(n: int) -> str:
    """bpftrace's histogram bound: 1024-multiples as ``1K``, ``4M``, …"""
    k = 0
    while n and n % 1024 == 0 and k < len(_SUFFIXES) - 1:
        n //= 1024
        k += 1
    return f"{n}{_SUFFIXES[k]}"


def format_agg_human(name: str, t: AggType, v: tuple, width: int = 52) -> str:
    """bpftrace's form (``print``, the shell's ``report``): ``@name:`` then one line per bucket from the
    first to the last non-empty one, ``[lo, hi)`` in 16 columns, the count in 8 and a bar of ``@``
    scaled to the largest bucket; ``stats`` on one line.  An empty histogram is the heading alone."""
    if t.kind == "stats":
        count, total, lo, hi = v
        return (f"@{name}: count {count}, average {stats_avg(count, total)}, total {total}, "
                f"min {lo}, max {hi}\n")
    lines = [f"@{name}:"]
    used = [i for i, n in enumerate(v) if n]
    if used:
        top = max(v)
        for i in range(used[0], used[-1] + 1):
            lo, hi = buckets(t)[i]
            if t.kind == "hist":
                label = f"[{i}]" if i < 2 else f"[{_power_label(lo)}, {_power_label(hi)})"  # type: ignore[arg-type]
            elif lo is None:
                label = f"(..., {hi})"
            elif hi is None:
                label = f"[{lo}, ...)"
            else:
                label = f"[{lo}, {hi})"
            bar = "@" * (v[i] * width // top)
            lines.append(f"{label:<16}{v[i]:>8} |{bar:<{width}}|")
    return "\n".join(lines) + "\n"
