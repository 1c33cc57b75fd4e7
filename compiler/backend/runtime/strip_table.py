"""Post-link step of the Makefile: drop the empty function table wasm-ld 14 always emits.

The runtime makes no indirect calls (there is no element section), so the table is never used, and the
linking contract (README.md) promises a module with no tables: the rewriter appends the runtime's
functions to applications that may have tables of their own.  Usage: python3 strip_table.py FILE.
"""
from __future__ import annotations

import sys

TABLE, ELEMENT = 4, 9


def _sections(data: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 8
    while pos < len(data):
        sid, pos = data[pos], pos + 1
        size = shift = 0
        start = pos
        while True:
            b = data[pos]
            size |= (b & 0x7F) << shift
            pos += 1
            shift += 7
            if not b & 0x80:
                break
        out.append((sid, data[start - 1:pos + size]))
        pos += size
    return out


def main(path: str) -> None:
    """Rewrite ``path`` in place without its table section (refusing one with an element section)."""
    with open(path, "rb") as f:
        data = f.read()
    sections = _sections(data)
    if any(sid == ELEMENT for sid, _ in sections):
        sys.exit(f"{path}: has an element section; the runtime must not use indirect calls")
    with open(path, "wb") as f:
        f.write(data[:8] + b"".join(raw for sid, raw in sections if sid != TABLE))


if __name__ == "__main__":
    main(sys.argv[1])
