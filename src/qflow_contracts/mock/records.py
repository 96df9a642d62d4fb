"""Customer values as the server stores and writes them: DOB in .NET's form, and, for a server in
a time zone (`qflow-mock serve --timezone`), as Json.NET converts it to local time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_DATE_TIME = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})?$"
)
_OFFSET = re.compile(r"^([+-])([0-9]{2}):([0-9]{2})$")


def normalize_dob(value: str) -> str:
    """An RFC 3339 date-time as .NET writes it: the same calendar date and time, uppercase `T`,
    the fraction trimmed to seven digits, `Z` kept (uppercase), no offset kept as none."""
    match = _DATE_TIME.match(value)
    if match is None:
        return value
    date, time, fraction, offset = match.groups()
    text = f"{date}T{time}"
    if fraction:
        text += "." + fraction[:7]
    if offset == "z":
        offset = "Z"  # kept as sent, so a record PATCHed back with what was read is byte for byte the same
    return text + (offset or "")


def parse_offset(text: str) -> int:
    """`+10:00` as minutes east of UTC (600); ValueError for anything else (hours at most 14)."""
    match = _OFFSET.match(text.strip())
    if match is None:
        raise ValueError(f"not an offset like +10:00: {text!r}")
    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes)
    if int(hours) > 14 or int(minutes) > 59 or total > 14 * 60:
        raise ValueError(f"an offset is at most 14 hours either way: {text!r}")
    return total if sign == "+" else -total


def format_offset(minutes: int) -> str:
    """Minutes east of UTC as `+hh:mm`."""
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parts(value: str) -> tuple[datetime, str, int | None] | None:
    """A .NET date-time's wall clock, fraction digits and offset in minutes (None without one;
    `Z` is 0), or None when it is no such date-time."""
    match = _DATE_TIME.match(value)
    if match is None:
        return None
    date, time, fraction, offset = match.groups()
    try:
        wall = datetime.fromisoformat(f"{date}T{time}")
    except ValueError:
        return None
    minutes = None if offset is None else 0 if offset in "Zz" else parse_offset(offset)
    return wall, fraction or "", minutes


def _write(wall: datetime, fraction: str, offset: str) -> str:
    text = wall.strftime("%Y-%m-%dT%H:%M:%S").rjust(19, "0")
    return text + (f".{fraction[:7]}" if fraction else "") + offset


def to_local(value: str, local: int) -> str:
    """A date-time as Json.NET stores it on a server whose local offset is `local` minutes: a value
    with an offset becomes the same instant in local time, written with the local offset; `Z`
    (a UTC DateTime) and a value without an offset (unspecified kind) are kept as they are. A
    value whose local time falls outside years 1..9999 is kept too."""
    read = parts(value)
    if read is None or value.upper().endswith("Z"):
        return value
    wall, fraction, offset = read
    if offset is None:
        return value
    try:
        moved = wall + timedelta(minutes=local - offset)
    except OverflowError:
        return value
    return _write(moved, fraction, format_offset(local))


def wall_as_utc_to_local(value: str, local: int) -> str:
    """Defect `dob-instant-moved`: the wall clock sent is taken for UTC, then made local."""
    read = parts(value)
    if read is None or read[2] is None:
        return value
    wall, fraction, _ = read
    try:
        return _write(wall + timedelta(minutes=local), fraction, format_offset(local))
    except OverflowError:
        return value


def utc_date_at_local_midnight(value: str, local: int) -> str:
    """Defect `dob-date-moved-in-own-offset`: the UTC date of the instant sent, stored at local
    midnight (a `date` column filled from `ToUniversalTime().Date`)."""
    read = parts(value)
    if read is None:
        return value
    wall, _, offset = read
    if offset is None:
        return value
    try:
        utc = wall - timedelta(minutes=offset)
    except OverflowError:
        return value
    return _write(utc.replace(hour=0, minute=0, second=0), "", format_offset(local))
