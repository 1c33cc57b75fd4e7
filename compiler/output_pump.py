"""Streaming a running program's output to a Python callback without calling into Python from wasmtime.

Split from :mod:`compiler.runner` because it is one self-contained mechanism (a pipe, a thread and its
shutdown order) whose reason to exist is wasmtime's threading, not running programs; the runner hands
each callback sink of a :class:`~compiler.runner.RunOptions` to one :class:`OutputPump`.
"""
from __future__ import annotations

import os
import select
import threading
from typing import Callable

__all__ = ["OutputPump"]


class OutputPump:
    """Delivers what the program writes to a stream to a Python callable, through a pipe.

    wasmtime's own callback streams (``stdout_custom``) call into Python from wasmtime's WASI worker
    threads, also when a store is freed; a store still alive when the interpreter shuts down then makes
    that thread enter a finalising interpreter, which kills it mid-Rust-frame: wasmtime prints a panic
    and the process may abort.  Here WASI writes to a pipe, and a Python thread forwards the bytes as
    they come; :meth:`finish` (when the run returns) delivers the rest before the run's result.
    """

    def __init__(self, sink: Callable[[bytes], object]) -> None:
        self.sink = sink
        self.failed: Exception | None = None
        """The sink's first exception; later output is discarded (as WASI's EIO would)."""
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self.path = f"/dev/fd/{self._write_fd}"
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._forward, name="whamm-output", daemon=True)

    def opened(self) -> None:
        """WASI has opened the pipe through :attr:`path`: its descriptor is the only writer left."""
        os.close(self._write_fd)

    def start(self) -> None:
        """Start forwarding the pipe to the sink (before the run, so a full pipe never blocks WASI's writes)."""
        self._thread.start()

    def _forward(self) -> None:
        while not self._done.is_set():
            if select.select([self.read_fd], [], [], 0.05)[0] and not self._read():
                return

    def _read(self) -> bool:
        """Deliver what is in the pipe now; False at end of file."""
        while True:
            try:
                data = os.read(self.read_fd, 1 << 16)
            except BlockingIOError:
                return True
            if not data:
                return False
            if self.failed is None:
                try:
                    self.sink(data)
                except Exception as exc:  # noqa: BLE001 - keep draining, or the program would block
                    self.failed = exc

    def finish(self) -> None:
        """The program has stopped writing: deliver the rest and release the pipe (later writes, e.g.
        from an export called on the live instance, fail quietly with EPIPE)."""
        self._done.set()
        self._thread.join()
        self._read()
        os.close(self.read_fd)
