"""The suite's date vocabulary (contract rule 1): what a DOB value says, read in one place.

A DOB is text. Its calendar date is the value (`calendar_date`); a request carries an offset
(`sendable_date`); the instant it names is an aware datetime (`instant`, or `naive` for one without
an offset) or, to .NET's tick, a `Moment` with its wall clock and offset (`moment`). `same_dob`
says when two values are the same DOB, `same_day` when they are on the same date as written,
`stored_dob` when one is how a server stored the other.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

OFFSET = re.compile(r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$")
"""The offset a date-time ends with: `Z` or `+hh:mm`."""
_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})")
_DATE_TIME = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?([Zz]|([+-])([0-9]{2}):([0-9]{2}))?$"
)
_PAST_MICROSECONDS = re.compile(r"(\.\d{6})\d+")
_EPOCH = dt.datetime(1, 1, 1)
TICKS = 10_000_000
""".NET ticks (100 ns) per second: the finest a DateTime holds, seven fractional digits."""


def calendar_date(value: object) -> str | None:
    """The `YYYY-MM-DD` a date value starts with, or None (contract rule 1: the date is the value)."""
    if not isinstance(value, str):
        return None
    found = _DATE.match(value)
    return found.group(1) if found else None


def sendable_date(value: object) -> bool:
    """Whether a date as read back is also a valid request value (RFC 3339 with an offset)."""
    return isinstance(value, str) and bool(OFFSET.search(value))


def instant(value: object) -> dt.datetime | None:
    """A date-time with an offset as an aware datetime (fraction cut to microseconds); None
    otherwise."""
    if not isinstance(value, str) or not OFFSET.search(value):
        return None
    try:
        return dt.datetime.fromisoformat(_PAST_MICROSECONDS.sub(r"\1", value.replace("z", "Z")))
    except ValueError:
        return None


def naive(value: object) -> dt.datetime | None:
    """A date-time without an offset as a naive datetime (fraction cut to microseconds); None
    otherwise."""
    if not isinstance(value, str) or OFFSET.search(value):
        return None
    try:
        parsed = dt.datetime.fromisoformat(_PAST_MICROSECONDS.sub(r"\1", value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else None


def same_dob(before: object, after: object) -> bool:
    """The same DOB by instant and form (contract rule 1): equal text; or both with an offset, the
    same instant in the same offset (`Z` as `+00:00`, digits past the seventh dropped); or both
    without one, the same date and time."""
    if before == after and type(before) is type(after):
        return True
    one, two = instant(before), instant(after)
    if one is not None and two is not None:
        return one == two and one.utcoffset() == two.utcoffset()
    three, four = naive(before), naive(after)
    return three is not None and three == four


def same_day(one: object, two: object) -> bool:
    """Both text starting with the same ten characters: the same calendar date as written."""
    return isinstance(one, str) and isinstance(two, str) and one[:10] == two[:10]


def stored_dob(sent: object, found: object) -> bool:
    """`found` is how a server stores the DOB `sent`: the same instant (both with an offset), else
    the same calendar date as written (`same_day`, `found` not empty)."""
    one, two = instant(sent), instant(found)
    if one is not None and two is not None:
        return one == two
    return same_day(sent, found) and found != ""


@dataclass(frozen=True)
class Moment:
    """A date-time as written: its calendar date, its wall clock in ticks since 0001-01-01, and
    its offset in minutes east of UTC (`Z` is 0; None when it carries none)."""

    date: str
    wall: int
    offset: int | None
    utc: bool
    """Written with `Z` (a UTC DateTime: Json.NET keeps it, and it says nothing of local time)."""

    def instant(self, assumed: int | None = None) -> int | None:
        """Ticks since 0001-01-01 UTC; a value without an offset is read in `assumed` (or None)."""
        offset = self.offset if self.offset is not None else assumed
        return None if offset is None else self.wall - offset * 60 * TICKS


def moment(value: object) -> Moment | None:
    """The `Moment` a DOB value is, or None when it is no date-time."""
    if not isinstance(value, str):
        return None
    found = _DATE_TIME.match(value)
    if found is None:
        return None
    date, hours, minutes, seconds, fraction, zone, sign, oh, om = found.groups()
    try:
        day = dt.datetime.fromisoformat(date)
    except ValueError:
        return None
    whole = (day - _EPOCH).days * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    ticks = whole * TICKS + int(((fraction or "") + "0000000")[:7])
    if zone is None:
        offset = None
    elif sign is None:
        offset = 0
    else:
        offset = (int(oh) * 60 + int(om)) * (1 if sign == "+" else -1)
    return Moment(date, ticks, offset, utc=sign is None and zone is not None)


def offset_text(minutes: int) -> str:
    """Minutes east of UTC as `+hh:mm`."""
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
