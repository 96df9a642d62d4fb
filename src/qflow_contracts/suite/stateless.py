"""Schemathesis, driven by the spec, made safe for a server the suite did not start."""

from __future__ import annotations

import zlib
from typing import Any

import schemathesis
from schemathesis import GenerationMode

from qflow_contracts.resources import spec_path
from qflow_contracts.suite.target import Target

DOCUMENTED = {("GET", "/Customers/{id}"), ("PATCH", "/Customers")}


def load_schema(target: Target) -> Any:
    """The spec as a Schemathesis schema aimed at `target`; GET only unless PATCHes are allowed."""
    schema: Any = schemathesis.openapi.from_path(str(spec_path()))
    schema.config.update(base_url=target.base_url, headers=dict(target.headers), request_timeout=15)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=target.max_examples,
        allow_x00=True,
    )
    if target.read_only or not target.owned:
        # against a deployment, PATCH bodies are the stateful test's: it PATCHes given customers only
        schema = schema.include(method="GET")
    return schema


def _positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and bool(meta.generation.mode.is_positive)


def aim(case: Any, target: Target, originals: dict[int, dict[str, Any]]) -> bool:
    """Point positive cases at known customers; False when the case must not be sent at all."""
    if (case.method.upper(), case.path) not in DOCUMENTED:
        return target.owned  # never an undocumented method or path to a deployment (NOTES rule 11)
    if case.method.upper() != "GET" and (target.read_only or not target.owned):
        return False  # a deployment's PATCHes are the stateful test's, to given customers only
    if not _positive(case):
        return True
    if case.method.upper() == "PATCH" and isinstance(case.body, dict):
        customer_id = case.body.get("CustomerId")
        has_id = isinstance(customer_id, int) and not isinstance(customer_id, bool) and customer_id > 0
        if not has_id and not case.body.get("PersonalId"):
            case.body = {**case.body, "CustomerId": target.customer_ids[0]}  # NOTES rule 4 needs one
    elif case.method.upper() == "GET" and case.path_parameters:
        query = case.query or {}
        drawn = str(case.path_parameters.get("id", ""))
        by_customer_id = not query.get("idTypeExtRef") and _int(query.get("idType", 0)) <= 0
        pick = zlib.crc32(drawn.encode("utf-8", "surrogatepass"))
        if by_customer_id and pick % 2 == 0:
            ids = target.customer_ids
            case.path_parameters = {**case.path_parameters, "id": str(ids[pick % len(ids)])}
    return True


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def check(case: Any, target: Target) -> None:
    """Send the case and run every Schemathesis check (its failures carry a curl line, headers masked)."""
    case.call_and_validate(headers=dict(target.headers))
