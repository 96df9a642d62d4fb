"""The customers and customer-id types a mock server starts with, read from a JSON file.

The file holds `customerIdTypes` (each `{"Id": int, "ExtRef": str, "Name": str}`) and `customers`
(each a Customer record with all 16 properties). Every customer is checked against the spec's
`Customer` schema, and its type fields against the types, when the file is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from qflow_contracts.mock.validation import load_spec


class FixtureError(ValueError):
    """The fixture file cannot be used."""


@dataclass(frozen=True)
class IdType:
    """A customer-id type: its QFlow id and its external reference."""

    id: int
    ext_ref: str
    name: str = ""


@dataclass(frozen=True)
class Fixtures:
    """The starting data: customers (16-property dicts) and customer-id types."""

    customers: list[dict[str, Any]]
    id_types: list[IdType]


def default_fixtures_path() -> Path:
    """The committed default fixture file."""
    return Path(__file__).resolve().parent / "fixtures.json"


def load_fixtures(path: Path | None = None, spec: dict[str, Any] | None = None) -> Fixtures:
    """Read and check a fixture file (the default one when `path` is None)."""
    source = path or default_fixtures_path()
    try:
        data = orjson.loads(source.read_bytes())
    except OSError as error:
        raise FixtureError(f"cannot read fixtures {source}: {error.strerror or error}") from error
    except orjson.JSONDecodeError as error:
        raise FixtureError(f"fixtures {source} are not JSON: {error}") from error
    if not isinstance(data, dict):
        raise FixtureError(f"fixtures {source}: the top level must be an object")
    document = spec or load_spec()
    customer_schema = document["components"]["schemas"]["Customer"]
    validator = OAS30Validator(customer_schema, format_checker=oas30_format_checker)
    types: list[IdType] = []
    for entry in data.get("customerIdTypes", []):
        if not (
            isinstance(entry, dict) and type(entry.get("Id")) is int and isinstance(entry.get("ExtRef"), str)
        ):
            raise FixtureError(
                f"fixtures {source}: a customer-id type needs an integer Id and a string ExtRef"
            )
        types.append(IdType(entry["Id"], entry["ExtRef"], str(entry.get("Name", ""))))
    by_id = {t.id: t for t in types}
    if len(by_id) != len(types) or len({t.ext_ref for t in types}) != len(types):
        raise FixtureError(f"fixtures {source}: customer-id type ids and ExtRefs must be unique")
    customers: list[dict[str, Any]] = []
    seen_ids: set[int] = set()
    seen_personal: set[tuple[int, str]] = set()
    for record in data.get("customers", []):
        errors = [e.message for e in validator.iter_errors(record)]
        if errors:
            raise FixtureError(f"fixtures {source}: customer {record!r:.80} is not a Customer: {errors[0]}")
        customer_id = record["CustomerId"]
        if customer_id <= 0 or customer_id in seen_ids:
            raise FixtureError(f"fixtures {source}: CustomerId {customer_id} is not positive or not unique")
        seen_ids.add(customer_id)
        type_id = record["PersonalIdTypeId"]
        if type_id is not None and type_id > 0:
            if type_id not in by_id:
                raise FixtureError(f"fixtures {source}: customer {customer_id} has unknown type {type_id}")
            if record["PersonalIdTypeExtRef"] != by_id[type_id].ext_ref:
                raise FixtureError(
                    f"fixtures {source}: customer {customer_id}'s PersonalIdTypeExtRef is wrong"
                )
            if record["PersonalId"] is not None:
                key = (type_id, record["PersonalId"])
                if key in seen_personal:
                    raise FixtureError(
                        f"fixtures {source}: PersonalId {key[1]!r} repeats within type {type_id}"
                    )
                seen_personal.add(key)
        customers.append({name: record.get(name) for name in customer_schema["properties"]})
    return Fixtures(customers=customers, id_types=types)
