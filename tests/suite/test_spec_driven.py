"""The spec is the suite's and the mock's source of truth: a copy of the spec with an added optional
property (`MiddleName`, a string of at most 50 characters, as a vendor release would add) is
stored by the mock and exercised by the suite (round trip, limits, partial update) without a code
change, and a server that drops it is found out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from qflow_contracts import spec
from qflow_contracts.resources import SPEC_ENV, spec_path
from qflow_contracts.rules import Rule
from qflow_contracts.suite.model import load_facts
from tests.suite.servers import Recorder, describe, mock_server, run

NEW = "MiddleName"


def _with_middle_name(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    for name in ("CustomerUpdate", "Customer"):
        schemas[name]["properties"][NEW] = {
            "description": "Middle name",
            "type": "string",
            "maxLength": 50,
            "nullable": True,
        }
    schemas["CustomerUpdateForm"]["properties"][NEW] = {"type": "string", "maxLength": 50}
    return document


@pytest.fixture
def middle_name_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the spec with MiddleName, named by QFLOW_CONTRACTS_SPEC for the mock and the suite."""
    copy = tmp_path / "qflow-customers-next.openapi.yaml"
    copy.write_text(yaml.safe_dump(_with_middle_name(spec.load_spec()), sort_keys=False), encoding="utf-8")
    monkeypatch.setenv(SPEC_ENV, str(copy))
    yield copy


def test_the_environment_names_the_spec(middle_name_spec: Path) -> None:
    assert spec_path() == middle_name_spec
    facts = load_facts()
    assert NEW in facts.mutable
    assert facts.max_length(NEW) == 50


def test_an_added_property_is_stored_and_exercised_without_a_code_change(middle_name_spec: Path) -> None:
    recorder = Recorder()
    with mock_server() as url:
        evidence = run(url, seed=31, max_examples=4, transport=recorder)
    assert not evidence.findings(), describe(evidence)
    sent: list[Any] = []
    answered: list[Any] = []
    for request in recorder.requests:
        if request.method == "PATCH" and request.headers.get("content-type", "").startswith(
            "application/json"
        ):
            try:
                body = json.loads(request.content)
            except ValueError:
                continue
            if isinstance(body, dict) and body.get(NEW) is not None:
                sent.append(body[NEW])
    assert any(isinstance(value, str) and value for value in sent), "no PATCH set MiddleName"
    assert any(isinstance(value, str) and len(value) > 50 for value in sent), "its limit was never tried"
    with mock_server() as url:
        http = __import__("httpx").Client(base_url=url)
        http.patch("Customers", json={"CustomerId": 101, NEW: "Quincy"})
        answered.append(http.get("Customers/101").json())
        http.patch("Customers", json={"CustomerId": 101, NEW: None, "FirstName": "Ann"})
        answered.append(http.get("Customers/101").json())
    assert [a[NEW] for a in answered] == ["Quincy", "Quincy"]


def test_a_server_that_drops_the_added_property_is_found(middle_name_spec: Path) -> None:
    with mock_server("newest-property-not-stored") as url:
        evidence = run(url, seed=32, max_examples=3)
    found = [f for f in evidence.findings() if NEW in f.summary]
    assert found, describe(evidence)
    assert {f.rule for f in found} <= {Rule.PARTIAL_UPDATE, Rule.ROUND_TRIP}
