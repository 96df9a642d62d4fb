"""The pure model of the contract's behaviour rules: plain data in, plain data out, no network.

A record is the JSON object a server answers (the 16 properties of `Customer`); a body is the JSON
object a PATCH sends. The stateful test (`suite/stateful.py`) keeps one record per given customer and
moves it with `apply_patch` (NOTES rule 5), predicts lookups with `get_selector`/`patch_selector` and
`matches` (NOTES rules 3 and 4), and compares what a server answers with `differences`, each
difference naming the rule it breaks.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]

PROPERTIES: tuple[str, ...] = (
    "CustomerId",
    "PersonalId",
    "PersonalIdTypeId",
    "PersonalIdTypeExtRef",
    "FirstName",
    "LastName",
    "Email",
    "TelNumber1",
    "TelNumber2",
    "DOB",
    "Sex",
    "Notes",
    "ExtRef",
    "NotificationConsent",
    "IsActive",
    "CustomProperties",
)
"""The 16 properties of a Customer record, in the vendor page's order (NOTES rule 2)."""

IDENTITY: tuple[str, ...] = ("CustomerId", "PersonalId", "PersonalIdTypeId", "PersonalIdTypeExtRef")
"""Properties that select the record and that PATCH never changes (NOTES rules 4 and 5)."""

STRING_LIMITS: dict[str, int] = {
    "FirstName": 50,
    "LastName": 50,
    "Email": 100,
    "TelNumber1": 25,
    "TelNumber2": 25,
    "Notes": 250,
    "ExtRef": 200,
}
"""Maximum lengths, in code points, of the string properties PATCH may change (NOTES rule 9)."""

PERSONAL_ID_LIMIT = 30
BOOLEANS: tuple[str, ...] = ("NotificationConsent", "IsActive")
MUTABLE: tuple[str, ...] = (*STRING_LIMITS, "DOB", "Sex", *BOOLEANS, "CustomProperties")
"""Properties a PATCH may change."""

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

DOB_RESPONSE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?(Z|[+-][0-9]{2}:[0-9]{2})?$"
)
"""The spec's pattern for DOB in a response (NOTES rule 1)."""

_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})")


def calendar_date(value: object) -> str | None:
    """The `YYYY-MM-DD` a DOB value starts with, or None (NOTES rule 1: the date is the value)."""
    if not isinstance(value, str):
        return None
    found = _DATE.match(value)
    return found.group(1) if found else None


def apply_patch(record: Mapping[str, Any], body: Mapping[str, Any]) -> Record:
    """The record after a PATCH with `body` (NOTES rule 5), without touching the arguments.

    Absent and null properties are left as they are; any other value of a mutable property
    replaces the stored one, falsy values included; `CustomProperties` merges key by key; the
    identity properties and unknown properties change nothing.
    """
    result: Record = copy.deepcopy(dict(record))
    for name in MUTABLE:
        value = body.get(name)
        if value is None:
            continue
        if name == "CustomProperties":
            merged = dict(result.get(name) or {})
            for key, item in value.items():
                if item is not None:
                    merged[key] = item
            if merged or result.get(name) is not None:
                result[name] = merged
        else:
            result[name] = value
    return result


@dataclass(frozen=True)
class Selector:
    """How a request picks its record (NOTES rules 3 and 4).

    `kind` is `customer` (by CustomerId), `type` (PersonalId within the type with id `type_id`),
    `extref` (PersonalId within the type with external reference `extref`), `lowest` (PersonalId
    within the type with the lowest id: PATCH only) or `none` (no identifier: PATCH gets 400).
    """

    kind: str
    customer_id: int | None = None
    personal_id: str | None = None
    type_id: int | None = None
    extref: str | None = None


def _customer_id_from_path(value: str) -> int | None:
    """The CustomerId an `id` path value names in CustomerId mode, or None when it names none."""
    text = value.strip()
    if re.fullmatch(r"[+-]?[0-9]{1,10}", text) is None:
        return None
    number = int(text)
    return number if INT32_MIN <= number <= INT32_MAX else None


