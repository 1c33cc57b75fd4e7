"""Reuse of emitted function bodies between emits (SHELL.md "Incremental re-instrumentation"), keyed
on the function's plan, so a stale body is impossible by construction.

A function's output body is :func:`~compiler.rewrite.splice.splice` of its
:class:`~compiler.rewrite.plan.FunctionPlan` and its input body, and splice reads nothing else.  The
plan is plain data compared by content: every address, index, local and byte of inserted code is in
it.  So a cache that maps plans to the bytes splice made of them can only return what splice would
make again, provided the input body is the same — which :meth:`FunctionCache.bind` pins (a cache
serves one input module; the plan holds the function index and the renumbering parameters).

What the cache saves is the splice and the decoding of the output body, not the planning: every
candidate function is planned on every emit, in the same order as a fresh emit, so what planning
allocates on demand (string literals, block types) lands where a from-scratch build puts it.  Planning
is cheap where it matters — a probe at thousands of sites is compiled once per emit into a template and
each site's code in the plan is the template's shared parts plus the site's base address.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from compiler.errors import InternalError

if TYPE_CHECKING:
    from compiler.rewrite.plan import FunctionPlan
    from compiler.wasm.model import Module

__all__ = ["FunctionCache"]

#: How many emits a body survives without being used.
_KEEP_EMITS = 8


@dataclasses.dataclass(slots=True)
class FunctionCache:
    """Output bodies of one input module by plan (see the module docstring).

    ``bodies`` maps a plan to ``[bytes, emit that last used it]``.  ``callers`` maps a set of input
    function indices to the defined functions of the module that call one of them (a scan of every
    body, the same on every emit).  The ``whamm.report`` section is not cached: its binary table
    (:mod:`compiler.report.metadata`) is written from scratch as fast as cached JSON texts were joined.
    """

    bodies: dict[FunctionPlan, list] = dataclasses.field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    emits: int = 0
    module: object = None
    callers: dict[frozenset[int], frozenset[int]] = dataclasses.field(default_factory=dict)

    def bind(self, module: Module) -> None:
        """Serve ``module`` only: the plans do not contain the input bodies they apply to."""
        if self.module is None:
            self.module = module
        elif self.module is not module:
            raise InternalError("internal: a function cache used with a second input module")

    def start(self) -> None:
        """One more emit; forget the bodies no emit used lately."""
        self.emits += 1
        horizon = self.emits - _KEEP_EMITS
        for plan in [p for p, entry in self.bodies.items() if entry[1] < horizon]:
            del self.bodies[plan]

    def lookup(self, plan: FunctionPlan) -> bytes | None:
        """The body spliced earlier from an equal plan, or None."""
        entry = self.bodies.get(plan)
        if entry is None:
            self.misses += 1
            return None
        entry[1] = self.emits
        self.hits += 1
        return entry[0]

    def store(self, plan: FunctionPlan, raw: bytes) -> None:
        """Remember the body spliced from ``plan`` (as used by this emit, for :meth:`start`'s forgetting)."""
        self.bodies[plan] = [raw, self.emits]
