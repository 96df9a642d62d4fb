"""Putting the given customers back as the run found them, from the journal (contract rule 13).

A property is put back only where it still holds a value this run wrote there (a value one of its
PATCHes sent, or the form a PATCH answer said it was stored in). Any other difference is someone
else's change: it is left as they set it and reported as a conflict. Each restored record is read
again to prove it; DOB is compared by calendar date (contract rule 1).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from qflow_contracts.suite.http import DeadlineReached, Unavailable, UnsafeRequest, side_by_side
from qflow_contracts.suite.journal import Written, documents

SELECTORS = ("CustomerId", "PersonalIdTypeId", "PersonalIdTypeExtRef")
"""They select the record a PATCH changes: a PATCH cannot put them back."""
OFFSET = re.compile(r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$")
SHOWN = 80


class UnreadableCustomer(Exception):
    """A given customer could not be read (not found, or not a record)."""


def read_record(http: httpx.Client, customer_id: int) -> tuple[dict[str, Any], bytes]:
    """GET one customer by CustomerId: the record and the answer's exact bytes."""
    response = http.get(f"Customers/{customer_id}")
    if response.status_code != 200:
        raise UnreadableCustomer(f"GET Customers/{customer_id} answered HTTP {response.status_code}")
    try:
        record = json.loads(response.content)
    except ValueError:
        record = None
    # a CustomerId of the wrong type ("101") or name case is a finding of the run, not a reason to
    # leave a record unread
    if not isinstance(record, dict) or str(customer_id_of(record)) != str(customer_id):
        raise UnreadableCustomer(
            f"GET Customers/{customer_id} did not answer customer {customer_id}'s record"
        )
    return record, response.content


def same_value(name: str, before: Any, after: Any) -> bool:
    """Equal; a DOB by calendar date (a server may rewrite its form, contract rule 1)."""
    if name == "DOB" and isinstance(before, str) and isinstance(after, str):
        return before[:10] == after[:10]
    return bool(before == after and type(before) is type(after))


