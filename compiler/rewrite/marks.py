"""Which lines of an instrumented function were injected, where and by which probe — from the plan.

The shell's ``wat`` marks injected code and ``wat --diff`` compares a function before and after
rewriting.  Recovering that from the two listings with a text diff is guesswork (a diff loses its place
on a function of tens of thousands of instructions once the locals line or an ``alt`` site differs),
while the rewriter *knows* it: the function's :class:`~compiler.rewrite.plan.FunctionPlan` says which
code goes before or after which input instruction, what replaces what, and splice copies everything
else.  :func:`segments` walks a plan in exactly :func:`~compiler.rewrite.splice.splice`'s order and
says, for each stretch of the output body, whether it is copied input code (and from which
instruction) or inserted code (and at which anchor); :func:`marked_lines` checks that those stretches
rebuild the output body byte for byte (an internal error otherwise: never a wrong mark) and labels
every output instruction.

Which probe a run of inserted code belongs to is read from the matched sites of the function: a
site's code goes at its anchor instruction (before/after it, replacing it), and at the places its
placement names — block ends for ``entry``/``exit``/``after`` of blocks, the function's exits for
``func:exit``, branch targets for ``at_target`` — and a counting site whose adds were coalesced
(docs/COALESCING.md) lands at the first site of its straight-line run.  Code no probe placed (report
flushes before ``proc_exit`` and at function exits, table-shadow updates) is labelled as such.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

from compiler.errors import InternalError
from compiler.rewrite.coalesce import run_numbers
from compiler.rewrite.plan import FunctionPlan, code_bytes
from compiler.sites.finding import EXIT_INSTRUCTIONS, Placement
from compiler.wasm.code import encode_instr, encode_locals
from compiler.wasm.control import control
from compiler.wasm.remap import Remap, Shift, remap_instrs
from compiler.wasm.wat import Line, function_lines

if TYPE_CHECKING:
    from compiler.build import Build
    from compiler.sites.matching import MatchedSite
    from compiler.wasm.model import Instr, Module

__all__ = ["Segment", "segments", "marked_lines", "function_diff", "instrumented_wat", "instrumented_diff",
           "NOT_A_PROBE"]

#: The label of inserted code that no probe placed (REWRITING.md §10 flushes, §15 table shadows).
NOT_A_PROBE = "whamm: report flush / table shadow"

#: Anchors: ``("before", i)``, ``("after", i)``, ``("replace", i)`` (an ``alt`` replacement anchored
#: at input instruction ``i``), ``("exit", -1)`` (the code after the wrapper block: function exit).
Anchor = tuple


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the output code: ``data`` at output code offset ``start``; either input
    instructions ``first``…``first + count - 1`` (``anchor`` None) or inserted code at ``anchor``."""

    start: int
    data: bytes
    first: int = -1
    anchor: Anchor | None = None


