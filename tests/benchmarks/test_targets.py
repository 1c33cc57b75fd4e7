"""``make bench``'s closing table (benchmarks/targets.py): every recorded figure appears once, in the
order it was measured, and "met" is judged on the median against the target, an upper bound."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
try:
    import targets
finally:
    sys.path.pop(0)


def test_recorded_figures_are_printed_in_order_with_met_judged_on_the_median(tmp_path, monkeypatch, capsys):
    summary = tmp_path / "summary"
    monkeypatch.setenv(targets.ENVIRONMENT, str(summary))
    targets.record("mm + icount, whamm / hand-written", 0.98, 1.02, "x", 1.15)
    targets.record("output size, sqlite + branches / input", 2.5, 2.5, "x", 2.0)
    targets.record("whamm --help CPU", 0.10, 0.16, "s", 0.15)   # min meets it, the median does not
    assert targets.main([str(summary)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].split() == ["figure", "min", "median", "target", "met"]
    assert [line.split()[-1] for line in lines[1:]] == ["yes", "no", "no"]
    assert lines[1].startswith("mm + icount") and "1.020" in lines[1] and "≤ 1.15" in lines[1]


def test_nothing_is_recorded_outside_make_bench(tmp_path, monkeypatch):
    monkeypatch.delenv(targets.ENVIRONMENT, raising=False)
    monkeypatch.chdir(tmp_path)
    targets.record("figure", 1.0, 1.0, "x", 2.0)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_or_missing_summary_is_an_error_not_an_empty_table(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.write_text("")
    assert targets.main([str(empty)]) == 1
    assert targets.main([str(tmp_path / "missing")]) == 1
    assert targets.main([]) == 2
    assert "no figure was recorded" in capsys.readouterr().err
