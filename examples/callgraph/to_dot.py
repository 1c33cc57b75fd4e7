"""Turn the call-graph report of ``callgraph.mm`` into Graphviz DOT.

    whamm run -s callgraph.mm -a app.wasm | python3 to_dot.py --app app.wasm > calls.dot
    dot -Tsvg calls.dot > calls.svg

Reads the report CSV (REWRITING.md §11) from a file or standard input, takes the ``edges`` map row
(``(caller,callee)->count;…``) and prints one DOT edge per pair, labelled with its count.  With
``--app`` nodes are named from the application's name section; otherwise ``#<fid>``.  An unknown
indirect callee (``-1``) becomes the node ``?``.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = ["parse_edges", "to_dot", "main"]

_BANNER = "REPORT CSV FLUSH"
_ENTRY = re.compile(r"\((-?\d+),(-?\d+)\)->(\d+)")


def parse_edges(report: str, variable: str = "edges") -> list[tuple[int, int, int]]:
    """``(caller, callee, count)`` triples from the map row named ``variable`` of the last report."""
    rows = report.split(_BANNER)[-1].splitlines()
    for row in rows:
        fields = row.split(", ", 10)
        if len(fields) == 11 and fields[1] == "map_id" and fields[2] == variable:
            value = fields[10].strip()
            if value == "empty map":
                return []
            return [(int(a), int(b), int(n)) for a, b, n in _ENTRY.findall(value)]
    raise ValueError(f"no map row named {variable!r} in the report")


def _names(app: Path | None) -> dict[int, str]:
    if app is None:
        return {}
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository's compiler package
    from compiler.wasm import read_module
    module = read_module(app.read_bytes())
    return dict(module.names.functions) if module.names else {}


def to_dot(edges: list[tuple[int, int, int]], names: dict[int, str]) -> str:
    """A ``digraph`` with one node per function that appears and one labelled edge per pair."""
    def node(fid: int) -> str:
        label = "?" if fid < 0 else names.get(fid, f"#{fid}")
        return '"' + label.replace('"', '\\"') + '"'

    lines = ["digraph calls {", "    node [shape=box];"]
    lines += [f"    {node(a)} -> {node(b)} [label=\"{n}\"];" for a, b, n in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="call-graph report CSV -> Graphviz DOT")
    parser.add_argument("report", nargs="?", help="the report text (default: standard input)")
    parser.add_argument("--app", type=Path, help="the application, for function names")
    parser.add_argument("--var", default="edges", help="the map variable holding the edges")
    args = parser.parse_args(argv)
    text = Path(args.report).read_text() if args.report else sys.stdin.read()
    try:
        edges = parse_edges(text, args.var)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(to_dot(edges, _names(args.app)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