def segments(plan: FunctionPlan, raw: bytes, instrs: Sequence[Instr]) -> list[Segment]:
    """The output code of ``plan`` over ``instrs`` (encoded in ``raw`` at their offsets), stretch by
    stretch, in the order :func:`~compiler.rewrite.splice.splice` writes it."""
    before = {i: code_bytes(c) for i, c in plan.before}
    after = {i: code_bytes(c) for i, c in plan.after}
    replace_before = dict(plan.replace_before)
    replace_after = dict(plan.replace_after)
    adjusted = dict(plan.adjusted)
    last = len(instrs) - 1
    active = sorted({*before, *after, *replace_before, *replace_after, *adjusted})
    out: list[Segment] = []
    pos = 0

    def put(data: bytes, first: int = -1, anchor: Anchor | None = None) -> None:
        nonlocal pos
        if data:
            out.append(Segment(pos, data, first, anchor))
            pos += len(data)

    def copy(i: int, stop: int) -> None:
        put(raw[instrs[i].offset:instrs[stop].offset], i)

    def instr(k: int) -> None:
        a = adjusted.get(k)
        put(a if a is not None else raw[instrs[k].offset:instrs[k + 1].offset], k)

    def emit_range(i: int, stop: int) -> None:
        n = bisect.bisect_left(active, i)
        while True:
            j = active[n] if n < len(active) else stop
            if j >= stop:
                if i < stop:
                    copy(i, stop)
                return
            if i < j:
                copy(i, j)
            put(before.get(j, b""), anchor=("before", j))
            r = replace_before.get(j)
            if r is None:
                instr(j)
                put(after.get(j, b""), anchor=("after", j))
                r = replace_after.get(j)
                if r is not None:
                    put(code_bytes(r.prefix), anchor=("replace", j))
                    if r.keep:
                        emit_range(r.start, r.stop)
                        put(r.suffix, anchor=("replace", j))
                    i = r.stop
                    n = bisect.bisect_left(active, i)
                else:
                    i = j + 1
                    n += 1
                continue
            put(code_bytes(r.prefix), anchor=("replace", j))
            end = r.stop - 1
            if r.keep:
                instr(j)
                if end > j:
                    put(after.get(j, b""), anchor=("after", j))
                    emit_range(j + 1, end)
                    put(before.get(end, b""), anchor=("before", end))
                    instr(end)
                put(r.suffix, anchor=("replace", j))
            put(after.get(end, b""), anchor=("after", end))
            i = r.stop
            n = bisect.bisect_left(active, i)

    put(plan.wrap, anchor=("exit", -1))
    emit_range(0, last)
    put(before.get(last, b""), anchor=("before", last))
    if plan.wrap:
        put(b"\x0b" + code_bytes(plan.exit), anchor=("exit", -1))
    put(raw[instrs[last].offset:], last)
    return out


def input_code(module: Module, fid: int, plan: FunctionPlan) -> tuple[bytes, Sequence[Instr]]:
    """The input body's code as splice reads it: its own bytes, or re-encoded when renumbered."""
    body = module.code[fid - module.num_imported_funcs]
    func_imports, func_shift, memory_imports, memory_shift = plan.renumbering
    remap = Remap(func=Shift(func_imports, func_shift), memory=Shift(memory_imports, memory_shift))
    instrs: Sequence[Instr] = body.instrs
    if body.raw is not None and not remap.moving:
        return body.raw, instrs
    pieces, moved, pos = [], [], 0
    for ins in (remap_instrs(instrs, remap) if remap.moving else instrs):
        b = encode_instr(ins)
        moved.append(ins._replace(offset=pos))
        pieces.append(b)
        pos += len(b)
    return b"".join(pieces), moved


def _probe_labels(plan: FunctionPlan, instrs: Sequence[Instr], sites: Sequence[MatchedSite],
                  number_of: Mapping[int, int]) -> dict[Anchor, set[int]]:
    """Per anchor, the session numbers of the probes whose code the rewriter puts there (module doc)."""
    labels: dict[Anchor, set[int]] = {}
    blocks = None
    exits = [j for j, ins in enumerate(instrs) if ins.op.name in EXIT_INSTRUCTIONS]
    has_before = {i for i, _ in plan.before}
    runs = None
    run_first: dict[int, int] = {}
    for site in sites:
        n = number_of[site.probe.number]
        i = site.index
        where: list[Anchor] = [("before", i), ("after", i), ("replace", i)]
        placement = site.placement
        if placement is Placement.FUNC_EXIT:
            where += [("before", j) for j in exits] + [("exit", -1)]
        elif placement in (Placement.ENTRY, Placement.EXIT, Placement.AFTER, Placement.AT_TARGET):
            blocks = blocks or control(instrs)
            for j in (blocks.end[i], blocks.middle[i]):
                if j >= 0:
                    where += [("before", j), ("after", j)]
            if placement is Placement.AT_TARGET:
                for point in blocks.targets(i):
                    where.append(("exit", -1) if point.kind == "exit" else ("after", point.index))
        elif placement is Placement.BEFORE and i not in has_before:
            # a counting site with no code of its own: its adds were coalesced into its run's first site
            if runs is None:
                runs = run_numbers(instrs)
                for k in sorted(has_before):
                    if k < len(runs):
                        run_first.setdefault(runs[k], k)
            first = run_first.get(runs[i]) if i < len(runs) else None
            if first is not None:
                where.append(("before", first))
        for anchor in where:
            labels.setdefault(anchor, set()).add(n)
    return labels


