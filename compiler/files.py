"""Reading input files and replacing output files safely (CLI.md §1, §5; issue 9's fuzzing findings).

Every file the compiler reads (script, application, library, monitor) goes through
:func:`read_regular_file`: only a regular file is read, and only up to a size cap.  ``/dev/zero`` would
otherwise be read until memory runs out, and a FIFO nobody writes to would block the command forever;
both are refused with a reason the callers put into their usual ``cannot read …`` message.

Every file the compiler writes goes through :func:`check_replaceable` first: ``-o PATH`` may create a
new file or replace a regular file, nothing else, and a replaced file keeps its permission bits (a
read-only file stays read-only, as issue 9 asks: it used to become 0644).  Renaming over a FIFO, a
device node or a symlink would silently replace *that* with a regular file (the symlink's target would
not be written, which is not what the user asked either).
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile

from compiler.errors import WhammError

__all__ = ["read_regular_file", "check_replaceable", "write_file", "write_output", "MAX_INPUT_BYTES",
           "NotReplaceableError"]

#: Largest input the compiler reads (1 GiB): far beyond any real script or module, small enough that an
#: accidental huge file ends in a clear error rather than in memory exhaustion.
MAX_INPUT_BYTES = 1 << 30


#: What a non-regular file is, in words, for messages.
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))


def _kind(mode: int) -> str:
    """What a non-regular file is, in words, for messages."""
    return next((words for test, words in _KINDS if test(mode)), "a special file")


def read_regular_file(path: str | os.PathLike[str], limit: int = MAX_INPUT_BYTES) -> bytes:
    """The contents of the regular file ``path``.

    Raises :class:`OSError` whose ``strerror`` is the reason (``No such file or directory``, ``not a
    regular file (a FIFO)``, ``file too large (more than 1024 MiB)``), so callers keep rendering
    ``cannot read script 'x': <strerror>``.  The file is opened non-blocking, so opening a FIFO does not
    wait for a writer; a symlink to a regular file is followed (reading through it is harmless).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, f"not a regular file ({_kind(info.st_mode)})", os.fspath(path))
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"file too large (more than {limit >> 20} MiB)", os.fspath(path))
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # the file grew while being read
                raise OSError(errno.EFBIG, f"file too large (more than {limit >> 20} MiB)", os.fspath(path))
        return b"".join(chunks)
    finally:
        os.close(fd)


class NotReplaceableError(OSError):
    """``-o PATH`` names something other than nothing or a regular file."""


def check_replaceable(path: str | os.PathLike[str]) -> int | None:
    """Check that ``path`` may be created or replaced by an output file; the permission bits to give
    the new file (those of the file it replaces), or None when nothing is there (the caller applies
    the umask).  Raises :class:`NotReplaceableError` with the reason in ``strerror``."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        kind = _kind(info.st_mode)
        raise NotReplaceableError(errno.EEXIST, f"it exists and is {kind}; only a regular file is replaced",
                                  os.fspath(path))
    return stat.S_IMODE(info.st_mode)


def write_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Create or replace ``path`` with ``data`` atomically (a temporary file in the same directory, then
    ``os.replace``), so a failure never leaves a half-written file and the previous file, if any, stays
    untouched.  Only a regular file is replaced, and it keeps its permission bits
    (:func:`check_replaceable`); a new file gets ``0666`` less the umask, as ``open()`` would give it.
    Raises :class:`OSError` whose ``strerror`` is the reason."""
    mode = check_replaceable(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".whamm-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_output(path: str, data: bytes) -> None:
    """Create or replace ``path`` with ``data`` atomically (:func:`write_file`); a failure is a user
    error naming the file (the ``-o`` of ``whamm instr``/``run``, either target)."""
    try:
        write_file(path, data)
    except OSError as exc:
        raise WhammError(f"cannot write output '{path}': {exc.strerror or exc}") from None


def _umask() -> int:
    """The process's umask (reading it means setting it; put it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
