"""Putting the given customers back as the run found them, and proving it (contract rule 13).

The proof is the whole record: every customer given ends as exactly one of

- **restored**: the restore PATCHed it, and it reads back as it was: every property, DOB by
  instant and form (contract rule 1), `CustomProperties` key by key;
- **untouched**: it read back as it was without a PATCH (and the journal agrees);
- **a named problem**: one `Problem` per slot that does not read back, saying why.

A slot is put back only where it still holds the last value this run left there: a value the
server stored in answer to one of the run's PATCHes (`ownership.py`; also a change the server made
unasked, which is the server's doing, not another user's). Anything else is another user's change:
left as they set it, a conflict. A read that disagrees with what the journal or the restore's own
PATCH answered is repeated once after a short pause (a cache that ignores `no-cache`); if the
server's GET still disagrees with its PATCH answer, the record is not proven.
"""

from __future__ import annotations

import enum
import functools
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from qflow_contracts.suite import fields
from qflow_contracts.suite.dates import same_day, sendable_date
from qflow_contracts.suite.errors import DeadlineReached, Unavailable, UnsafeRequest
from qflow_contracts.suite.http import side_by_side
from qflow_contracts.suite.journal import Written, documents
from qflow_contracts.suite.ownership import Owned, owned, sent_slots
from qflow_contracts.suite.slots import (
    ABSENT,
    DICTIONARY,
    dictionary_key,
    same_slot,
    slot_value,
    slots,
)
from qflow_contracts.suite.targets import identity, targets

SHOWN = 80
PAUSE = 0.5
"""Seconds the restore waits before it reads again a record whose read disagreed."""


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
    if not isinstance(record, dict) or fields.customer_id(record) != customer_id:
        raise UnreadableCustomer(
            f"GET Customers/{customer_id} did not answer customer {customer_id}'s record"
        )
    return record, response.content


def same_value(name: str, before: Any, after: Any) -> bool:
    """Equal; a DOB by calendar date (a server may rewrite its form, contract rule 1)."""
    if name == "DOB" and isinstance(before, str) and isinstance(after, str):
        return same_day(before, after)
    return bool(before == after and type(before) is type(after))


class Why(enum.Enum):
    """Why a slot does not read back as it was."""

    CONFLICT = "conflict with another user"
    SERVER = "the server's own change"
    NULL = "cannot be put back by PATCH (it was null)"
    ABSENT_KEY = "cannot be put back by PATCH (the key was absent)"
    SELECTOR = "cannot be put back by PATCH (it selects the record)"
    DOB_OFFSET = "cannot be put back by PATCH (DOB was read without an offset)"
    NOT_TAKEN = "the restore did not take"
    UNREADABLE = "unreadable"


TODO: dict[Why, str] = {
    Why.CONFLICT: "someone else changed it after this run did, so it was left as they set it: "
    "check with them before putting the original back by hand",
    Why.SERVER: "the server changed it when this run PATCHed other properties (contract rule 5): "
    "put the original back by hand and report the server's behaviour to its vendor",
    Why.NULL: "a PATCH leaves a null value as it is: clear it by hand if it must be empty again",
    Why.ABSENT_KEY: "a PATCH cannot remove a key: remove it by hand if it must go",
    Why.SELECTOR: "a PATCH never changes the properties that select a record: fix it by hand",
    Why.DOB_OFFSET: "a PATCH needs DOB with an offset: set it back by hand in the server's own form",
    Why.NOT_TAKEN: "the server answered the restore's PATCH but kept the value: put it back by hand, "
    "then run qflow-contracts restore --journal again",
    Why.UNREADABLE: "the server's reads do not show what it stores (a cache that ignores no-cache?): "
    "check the record by hand, then run qflow-contracts restore --journal again",
}


@dataclass(frozen=True)
class Problem:
    """One slot of one customer that does not read back as it was, and what to do about it."""

    customer_id: int
    name: str
    """The property (`CustomProperties[key]` for one key); empty for the whole record."""
    original: str
    """The value before the run, masked and shortened (empty for the whole record)."""
    found: str
    """The value found at the end, masked and shortened (empty for the whole record)."""
    why: Why
    todo: str
    """What the user should do, one sentence."""
    detail: str = ""
    """Why in the server's words (an HTTP status), masked; may be empty."""

    def line(self) -> str:
        """One line: customer, property, from -> to, why, what to do."""
        what = f" {self.name}: {self.original} -> {self.found}" if self.name else ""
        detail = f" ({self.detail})" if self.detail else ""
        return f"restore: customer {self.customer_id}{what}: {self.why.value}{detail}; {self.todo}"


