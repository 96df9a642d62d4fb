"""A customer record as slots: each property, and `CustomProperties` key by key.

The restore proves a record whole, slot by slot, and the journal says which slots each PATCH of
the run made the server change. A slot is a property name, `CustomProperties[key]` for one key of
the dictionary, or `CustomProperties` itself for the dictionary being null (or not a dictionary).
`ABSENT` stands for a slot a record does not have (a key not in the dictionary, a property not in
the answer).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Final

DICTIONARY: Final = "CustomProperties"
"""The one dictionary property: a PATCH merges it key by key (contract rule 5)."""
OFFSET = re.compile(r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$")


class _Absent:
    """The value of a slot a record does not have."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()


def key_slot(key: str) -> str:
    """The slot of one dictionary key."""
    return f"{DICTIONARY}[{key}]"


def dictionary_key(slot: str) -> str | None:
    """The key of a dictionary slot, None for any other slot."""
    if slot.startswith(DICTIONARY + "[") and slot.endswith("]"):
        return slot[len(DICTIONARY) + 1 : -1]
    return None


def slots(record: dict[str, Any], names: list[str] | None = None) -> dict[str, Any]:
    """`record` as slots (only the properties in `names`, when given; a missing one is ABSENT).

    The dictionary gives one slot per key, and a `CustomProperties` slot only when it is not a
    dictionary (null, or another type): `{}` and a dictionary of keys have no slot of their own."""
    found: dict[str, Any] = {}
    for name in names if names is not None else list(record):
        value = record.get(name, ABSENT) if isinstance(record, dict) else ABSENT
        if name == DICTIONARY:
            if isinstance(value, dict):
                for key, item in value.items():
                    found[key_slot(str(key))] = item
            else:
                found[name] = value
        else:
            found[name] = value
    return found


def slot_names(*records: dict[str, Any]) -> list[str]:
    """Every slot any of `records` has (the dictionary's keys and its null), in a stable order."""
    names: dict[str, None] = {}
    for record in records:
        for name in slots(record):
            names.setdefault(name, None)
    for record in records:  # {} against null: the dictionary's own slot
        if DICTIONARY in record and not isinstance(record.get(DICTIONARY), dict):
            names.setdefault(DICTIONARY, None)
    return list(names)


def slot_value(record: dict[str, Any], slot: str) -> Any:
    """A record's value of one slot; ABSENT when it has none."""
    key = dictionary_key(slot)
    if key is not None:
        dictionary = record.get(DICTIONARY)
        return dictionary.get(key, ABSENT) if isinstance(dictionary, dict) else ABSENT
    if slot == DICTIONARY:
        value = record.get(DICTIONARY, ABSENT)
        return {} if isinstance(value, dict) else value
    return record.get(slot, ABSENT)


def instant(value: Any) -> dt.datetime | None:
    """A date-time with an offset as an aware datetime (fraction cut to microseconds); None
    otherwise."""
    if not isinstance(value, str) or not OFFSET.search(value):
        return None
    try:
        return dt.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", value.replace("z", "Z")))
    except ValueError:
        return None


def _naive(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or OFFSET.search(value):
        return None
    try:
        parsed = dt.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else None


def same_dob(before: Any, after: Any) -> bool:
    """The same DOB by instant and form (contract rule 1): equal text; or both with an offset, the
    same instant in the same offset (`Z` as `+00:00`, digits past the seventh dropped); or both
    without one, the same date and time."""
    if before == after and type(before) is type(after):
        return True
    one, two = instant(before), instant(after)
    if one is not None and two is not None:
        return one == two and one.utcoffset() == two.utcoffset()
    three, four = _naive(before), _naive(after)
    return three is not None and three == four


def same_slot(slot: str, before: Any, after: Any) -> bool:
    """A slot reads back as it was: equal and of the same type; DOB by `same_dob`."""
    if slot == "DOB":
        return same_dob(before, after)
    if before is ABSENT or after is ABSENT:
        return before is after
    return bool(before == after and type(before) is type(after))


def stored_as(slot: str, sent: Any, found: Any) -> bool:
    """`found` is how a server stores `sent`: the same value, the same number or text (Json.NET
    converts "1" to 1 and 1 to "1"), or for DOB the same instant or calendar date."""
    if sent == found and type(sent) is type(found):
        return True
    if slot == "DOB":
        one, two = instant(sent), instant(found)
        if one is not None and two is not None:
            return one == two
        return isinstance(sent, str) and isinstance(found, str) and sent[:10] == found[:10] != ""
    if isinstance(sent, (str, int, float)) and isinstance(found, (str, int, float)):
        return not isinstance(found, bool) and str(sent).strip() == str(found).strip()
    return False
