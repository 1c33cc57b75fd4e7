"""The cyclic garbage collector paused while the compiler works on a decoded module.

Matching and emitting allocate a few objects per site (and per report row) while hundreds of thousands
of decoded instructions are alive.  The allocations trigger collections, and the full ones traverse the
whole decoded module: on sqlite they cost more than the rest of a build (~290 ms of the shell's first
build).  Nothing the compiler builds needs the cycle collector to be freed in time, so both doors into
it — :func:`compiler.api.instrument` and the shell's :class:`compiler.build.Instrumenter` — pause the
collector for the whole compilation with :func:`collector_paused`; it resumes (and catches up) after.
The stages that allocate per instruction or per site on their own (the body decoder, the block-structure
walk, the typed stack walk, matching and emitting) use the same pause when called outside those doors.
"""
from __future__ import annotations

import contextlib
import gc
from typing import Iterator

__all__ = ["collector_paused"]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic garbage collector within the block; re-enable it after if it was enabled
    (so nested pauses, and a caller that disabled it itself, are left alone)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
