"""The defect switch: every catalogued defect changes at least one observable answer, and most stay right."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.testclient import TestClient

from qflow_contracts.mock import create_app
from qflow_contracts.mock.defects import CATALOGUE, defect_names, get_defect
from qflow_contracts.spec import schema_properties

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _patch(body: Any, headers: dict[str, str] | None = None) -> tuple[str, str, dict[str, str], bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ("PATCH", "/Customers", headers or JSON, raw)


def _get(path: str) -> tuple[str, str, dict[str, str], bytes]:
    return ("GET", path, {}, b"")


TOGETHER = "TOGETHER"
"""A probe of two PATCHes sent at once from two threads: only their statuses are recorded (their
answers depend on which ran first); the GET after them shows whether both took effect."""


def _together(*bodies: dict[str, Any]) -> tuple[str, str, dict[str, str], bytes]:
    return (TOGETHER, "/Customers", JSON, json.dumps(list(bodies)).encode())


# One session of requests, in order; every answer is recorded. Each request exercises one contract
# corner, and later GETs show what earlier PATCHes stored.
PROBES = [
    _get("/Customers/101"),
    _get("/Customers/105"),
    _get("/Customers/999"),
    _get("/Customers/0"),
    _get("/Customers/2147483648"),
    _get("/Customers/101?idType=abc"),
    _get("/Customers/101?idType=2147483648"),
    _get("/Customers/A1234567?idType=5"),
    _get("/Customers/A1234567?idTypeExtRef=MEDICARE"),
    _patch({"CustomerId": 101, "FirstName": "x" * 51}),
    _patch({"CustomerId": 101, "Sex": 3}),
    _patch(b"{not json"),
    _patch({"CustomerId": 101, "Sex": "1"}),
    _patch({"CustomerId": 101, "FirstName": "Partial", "Sex": 9}),
    _get("/Customers/101"),
    _patch({"CustomerId": 101, "Notes": "plain"}, {"Content-Type": "text/plain"}),
    _patch(b'[{"CustomerId": 101}]'),
    _patch({"CustomerId": 106, "FirstName": None, "Notes": "kept?"}),
    _patch({"CustomerId": 106, "IsActive": True, "Sex": 0, "Email": ""}),
    _patch({"CustomerId": 106, "IsActive": False}),
    _together({"CustomerId": 107, "FirstName": "One"}, {"CustomerId": 107, "LastName": "Two"}),
    _get("/Customers/107"),
    _patch({"CustomerId": 106, "CustomProperties": {"Zone": "B"}}),
    _patch({"CustomerId": 106, "CustomProperties": {"Locker": "0042"}}),
    _patch({"CustomerId": 104, "PersonalId": "CHANGED"}),
    _get("/Customers/104"),
    _patch({"PersonalId": "A1234567", "PersonalIdTypeId": 5, "LastName": "ByType"}),
    _patch({"CustomerId": 102, "FirstName": "Zoë 😀", "LastName": "  spaced  "}),
    _patch({"CustomerId": 102, "DOB": "1990-01-01T20:00:00-06:00"}),
    _patch({"CustomerId": 103, "DOB": "1752-12-31T12:00:00+00:00"}),
    _patch(b"CustomerId=102&TelNumber1=555", FORM),
    _patch(b"CustomerId=106&CustomProperties%5BZone%5D=C&CustomProperties[0].Key=Aisle", FORM),
    _get("/Customers/a1234567?idType=3"),
    _patch({"CustomerId": 105, "ExtRef": "next"}),
    _get("/Customers/106"),
    _patch({"FirstName": "nobody"}),
    _get("/Customers/101"),
    _get("/Customers/102"),
    # every limit the spec sets, one character over it, by CustomerId (PersonalId's too)
    *[
        _patch({"CustomerId": 104, prop.name: "y" * (prop.max_length + 1)})
        for prop in schema_properties("CustomerUpdate")
        if prop.max_length is not None
    ],
]


def transcript(defect: str | None) -> list[tuple[int, str, str]]:
    """The answers of a fresh server with this defect to PROBES."""
    with TestClient(create_app(defect=defect), raise_server_exceptions=False) as client:
        answers = []
        for method, path, headers, body in PROBES:
            if method == TOGETHER:
                with ThreadPoolExecutor(max_workers=2) as pool:
                    sent = [
                        pool.submit(client.request, "PATCH", path, headers=headers, content=json.dumps(one))
                        for one in json.loads(body)
                    ]
                statuses = ",".join(str(future.result().status_code) for future in sent)
                answers.append((0, "", statuses))
                continue
            response = client.request(method, path, headers=headers, content=body or None)
            answers.append((response.status_code, response.headers.get("content-type", ""), response.text))
        return answers


@pytest.fixture(scope="module")
def correct() -> list[tuple[int, str, str]]:
    return transcript(None)


def test_the_catalogue_is_large_and_spread() -> None:
    assert len(CATALOGUE) >= 25
    categories = {d.category for d in CATALOGUE.values()}
    assert categories == {"response shape", "bad-input handling", "wrong behaviour"}
    assert all(d.description and "\n" not in d.description for d in CATALOGUE.values())
    with pytest.raises(ValueError, match="unknown defect"):
        get_defect("no-such-defect")


def test_the_correct_server_answers_no_5xx(correct: list[tuple[int, str, str]]) -> None:
    assert all(status < 500 for status, _, _ in correct)


@pytest.mark.parametrize("name", defect_names())
def test_each_defect_is_observable_and_single(name: str, correct: list[tuple[int, str, str]]) -> None:
    broken = transcript(name)
    differing = [i for i, (a, b) in enumerate(zip(correct, broken, strict=True)) if a != b]
    assert differing, f"{name} changes no answer"
    # one realistic bug: the server still gives most requests the status the correct one gives
    statuses = [i for i, (a, b) in enumerate(zip(correct, broken, strict=True)) if a[0] != b[0]]
    assert len(statuses) <= len(PROBES) // 4, f"{name} changes the status of {len(statuses)} answers"
