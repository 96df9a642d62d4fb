"""Customer values as the server stores and writes them: DOB in .NET's form."""

from __future__ import annotations

import re

_DATE_TIME = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})?$"
)


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
