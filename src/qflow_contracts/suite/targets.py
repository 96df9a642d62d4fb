"""Which record a PATCH body targets (contract rule 4), decided here and nowhere else.

Two readings of one body. `patch_selector` is the contract's: a positive CustomerId, else a
non-empty PersonalId within the type its PersonalIdTypeId or PersonalIdTypeExtRef names, else the
lowest type (the model predicts with it, `candidates`). `identifiers` is every server's: each
identifier the body carries, names in any case, values as a lenient reader (Json.NET) could take
them, a CustomerId beyond 32 bits as the number it wraps to; the guard, the ownership witness and
the restore decide with it (`targets`: the given customers a body may change).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qflow_contracts.int32 import wrap32
from qflow_contracts.spec import customer_properties
from qflow_contracts.suite.targeting import Pair

NUMBER = re.compile(r"\s*[+-]?\d+\s*")
"""An integer as text, white space around it allowed."""


def read_integer(text: str) -> int | None:
    """The integer `text` writes in ASCII digits (a sign and surrounding white space allowed)."""
    return int(text) if NUMBER.fullmatch(text) and text.strip().lstrip("+-").isascii() else None


def lenient_int(value: object) -> int | None:
    """The integer a lenient reader (Json.NET) could take `value` for: a number, a whole float,
    a boolean (1 or 0), a string of digits; None for anything else."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        if NUMBER.fullmatch(value):
            return read_integer(value)
        try:
            parsed = float(value)
        except ValueError:
            return None
        return int(parsed) if parsed == parsed and parsed.is_integer() else None
    return None


def is_positive_int(value: object) -> bool:
    """Whether `value` is a JSON integer greater than 0 (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@functools.cache
def identity() -> frozenset[str]:
    """The properties that select a record (`x-qflow-identity` in the spec): PATCH never changes
    them (contract rules 4, 5)."""
    return frozenset(p.name for p in customer_properties() if p.identity)


def values_of(mapping: Mapping[str, Any], name: str) -> list[Any]:
    """Every value of `name` in `mapping`, names compared regardless of case (as Json.NET does)."""
    return [value for key, value in mapping.items() if isinstance(key, str) and key.lower() == name.lower()]


# ---- every server's reading --------------------------------------------------------------------


@dataclass(frozen=True)
class Identifiers:
    """The identifiers a PATCH body carries, as any server could read them."""

    customer_ids: tuple[int, ...]
    """Each CustomerId read as an integer and wrapped to 32 bits (0 and below name nobody)."""
    personal_ids: tuple[str, ...]
    """Each PersonalId that is neither null nor empty, as text."""
    type_ids: tuple[int, ...]
    """Each PersonalIdTypeId read as a positive integer."""
    ext_refs: tuple[str, ...]
    """Each PersonalIdTypeExtRef that is neither null nor empty, as text."""

    @property
    def by_customer_id(self) -> bool:
        """Whether a positive CustomerId names the record (then the PersonalId does not)."""
        return any(cid > 0 for cid in self.customer_ids)

    def pairs(self, personal_id: str) -> list[Pair]:
        """The (mode, PersonalId, type) pairs `personal_id` is looked up by: within each type id the
        body names, else within each external reference."""
        if self.type_ids:
            return [("type", personal_id, t) for t in self.type_ids]
        return [("extref", personal_id, e) for e in self.ext_refs]


def identifiers(body: Mapping[str, Any]) -> Identifiers:
    """What `body` names its record by, read as leniently as any server could."""
    readings = (lenient_int(v) for v in values_of(body, "CustomerId"))
    types = (lenient_int(v) for v in values_of(body, "PersonalIdTypeId"))
    return Identifiers(
        customer_ids=tuple(wrap32(n) for n in readings if n is not None),
        personal_ids=tuple(str(p) for p in values_of(body, "PersonalId") if p not in (None, "")),
        type_ids=tuple(t for t in types if t is not None and t > 0),
        ext_refs=tuple(str(e) for e in values_of(body, "PersonalIdTypeExtRef") if e not in (None, "")),
    )


def targets(bodies: Iterable[Mapping[str, Any]], originals: Mapping[int, Mapping[str, Any]]) -> list[int]:
    """The given customers PATCH bodies may change: those a CustomerId names, else every one with
    a PersonalId a body carries (whatever its type)."""
    read = [identifiers(body) for body in bodies]
    found = list(dict.fromkeys(cid for named in read for cid in named.customer_ids if cid in originals))
    if found:
        return found
    pids = [pid for named in read for pid in named.personal_ids]
    return [cid for cid, record in originals.items() if record.get("PersonalId") in pids]


# ---- the contract's reading (contract rules 3 and 4) -------------------------------------------


@dataclass(frozen=True)
class Selector:
    """How a PATCH picks its record under the contract (contract rule 4).

    `kind` is `customer` (by CustomerId), `type` (PersonalId within the type with id `type_id`),
    `extref` (PersonalId within the type with external reference `extref`), `lowest` (PersonalId
    within the type with the lowest id) or `none` (no identifier: PATCH gets 400).
    """

    kind: str
    customer_id: int | None = None
    personal_id: str | None = None
    type_id: int | None = None
    extref: str | None = None

    def keys(self) -> tuple[str, ...]:
        """The body properties this selector is read from."""
        return {
            "customer": ("CustomerId",),
            "type": ("PersonalId", "PersonalIdTypeId"),
            "extref": ("PersonalId", "PersonalIdTypeExtRef"),
            "lowest": ("PersonalId",),
        }.get(self.kind, ())


def patch_selector(body: Mapping[str, Any]) -> Selector:
    """Which record a PATCH body targets under the contract (contract rule 4)."""
    customer_id = body.get("CustomerId")
    if is_positive_int(customer_id):
        return Selector("customer", customer_id=customer_id)
    personal_id = body.get("PersonalId")
    if not isinstance(personal_id, str) or not personal_id:
        return Selector("none")
    type_id = body.get("PersonalIdTypeId")
    if is_positive_int(type_id):
        return Selector("type", personal_id=personal_id, type_id=type_id)
    extref = body.get("PersonalIdTypeExtRef")
    if isinstance(extref, str) and extref:
        return Selector("extref", personal_id=personal_id, extref=extref)
    return Selector("lowest", personal_id=personal_id)


def lowest_type_id(records: Iterable[Mapping[str, Any]]) -> int | None:
    """The lowest positive PersonalIdTypeId among `records` (the server may know a lower one)."""
    ids = [r["PersonalIdTypeId"] for r in records if is_positive_int(r.get("PersonalIdTypeId"))]
    return min(ids) if ids else None


def matches(record: Mapping[str, Any], selector: Selector, lowest: int | None = None) -> bool:
    """Whether `record` is the one `selector` names (for `lowest`, within type id `lowest`)."""
    if selector.kind == "customer":
        return selector.customer_id is not None and record.get("CustomerId") == selector.customer_id
    if selector.kind == "none" or record.get("PersonalId") != selector.personal_id:
        return False
    if selector.kind == "type":
        return record.get("PersonalIdTypeId") == selector.type_id
    if selector.kind == "extref":
        return record.get("PersonalIdTypeExtRef") == selector.extref
    return lowest is not None and record.get("PersonalIdTypeId") == lowest


def candidates(records: Iterable[Mapping[str, Any]], selector: Selector) -> list[Mapping[str, Any]]:
    """The known records `selector` names (`lowest` uses the lowest type id among them)."""
    pool = list(records)
    lowest = lowest_type_id(pool) if selector.kind == "lowest" else None
    return [record for record in pool if matches(record, selector, lowest)]
