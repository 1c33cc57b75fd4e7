"""Benchmark: parsing a 500-line whamm script (target ≤ ~40 ms, leaving room for the checker within the
front end's 100 ms).

Prints, in one process: the one-off cost of building the LALR tables, lexing alone (the floor any
parser pays, used as the baseline), the full parse to an AST, and printing the AST back to text.
Run from the repository root: ``python3 benchmarks/parse.py``.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = 30

CHUNK = """\
// per-function call statistics
report var calls_{i}: u32;
var names_{i}: map<str, u32>;
fn bucket_{i}(addr: u32, shift: u32) -> u32 {{
    if (shift > 31) {{ return 0; }}
    return (addr >> shift) & 0xFF;
}}
wasm:opcode:call(arg0: i32):before / fname != "helper" && (pc > 80 || arg0 != 0) / {{
    calls_{i}++;
    report unshared var seen: u64 = 0;
    var t: (u32, (u32, bool)) = (fid, (pc, true));
    t.1.0 = bucket_{i}(pc as u32, 4) + 1_000;
    names_{i}["call"] = names_{i}["call"] + 1;
    if (arg0 as u32 == 0) {{ seen = seen + 1; }} elif (t.1.1) {{ seen = 0; }} else {{ return; }}
}}
wasm:opcode:*load*|*store*:before / size / 2 > 4 / {{
    var f: f64 = -inf;
    f = f * 1.5e3 - 2.;
    whamm_core.putc(65);
}}
"""


def _script(lines: int) -> str:
    parts: list[str] = []
    i = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(CHUNK.format(i=i))
        i += 1
    text = "".join(parts)
    return "\n".join(text.split("\n")[:lines]).rsplit("wasm:", 1)[0] + "wasm:end {}\n"


def _best(fn, runs: int = RUNS) -> tuple[float, float]:  # noqa: ANN001
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def _show(label: str, figures: tuple[float, float], base: float | None = None) -> None:
    low, mid = figures
    ratio = f"   {low / base:5.1f}x lexing" if base else ""
    print(f"{label:<36} min {low * 1000:7.2f} ms   median {mid * 1000:7.2f} ms{ratio}")


def main() -> None:
    sys.path.insert(0, str(REPO))
    t0 = time.perf_counter()
    from compiler.lang import lalr, lexer, parser
    t1 = time.perf_counter()
    lalr.parser_tables()
    t2 = time.perf_counter()
    from compiler.lang.printer import to_source

    text = _script(500)
    lines = text.count("\n")
    script = parser.parse_script(text, "bench.mm")
    tokens = sum(1 for _ in lexer.tokenize(lexer.LexInput(text, True, lexer.line_starts(text), [])))
    print(f"script: {lines} lines, {len(text)} characters, {tokens} tokens, {len(script.items)} items")
    print(f"{'import compiler.lang.parser':<36} {(t1 - t0) * 1000:7.2f} ms")
    print(f"{'build LALR tables (first use)':<36} {(t2 - t1) * 1000:7.2f} ms")

    lex = _best(lambda: sum(1 for _ in lexer.tokenize(
        lexer.LexInput(text, True, lexer.line_starts(text), []))))
    _show("lex only (baseline)", lex)
    parse = _best(lambda: parser.parse_script(text, "bench.mm"))
    _show("parse_script (lex + parse + AST)", parse, lex[0])
    _show("to_source (AST -> text)", _best(lambda: to_source(script)), lex[0])
    print(f"parse per line: {parse[0] / lines * 1e6:.1f} µs (target: 500 lines ≤ 40 ms)")


if __name__ == "__main__":
    main()
