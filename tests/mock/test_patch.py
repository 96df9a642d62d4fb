"""PATCH Customers: contract rules 4 to 7 and 10, through raw HTTP and the generated client."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from qflow_client import Client
from qflow_client.api.customers import patch_customer
from qflow_client.models import Customer, CustomerUpdate, CustomerUpdateForm, Error
from qflow_client.models.customer_update_custom_properties_type_0 import CustomerUpdateCustomPropertiesType0
from starlette.testclient import TestClient

from tests.mock.conftest import BASE, snapshot

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def patch(client: TestClient, body: dict[str, Any], **kwargs: Any) -> Any:
    return client.patch("/Customers", json=body, **kwargs)


def test_by_customer_id_and_answer_equals_next_get(client: TestClient) -> None:
    response = patch(client, {"CustomerId": 104, "FirstName": "Jo"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json()["FirstName"] == "Jo"
    assert response.json() == client.get("/Customers/104").json()  # rule 6


def test_customer_id_wins_over_personal_id(client: TestClient) -> None:
    response = patch(
        client, {"CustomerId": 106, "PersonalId": "A1234567", "PersonalIdTypeId": 3, "Notes": "n"}
    )
    assert response.json()["CustomerId"] == 106
    assert client.get("/Customers/101").json()["Notes"] != "n"


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({"PersonalIdTypeId": 5}, 102),
        ({"PersonalIdTypeId": 3}, 101),
        ({"PersonalIdTypeExtRef": "MEDICARE"}, 102),
        ({"PersonalIdTypeId": 3, "PersonalIdTypeExtRef": "MEDICARE"}, 101),  # the id wins
        ({}, 101),  # no type: the type with the lowest id (3)
        ({"PersonalIdTypeId": 0}, 101),
        ({"PersonalIdTypeId": None, "PersonalIdTypeExtRef": ""}, 101),
        ({"CustomerId": 0, "PersonalIdTypeId": -1}, 101),
    ],
)
def test_by_personal_id_within_its_type(client: TestClient, selector: dict[str, Any], expected: int) -> None:
    before = snapshot(client)
    response = patch(client, {"PersonalId": "A1234567", **selector, "ExtRef": "picked"})
    assert response.status_code == 200
    assert response.json()["CustomerId"] == expected
    after = snapshot(client)
    assert after[expected]["ExtRef"] == "picked"
    assert {k: v for k, v in after.items() if k != expected} == {
        k: v for k, v in before.items() if k != expected
    }


@pytest.mark.parametrize(
    "body",
    [
        {"CustomerId": 999, "Notes": "x"},
        {"PersonalId": "A1234567", "PersonalIdTypeId": 8},
        {"PersonalId": "A1234567", "PersonalIdTypeId": 77},
        {"PersonalId": "A1234567", "PersonalIdTypeExtRef": "NOPE"},
        {"PersonalId": "S-0042"},  # exists, but in type 8, not the lowest type
    ],
)
def test_no_such_record_is_404_and_changes_nothing(client: TestClient, body: dict[str, Any]) -> None:
    before = snapshot(client)
    response = patch(client, body)
    assert response.status_code == 404 and response.json()["Message"]
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "body",
    [{}, {"FirstName": "x"}, {"CustomerId": 0}, {"CustomerId": -3, "PersonalId": ""}, {"PersonalId": None}],
)
def test_no_identifier_is_400(client: TestClient, body: dict[str, Any]) -> None:
    before = snapshot(client)
    response = patch(client, body)
    assert response.status_code == 400 and response.json()["Message"] == "The request is invalid."
    assert snapshot(client) == before


def test_absent_and_null_keep_falsy_values_replace(client: TestClient) -> None:
    before = client.get("/Customers/101").json()
    nulls = {name: None for name in before if name != "CustomerId"}
    assert patch(client, {"CustomerId": 101, **nulls}).json() == before
    assert patch(client, {"CustomerId": 101}).json() == before
    falsy = {"FirstName": "", "Notes": "", "Sex": 0, "NotificationConsent": False, "IsActive": False}
    after = patch(client, {"CustomerId": 101, **falsy}).json()
    assert {k: after[k] for k in falsy} == falsy
    assert after["LastName"] == before["LastName"]


def test_custom_properties_merge_key_by_key(client: TestClient) -> None:
    response = patch(client, {"CustomerId": 101, "CustomProperties": {"Locker": "13", "New": ""}})
    assert response.json()["CustomProperties"] == {
        "Locker": "13",
        "Tier": "gold",
        "Language": "en",
        "New": "",
    }
    assert (
        patch(client, {"CustomerId": 101, "CustomProperties": {}}).json()["CustomProperties"]["Locker"]
        == "13"
    )
    # a record whose dictionary is null gets one
    assert patch(client, {"CustomerId": 103, "CustomProperties": {"A": "1"}}).json()["CustomProperties"] == {
        "A": "1"
    }


def test_identity_is_never_changed(client: TestClient) -> None:
    body = {"CustomerId": 105, "PersonalId": "ZZZ", "PersonalIdTypeId": 3, "PersonalIdTypeExtRef": "PASSPORT"}
    before = client.get("/Customers/105").json()
    assert patch(client, body).json() == before
    assert client.get("/Customers/S-0042?idType=8").json()["CustomerId"] == 105
    assert client.get("/Customers/ZZZ?idType=3").status_code == 404


@pytest.mark.parametrize(
    "text",
    [
        "Zoë",
        "李小龙",
        "😀🎉 outside the BMP",
        "  spaces kept  ",
        "tab\tnew\nline",
        "\u200b\u00a0",
        "\x00nul",
        "é" * 50,
    ],
)
def test_strings_round_trip_exactly(client: TestClient, text: str) -> None:
    response = patch(client, {"CustomerId": 102, "FirstName": text, "CustomProperties": {text: text}})
    assert response.status_code == 200
    record = client.get("/Customers/102").json()
    assert record["FirstName"] == text and record["CustomProperties"][text] == text


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2000-02-29T00:00:00+10:00", "2000-02-29T00:00:00+10:00"),
        ("1999-12-31T23:59:59Z", "1999-12-31T23:59:59Z"),
        ("1999-12-31t23:59:59z", "1999-12-31T23:59:59Z"),
        ("1980-01-01T00:00:00.123456789-11:00", "1980-01-01T00:00:00.1234567-11:00"),
        ("2025-09-13T08:31:19.94723+10:00", "2025-09-13T08:31:19.94723+10:00"),
    ],
)
def test_dob_keeps_its_calendar_date_in_dotnet_form(client: TestClient, sent: str, stored: str) -> None:
    assert patch(client, {"CustomerId": 101, "DOB": sent}).json()["DOB"] == stored
    assert client.get("/Customers/101").json()["DOB"] == stored


def test_text_json_request_and_answer(client: TestClient) -> None:
    response = client.patch(
        "/Customers",
        content=b'{"CustomerId": 101, "LastName": "Byron"}',
        headers={"Content-Type": "text/json; charset=utf-8", "Accept": "text/json"},
    )
    assert response.status_code == 200 and response.json()["LastName"] == "Byron"
    assert response.headers["content-type"] == "text/json; charset=utf-8"


def test_form_body(client: TestClient) -> None:
    body = (
        "CustomerId=104&FirstName=Jos%C3%A9+M.&Sex=2&IsActive=FALSE&NotificationConsent=True"
        "&CustomProperties%5BLocker%5D=5&CustomProperties[Zone]=B&Unknown=1&Notes="
    )
    notes = client.get("/Customers/104").json()["Notes"]
    response = client.patch("/Customers", content=body.encode(), headers=FORM)
    assert response.status_code == 200
    record = response.json()
    assert (record["FirstName"], record["Sex"], record["IsActive"], record["NotificationConsent"]) == (
        "José M.",
        2,
        False,
        True,
    )
    assert record["Notes"] == notes  # an empty field is absent (contract rule 10)
    assert record["CustomProperties"] == {"Locker": "5", "Tier": "silver", "Emoji": "🎉", "Zone": "B"}
    assert record == client.get("/Customers/104").json()


def test_form_body_dictionary_in_mvc_indexed_form(client: TestClient) -> None:
    body = (
        "CustomerId=104&CustomProperties%5B0%5D.Key=Locker&CustomProperties%5B0%5D.Value=6"
        "&CustomProperties[1].key=Zone&CustomProperties[1].value=C&CustomProperties[2].Key=Tier"
        "&CustomProperties[2].Value="
    )
    before = client.get("/Customers/104").json()
    response = client.patch("/Customers", content=body.encode(), headers=FORM)
    assert response.status_code == 200
    record = response.json()
    assert record["CustomProperties"] == {**before["CustomProperties"], "Locker": "6", "Zone": "C"}


def test_form_body_by_personal_id(client: TestClient) -> None:
    body = "PersonalId=A1234567&PersonalIdTypeExtRef=MEDICARE&TelNumber2=%2B61"
    response = client.patch("/Customers", content=body.encode(), headers=FORM)
    assert response.json()["CustomerId"] == 102 and response.json()["TelNumber2"] == "+61"


def test_generated_client_patches(client: TestClient) -> None:
    api = Client(base_url=BASE).set_httpx_client(client)
    update = CustomerUpdate(
        customer_id=106,
        first_name="Grâce",
        notification_consent=False,
        custom_properties=CustomerUpdateCustomPropertiesType0.from_dict({"Tier": "platinum"}),
    )
    answer = patch_customer.sync(client=api, body=update)
    assert isinstance(answer, Customer)
    assert answer.first_name == "Grâce" and answer.notification_consent is False
    assert answer.custom_properties is not None
    assert answer.custom_properties.to_dict() == {"Locker": "1", "Tier": "platinum"}
    form = patch_customer.sync(client=api, body=CustomerUpdateForm(customer_id=106, sex=1, is_active=True))
    assert isinstance(form, Customer) and form.sex == 1 and form.is_active is True
    refused = patch_customer.sync(client=api, body=CustomerUpdate(customer_id=106, first_name="x" * 51))
    assert isinstance(refused, Error) and refused.message == "The request is invalid."
    missing = patch_customer.sync(client=api, body=CustomerUpdate(customer_id=4242))
    assert isinstance(missing, Error)


def test_unknown_properties_are_ignored(client: TestClient) -> None:
    body = {
        "CustomerId": 107,
        "Notes": "kept",
        "Nickname": 5,
        "notes": "lower-case is another name",
        "Extra": {},
    }
    response = patch(client, body)
    assert response.status_code == 200
    assert response.json()["Notes"] == "kept" and "Nickname" not in response.json()
    assert list(response.json()) == list(client.get("/Customers/107").json())


def test_generated_client_partial_update_identity_and_dob(client: TestClient) -> None:
    """Rules 1, 5, 6 and 7 through the generated client: None keeps, False/0/"" replace."""
    api = Client(base_url=BASE).set_httpx_client(client)
    before = client.get("/Customers/105").json()
    born = datetime.datetime(1990, 1, 1, 20, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-6)))
    update = CustomerUpdate(
        customer_id=105,
        personal_id="NEW-ID",
        first_name=None,
        last_name="",
        sex=0,
        is_active=False,
        dob=born,
        notes="🐉 dragon",
    )
    answer = patch_customer.sync(client=api, body=update)
    assert isinstance(answer, Customer)
    assert answer.first_name == before["FirstName"]  # None keeps
    assert (answer.last_name, answer.sex, answer.is_active) == ("", 0, False)  # falsy values replace
    assert answer.personal_id == "S-0042"  # identity is never changed
    assert answer.dob == "1990-01-01T20:00:00-06:00"  # the calendar date that was sent
    assert answer.notes == "🐉 dragon"
    assert answer.to_dict() == client.get("/Customers/105").json()
