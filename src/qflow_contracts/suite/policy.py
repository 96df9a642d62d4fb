"""What the suite may send to a server (contract rules 11 and 13): the safety policy, in one place.

On a server the suite started itself (`Target.owned`) anything valid may be sent. On any other
server (a vendor deployment, real people's records) only the given customers are PATCHed, and only
with changes PATCH can undo: a property that was `null` is never set, a dictionary key that was
absent is never added, a date read back without an offset is never changed, a string read with
U+FFFD (perhaps a lone surrogate, `suite/answers.py`) is never changed, another record's
identity is never sent, and no PATCH names an unknown record. A read-only target gets GETs only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qflow_contracts.suite.dates import sendable_date
from qflow_contracts.suite.model import DATE, DICTIONARY, Facts, Record
from qflow_contracts.suite.target import Target
from qflow_contracts.suite.targets import (
    Selector,
    candidates,
    is_positive_int,
    lowest_type_id,
    patch_selector,
)

UNREADABLE = "\ufffd"
"""What the transport reads a lone surrogate as (`suite/answers.py`): an original holding it may not
be what the server stores, so PATCH could not put it back, and it is never written."""


def safe_path_segment(value: object) -> bool:
    """Whether `value` can be an `{id}` path segment on any server (no slash, dot segment or control)."""
    if not isinstance(value, str) or not value or value in (".", ".."):
        return False
    return not any(ch in value for ch in "/\\%?#") and all(ch.isprintable() for ch in value)


@dataclass
class Policy:
    """The given customers as first read, and what may be done to each."""

    target: Target
    facts: Facts
    originals: dict[int, Record]
    given: tuple[int, ...] = field(init=False)
    by_type: tuple[int, ...] = field(init=False)
    """Given customers a (PersonalId, PersonalIdTypeId) pair names alone among the given."""
    by_extref: tuple[int, ...] = field(init=False)
    """Given customers a (PersonalId, PersonalIdTypeExtRef) pair names alone among the given."""
    lowest: tuple[int, ...] = field(init=False)
    """Given customers of the lowest known type, their PersonalId alone in it."""
    foreign: set[tuple[int, str]] = field(init=False, default_factory=set)
    """(customer, property) someone else changed during the run: never written again."""

    def __post_init__(self) -> None:
        self.given = tuple(cid for cid in self.target.customer_ids if cid in self.originals)
        records = [self.originals[cid] for cid in self.given]

        def unique(cid: int, selector: Selector) -> bool:
            return [r["CustomerId"] for r in candidates(records, selector)] == [cid]

        def has(cid: int, name: str) -> bool:
            value = self.originals[cid].get(name)
            return isinstance(value, str) and bool(value)

        by_type, by_extref = [], []
        for cid in self.given:
            record = self.originals[cid]
            type_id = record.get("PersonalIdTypeId")
            by_type_id = Selector("type", personal_id=record.get("PersonalId"), type_id=type_id)
            if has(cid, "PersonalId") and is_positive_int(type_id) and unique(cid, by_type_id):
                by_type.append(cid)
            if has(cid, "PersonalId") and has(cid, "PersonalIdTypeExtRef"):
                selector = Selector(
                    "extref", personal_id=record["PersonalId"], extref=record["PersonalIdTypeExtRef"]
                )
                if unique(cid, selector):
                    by_extref.append(cid)
        self.by_type, self.by_extref = tuple(by_type), tuple(by_extref)
        low = lowest_type_id(records)
        self.lowest = tuple(
            cid
            for cid in self.by_type
            if self.originals[cid]["PersonalIdTypeId"] == low
            and unique(cid, Selector("lowest", personal_id=self.originals[cid]["PersonalId"]))
        )

    @property
    def owned(self) -> bool:
        """Whether the suite started this server itself (then anything valid may be sent)."""
        return self.target.owned

    @property
    def may_patch(self) -> bool:
        """Whether any PATCH may be sent (not a read-only run)."""
        return not self.target.read_only

    def may_set(self, cid: int, name: str) -> bool:
        """Whether a value of `name` may be written to `cid`: PATCH could put the original back."""
        if self.owned:
            return True
        if (cid, name) in self.foreign:
            return False
        value = self.originals[cid].get(name)
        if value is None:
            return False
        if isinstance(value, str) and UNREADABLE in value:
            return False  # perhaps a lone surrogate the transport could only read as U+FFFD
        if self.facts.kind(name) == DATE:
            return sendable_date(value)
        return self.facts.writable(name, value)  # not a value the server holds outside the spec

    def settable(self, cid: int, kinds: tuple[str, ...] | None = None) -> list[str]:
        """The mutable properties (of these kinds) `cid` may be given a value for, dictionaries aside."""
        return [
            name
            for name in self.facts.mutable
            if self.facts.kind(name) != DICTIONARY
            and (kinds is None or self.facts.kind(name) in kinds)
            and self.may_set(cid, name)
        ]

    def original_keys(self, cid: int, name: str) -> list[str]:
        """The keys the dictionary `name` of `cid` had before the run."""
        value = self.originals[cid].get(name)
        return sorted(value) if isinstance(value, dict) else []

    @property
    def may_add_keys(self) -> bool:
        """Whether new dictionary keys may be added (they cannot be removed by PATCH)."""
        return self.owned

    @property
    def may_probe_unknown(self) -> bool:
        """Whether a PATCH may name a record no given customer is (it might exist elsewhere)."""
        return self.owned

    def path_safe(self, cid: int) -> bool:
        """Whether `cid`'s PersonalId can be sent as a path segment."""
        return safe_path_segment(self.originals[cid].get("PersonalId"))

    def lookups_by_type(self) -> list[int]:
        """Given customers a GET by (PersonalId, idType) names alone."""
        return [cid for cid in self.by_type if self.path_safe(cid)]

    def lookups_by_extref(self) -> list[int]:
        """Given customers a GET by (PersonalId, idTypeExtRef) names alone."""
        return [cid for cid in self.by_extref if self.path_safe(cid)]

    def shared_type_for(self, cid: int) -> int | None:
        """Another given customer's type holding the same PersonalId (the strongest decoy), or None."""
        record = self.originals[cid]
        for other in self.given:
            o = self.originals[other]
            if (
                other != cid
                and o.get("PersonalId") == record.get("PersonalId")
                and is_positive_int(o.get("PersonalIdTypeId"))
                and o.get("PersonalIdTypeId") != record.get("PersonalIdTypeId")
            ):
                return int(o["PersonalIdTypeId"])
        return None

    def collides(self, cid: int) -> bool:
        """Whether another given customer's PersonalId equals `cid`'s but for case or trailing
        spaces: SQL Server's default collation matches both (a decoy for PATCH by PersonalId)."""
        pid = self.originals[cid].get("PersonalId")
        if not isinstance(pid, str) or not pid:
            return False
        folded = pid.rstrip(" ").casefold()
        return any(
            other != cid
            and isinstance(o := self.originals[other].get("PersonalId"), str)
            and o != pid
            and o.rstrip(" ").casefold() == folded
            for other in self.given
        )

    def allowed(self, body: Mapping[str, Any]) -> bool:
        """Whether a JSON body keeps to the policy: it targets a given customer (or none, and then
        sets nothing) and sets only what may be set (checked before every PATCH on a deployment)."""
        if self.owned:
            return True
        selector = patch_selector(body)
        targets = [int(r["CustomerId"]) for r in candidates(self.originals.values(), selector)]
        if selector.kind == "none":
            return all(body.get(name) is None for name in self.facts.mutable)
        if len(targets) != 1:
            return False
        cid = targets[0]
        for name in self.facts.mutable:
            value = body.get(name)
            if value is None:
                continue
            if self.facts.kind(name) == DICTIONARY:
                if not isinstance(value, dict) or not set(value) <= set(self.original_keys(cid, name)):
                    return False
            elif not self.may_set(cid, name):
                return False
        return True
