"""Processes: whether one recorded by an earlier run (an install, a background job) is gone, and
handing this one's freed memory back to the system."""
from __future__ import annotations

import ctypes
import ctypes.util
import os


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
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