def same_record(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Every property of `before` equal in `after` (DOB by calendar date)."""
    return all(same_value(name, value, after.get(name, ...)) for name, value in before.items())


def _instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not OFFSET.search(value):
        return None
    try:
        return dt.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", value.replace("z", "Z")))
    except ValueError:
        return None


def _loosely_equal(name: str, written: Any, found: Any) -> bool:
    """`found` is what `written` is stored as: equal, the same number or text (Json.NET converts
    "1" to 1 and 1 to "1"), or for DOB the same calendar date or instant."""
    if written == found and type(written) is type(found):
        return True
    if name == "DOB":
        if same_value(name, written, found):
            return True
        one, two = _instant(written), _instant(found)
        return one is not None and two is not None and one == two
    if isinstance(written, (str, int, float)) and isinstance(found, (str, int, float)):
        return not isinstance(found, bool) and str(written).strip() == str(found).strip()
    return False


@dataclass
class Writes:
    """Every value this run wrote, per customer and property (CustomProperties per key)."""

    values: dict[tuple[int, str], list[Any]] = field(default_factory=dict)

    def add(self, customer_id: int, name: str, value: Any) -> None:
        self.values.setdefault((customer_id, name), []).append(value)

    def ours(self, customer_id: int, name: str, found: Any) -> bool:
        """Whether `found` is a value this run wrote to `name` of `customer_id`."""
        base = name.split("[")[0]
        return any(_loosely_equal(base, value, found) for value in self.values.get((customer_id, name), ()))


def _canonical(name: str, record: dict[str, Any]) -> str | None:
    for key in record:
        if key.lower() == name.lower():
            return key
    return None


def _targets(body: dict[str, Any], written: Written) -> list[int]:
    """The given customers a PATCH body targets (contract rule 4)."""
    found: list[int] = []
    for key, value in body.items():
        if isinstance(key, str) and key.lower() == "customerid":
            number = value if isinstance(value, int) and not isinstance(value, bool) else None
            if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
                number = int(value)
            if number is not None:
                number = (number + 2**31) % 2**32 - 2**31
                if number in written.originals:
                    found.append(number)
    if found:
        return found
    pid = next((v for k, v in body.items() if isinstance(k, str) and k.lower() == "personalid"), None)
    if pid in (None, ""):
        return []
    return [cid for cid, record in written.originals.items() if record.get("PersonalId") == str(pid)]


def writes(written: Written) -> Writes:
    """The values a journal says this run wrote."""
    result = Writes()
    for content_type, text in written.changes:
        for body in documents(content_type, text):
            for cid in _targets(body, written):
                original = written.originals[cid]
                for key, value in body.items():
                    if not isinstance(key, str):
                        continue
                    if key.lower().startswith("customproperties[") and key.endswith("]"):
                        result.add(cid, f"CustomProperties[{key[len('CustomProperties[') : -1]}]", value)
                        continue
                    name = _canonical(key, original) or key
                    if name == "CustomProperties" and isinstance(value, dict):
                        for entry, item in value.items():
                            result.add(cid, f"CustomProperties[{entry}]", item)
                    else:
                        result.add(cid, name, value)
    for cid, values in written.stored:
        for name, value in values.items():
            if name == "CustomProperties" and isinstance(value, dict):
                for entry, item in value.items():
                    result.add(cid, f"CustomProperties[{entry}]", item)
            else:
                result.add(cid, name, value)
    return result


@dataclass
class Conflict:
    """A property someone else changed since the run wrote it (or never written by the run): left as
    found."""

    customer_id: int
    name: str
    found: str


@dataclass
class RestoreVerdict:
    """What the restore found, customer by customer."""

    restored: list[int] = field(default_factory=list)
    untouched: list[int] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lost: str | None = None
    journal: str | None = None

    @property
    def ok(self) -> bool:
        """Every record read back as it was, nothing left to do."""
        return not self.conflicts and not self.problems and self.lost is None

    def lines(self) -> list[str]:
        """One line per conflict and problem, then the summary."""
        lines = [
            f"restore: conflict: customer {c.customer_id} {c.name} holds {c.found}, not the value this run "
            "wrote: someone else changed it; left as they set it"
            for c in self.conflicts
        ]
        lines += [f"restore: {problem}" for problem in self.problems]
        return [*lines, self.summary()]

    def summary(self) -> str:
        """One line."""
        count = len(self.restored) + len(self.untouched)
        if self.ok:
            return f"restore: all {count} customers read back as they were before the run"
        where = f"; the journal {self.journal} holds what is left" if self.journal else ""
        if self.lost is not None:
            return f"restore: INCOMPLETE, the server was lost ({self.lost}){where}"
        return (
            f"restore: INCOMPLETE: {len(self.conflicts)} conflict(s), {len(self.problems)} other problem(s); "
            f"{count} customers read back as they were{where}"
        )


def _shown(value: Any, mask: Callable[[str], str]) -> str:
    text = mask(json.dumps(value, ensure_ascii=False))
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def _sendable_dob(value: Any) -> bool:
    return isinstance(value, str) and bool(OFFSET.search(value))


def _plan(
    cid: int,
    original: dict[str, Any],
    current: dict[str, Any],
    mine: Writes,
    verdict: RestoreVerdict,
    mask: Callable[[str], str],
) -> dict[str, Any]:
    """The PATCH body that puts back what this run changed; conflicts and problems recorded."""
    body: dict[str, Any] = {}
    for name, value in original.items():
        found = current.get(name)
        if name == "CustomProperties":
            props = _plan_custom(cid, value, found, mine, verdict, mask)
            if props:
                body[name] = props
            continue
        if same_value(name, value, found):
            continue
        if not mine.ours(cid, name, found):
            verdict.conflicts.append(Conflict(cid, name, _shown(found, mask)))
        elif name in SELECTORS:
            verdict.problems.append(f"customer {cid} {name} changed; a PATCH cannot put it back")
        elif value is None:
            verdict.problems.append(f"customer {cid} {name} was null; a PATCH cannot put null back")
        elif name == "DOB" and not _sendable_dob(value):
            verdict.problems.append(f"customer {cid} DOB was read without an offset; a PATCH cannot send it")
        else:
            body[name] = value
    return body


def _plan_custom(
    cid: int, value: Any, found: Any, mine: Writes, verdict: RestoreVerdict, mask: Callable[[str], str]
) -> dict[str, Any]:
    before = value if isinstance(value, dict) else {}
    now = found if isinstance(found, dict) else {}
    props: dict[str, Any] = {}
    for key in sorted(set(before) | set(now)):
        name = f"CustomProperties[{key}]"
        if key in before and key in now and before[key] == now[key]:
            continue
        if not mine.ours(cid, name, now.get(key)) and not (key not in now and mine.values.get((cid, name))):
            verdict.conflicts.append(Conflict(cid, name, _shown(now.get(key), mask)))
        elif key not in before:
            verdict.problems.append(f"customer {cid} {name} was absent; a PATCH cannot remove a key")
        else:
            props[key] = before[key]
    if value is None and found is not None and not props:
        return {}
    return props


def restore(
    http: httpx.Client,
    written: Written,
    mask: Callable[[str], str],
) -> RestoreVerdict:
    """Put back what the journal says this run changed, then read each record again to prove it.

    Customers are restored side by side, each in its own read, PATCH, read again."""
    verdict = RestoreVerdict(journal=str(written.path))
    if not written.changes:
        verdict.untouched = list(written.originals)  # no PATCH was sent: nothing to put back
        return verdict
    mine = writes(written)
    parts = side_by_side(
        [
            functools.partial(_restore_one, http, cid, original, mine, mask)
            for cid, original in written.originals.items()
        ]
    )
    for part in parts:
        verdict.restored += part.restored
        verdict.untouched += part.untouched
        verdict.conflicts += part.conflicts
        verdict.problems += part.problems
        verdict.lost = verdict.lost or part.lost
    return verdict


def _restore_one(
    http: httpx.Client, cid: int, original: dict[str, Any], mine: Writes, mask: Callable[[str], str]
) -> RestoreVerdict:
    """Put back one customer: read it, PATCH back what is this run's, read it again."""
    verdict = RestoreVerdict()
    try:
        current, _ = read_record(http, cid)
        body = _plan(cid, original, current, mine, verdict, mask)
        if not body:
            if same_record(original, current):
                verdict.untouched.append(cid)
            return verdict
        http.patch("Customers", json={"CustomerId": cid, **body})
        now, _ = read_record(http, cid)
    except (Unavailable, DeadlineReached) as error:
        verdict.lost = str(error)
        return verdict
    except (UnreadableCustomer, UnsafeRequest) as error:
        verdict.problems.append(mask(str(error)))
        return verdict
    wrong = [
        name
        for name in body
        if name != "CustomProperties" and not same_value(name, original[name], now.get(name))
    ]
    if "CustomProperties" in body:
        kept_now = now.get("CustomProperties")
        kept: dict[str, Any] = kept_now if isinstance(kept_now, dict) else {}
        wrong += [f"CustomProperties[{k}]" for k, v in body["CustomProperties"].items() if kept.get(k) != v]
    if wrong:
        verdict.problems.append(f"customer {cid}: the restore did not take for {', '.join(wrong)}")
    elif same_record(original, now):
        verdict.restored.append(cid)
    return verdict


def customer_id_of(record: dict[str, Any]) -> Any:
    """A record's CustomerId, its name matched in any case (None when there is none)."""
    if "CustomerId" in record:
        return record["CustomerId"]
    return next((value for key, value in record.items() if str(key).lower() == "customerid"), None)
