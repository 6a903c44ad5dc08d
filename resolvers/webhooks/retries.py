"""How long a failed webhook delivery waits before its next attempt, and when it is given up.
Spread over about 15 hours, so a dealer system down overnight still gets the night's events."""

from __future__ import annotations

from datetime import timedelta

# Waits after the 1st, 2nd, ... failed attempt; after the attempt that follows the last wait, the
# delivery is FAILED.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1


def retry_delay(failed_attempts: int) -> timedelta | None:
    """The wait after `failed_attempts` failures, or None when that was the last attempt."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    return BACKOFF[failed_attempts - 1]


def describe() -> str:
    """"1 min, 5 min, 30 min, 2 h, 12 h", for documentation."""
    return ", ".join(f"{int(d.total_seconds() // 60)} min" if d < timedelta(hours=1)
                     else f"{int(d.total_seconds() // 3600)} h" for d in BACKOFF)
