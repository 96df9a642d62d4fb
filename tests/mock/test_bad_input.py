"""Bad input (contract rules 8 and 9): every refusal is a 4xx with the ASP.NET body, and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from qflow_contracts.mock.app import MAX_BODY
from qflow_contracts.mock.validation import load_spec
from tests.mock.conftest import stored

UPDATE = load_spec()["components"]["schemas"]["CustomerUpdate"]["properties"]
LIMITS = {name: prop["maxLength"] for name, prop in UPDATE.items() if "maxLength" in prop}
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def guarded(client: TestClient) -> Iterator[TestClient]:
    """The client; after the test, every record must be as it was (a refused PATCH changes nothing)."""
    before = stored(client)
    yield client
    assert stored(client) == before


def refused(response: Any, status: int = 400, *names: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert isinstance(body["Message"], str) and body["Message"]
    for name in names:
        assert name in body["ModelState"], body
        assert all(isinstance(m, str) for m in body["ModelState"][name])
    return body


def test_limits_come_from_the_spec() -> None:
    assert LIMITS == {
        "PersonalId": 30,
        "FirstName": 50,
        "LastName": 50,
        "Email": 100,
        "TelNumber1": 25,
        "TelNumber2": 25,
        "Notes": 250,
        "ExtRef": 200,
    }


@pytest.mark.parametrize(
    "raw", [b"", b"{", b"not json", b'{"CustomerId": 101,}', b"{'a': 1}", b"NaN", b"\xff\xfe"]
)
def test_not_json(guarded: TestClient, raw: bytes) -> None:
    refused(guarded.patch("/Customers", content=raw, headers=JSON))


@pytest.mark.parametrize("raw", [b"[]", b'[{"CustomerId": 101}]', b'"text"', b"101", b"null", b"true"])
def test_not_an_object(guarded: TestClient, raw: bytes) -> None:
    refused(guarded.patch("/Customers", content=raw, headers=JSON))


def test_lone_surrogate_is_400(guarded: TestClient) -> None:
    refused(guarded.patch("/Customers", content=b'{"CustomerId": 101, "FirstName": "\\ud800"}', headers=JSON))


WRONG_TYPES: dict[str, list[Any]] = {
    "CustomerId": ["101", True, 101.5, [], {}],
    "PersonalId": [5, True, [], {}],
    "PersonalIdTypeId": ["3", False, 3.5],
    "PersonalIdTypeExtRef": [1, []],
    "FirstName": [1, False, ["Ada"], {"a": "b"}],
    "LastName": [2.5],
    "Email": [True],
    "TelNumber1": [12345],
    "TelNumber2": [{}],
    "DOB": [19900101, "1990-01-01", "not a date", "1990-02-30T00:00:00Z", "1990-01-01T00:00:00"],
    "Sex": ["1", True, 1.5, "Male"],
    "Notes": [[]],
    "ExtRef": [0],
    "NotificationConsent": ["true", 1, 0],
    "IsActive": ["false", 1],
    "CustomProperties": [[], "x", 1, {"k": 1}, {"k": None}, [{"Key": "k", "Value": "v"}]],
}


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, vs in WRONG_TYPES.items() for v in vs])
def test_wrong_type_is_400_naming_the_property(guarded: TestClient, name: str, value: Any) -> None:
    body = {"CustomerId": 101, "Notes": "must not be stored", name: value}
    refused(guarded.patch("/Customers", json=body), 400, name)


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_every_over_long_property(guarded: TestClient, name: str) -> None:
    limit = LIMITS[name]
    body = {"CustomerId": 101, "Notes": "must not be stored", name: "é" * (limit + 1)}
    state = refused(guarded.patch("/Customers", json=body), 400, name)["ModelState"]
    assert str(limit) in state[name][0]


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_at_the_limit_is_accepted_counting_code_points(client: TestClient, name: str) -> None:
    value = "😀" * LIMITS[name]  # 2 UTF-16 units each: lengths count code points (rule 9)
    if name == "PersonalId":
        body = {"PersonalId": value}  # identity: selects, never changes; no such record
        assert client.patch("/Customers", json=body).status_code == 404
        return
    response = client.patch("/Customers", json={"CustomerId": 101, name: value})
    assert response.status_code == 200 and response.json()[name] == value


@pytest.mark.parametrize("sex", [3, -1, 64, 255, 256])
def test_sex_out_of_range(guarded: TestClient, sex: int) -> None:
    state = refused(guarded.patch("/Customers", json={"CustomerId": 101, "Sex": sex}), 400, "Sex")[
        "ModelState"
    ]
    assert state["Sex"] == ["The field Sex must be between 0 and 2."]


@pytest.mark.parametrize("name", ["CustomerId", "PersonalIdTypeId"])
@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2**63, 2**64, 10**30, -(10**40)])
def test_32_bit_overflow(guarded: TestClient, name: str, value: int) -> None:
    raw = f'{{"PersonalId": "A1234567", "Notes": "no", "{name}": {value}}}'.encode()
    refused(guarded.patch("/Customers", content=raw, headers=JSON), 400, name)


def test_several_bad_properties_are_all_named(guarded: TestClient) -> None:
    body = {"CustomerId": 101, "FirstName": "x" * 51, "Sex": 3, "IsActive": "yes", "FirstNam": "ignored"}
    state = refused(guarded.patch("/Customers", json=body), 400, "FirstName", "Sex", "IsActive")["ModelState"]
    assert set(state) == {"FirstName", "Sex", "IsActive"}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "multipart/form-data; boundary=x", "", "application/jsonx"],
)
def test_unknown_media_type_is_415(guarded: TestClient, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = guarded.patch("/Customers", content=b'{"CustomerId": 101, "Notes": "no"}', headers=headers)
    refused(response, 415)


def test_oversized_body_is_413(guarded: TestClient) -> None:
    padding = "x" * MAX_BODY
    refused(guarded.patch("/Customers", json={"CustomerId": 101, "Unknown": padding}), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted while reading
        yield b'{"CustomerId": 101, "Notes": "no", "Unknown": "'
        for _ in range(MAX_BODY // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    refused(guarded.patch("/Customers", content=chunks(), headers=JSON), 413)


def test_declared_length_over_the_limit_is_413_unread(guarded: TestClient) -> None:
    for declared in (str(MAX_BODY + 1), "9" * 5000):
        headers = {**JSON, "Content-Length": declared}
        refused(guarded.patch("/Customers", content=b'{"CustomerId": 101}', headers=headers), 413)


def test_body_just_under_the_limit_is_read(client: TestClient) -> None:
    head = b'{"CustomerId": 101, "Notes": "yes", "Unknown": "'
    raw = head + b"x" * (MAX_BODY - len(head) - 2) + b'"}'
    assert len(raw) == MAX_BODY
    assert client.patch("/Customers", content=raw, headers=JSON).json()["Notes"] == "yes"


@pytest.mark.parametrize(
    ("form", "name"),
    [
        ("CustomerId=101&Sex=", "Sex"),
        ("CustomerId=101&Sex=abc", "Sex"),
        ("CustomerId=101&Sex=3", "Sex"),
        ("CustomerId=abc&PersonalId=A1234567", "CustomerId"),
        ("CustomerId=2147483648", "CustomerId"),
        ("CustomerId=101&IsActive=yes", "IsActive"),
        ("CustomerId=101&NotificationConsent=1", "NotificationConsent"),
        ("CustomerId=101&FirstName=" + "x" * 51, "FirstName"),
        ("CustomerId=101&DOB=1990-01-01", "DOB"),
        ("CustomerId=101&CustomProperties=flat", "CustomProperties"),
        ("CustomerId=101&PersonalIdTypeId=" + "9" * 5000, "PersonalIdTypeId"),
    ],
)
def test_bad_form_fields(guarded: TestClient, form: str, name: str) -> None:
    refused(guarded.patch("/Customers", content=(form + "&Notes=no").encode(), headers=FORM), 400, name)


def test_form_that_is_not_utf8(guarded: TestClient) -> None:
    refused(guarded.patch("/Customers", content=b"CustomerId=101&Notes=%ff%fe", headers=FORM))
    refused(guarded.patch("/Customers", content=b"CustomerId=101&Notes=\xff", headers=FORM))


def test_no_identifier_form_is_400(guarded: TestClient) -> None:
    refused(guarded.patch("/Customers", content=b"FirstName=x", headers=FORM))
