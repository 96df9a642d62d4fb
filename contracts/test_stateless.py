"""Stateless conformance, driven by the spec through Schemathesis: status codes, media types, response
schemas, schema-invalid data rejected, schema-valid data accepted, no 5xx. Against the embedded mock
all operations and request media types; against a deployment GETs only (PATCH is the stateful test's,
which changes only the given customers, in ways it can undo)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from qflow_contracts.suite.stateless import aim, check, load_schema
from qflow_contracts.suite.target import Target


@pytest.fixture(scope="session")
def api_schema(target: Target) -> Any:
    """The spec, aimed at the target."""
    return load_schema(target)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_operations_honour_the_spec(case: Any, target: Target, originals: dict[int, Any]) -> None:
    """Each generated request gets a documented, schema-valid answer (spec; NOTES rule 8: no 5xx)."""
    if aim(case, target, originals):
        check(case, target)
