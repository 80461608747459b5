"""Processes: whether one recorded by an earlier run (an install, a background job) is gone, and
handing this one's freed memory back to the system."""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from collections.abc import Callable


def is_gone(pid: int) -> bool:
    """True only when no process ``pid`` exists. Unknown (not POSIX, another user's process)
    counts as alive: a caller cleans up only what is certainly abandoned."""
    if os.name != "posix":  # os.kill(pid, 0) asks without signalling only on POSIX
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def return_freed_memory() -> None:
    """Give memory that is free but still held by the C allocator back to the system (glibc's
    ``malloc_trim``, which covers every thread's arena). Elsewhere (macOS, musl): nothing to do."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")  # runs ldconfig: once per process
    return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
