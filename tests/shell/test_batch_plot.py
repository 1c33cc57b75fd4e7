"""Batch mode: ``plot VAR [--top K]``: bars across a variable's sites or a map's keys."""


def bars(out: str) -> list[tuple[str, str]]:
    return [(line.split()[0], line.split()[-1]) for line in out.splitlines() if "█" in line]


def test_plot_a_map_by_key(shell) -> None:
    r = shell("-c", "report var calls: map<u32, u32>; wasm:opcode:call:before { calls[imm0]++; }; run; plot calls")
    assert bars(r.out) == [("0", "33"), ("1", "33"), ("2", "9"), ("3", "13"), ("4", "2"), ("5", "3"), ("6", "2")]
    longest = max((line for line in r.out.splitlines() if "█" in line), key=lambda line: line.count("█"))
    assert longest.startswith("0 ")


def test_plot_sites_top_k(shell) -> None:
    r = shell("-c", "wasm:opcode:call:before { report var n: u32; n++; }; run; plot n --top 3")
    # print's fd_write runs once per print (33), print_num prints 13 numbers, calc recurses 6 times
    assert bars(r.out) == [("print:23", "33"), ("print_num:48", "13"), ("calc:19", "6")]


def test_plot_needs_numbers(shell) -> None:
    r = shell("-c", "wasm:func:entry { report var s: str; s = fname; }; run; plot s")
    assert r.status == 1
    assert "error: cannot plot `s`: its values are not numbers" in r.err


def test_plot_a_map_from_a_user_library_run(REPO, shell) -> None:
    cache = REPO / "examples" / "cache"
    r = shell(cache / "matrix.wasm", "-u", f"cache={cache / 'cache.wasm'}", "-s", cache / "cache.mm",
              "-c", "run; plot misses --top 2")
    assert r.status == 0, r.err
    # summing by columns misses on every access; by rows once per cache line
    assert bars(r.out) == [("sum_cols", "4096"), ("fill", "257")]
