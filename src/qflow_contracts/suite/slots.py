"""A customer record as slots: each property, and `CustomProperties` key by key.

The restore proves a record whole, slot by slot, and the journal says which slots each PATCH of
the run made the server change. A slot is a property name, `CustomProperties[key]` for one key of
the dictionary, or `CustomProperties` itself for the dictionary being null (or not a dictionary).
`ABSENT` stands for a slot a record does not have (a key not in the dictionary, a property not in
the answer).
"""

from __future__ import annotations

from typing import Any, Final

from qflow_contracts.suite.dates import same_dob, stored_dob

DICTIONARY: Final = "CustomProperties"
"""The one dictionary property: a PATCH merges it key by key (contract rule 5)."""


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
        return stored_dob(sent, found)
    if isinstance(sent, (str, int, float)) and isinstance(found, (str, int, float)):
        return not isinstance(found, bool) and str(sent).strip() == str(found).strip()
    return False