@dataclass
class RestoreVerdict:
    """What the restore proved, customer by customer."""

    given: tuple[int, ...] = ()
    restored: list[int] = field(default_factory=list)
    untouched: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lost: str | None = None
    journal: str | None = None
    notes: list[str] = field(default_factory=list)
    """Lines about the restore itself (a journal that could not be written)."""

    @property
    def conflicts(self) -> list[Problem]:
        """The problems that are another user's change."""
        return [p for p in self.problems if p.why is Why.CONFLICT]

    @property
    def with_problems(self) -> list[int]:
        """The customers with at least one problem."""
        return sorted({p.customer_id for p in self.problems})

    @property
    def accounted(self) -> bool:
        """Every customer given is exactly one of restored, untouched or a named problem."""
        groups = [set(self.restored), set(self.untouched), set(self.with_problems)]
        counted = len(self.restored) + len(self.untouched) + len(self.with_problems)
        return counted == len(set(self.given)) and set().union(*groups) == set(self.given)

    @property
    def ok(self) -> bool:
        """Every given record proven as it was, nothing left to do."""
        return not self.problems and self.lost is None and self.accounted

    def lines(self) -> list[str]:
        """One line per problem and note, then the summary."""
        return [*(p.line() for p in self.problems), *self.notes, self.summary()]

    def summary(self) -> str:
        """One line."""
        given = len(set(self.given))
        counts = f"{len(self.restored)} restored, {len(self.untouched)} untouched"
        if self.ok:
            return f"restore: all {given} customers read back as they were before the run ({counts})"
        where = f"; the journal {self.journal} holds what is left" if self.journal else ""
        if self.lost is not None:
            return f"restore: INCOMPLETE, the server was lost ({self.lost}); {counts} of {given}{where}"
        unproven = given - len(self.restored) - len(self.untouched)
        return (
            f"restore: INCOMPLETE: {unproven} of {given} customers not proven as they were "
            f"({len(self.conflicts)} conflict(s), {len(self.problems) - len(self.conflicts)} other "
            f"problem(s)); {counts}{where}"
        )


def _shown(value: Any, mask: Callable[[str], str]) -> str:
    if value is ABSENT:
        return "(absent)"
    text = mask(json.dumps(value, ensure_ascii=False))
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


@dataclass
class _Customer:
    """One customer's restore: what the journal says the run left, and what was found."""

    cid: int
    original: dict[str, Any]
    mine: Mapping[str, Owned]
    doubt: Mapping[str, list[Any]]
    mask: Callable[[str], str]
    verdict: RestoreVerdict = field(default_factory=RestoreVerdict)
    named: set[str] = field(default_factory=set)

    def problem(self, slot: str, found: Any, why: Why, detail: str = "") -> None:
        if slot in self.named:
            return
        self.named.add(slot)
        original = slot_value(self.original, slot) if slot else None
        self.verdict.problems.append(
            Problem(
                self.cid,
                slot,
                _shown(original, self.mask) if slot else "",
                _shown(found, self.mask) if slot else "",
                why,
                TODO[why],
                self.mask(detail),
            )
        )

    def names(self, *records: dict[str, Any]) -> list[str]:
        """The slots to prove: the original's properties (a server may add others), and every
        dictionary key any record has."""
        found = list(slots(self.original))
        for record in records:
            for slot in slots(record, [DICTIONARY]) if DICTIONARY in self.original else {}:
                if slot not in found:
                    found.append(slot)
        if DICTIONARY in self.original and DICTIONARY not in found:
            found.append(DICTIONARY)
        return found

    def ours(self, slot: str, found: Any) -> Owned | None:
        """The run's own value of `slot`, when `found` is it (else None: someone else's)."""
        mine = self.mine.get(slot)
        if mine is not None and same_slot(slot, mine.value, found):
            return mine
        if found is not ABSENT and any(same_slot(slot, sent, found) for sent in self.doubt.get(slot, ())):
            return Owned(found, False)  # a PATCH whose answer was never journaled, stored as sent
        return None

    def left_changed(self, current: dict[str, Any]) -> list[str]:
        """Slots that read as they were although the run last left them otherwise."""
        return [
            slot
            for slot, mine in self.mine.items()
            if not same_slot(slot, slot_value(self.original, slot), mine.value)
            and same_slot(slot, slot_value(self.original, slot), slot_value(current, slot))
        ]

    def cannot(self, slot: str) -> Why | None:
        """Why PATCH cannot put `slot` back, or None."""
        value = slot_value(self.original, slot)
        slot = fields.canonical(slot)  # a server writing names in another case (rule 2)
        if slot in identity():  # PATCH never changes them, so it cannot put them back
            return Why.SELECTOR
        if value is None:
            return Why.NULL
        if value is ABSENT:
            return Why.ABSENT_KEY if dictionary_key(slot) is not None else Why.NULL
        if slot == "DOB" and not sendable_date(value):
            return Why.DOB_OFFSET
        return None

    def plan(self, current: dict[str, Any], disagreeing: list[str]) -> dict[str, Any]:
        """The slots to PATCH back, with the original values; problems named on the way."""
        body: dict[str, Any] = {}
        for slot in self.names(current):
            before, found = slot_value(self.original, slot), slot_value(current, slot)
            if same_slot(slot, before, found):
                if slot in disagreeing and self.cannot(slot) is None:
                    body[slot] = before  # what the read shows already: sending it changes no one's edit
                continue
            mine = self.ours(slot, found)
            if mine is None:
                self.problem(slot, found, Why.CONFLICT)
                continue
            reason = self.cannot(slot)
            if reason is not None:
                self.problem(slot, found, Why.SERVER if mine.server else reason)
                continue
            body[slot] = before
        return body


