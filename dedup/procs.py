"""When this process may fork its helpers."""

from __future__ import annotations

import multiprocessing
import sys
import threading
from multiprocessing.context import BaseContext


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
