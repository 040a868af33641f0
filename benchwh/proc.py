"""Process facts the warehouse's crash recovery needs (no duckdb here: the spool and the
recorder load this on a bare torch box)."""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """Is process ``pid`` running (a temporary file named for it is still being written)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
