"""Stateless conformance, driven by the spec through Schemathesis: status codes, media types, response
schemas, schema-invalid data rejected, schema-valid data accepted, no 5xx. Against the embedded mock
all operations and request media types; against a deployment GETs only, each aimed at a given
customer or at an identifier that names nobody (contract rule 11). Every request goes through the
suite's paced transport; each failure is recorded under its rule and the run goes on."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis

from qflow_contracts.suite.evidence import Evidence
from qflow_contracts.suite.lifecycle import Run
from qflow_contracts.suite.stateless import aim, check, load_schema, session_for
from qflow_contracts.suite.target import Target


@pytest.fixture(scope="session")
def api_schema(target: Target) -> Any:
    """The spec, aimed at the target."""
    return load_schema(target)


@pytest.fixture(scope="session")
def paced_session(run_state: Run) -> requests.Session:
    """A requests session for Schemathesis, sending through the run's transport."""
    return session_for(run_state.http)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_operations_honour_the_spec(
    case: Any,
    target: Target,
    originals: dict[int, Any],
    evidence: Evidence,
    paced_session: requests.Session,
) -> None:
    """Each generated request gets a documented, schema-valid answer (spec; contract rule 8: no 5xx)."""
    if aim(case, target, originals):
        with evidence.spending("stateless"):
            check(case, target, evidence, paced_session)