def _label(numbers: set[int] | None) -> str:
    if not numbers:
        return NOT_A_PROBE
    ordered = sorted(numbers)
    return ("probe " if len(ordered) == 1 else "probes ") + ", ".join(map(str, ordered))


@dataclass(frozen=True, slots=True)
class _Marked:
    """An output line and where it came from: the input instruction's pc, or the injected run's label."""

    line: Line
    pc: int | None
    label: str | None


def _classify(module: Module, out_module: Module, fid: int, out_fid: int, plan: FunctionPlan | None,
              sites: Sequence[MatchedSite], number_of: Mapping[int, int]) -> list[_Marked]:
    lines = list(function_lines(out_module, out_fid))
    in_body = module.code[fid - module.num_imported_funcs]
    if plan is None:   # not rewritten: copied (perhaps renumbered) instruction by instruction
        out_body = out_module.code[out_fid - out_module.num_imported_funcs]
        if len(out_body.instrs) != len(in_body.instrs):
            raise InternalError(f"internal: function {fid} was rewritten, but its build kept no plan")
        pcs = iter([ins.offset for ins in in_body.instrs])
        return [_Marked(ln, next(pcs) if ln.offset is not None else None, None) for ln in lines]
    raw, instrs = input_code(module, fid, plan)
    segs = segments(plan, raw, instrs)
    out_body = out_module.code[out_fid - out_module.num_imported_funcs]
    head = encode_locals(tuple(in_body.locals) + plan.locals)
    if out_body.raw != head + b"".join(s.data for s in segs):
        raise InternalError(f"internal: the plan of function {fid} does not rebuild its instrumented body")
    starts = [s.start for s in segs]
    offsets = [ins.offset for ins in instrs]
    labels = _probe_labels(plan, instrs, sites, number_of)
    out = []
    for ln in lines:
        if ln.offset is None:
            out.append(_Marked(ln, None, None))
            continue
        at = ln.offset - len(head)
        seg = segs[bisect.bisect_right(starts, at) - 1]
        if seg.anchor is not None:
            out.append(_Marked(ln, None, _label(labels.get(seg.anchor))))
            continue
        k = bisect.bisect_right(offsets, offsets[seg.first] + at - seg.start) - 1
        out.append(_Marked(ln, in_body.instrs[k].offset, None))
    return out


def marked_lines(module: Module, out_module: Module, fid: int, out_fid: int, plan: FunctionPlan | None,
                 sites: Sequence[MatchedSite], number_of: Mapping[int, int]) -> list[Line]:
    """Function ``fid`` of ``module`` as rewritten into ``out_fid`` of ``out_module`` by ``plan`` (None:
    not rewritten): every output line, original instructions with their input ``pc``, injected ones
    marked, each injected run preceded by a ``;; probe N`` line (also marked injected).  ``sites`` are
    the function's matched sites, ``number_of`` maps a site's expansion number to its session probe."""
    marked = _classify(module, out_module, fid, out_fid, plan, sites, number_of)
    original_locals = {ln.text for ln in function_lines(module, fid) if ln.text.lstrip().startswith("(local")}
    out: list[Line] = []
    previous: str | None = None
    for m in marked:
        ln = m.line
        if m.label is not None:
            if m.label != previous:
                indent = ln.text[:len(ln.text) - len(ln.text.lstrip())]
                out.append(Line(f"{indent};; {m.label}", None, True, ln.func))
            out.append(Line(ln.text, None, True, ln.func))
        elif ln.offset is None:
            injected = ln.text.lstrip().startswith("(local") and ln.text not in original_locals
            out.append(Line(ln.text, None, injected, ln.func))
        else:
            out.append(Line(ln.text, m.pc, False, ln.func))
        previous = m.label
    return out


def _plain(text: str) -> str:
    """A line's instruction without indentation and block-label comments (they shift when code wraps)."""
    text = text.strip()
    cut = text.find("  ;; ")
    return text if cut < 0 else text[:cut]


