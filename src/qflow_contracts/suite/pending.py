"""Unfinished journals: runs whose restore was never proven (killed, crashed, or the server lost),
for `qflow-contracts restore --list` and `restore --latest`."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from qflow_contracts.suite.journal import JournalError, read


@dataclass(frozen=True)
class Pending:
    """One unfinished journal: where it is, what it is for, and when its run started."""

    path: Path
    base_url: str
    customer_ids: tuple[int, ...]
    started: dt.datetime | None

    def age(self, now: dt.datetime | None = None) -> str:
        """How long ago the run started, in words ("3 h 12 min"), or "unknown"."""
        if self.started is None:
            return "unknown"
        seconds = int(((now or dt.datetime.now(dt.UTC)) - self.started).total_seconds())
        days, rest = divmod(max(seconds, 0), 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        if days:
            return f"{days} d {hours} h"
        if hours:
            return f"{hours} h {minutes} min"
        return f"{minutes} min" if minutes else f"{rest} s"

    def line(self, now: dt.datetime | None = None) -> str:
        """The journal on one line: path, base URL, customers, age."""
        customers = ", ".join(str(cid) for cid in self.customer_ids)
        return f"{self.path}  {self.base_url}  customers {customers}  started {self.age(now)} ago"


def _started(path: Path) -> dt.datetime | None:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            first = json.loads(handle.readline())
        return dt.datetime.fromisoformat(str(first["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pending(folder: Path) -> list[Pending]:
    """The unfinished journals in `folder` with at least one change, oldest first."""
    found = []
    for path in sorted(folder.glob("run-*.jsonl")) if folder.is_dir() else []:
        try:
            written = read(path)
        except (JournalError, KeyError, TypeError, ValueError):
            continue
        if written.done or not written.changes:
            continue
        found.append(Pending(path, written.base_url, written.customer_ids, _started(path)))
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(found, key=lambda item: (item.started or epoch, item.path.name))
