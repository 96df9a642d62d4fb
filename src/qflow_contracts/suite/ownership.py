"""Which values are the run's own (contract rule 13, issue 20 item 3).

A value is the run's own only if the server stored it in answer to one of this run's PATCHes: the
PATCH answer shows it, or (when the answer is not a record of the customer, or a stale one) the
next read of that customer does. What a PATCH merely sent (a refused body, a leniency probe, a
falsy value the server ignored) is not. `Ownership` watches the transport: it keeps the last record
seen of each given customer, and for each PATCH compares the record before it with the answer (or
the next read), slot by slot (`slots.py`). Every slot that changed is the run's doing; one the
PATCH did not send is the server's own change (contract rule 5). The journal keeps each such
`Caused`; `owned` turns a journal into the last value the run left in each slot, which is all the
restore may put back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qflow_contracts.suite import fields
from qflow_contracts.suite.slots import (
    ABSENT,
    DICTIONARY,
    key_slot,
    same_slot,
    slot_names,
    slot_value,
    stored_as,
)
from qflow_contracts.suite.targets import identity, targets

INDEXED = "].key"
"""MVC's indexed form of a dictionary: `CustomProperties[0].Key=k&CustomProperties[0].Value=v`."""


@dataclass
class Caused:
    """What one PATCH of the run made the server store in one customer's record."""

    customer_id: int
    change: int | None
    """The PATCH's number in the journal (None in a journal written before numbers)."""
    values: dict[str, Any] = field(default_factory=dict)
    """Slot -> the value the server stored (ABSENT: a dictionary key it removed)."""
    unsent: list[str] = field(default_factory=list)
    """Slots that changed although the PATCH did not send them: the server's own change."""
    by: str = "answer"
    """What showed it: the PATCH `answer`, or the next `read`."""


@dataclass
class Owned:
    """The last value the run left in one slot, and whether the server changed it unasked."""

    value: Any
    server: bool


def _canonical(name: str, names: Iterable[str]) -> str:
    for known in names:
        if known.lower() == name.lower():
            return known
    return name


def sent_slots(bodies: list[dict[str, Any]], names: Iterable[str]) -> dict[str, Any]:
    """The slots a PATCH body writes, with the values it sends (`null` leaves a property as it is,
    so it writes nothing; a dictionary writes only its keys; names matched in any case). The
    identity properties select the record, they write nothing (contract rule 5)."""
    names = [n for n in names if n not in identity()]
    found: dict[str, Any] = {}
    for body in bodies:
        indexed: dict[str, dict[str, Any]] = {}
        for key, value in body.items():
            if not isinstance(key, str) or value is None:
                continue
            base, bracket, rest = key.partition("[")
            base = _canonical(base, names)
            if bracket and base == DICTIONARY:
                if rest.lower().endswith(INDEXED[1:]) or rest.lower().endswith("].value"):
                    index, _, part = rest.partition("]")
                    indexed.setdefault(index, {})[part.strip(".").lower()] = value
                else:
                    found[key_slot(rest[:-1] if rest.endswith("]") else rest)] = value
            elif base == DICTIONARY and isinstance(value, dict):
                for entry, item in value.items():
                    if item is not None:
                        found[key_slot(str(entry))] = item
            elif not bracket and base.lower() not in {n.lower() for n in identity()}:
                found[base] = value
        for pair in indexed.values():
            if "key" in pair and pair.get("value") is not None:
                found[key_slot(str(pair["key"]))] = pair["value"]
    return found


def caused(
    cid: int,
    change: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
    sent: Mapping[str, Any],
    by: str,
    already: Mapping[str, Any] | None = None,
) -> Caused:
    """What changed from `before` to `after`, slot by slot, with the slots sent that read back as
    sent; a slot already recorded with the same value (`already`) is left out."""
    result = Caused(cid, change, by=by)
    for slot in slot_names(before, after):
        old, new = slot_value(before, slot), slot_value(after, slot)
        changed = not same_slot(slot, old, new)
        kept = slot in sent and new is not ABSENT and stored_as(slot.split("[")[0], sent[slot], new)
        if not changed and not kept:
            continue
        if already is not None and slot in already and same_slot(slot, already[slot], new):
            continue
        result.values[slot] = new
        if changed and slot not in sent:
            result.unsent.append(slot)
    return result


@dataclass
class _Pending:
    """A PATCH sent to a customer, waiting for the read that shows what it did."""

    change: int
    before: dict[str, Any]
    sent: dict[str, Any]
    recorded: dict[str, Any] = field(default_factory=dict)


