"""The server's time zone, learned from the DOBs it writes, and what a DOB read back means
(contract rule 1, "the platform's time zone").

ASP.NET Web API reads a date-time with Json.NET, which converts a value carrying an offset to the
server's local time and writes it back with the server's offset: the instant is kept, the
calendar date is the one in the server's offset. `Zone` is what the suite knows of that offset:
learned from the given customers' records (each DOB written with an offset), or, when none carries
one, from the first answer to a PATCH of DOB that does. Records that carry several offsets belong
to a server that keeps each DOB's own offset: there a moved date is never the platform's doing.

`judge` says what a DOB read back with another calendar date than the one sent is: the platform's
conversion (the same instant, sent in another offset than the server's), or a failure (sent in the
server's own offset; the instant changed; written in an offset the server does not write; or the
offset unknown). Nothing here sends a request.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qflow_contracts.suite.dates import moment, offset_text


def written_offset(value: object) -> int | None:
    """The numeric offset (`+10:00`) a DOB was written with, in minutes; None for `Z`, none, or
    no date-time (a UTC DateTime tells nothing of the server's local time)."""
    found = moment(value)
    return None if found is None or found.utc else found.offset


class Judgement(enum.Enum):
    """What a DOB read back with another calendar date than the one sent is."""

    CONVERTED = "converted"
    """The platform's conversion: the same instant, sent in another offset than the server's."""
    MOVED_IN_OWN_OFFSET = "date-moved-in-own-offset"
    INSTANT_MOVED = "instant-moved"
    NOT_THE_SERVER_OFFSET = "written-in-another-offset"
    MOVED = "date-moved"
    """The server's offset is not known, or it keeps each DOB's offset: no conversion explains it."""


@dataclass
class Zone:
    """What the suite knows of the server's offset (`offset`, minutes east of UTC, or None), and how."""

    offset: int | None = None
    how: str = "no DOB with an offset was read"
    keeps: bool = False
    """The records carry several offsets: the server keeps each DOB's own offset."""
    seen: tuple[int, ...] = field(default=())

    @classmethod
    def learn(cls, records: Iterable[Mapping[str, Any]], names: Iterable[str]) -> Zone:
        """The zone the given customers' DOBs (the properties `names`) were written in."""
        wanted = tuple(names)
        offsets = sorted({o for r in records for n in wanted if (o := written_offset(r.get(n))) is not None})
        if not offsets:
            return cls()
        if len(offsets) == 1:
            text = offset_text(offsets[0])
            return cls(offsets[0], f"the given customers' DOBs are written in {text}", seen=tuple(offsets))
        listed = ", ".join(offset_text(o) for o in offsets)
        return cls(
            None,
            f"the given customers' DOBs carry several offsets ({listed}): the server keeps each DOB's "
            "offset, so no moved date is the platform's conversion",
            keeps=True,
            seen=tuple(offsets),
        )

    @property
    def text(self) -> str:
        """The offset as `+hh:mm`, or `unknown`."""
        return "unknown" if self.offset is None else offset_text(self.offset)

    def observe(self, value: object) -> None:
        """A DOB the server wrote: it teaches the offset when the records read did not."""
        offset = written_offset(value)
        if self.offset is None and not self.keeps and offset is not None:
            self.offset, self.how = offset, f"learned from a PATCH answer written in {offset_text(offset)}"

    def judge(self, sent: object, got: object) -> Judgement | None:
        """None when `got` reads back with the calendar date of `sent` (or either is no date-time);
        otherwise what the move is."""
        was, now = moment(sent), moment(got)
        if was is None or now is None or was.date == now.date:
            return None
        if self.offset is None:
            return Judgement.MOVED
        if was.offset == self.offset:
            return Judgement.MOVED_IN_OWN_OFFSET
        if was.instant() != now.instant(assumed=self.offset):
            return Judgement.INSTANT_MOVED
        if now.offset is not None and now.offset != self.offset:
            return Judgement.NOT_THE_SERVER_OFFSET
        return Judgement.CONVERTED


def probe_time(date: str, offset: int) -> str:
    """A DOB on `date` in `offset` whose instant falls on the same date in UTC (noon UTC, or the
    local time nearest it on that day): no conversion moves its date, nor leaves years 1..9999."""
    minutes = min(max(12 * 60 + offset, 0), 24 * 60 - 1)
    return f"{date}T{minutes // 60:02d}:{minutes % 60:02d}:00{offset_text(offset)}"


BOUNDARY_DATES = ("0001-01-01", "1752-12-31", "1753-01-01", "9999-12-31")
"""DOBs at .NET's first and last day and around SQL Server's `datetime` floor (1753-01-01)."""


def probes(offset: int) -> list[str]:
    """The DOBs the opening sends once the server's offset is known (or taken as `offset`): two
    near midnight in that offset (their date must stay), one near midnight far from it (moved
    only by a conversion, which keeps the instant), and the boundary dates."""
    far = max(offset - 15 * 60, -12 * 60) if offset >= 0 else min(offset + 15 * 60, 14 * 60)
    own = offset_text(offset)
    across = (
        f"1999-12-31T23:30:00{offset_text(far)}" if offset >= 0 else f"2000-01-01T00:30:00{offset_text(far)}"
    )
    return [
        f"1984-02-29T00:30:00{own}",
        f"1984-12-31T23:30:00{own}",
        across,
        *(probe_time(date, offset) for date in BOUNDARY_DATES),
    ]


LEARNING_PROBE = "2000-06-15T12:00:00+00:00"
"""Sent first when no record read carried an offset: noon UTC keeps its date in every offset
within twelve hours, and the answer's offset teaches the server's."""
