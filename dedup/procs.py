"""When this process may fork its helpers, and pausing its own threads so
that it may; and how its allocator keeps the memory of a batch's arrays."""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.context import BaseContext

#: Objects with ``pause()`` and ``resume()`` that run a thread of their own
#: (the progress line), registered while they run.
_PAUSABLE: list = []


def fork_context() -> BaseContext | None:
    """The fork start method where forking is safe, else None.

    Safe means Linux, and no Python thread but this one: a fork copies the
    locks another thread may hold (the progress line's, say) and the child
    can hang on them. A forked child starts in milliseconds with every
    module imported and shares the parent's data (the pipeline's workers,
    the event tier's batch) without copying it.
    """
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return None


@contextmanager
def forking() -> Iterator[BaseContext | None]:
    """:func:`fork_context` with the registered threads paused; fork inside the block.

    The threads resume when the block ends, so only the forks wait for them:
    a progress line at a terminal no longer keeps the event tier from
    scoring its pairs in several processes.
    """
    paused = list(_PAUSABLE)
    for p in paused:
        p.pause()
    try:
        yield fork_context()
    finally:
        for p in reversed(paused):
            p.resume()


def register(obj) -> None:
    """Let :func:`forking` pause ``obj`` (it has ``pause()`` and ``resume()``)."""
    _PAUSABLE.append(obj)


def unregister(obj) -> None:
    if obj in _PAUSABLE:
        _PAUSABLE.remove(obj)


#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


@functools.cache
def keep_batch_memory() -> bool:
    """Have glibc's malloc serve arrays of up to 32 MiB from its heap and
    keep up to 64 MiB of freed heap, once per process; True if it took.

    A batch's arrays (a few MB each) are otherwise each mapped fresh and
    unmapped when freed, and every page is faulted in again for the next
    batch: signing the 10k speed corpus took 0.91 s of CPU with 114k page
    faults a pass, against 0.73 s and none with these settings. They are
    the values glibc's own sliding threshold reaches once an array of 32 MiB
    has been freed, which is why growing tables hid the cost. Elsewhere
    (musl, macOS) nothing changes.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover (not glibc)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, 32 << 20)) and bool(mallopt(_M_TRIM_THRESHOLD, 64 << 20))
