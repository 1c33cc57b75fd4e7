"""Profiles and flame graphs (ANALYSIS.md §3): a ``map<str, N>`` of an integer ``N`` keyed by
``callstack`` (``prof[callstack]++``) is a profile; this module turns its live value into the folded
stacks format that flamegraph.pl, inferno and speedscope read (``frame;frame;frame count``, one stack a
line) and into the top-down tree the shell's ``flame`` draws.

Nothing here depends on the keys really being call stacks: any ``map<str, int>`` is a profile whose
keys are split at ``;``, so tests can use synthetic keys.  A profile declared in a probe (one map per
site) is the sum of its sites' maps: the stacks do not depend on the site that recorded them.

Folded lines are written in key order (the tools sort anyway; a fixed order makes the file
reproducible).  A zero count is left out (no tool draws it); a negative count (a signed ``N`` that was
decremented) or a key with a line break cannot be written without changing its meaning, so it is an
error rather than a silently wrong graph.  The empty stack (a key recorded outside any application
function, e.g. in ``wasm:begin``) is written as the one frame :data:`EMPTY_STACK`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from compiler.errors import WhammError
from compiler.lang.types import MapType, Prim, WhammType, is_integer

if TYPE_CHECKING:
    from compiler.report.live import ReportValue

__all__ = ["ProfileError", "EMPTY_STACK", "profile_type_error", "profile_counts", "folded_text",
           "FlameNode", "flame_tree", "flame_lines"]

#: The frame written for the empty stack (folded lines need at least one frame).
EMPTY_STACK = "[empty]"


class ProfileError(WhammError):
    """A report variable that cannot be written as a profile (its type, a count or a key)."""


def profile_type_error(name: str, t: WhammType) -> str | None:
    """Why ``name`` of type ``t`` is not a profile, or None when it is one (``map<str, N>``, integer N)."""
    if isinstance(t, MapType) and t.key is Prim.STR and is_integer(t.value):
        return None
    return (f"`{name}` is not a profile: its type is {t}, a flame graph needs a map<str, N> of an integer "
            f"N (e.g. `report var prof: map<str, u64>;` counted with `prof[callstack]++`)")


def profile_counts(name: str, values: Sequence[ReportValue]) -> dict[str, int]:
    """The stacks and counts of report variable ``name`` from its live ``values`` (one per site of a
    per-site map, summed), in key order.  Raises :class:`ProfileError` for an unknown name, a type that
    is not a profile, an unreadable value, a negative count or a key with a line break."""
    chosen = [v for v in values if v.var.name == name]
    if not chosen:
        names = ", ".join(dict.fromkeys(v.var.name for v in values)) or "(none)"
        raise ProfileError(f"no report variable `{name}` (there are: {names})")
    problem = profile_type_error(name, chosen[0].var.whamm_type)
    if problem is not None:
        raise ProfileError(problem)
    counts: dict[str, int] = {}
    for v in chosen:
        if not v.readable:
            raise ProfileError(f"the value of `{name}` could not be read (from the instance; for a component, "
                               "from the report it printed, where a map of strings may have two readings: "
                               "docs/COMPONENTS.md)")
        for key, count in v.value.items():  # type: ignore[union-attr]
            stack = key.decode("utf-8", "replace")
            if "\n" in stack or "\r" in stack:
                raise ProfileError(f"`{name}`: the key {stack!r} has a line break, which the folded format "
                                   "cannot hold")
            if count < 0:
                raise ProfileError(f"`{name}`: the stack {stack!r} has a negative count ({count}); a profile "
                                   "counts samples")
            counts[stack] = counts.get(stack, 0) + count
    return dict(sorted(counts.items()))


def folded_text(counts: dict[str, int]) -> str:
    """The folded-stacks file: ``frame;frame count`` per non-zero stack, in key order."""
    return "".join(f"{stack or EMPTY_STACK} {count}\n" for stack, count in counts.items() if count)


@dataclass
class FlameNode:
    """A frame of the top-down tree: ``total`` samples in it and below, ``self`` samples of stacks that
    end in it; children by frame name."""

    name: str
    total: int = 0
    self: int = 0
    children: dict[str, FlameNode] = field(default_factory=dict)

    def size(self) -> int:
        """The number of frames in this subtree (itself included)."""
        return 1 + sum(child.size() for child in self.children.values())

    def ordered(self) -> list[FlameNode]:
        """The children, hottest first (ties by name, so the view is reproducible)."""
        return sorted(self.children.values(), key=lambda n: (-n.total, n.name))


def flame_tree(counts: dict[str, int]) -> FlameNode:
    """The stacks merged into one tree under a root ``all`` holding every sample."""
    root = FlameNode("all")
    for stack, count in counts.items():
        if not count:
            continue
        root.total += count
        node = root
        for frame in (stack or EMPTY_STACK).split(";"):
            node = node.children.setdefault(frame, FlameNode(frame))
            node.total += count
        node.self += count
    return root


def flame_lines(counts: dict[str, int], *, depth: int | None = None, min_percent: float = 0.0) -> list[str]:
    """The tree as text, one frame a line, children indented under their caller, hottest first:
    share of all samples, samples in the frame and below, samples in the frame itself, and the frame.
    ``depth`` stops after that many frames below ``all``; frames under ``min_percent`` are left out
    (with a closing line saying how many)."""
    root = flame_tree(counts)
    if not root.total:
        return []
    rows: list[tuple[str, int, int, str]] = []
    hidden = 0

    def visit(node: FlameNode, level: int) -> None:
        nonlocal hidden
        share = 100.0 * node.total / root.total
        if share < min_percent:
            hidden += node.size()
            return
        rows.append((f"{share:.2f}%", node.total, node.self, "  " * level + node.name))
        if depth is not None and level >= depth:
            return
        for child in node.ordered():
            visit(child, level + 1)

    visit(root, 0)
    headers = ("share", "total", "self", "frame")
    widths = [max(len(headers[i]), *(len(str(r[i])) for r in rows)) for i in range(3)]
    out = ["  ".join(h.rjust(w) for h, w in zip(headers, widths)) + "  " + headers[3]]
    out += ["  ".join(str(c).rjust(w) for c, w in zip(r[:3], widths)) + "  " + r[3] for r in rows]
    if hidden:
        out.append(f"({hidden} frame{'s' if hidden != 1 else ''} under {min_percent:g}% not shown)")
    return out
