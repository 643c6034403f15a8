"""Whether a process still runs: the owner of a run or validation folder left behind."""

from __future__ import annotations

import os

__all__ = ["process_alive"]


def process_alive(pid: int) -> bool | None:
    """Whether process ``pid`` of this machine still runs; None where that cannot be told
    (Windows has no harmless ``kill(pid, 0)``). Another user's process counts as running."""
    if os.name == "nt":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, another user's
        return True
    return True