class Ownership:
    """The transport's witness of what each PATCH made the server store, per given customer."""

    def __init__(self, originals: Mapping[int, dict[str, Any]]) -> None:
        self.originals = dict(originals)
        self.last: dict[int, dict[str, Any]] = {cid: dict(r) for cid, r in originals.items()}
        self._pending: dict[int, _Pending] = {}
        self._flights: dict[int, dict[int, dict[str, Any]]] = {}
        """Per customer, the slots each PATCH of a group in flight together sent (while any is)."""
        self._open: dict[int, set[int]] = {}
        """Per customer, the PATCHes sent and not yet answered."""
        self._lock = threading.Lock()

    def _names(self) -> list[str]:
        names: dict[str, None] = {}
        for record in self.originals.values():
            names.update(dict.fromkeys(record))
        return list(names)

    def sending(self, change: int, bodies: list[dict[str, Any]]) -> None:
        """A PATCH numbered `change` is about to be sent."""
        sent = sent_slots(bodies, self._names())
        with self._lock:
            for cid in targets(bodies, self.originals):
                pending = self._pending.get(cid)
                before = pending.before if pending is not None else self.last[cid]
                self._pending[cid] = _Pending(change, before, sent)
                if not self._open.get(cid):
                    self._flights[cid] = {}
                self._flights[cid][change] = sent
                self._open.setdefault(cid, set()).add(change)

    def _together(self, cid: int, change: int, own: Mapping[str, Any]) -> dict[str, Any]:
        """The slots `change` and every PATCH in flight with it sent (its own values win): a slot
        one of them wrote is the run's doing, not the server's, whichever answer shows it first."""
        flights = self._flights.get(cid, {})
        merged: dict[str, Any] = {}
        for number, sent in flights.items():
            if number != change:
                merged.update(sent)
        return {**merged, **own}

    def answered(self, change: int, record: Any) -> list[Caused]:
        """The PATCH's answer: a record of a given customer shows what it stored there. An answer
        that shows a sent slot neither as sent nor changed is stale: the next read decides."""
        with self._lock:  # answered, whatever the answer: no longer in flight
            for flying in self._open.values():
                flying.discard(change)
        cid = fields.customer_id(record)
        if cid is None or cid not in self.last:
            return []
        with self._lock:
            latest = self._pending.get(cid)
            pending = latest
            if pending is None or pending.change != change:
                own = self._flights.get(cid, {}).get(change, {})
                pending = _Pending(change, self.last[cid], dict(own))
            sent = self._together(cid, change, pending.sent)
            found = caused(cid, change, pending.before, record, sent, "answer")
            self.last[cid] = dict(record)
            stale = [s for s in pending.sent if s not in found.values]
            if stale:
                pending.recorded.update(found.values)
                self._pending[cid] = pending
            elif latest is pending:
                self._pending.pop(cid, None)
        return [found] if found.values else []

    def _after_group(self, cid: int, record: dict[str, Any]) -> Caused | None:
        """The first read after a group of PATCHes in flight together, once all are answered: what
        it shows in every slot they sent is what they left, whichever answer came last (a server
        that loses an update leaves an earlier value, the run's own too)."""
        flights = self._flights.get(cid, {})
        if len(flights) < 2 or self._open.get(cid):
            return None
        self._flights.pop(cid, None)
        slots: dict[str, Any] = {}
        for sent in flights.values():
            slots.update(sent)
        entry = Caused(cid, max(flights), by="read")
        for slot in slots:
            entry.values[slot] = slot_value(record, slot)
        return entry

    def read(self, record: Any) -> list[Caused]:
        """A GET answered a given customer's record: after a PATCH whose answer did not show what
        it stored, this read does; after PATCHes in flight together, it shows what they left."""
        cid = fields.customer_id(record)
        if cid is None or cid not in self.last:
            return []
        with self._lock:
            self.last[cid] = dict(record)
            group = self._after_group(cid, dict(record))
            if group is not None:
                self._pending.pop(cid, None)
                return [group]
            pending = self._pending.pop(cid, None)
            if pending is None:
                return []
            found = caused(
                cid, pending.change, pending.before, record, pending.sent, "read", pending.recorded
            )
        return [found] if found.values else []


def owned(
    stored: Iterable[Caused],
) -> dict[int, dict[str, Owned]]:
    """The last value the run left in each slot of each customer, by the journal's order."""
    result: dict[int, dict[str, Owned]] = {}
    for entry in stored:
        mine = result.setdefault(entry.customer_id, {})
        for slot, value in entry.values.items():
            mine[slot] = Owned(value, slot in entry.unsent)
    return result
