"""When this process may fork its helpers, and pausing its own threads so that it may."""

from __future__ import annotations

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