def get_selector(id_value: str, id_type: int = 0, id_type_ext_ref: str = "") -> Selector:
    """What `GET Customers/{id}?idType=&idTypeExtRef=` looks up (NOTES rule 3).

    A non-empty `idTypeExtRef` wins; otherwise `idType > 0` means a PersonalId within that type;
    otherwise `id` is a CustomerId (an `id` that is not a number names no customer).
    """
    if id_type_ext_ref:
        return Selector("extref", personal_id=id_value, extref=id_type_ext_ref)
    if id_type > 0:
        return Selector("type", personal_id=id_value, type_id=id_type)
    return Selector("customer", customer_id=_customer_id_from_path(id_value))


def patch_selector(body: Mapping[str, Any]) -> Selector:
    """Which record a PATCH body targets (NOTES rule 4).

    A CustomerId greater than 0 wins; otherwise a PersonalId is looked up within the type
    `PersonalIdTypeId` (when > 0), else the type whose external reference is
    `PersonalIdTypeExtRef` (when not empty), else the type with the lowest id. Neither: `none`.
    """
    customer_id = body.get("CustomerId")
    if isinstance(customer_id, int) and not isinstance(customer_id, bool) and customer_id > 0:
        return Selector("customer", customer_id=customer_id)
    personal_id = body.get("PersonalId")
    if not isinstance(personal_id, str):
        return Selector("none")
    type_id = body.get("PersonalIdTypeId")
    if isinstance(type_id, int) and not isinstance(type_id, bool) and type_id > 0:
        return Selector("type", personal_id=personal_id, type_id=type_id)
    extref = body.get("PersonalIdTypeExtRef")
    if isinstance(extref, str) and extref:
        return Selector("extref", personal_id=personal_id, extref=extref)
    return Selector("lowest", personal_id=personal_id)


def lowest_type_id(records: Iterable[Mapping[str, Any]]) -> int | None:
    """The lowest positive PersonalIdTypeId among `records` (the server may know a lower one)."""
    ids = [
        r["PersonalIdTypeId"]
        for r in records
        if isinstance(r.get("PersonalIdTypeId"), int) and r["PersonalIdTypeId"] > 0
    ]
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


def shape_problems(body: object) -> list[str]:
    """What makes `body` not a whole Customer record (NOTES rule 2), empty when it is one."""
    if not isinstance(body, dict):
        return [f"the answer is not a JSON object but {type(body).__name__}"]
    problems = [f"property {name} is missing" for name in PROPERTIES if name not in body]
    customer_id = body.get("CustomerId")
    if "CustomerId" in body and (not isinstance(customer_id, int) or isinstance(customer_id, bool)):
        problems.append(f"CustomerId is {customer_id!r}, not an integer")
    return problems


_STRINGS = ("PersonalId", "PersonalIdTypeExtRef", *STRING_LIMITS, "DOB")


def schema_problems(body: Mapping[str, Any]) -> list[str]:
    """Properties of a whole record whose type breaks the spec's `Customer` schema (lengths aside)."""
    problems: list[str] = []
    for name in PROPERTIES:
        value = body.get(name)
        if value is None or name == "CustomerId":
            continue
        if name in _STRINGS:
            ok = isinstance(value, str)
        elif name in ("PersonalIdTypeId", "Sex"):
            ok = isinstance(value, int) and not isinstance(value, bool)
            ok = ok and (0 <= value <= 2 if name == "Sex" else INT32_MIN <= value <= INT32_MAX)
        elif name in BOOLEANS:
            ok = isinstance(value, bool)
        else:
            ok = isinstance(value, dict) and all(isinstance(item, str) for item in value.values())
        if not ok:
            problems.append(f"{name} is {_short(value, 80)}, which the Customer schema does not allow")
    return problems


