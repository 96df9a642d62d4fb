"""A record's properties as the suite reads them from any server: a name matched in any case, a
CustomerId written as a string of digits read as its number. A server that writes them so breaks
contract rule 2 (a finding), and its records are still the given customers' to guard and restore."""

from __future__ import annotations

import functools
from typing import Any

from qflow_contracts.spec import customer_properties


def field(record: Any, name: str) -> Any:
    """The value of `name` in `record`, its name matched exactly first, then in any case; None when
    absent (or `record` is not an object)."""
    if not isinstance(record, dict):
        return None
    if name in record:
        return record[name]
    lowered = name.lower()
    return next((value for key, value in record.items() if str(key).lower() == lowered), None)


def customer_id(record: Any) -> int | None:
    """The CustomerId `record` names (a string of digits read as the number), or None."""
    value = field(record, "CustomerId")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@functools.cache
def _names() -> dict[str, str]:
    return {prop.name.lower(): prop.name for prop in customer_properties()}


def canonical(name: str) -> str:
    """The spec's spelling of a property name read in another case (`dOB` -> `DOB`); other names
    as they are."""
    return _names().get(name.lower(), name)
