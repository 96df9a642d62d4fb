"""`qflow-mock serve --lenient`: JSON read as ASP.NET Web API's Json.NET reads it (contract rule 14),
its conversions stored converted, everything Json.NET refuses still refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from qflow_contracts.mock import create_app
from qflow_contracts.mock.cli import build_parser

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def lenient() -> Iterator[TestClient]:
    with TestClient(create_app(lenient=True)) as client:
        yield client


@pytest.fixture
def strict() -> Iterator[TestClient]:
    with TestClient(create_app()) as client:
        yield client


def _patch(client: TestClient, content: bytes | str) -> Any:
    raw = content.encode() if isinstance(content, str) else content
    return client.patch("/Customers", content=raw, headers=JSON)


@pytest.mark.parametrize(
    ("body", "name", "stored"),
    [
        ('{"CustomerId": 101, "Sex": "2"}', "Sex", 2),
        ('{"CustomerId": 101, "Sex": " 0 "}', "Sex", 0),
        ('{"CustomerId": 101, "FirstName": 123}', "FirstName", "123"),
        ('{"CustomerId": 101, "FirstName": true}', "FirstName", "True"),
        ('{"CustomerId": 101, "IsActive": 0}', "IsActive", False),
        ('{"CustomerId": 101, "NotificationConsent": 1}', "NotificationConsent", True),
        ('{"CustomerId": 101, "IsActive": "false"}', "IsActive", False),
        ('{"CustomerId": 101, "CustomProperties": {"Locker": 7}}', "CustomProperties", {"Locker": "7"}),
        ('{"CustomerId": 101, "firstname": "any case"}', "FirstName", "any case"),
        ('{"CustomerId": 101, /* note */ "Notes": "c" // end\n}', "Notes", "c"),
        ("{'CustomerId': 101, 'Notes': 'it\\'s \"quoted\"'}", "Notes", 'it\'s "quoted"'),
    ],
)
def test_json_net_conversions_are_stored_converted(
    lenient: TestClient, strict: TestClient, body: str, name: str, stored: Any
) -> None:
    answer = _patch(lenient, body)
    assert answer.status_code == 200, answer.text
    value = answer.json()[name]
    if isinstance(stored, dict):
        assert {k: value[k] for k in stored} == stored
    else:
        assert value == stored
    assert lenient.get("/Customers/101").json() == answer.json()
    if name != "FirstName" or "firstname" not in body:
        assert _patch(strict, body).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        '{"CustomerId": 101, "Sex": "two"}',
        '{"CustomerId": 101, "Sex": "3"}',
        '{"CustomerId": 101, "Sex": [1]}',
        '{"CustomerId": 101, "IsActive": "maybe"}',
        '{"CustomerId": 101, "FirstName": ["x"]}',
        '{"CustomerId": 101, "FirstName": {"v": 1}}',
        '{"CustomerId": 101, "CustomProperties": "Locker=12"}',
        '{"CustomerId": 4294967397, "Notes": "overflow"}',
        '{"CustomerId": "99999999999", "Notes": "overflow"}',
        '{"CustomerId": 101, "FirstName": "' + "x" * 51 + '"}',
        '[{"CustomerId": 101}]',
        '{"CustomerId": 101, "Notes": "x"',
    ],
)
def test_what_json_net_refuses_is_still_refused(lenient: TestClient, body: str) -> None:
    before = lenient.get("/Customers/101").json()
    assert _patch(lenient, body).status_code == 400
    assert lenient.get("/Customers/101").json() == before


def test_the_flag_switches_it_on() -> None:
    assert build_parser().parse_args(["serve", "--lenient"]).lenient is True
    assert build_parser().parse_args(["serve"]).lenient is False