def _patch_body(cid: int, body: Mapping[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {"CustomerId": cid}
    for slot, value in body.items():
        key = dictionary_key(slot)
        if key is not None:
            document.setdefault(DICTIONARY, {})[key] = value
        elif slot == DICTIONARY:
            document.setdefault(DICTIONARY, {})
        elif fields.canonical(slot) == DICTIONARY and isinstance(value, dict):
            # written in another case, the dictionary is one slot: its original keys go back whole
            document.setdefault(DICTIONARY, {}).update(value)
        else:
            document[fields.canonical(slot)] = value  # the spec's spelling: the server reads that
    return document


def _in_doubt(written: Written) -> dict[int, dict[str, list[Any]]]:
    """Per customer and slot, the values sent by PATCHes whose answer was never journaled."""
    names: list[str] = []
    for record in written.originals.values():
        names += [n for n in record if n not in names]
    found: dict[int, dict[str, list[Any]]] = {}
    for change in written.in_doubt():
        bodies = documents(change.content_type, change.body)
        for cid in targets(bodies, written.originals):
            for slot, value in sent_slots(bodies, names).items():
                found.setdefault(cid, {}).setdefault(slot, []).append(value)
    return found


def restore(
    http: httpx.Client, written: Written, mask: Callable[[str], str], *, pause: float = PAUSE
) -> RestoreVerdict:
    """Put back what the journal says this run changed, then read each record again to prove it.

    Customers are restored side by side, each in its own read, PATCH, read again."""
    given = tuple(written.originals)
    verdict = RestoreVerdict(given=given, journal=str(written.path))
    if not written.changes:
        verdict.untouched = list(given)  # no PATCH was sent: nothing to put back
        return verdict
    mine, doubt = owned(written.stored), _in_doubt(written)
    customers = [
        _Customer(cid, original, mine.get(cid, {}), doubt.get(cid, {}), mask)
        for cid, original in written.originals.items()
    ]
    return restore_all(http, customers, verdict, pause)


def restore_all(
    http: httpx.Client, customers: list[_Customer], verdict: RestoreVerdict, pause: float
) -> RestoreVerdict:
    """Restore `customers` side by side, each in its own read, PATCH, read again; `verdict` gathers
    what became of each."""
    parts = side_by_side([functools.partial(_restore_one, http, customer, pause) for customer in customers])
    for part in parts:
        verdict.restored += part.restored
        verdict.untouched += part.untouched
        verdict.problems += part.problems
        verdict.lost = verdict.lost or part.lost
    return verdict


def _unexplained(
    original: dict[str, Any],
    current: dict[str, Any],
    answer: dict[str, Any],
    now: dict[str, Any],
    names: list[str],
) -> list[str]:
    """Slots where the read after the restore's PATCH disagrees with its answer, except where the
    answer is stale (it shows the record as before the PATCH) and the read shows the original: a
    rule 6 fault of the answer, not a read that fails to prove."""
    found = []
    for slot in names:
        read, answered = slot_value(now, slot), slot_value(answer, slot)
        if same_slot(slot, answered, read):
            continue
        stale = same_slot(slot, answered, slot_value(current, slot))
        if stale and same_slot(slot, slot_value(original, slot), read):
            continue
        found.append(slot)
    return found


def _restore_one(http: httpx.Client, customer: _Customer, pause: float) -> RestoreVerdict:
    """Put back one customer: read it, PATCH back what is this run's, read it again, prove it."""
    cid, verdict = customer.cid, customer.verdict
    try:
        current, _ = read_record(http, cid)
        disagreeing = customer.left_changed(current)
        if disagreeing:  # the journal says otherwise: a stale read, or another user put it back
            time.sleep(pause)
            current, _ = read_record(http, cid)
            disagreeing = customer.left_changed(current)
        body = customer.plan(current, disagreeing)
        if not body:
            if not verdict.problems:
                verdict.untouched.append(cid)
            return verdict
        answer, status = _send(http, cid, body)
        now, _ = read_record(http, cid)
        names = customer.names(current, now, *([answer] if answer else []))
        if answer is not None and _unexplained(customer.original, current, answer, now, names):
            time.sleep(pause)  # the read disagrees with the PATCH answer: once more, after a pause
            now, _ = read_record(http, cid)
            for slot in _unexplained(customer.original, current, answer, now, names):
                customer.problem(
                    slot,
                    slot_value(now, slot),
                    Why.UNREADABLE,
                    f"its PATCH answered {_shown(slot_value(answer, slot), customer.mask)}, "
                    "its GET still another value",
                )
    except (Unavailable, DeadlineReached) as error:
        verdict.lost = str(error)
        return verdict
    except (UnreadableCustomer, UnsafeRequest) as error:
        customer.problem("", None, Why.UNREADABLE, str(error))
        return verdict
    _prove(customer, current, now, body, names, status)
    if not verdict.problems:
        verdict.restored.append(cid)
    return verdict


def _send(http: httpx.Client, cid: int, body: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """PATCH the slots of `body` back: the record the server answered (None when it answered no
    record) and why not, when it did not. A PATCH refused whole with 400 is sent again slot by
    slot, so that one value the server will not take keeps no other from going back."""
    response = http.patch("Customers", json=_patch_body(cid, body))
    answer = _answered(response, cid)
    if answer is not None:
        return answer, ""
    status = f"the restore's PATCH answered HTTP {response.status_code}"
    if response.status_code != 400 or len(body) < 2:
        return None, status
    refused: list[str] = []
    for slot, value in body.items():
        alone = http.patch("Customers", json=_patch_body(cid, {slot: value}))
        answered = _answered(alone, cid)
        if answered is None:
            refused.append(f"{slot} alone: HTTP {alone.status_code}")
        else:
            answer = answered
    return answer, f"{status}; {', '.join(refused)}" if refused else ""


def _answered(response: httpx.Response, cid: int) -> dict[str, Any] | None:
    """The record a PATCH answered with, when it is a 2xx with this customer's record."""
    if not 200 <= response.status_code < 300:
        return None
    try:
        parsed = json.loads(response.content)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) and fields.customer_id(parsed) == cid else None


def _prove(
    customer: _Customer,
    current: dict[str, Any],
    now: dict[str, Any],
    body: dict[str, Any],
    names: Iterable[str],
    status: str,
) -> None:
    """Name every slot the read after the PATCH does not show as found: the PATCH did not take
    it, or the restore's own PATCH made the server change it."""
    for slot in names:
        if same_slot(slot, slot_value(customer.original, slot), slot_value(now, slot)):
            continue
        if slot in body:
            customer.problem(slot, slot_value(now, slot), Why.NOT_TAKEN, status)
        elif same_slot(slot, slot_value(customer.original, slot), slot_value(current, slot)):
            customer.problem(slot, slot_value(now, slot), Why.SERVER, "changed by the restore's own PATCH")
