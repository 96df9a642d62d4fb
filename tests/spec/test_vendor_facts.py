"""Each row of the two vendor pages holds against the spec, and a spec that loses a fact fails."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.spec.vendor_pages import read_get_page, read_patch_page, spec_problems

PROPERTIES = [
    "CustomerId", "PersonalId", "PersonalIdTypeId", "PersonalIdTypeExtRef", "FirstName", "LastName",
    "Email", "TelNumber1", "TelNumber2", "DOB", "Sex", "Notes", "ExtRef", "NotificationConsent",
    "IsActive", "CustomProperties",
]  # fmt: skip


def test_the_pages_are_read_whole() -> None:
    patch, get = read_patch_page(), read_get_page()
    for rows in (patch.request_rows, patch.response_rows, get.response_rows):
        assert [row.name for row in rows] == PROPERTIES
    assert [(row.name, row.type, row.info) for row in get.uri_rows] == [
        ("id", "string", "Required"),
        ("idType", "integer", "Default value is 0"),
        ("idTypeExtRef", "string", "Default value is"),
    ]
    assert patch.request_formats == {"application/json", "text/json", "application/x-www-form-urlencoded"}
    assert patch.response_formats == get.response_formats == {"application/json", "text/json"}
    limits = {row.name: row.info for row in patch.request_rows if row.info != "None."}
    assert limits == {
        "PersonalId": "Max length: 30",
        "FirstName": "Max length: 50",
        "LastName": "Max length: 50",
        "Email": "Max length: 100",
        "TelNumber1": "Max length: 25",
        "TelNumber2": "Max length: 25",
        "Sex": "Range: inclusive between 0 and 2",
        "Notes": "Max length: 250",
        "ExtRef": "Max length: 200",
    }


def test_the_spec_carries_every_fact_of_the_pages(spec: dict[str, Any]) -> None:
    assert spec_problems(spec) == []


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def _patch(spec: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"]["/Customers"]["patch"]
    return operation


def _get_parameter(spec: dict[str, Any], name: str) -> dict[str, Any]:
    parameters = spec["paths"]["/Customers/{id}"]["get"]["parameters"]
    parameter: dict[str, Any] = next(p for p in parameters if p["name"] == name)
    return parameter


LOSSES: dict[str, Callable[[dict[str, Any]], None]] = {
    "a max length": lambda s: _schema(s, "CustomerUpdate")["properties"]["FirstName"].pop("maxLength"),
    "a changed max length": lambda s: _schema(s, "Customer")["properties"]["Notes"].update(maxLength=255),
    "the Sex range": lambda s: _schema(s, "CustomerUpdateForm")["properties"]["Sex"].update(maximum=3),
    "a description": lambda s: _schema(s, "Customer")["properties"]["TelNumber2"].update(description="Tel"),
    "a property": lambda s: _schema(s, "Customer")["properties"].pop("ExtRef"),
    "a type": lambda s: _schema(s, "CustomerUpdate")["properties"]["IsActive"].update(type="string"),
    "32-bit format": lambda s: _schema(s, "CustomerUpdate")["properties"]["CustomerId"].pop("format"),
    "the dictionary": lambda s: _schema(s, "Customer")["properties"]["CustomProperties"].pop(
        "additionalProperties"
    ),
    "the DOB date-time": lambda s: _schema(s, "CustomerUpdate")["properties"]["DOB"].pop("format"),
    "a request format": lambda s: _patch(s)["requestBody"]["content"].pop("text/json"),
    "the form format": lambda s: _patch(s)["requestBody"]["content"].pop("application/x-www-form-urlencoded"),
    "a response format": lambda s: _patch(s)["responses"]["200"]["content"].pop("text/json"),
    "a default": lambda s: _get_parameter(s, "idType")["schema"].update(default=1),
    "the empty default": lambda s: _get_parameter(s, "idTypeExtRef")["schema"].pop("default"),
    "a required id": lambda s: _get_parameter(s, "id").update(required=False),
    "a response property required": lambda s: _schema(s, "Customer")["required"].remove("Email"),
    "an unstated limit": lambda s: _schema(s, "Customer")["properties"]["PersonalIdTypeExtRef"].update(
        maxLength=10
    ),
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_a_spec_that_loses_a_fact_fails(spec: dict[str, Any], loss: str) -> None:
    damaged = copy.deepcopy(spec)
    LOSSES[loss](damaged)
    assert spec_problems(damaged), f"losing {loss} went unnoticed"
