"""The one clock both apps read: the current time in UTC, aware.

Not in `betting/`, which does no I/O and is handed its times; here because the
server and the terminal both already depend on `guichet`. Tests that need
another time pass one in rather than patching this.
"""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, in UTC: every stored and sent time is UTC (STYLE.md)."""
    return datetime.now(timezone.utc)