def function_diff(module: Module, out_module: Module, fid: int, out_fid: int, plan: FunctionPlan | None,
                  sites: Sequence[MatchedSite], number_of: Mapping[int, int], *, name: str,
                  context: int = 3) -> list[str]:
    """A unified diff of function ``fid`` before and after rewriting, built from the plan rather than by
    comparing texts: injected runs (with their ``;; probe N`` lines) are ``+``, input instructions an
    ``alt`` replaced are ``-``, and an input instruction whose text changed (a branch depth inside a kept
    ``alt`` region, renumbered indices) is ``-``/``+``; re-indentation alone is no change.  Hunk headers
    give the pc of the hunk's first input instruction.  Empty when nothing changed."""
    original = list(function_lines(module, fid))
    marked = marked_lines(module, out_module, fid, out_fid, plan, sites, number_of)
    code = [ln for ln in original if ln.offset is not None]
    where = {ln.offset: k for k, ln in enumerate(code)}
    before = [ln.text for ln in original if ln.text.lstrip().startswith("(local")]
    after = [ln.text for ln in marked if ln.text.lstrip().startswith("(local")]
    same = 0
    while same < min(len(before), len(after)) and before[same] == after[same]:
        same += 1
    # rows: (op, pc of the input instruction or None, text); op " " kept, "-" dropped, "+" added
    rows = [(" ", None, marked[0].text)]
    rows += [(" ", None, t) for t in before[:same]] + [("-", None, t) for t in before[same:]]
    rows += [("+", None, t) for t in after[same:]]
    taken = 0
    for ln in marked[1:]:
        if ln.text.lstrip().startswith("(local"):
            continue
        if ln.injected:
            rows.append(("+", None, ln.text))
            continue
        k = where[ln.offset] if ln.offset is not None else len(code)
        rows += [("-", x.offset, x.text) for x in code[taken:k]]   # replaced by an ``alt``
        if ln.offset is None:                                      # the closing parenthesis
            rows.append((" ", None, ln.text))
        elif _plain(code[k].text) == _plain(ln.text):
            rows.append((" ", ln.offset, ln.text))
        else:
            rows += [("-", ln.offset, code[k].text), ("+", None, ln.text)]
        taken = k + 1
    return _unified(rows, name, context)


def _unified(rows: list, name: str, context: int) -> list[str]:
    changed = [k for k, r in enumerate(rows) if r[0] != " "]
    if not changed:
        return []
    out = [f"--- {name} (original)", f"+++ {name} (instrumented)"]
    groups: list[list[int]] = []
    for k in changed:
        if groups and k - groups[-1][-1] <= 2 * context:
            groups[-1].append(k)
        else:
            groups.append([k])
    a_line = [0] * (len(rows) + 1)
    b_line = [0] * (len(rows) + 1)
    for k, r in enumerate(rows):
        a_line[k + 1] = a_line[k] + (r[0] != "+")
        b_line[k + 1] = b_line[k] + (r[0] != "-")
    for group in groups:
        lo, hi = max(group[0] - context, 0), min(group[-1] + context + 1, len(rows))
        hunk = rows[lo:hi]
        a_n = sum(r[0] != "+" for r in hunk)
        b_n = sum(r[0] != "-" for r in hunk)
        pc = next((r[1] for r in rows[lo:] if r[1] is not None), None)
        where = f" pc {pc}" if pc is not None else ""
        out.append(f"@@ -{a_line[lo] + 1},{a_n} +{b_line[lo] + 1},{b_n} @@{where}")
        out += [r[0] + r[2] for r in hunk]
    return out



def _inputs(build: Build, fid: int, out_module: Module) -> tuple:
    matched = build.matched
    number_of = {cp.number: n for n, cps in matched.expansions.items() for cp in cps}
    return (build.result.app.module, out_module, fid, build.result.layout.out_func(fid), build.plans.get(fid),
            matched.matches.by_function.get(fid, ()), number_of)


def instrumented_wat(build: Build, fid: int, out_module: Module) -> list[Line]:
    """:func:`marked_lines` of input function ``fid`` in a shell build (``out_module``: its module
    decoded, which the caller keeps between commands)."""
    return marked_lines(*_inputs(build, fid, out_module))


def instrumented_diff(build: Build, fid: int, out_module: Module, name: str) -> list[str]:
    """:func:`function_diff` of input function ``fid`` in a shell build, headed ``name``."""
    return function_diff(*_inputs(build, fid, out_module), name=name)