def dob_problems(body: Mapping[str, Any]) -> list[str]:
    """What makes the DOB of an answer break the spec's response pattern (NOTES rule 1)."""
    value = body.get("DOB")
    if value is None:
        return []
    if not isinstance(value, str) or DOB_RESPONSE.match(value) is None:
        return [f"DOB {value!r} is not a date-time as the spec's response pattern allows"]
    return []


@dataclass(frozen=True)
class Difference:
    """One way an answered record differs from the model, and the rule that difference breaks."""

    rule: str
    name: str
    expected: Any
    actual: Any
    why: str

    def describe(self) -> str:
        """One line for a failure message."""
        return f"{self.name}: expected {_short(self.expected)}, got {_short(self.actual)} ({self.why})"


def _short(value: object, limit: int = 240) -> str:
    """`repr(value)`, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _is_falsy_value(value: object) -> bool:
    return value is False or value == "" or (isinstance(value, int) and value == 0)


def differences(
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    sent: Mapping[str, Any] | None = None,
    before: Mapping[str, Any] | None = None,
) -> list[Difference]:
    """How `actual` differs from the model's `expected` record, each naming the rule it breaks.

    `sent` is the PATCH body that led to `expected` (None after a GET or a refused PATCH) and
    `before` the model's record before it. DOB is compared by its calendar date only (rule 1);
    everything else exactly (rule 7). A sent value that did not stick is rule 5 when it was a
    falsy value or a CustomProperties merge, rule 7 when a string came back altered; a property
    that changed without being sent (or was sent as null) is rule 5; identity is rule 5.
    """
    sent = sent or {}
    before = before or expected
    found: list[Difference] = []
    for name in PROPERTIES:
        want = expected.get(name)
        got = actual.get(name)
        if name == "DOB":
            if calendar_date(want) != calendar_date(got) or (want is None) != (got is None):
                value = sent.get("DOB")
                why = (
                    "the calendar date sent must read back (NOTES rule 1)"
                    if value is not None
                    else "DOB was not sent with a value, so it must not change (NOTES rules 1, 5)"
                )
                found.append(Difference("rule-1" if value is not None else "rule-5", name, want, got, why))
            continue
        if want == got and type(want) is type(got):
            continue
        value = sent.get(name)
        if name in IDENTITY:
            found.append(Difference("rule-5", name, want, got, "identity is never changed by PATCH"))
        elif name == "CustomProperties":
            found.append(_custom_properties_difference(want, got, value))
        elif value is None:
            why = "sent as null" if name in sent else "not sent"
            found.append(Difference("rule-5", name, want, got, f"{why}, so it must be left as it was"))
        elif _is_falsy_value(value) and (got == before.get(name) or got is None):
            found.append(
                Difference("rule-5", name, want, got, "a falsy value replaces the stored one (NOTES rule 5)")
            )
        elif isinstance(value, str):
            found.append(Difference("rule-7", name, want, got, "a string reads back exactly as sent"))
        else:
            found.append(Difference("rule-5", name, want, got, "a present value replaces the stored one"))
    return found


def _custom_properties_difference(want: Any, got: Any, sent: Any) -> Difference:
    """Name the rule a CustomProperties mismatch breaks: lost or extra keys are a bad merge."""
    name = "CustomProperties"
    want_keys = set(want or {})
    got_keys = set(got) if isinstance(got, dict) else set()
    if not isinstance(got, dict) and got is not None:
        return Difference("rule-2", name, want, got, "CustomProperties must be an object or null")
    if want_keys != got_keys:
        lost = sorted(want_keys - got_keys)
        extra = sorted(got_keys - want_keys)
        return Difference(
            "rule-5", name, want, got, f"keys not sent are kept, none appear (lost {lost}, extra {extra})"
        )
    sent_keys = set(sent or {}) if isinstance(sent, dict) else set()
    changed = sorted(k for k in want_keys if (want or {}).get(k) != (got or {}).get(k))
    if changed and all(k in sent_keys for k in changed):
        return Difference("rule-7", name, want, got, f"values of {changed} must read back exactly as sent")
    return Difference("rule-5", name, want, got, f"values of {changed} changed without being sent")
