"""Whether a process recorded by an earlier run (an install, a background job) is gone."""
from __future__ import annotations

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
