"""The OpenAPI document, read in one place: the mock, the suite and the tools take their facts here.

`load_spec` parses the document once per path; `customer_properties` lists the Customer record's
properties with their type, format, nullability and limits, as the spec states them. Nothing here
copies a fact of the spec: a property added to the document appears in `customer_properties`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from qflow_contracts.resources import spec_path

RESPONSE_SCHEMA = "Customer"
REQUEST_SCHEMA = "CustomerUpdate"
FORM_SCHEMA = "CustomerUpdateForm"


class SpecError(ValueError):
    """The document cannot be read or lacks something the project relies on (one line, names it)."""


@lru_cache(maxsize=8)
def _load(path: Path, stamp: tuple[int, int]) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as error:
        raise SpecError(f"cannot read the spec {path}: {error}") from None
    if not isinstance(document, dict):
        raise SpecError(f"the spec {path} is not an OpenAPI document")
    return document


def load_spec(path: Path | None = None) -> dict[str, Any]:
    """The OpenAPI document, parsed (a fresh copy: callers may change it)."""
    resolved = (path or spec_path()).resolve()
    try:
        stat = resolved.stat()
    except OSError as error:
        raise SpecError(f"cannot read the spec {resolved}: {error}") from None
    return copy.deepcopy(_load(resolved, (stat.st_mtime_ns, stat.st_size)))


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """`node` with a local `$ref` followed (one level)."""
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        pointer = node["$ref"]
        if not pointer.startswith("#/"):
            raise SpecError(f"only local references are supported, not {pointer}")
        target: Any = spec
        for part in pointer[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return target
    return node


def schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """The component schema `name`."""
    try:
        found: dict[str, Any] = spec["components"]["schemas"][name]
    except (KeyError, TypeError):
        raise SpecError(f"the spec has no schema components.schemas.{name}") from None
    return found


@dataclass(frozen=True)
class Property:
    """One property of the Customer record, as the response schema states it."""

    name: str
    type: str
    format: str | None
    nullable: bool
    required: bool
    max_length: int | None
    minimum: int | None
    maximum: int | None
    pattern: str | None
    schema: dict[str, Any]


def customer_properties(spec: dict[str, Any] | None = None) -> tuple[Property, ...]:
    """The Customer record's properties, in the spec's order."""
    document = spec if spec is not None else load_spec()
    customer = schema(document, RESPONSE_SCHEMA)
    required = set(customer.get("required") or ())
    found: list[Property] = []
    for name, raw in (customer.get("properties") or {}).items():
        node = resolve(document, raw)
        found.append(
            Property(
                name=name,
                type=str(node.get("type", "object")),
                format=node.get("format"),
                nullable=bool(node.get("nullable", False)),
                required=name in required,
                max_length=node.get("maxLength"),
                minimum=node.get("minimum"),
                maximum=node.get("maximum"),
                pattern=node.get("pattern"),
                schema=node,
            )
        )
    return tuple(found)
