"""Batch mode: profiles (ANALYSIS.md §3) — ``flame VAR`` draws a ``map<str, N>`` as a top-down tree
with percentages, ``report VAR --folded FILE`` writes it as folded stacks; any ``map<str, int>`` is a
profile (synthetic keys here), and ``callstack`` makes one of a recursive C program."""
from __future__ import annotations

SYNTHETIC = ('report var p: map<str, u32>; report var n: u32; '
             'wasm:begin { p["main;a;b"] = 6; p["main;a"] = 2; p["main;c"] = 2; p["main;zero"] = 0; n = 1; }; run')

TREE = [
    "  share  total  self  frame",
    "100.00%     10     0  all",
    "100.00%     10     0    main",
    " 80.00%      8     2      a",
    " 60.00%      6     6        b",
    " 20.00%      2     2      c",
]


def test_flame_draws_the_tree_with_percentages(shell) -> None:
    r = shell("-c", f"{SYNTHETIC}; flame p")
    assert r.status == 0, r.err
    assert r.out.splitlines()[-len(TREE):] == TREE


def test_flame_depth_and_minimum_share(shell) -> None:
    r = shell("-c", f"{SYNTHETIC}; flame p --depth 2; flame p --min 50")
    assert r.status == 0, r.err
    lines = r.out.splitlines()
    assert lines[-11:] == [*TREE[:4], TREE[5], *TREE[:5], "(1 frame under 50% not shown)"]


def test_report_folded_writes_the_stacks(shell, tmp_path) -> None:
    out = tmp_path / "p.folded"
    r = shell("-c", f"{SYNTHETIC}; report p --folded {out}")
    assert r.status == 0, r.err
    assert f"wrote 3 stacks (10 samples) to {out}" in r.out
    # key order; the zero count is left out
    assert out.read_text() == "main;a 2\nmain;a;b 6\nmain;c 2\n"


def test_a_recursive_c_program_s_profile_sums_to_its_events(shell, REPO, tmp_path) -> None:
    """``prof[callstack]++`` and a plain counter in the same probe: the folded counts sum to the
    counter, and fib's stacks hold one frame per level of its recursion (fib(12): 465 calls, 12 deep)."""
    out = tmp_path / "prof.folded"
    r = shell(REPO / "examples" / "profile" / "work.wasm",
              "-c", "report var prof: map<str, u64>; report var calls: u64; "
                    "wasm:func:entry { prof[callstack]++; calls++; }; run; "
                    f"report calls; report prof --folded {out}; flame prof --min 5")
    assert r.status == 0, r.err
    calls = int(next(line.split()[-1] for line in r.out.splitlines() if line.startswith("calls ")))
    counts = [(line.rpartition(" ")[0], int(line.rpartition(" ")[2])) for line in out.read_text().splitlines()]
    assert sum(n for _, n in counts) == calls > 465
    fib = [(stack, n) for stack, n in counts if stack.endswith(";fib")]
    assert sum(n for _, n in fib) == 465 and max(s.count(";fib") for s, _ in fib) == 12
    tree = r.out.splitlines()
    # the root holds every call; the frames under main are indented one level deeper than main
    assert tree[tree.index("  share  total  self  frame") + 1].split() == ["100.00%", str(calls), "0", "all"]
    fib_line = next(line for line in tree if line.endswith("  fib"))
    assert fib_line.split()[1] == "465"


def test_profile_errors_are_clear_and_leave_files_alone(shell, tmp_path) -> None:
    kept = tmp_path / "kept.folded"
    kept.write_text("old contents\n")
    cases = [
        (f"report n --folded {kept}", "error: `n` is not a profile: its type is u32, a flame graph needs a "
                                      "map<str, N> of an integer N"),
        (f"report nope --folded {kept}", "error: no report variable `nope` (there are: n, p)"),
        (f"report --folded {kept}", "error: --folded needs the profile variable: report VAR --folded FILE"),
        (f"report p --folded {kept} --csv x.csv", "error: --folded cannot be combined with --csv"),
        (f"report p --folded {kept / 'inside'}", f"error: cannot write '{kept / 'inside'}'"),
        ("flame n", "error: `n` is not a profile"),
        ("flame", "usage: flame VAR [--depth N] [--min PCT] [--all]"),
        ("flame p --depth 0", "error: --depth must be at least 1"),
        ("flame p --min 150", "error: --min must be a percentage from 0 to 100"),
    ]
    for command, message in cases:
        r = shell("-c", f"{SYNTHETIC}; {command}")
        assert r.status == 1, command
        assert message in r.err, (command, r.err)
    assert kept.read_text() == "old contents\n"


def test_flame_before_a_run_and_of_an_empty_profile(shell) -> None:
    r = shell("-c", "report var p: map<str, u32>; flame p")
    assert r.status == 1 and "run" in r.err
    r = shell("-c", "report var p: map<str, u32>; wasm:begin { }; run; flame p")
    assert r.status == 0, r.err
    assert r.out.splitlines()[-1] == "p: no samples"
