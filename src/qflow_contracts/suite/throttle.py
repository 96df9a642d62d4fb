"""A server that says "not now" (contract rule 15): 429 Too Many Requests, or 503 with Retry-After.

Such an answer is the server's availability, never a finding: the request is sent again after the
wait it asks for (bounded), and the run slows down for the rest of its life.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math

MAX_WAIT = 30.0
"""The longest single wait the suite honours; a server asking for more is unavailable for this run."""
DEFAULT_WAIT = 1.0
"""The wait after a 429 without Retry-After (doubled at each one in a row)."""
MAX_IN_A_ROW = 5
"""Throttled answers to one request in a row before the server counts as unavailable."""
SLOWEST_INTERVAL = 2.0
"""Halving the rate stops at one request every this many seconds."""


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """The seconds a Retry-After header asks to wait (delta-seconds or an HTTP date), None when
    there is none or it cannot be read; never negative."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    seconds = (when - now).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def throttle_wait(status: int, header: str | None, in_a_row: int) -> float | None:
    """How long to wait before sending again after an answer of `status`, or None when it is no
    throttle: a 429 (Retry-After, else 1 s doubled per answer in a row), or a 503 with
    Retry-After (a 503 without it is a server error, judged by the checks)."""
    asked = retry_after(header)
    if status == 429:
        return asked if asked is not None else DEFAULT_WAIT * 2 ** max(0, in_a_row - 1)
    if status == 503 and asked is not None:
        return asked
    return None
