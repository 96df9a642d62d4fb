"""The generated client parses every shape the contract allows, and turns errors into typed results."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
from qflow_client import Client
from qflow_client.api.customers import get_customer, patch_customer
from qflow_client.models import Customer, CustomerUpdate, CustomerUpdateForm, Error
from qflow_client.types import UNSET

from tests.spec.vendor_pages import read_get_page, read_patch_page

NULL_RECORD: dict[str, Any] = {
    "CustomerId": 42,
    **dict.fromkeys(
        [
            "PersonalId", "PersonalIdTypeId", "PersonalIdTypeExtRef", "FirstName", "LastName", "Email",
            "TelNumber1", "TelNumber2", "DOB", "Sex", "Notes", "ExtRef", "NotificationConsent", "IsActive",
            "CustomProperties",
        ]
    ),
}  # fmt: skip


def _corrected(sample: dict[str, Any]) -> dict[str, Any]:
    return {**sample, "Sex": 1}


@pytest.mark.parametrize(
    "record",
    [
        _corrected(read_patch_page().response_sample),
        _corrected(read_get_page().response_sample),
        NULL_RECORD,
        {**NULL_RECORD, "DOB": "1990-02-03T04:05:06.1234567+10:00"},
        {**NULL_RECORD, "DOB": "1990-02-03T04:05:06"},
        {**NULL_RECORD, "CustomProperties": {}},
        {**NULL_RECORD, "CustomProperties": {"": "", "ключ": "значение 🎫", "a.b[c]": "x\u0000y"}},
        {**NULL_RECORD, "Sex": 0, "IsActive": False, "NotificationConsent": False, "FirstName": ""},
    ],
    ids=[
        "patch-sample",
        "get-sample",
        "nulls",
        "dob-7-digits",
        "dob-no-offset",
        "empty-dict",
        "odd-keys",
        "falsy",
    ],
)
def test_a_record_round_trips_through_the_model(record: dict[str, Any]) -> None:
    customer = Customer.from_dict(record)
    assert customer.to_dict() == record
    assert customer.customer_id == record["CustomerId"]
    assert customer.dob == record["DOB"]


def test_the_model_keeps_properties_it_does_not_know() -> None:
    customer = Customer.from_dict({**NULL_RECORD, "Extra": 1})
    assert customer.additional_properties == {"Extra": 1}


@pytest.mark.parametrize(
    "body",
    [
        {"Message": "The request is invalid.", "ModelState": {"FirstName": ["too long"], "Sex": ["a", "b"]}},
        {"Message": "No customer matches id 42."},
        {"Message": "An error has occurred.", "MessageDetail": "more"},
    ],
)
def test_an_error_body_round_trips_through_the_model(body: dict[str, Any]) -> None:
    assert Error.from_dict(body).to_dict() == body


def test_an_update_sends_only_what_was_set() -> None:
    update = CustomerUpdate(customer_id=7, first_name=None, sex=0, is_active=False)
    assert update.to_dict() == {"CustomerId": 7, "FirstName": None, "Sex": 0, "IsActive": False}
    assert update.last_name is UNSET


def test_an_update_writes_dob_as_rfc3339_with_its_offset() -> None:
    dob = dt.datetime(1990, 2, 3, 4, 5, 6, 123456, tzinfo=dt.timezone(dt.timedelta(hours=10)))
    assert CustomerUpdate(dob=dob).to_dict() == {"DOB": "1990-02-03T04:05:06.123456+10:00"}
    assert CustomerUpdate.from_dict({"DOB": "1990-02-03T04:05:06.1234567+10:00"}).dob == dob


class Recorder:
    """An httpx transport that records each request and answers with a fixed response."""

    def __init__(self, status: int, body: Any) -> None:
        self.status, self.body = status, body
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)

    def client(self) -> Client:
        client = Client(base_url="http://qflow.test/API")
        client.set_httpx_client(
            httpx.Client(base_url="http://qflow.test/API", transport=httpx.MockTransport(self))
        )
        return client


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"Message": "The request is invalid.", "ModelState": {"idType": ["not an integer"]}}),
        (404, {"Message": "No customer matches id 42."}),
        (401, {"Message": "Authorization has been denied for this request."}),
    ],
)
def test_get_turns_an_error_answer_into_a_typed_result(status: int, body: dict[str, Any]) -> None:
    recorder = Recorder(status, body)
    response = get_customer.sync_detailed("A 1/2", client=recorder.client(), id_type=3, id_type_ext_ref="X")
    assert response.status_code == status
    assert isinstance(response.parsed, Error)
    assert response.parsed.message == body["Message"]
    (request,) = recorder.requests
    assert request.method == "GET"
    assert request.url.raw_path.split(b"?")[0] == b"/API/Customers/A%201%2F2"
    assert dict(request.url.params) == {"idType": "3", "idTypeExtRef": "X"}


def test_get_parses_a_record() -> None:
    recorder = Recorder(200, NULL_RECORD)
    customer = get_customer.sync("42", client=recorder.client())
    assert isinstance(customer, Customer)
    assert customer.to_dict() == NULL_RECORD


def test_patch_sends_json_and_parses_the_answer() -> None:
    recorder = Recorder(200, {**NULL_RECORD, "FirstName": "Zoë"})
    answer = patch_customer.sync(
        client=recorder.client(), body=CustomerUpdate(customer_id=42, first_name="Zoë")
    )
    assert isinstance(answer, Customer)
    assert answer.first_name == "Zoë"
    (request,) = recorder.requests
    assert (request.method, request.url.path) == ("PATCH", "/API/Customers")
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"CustomerId": 42, "FirstName": "Zoë"}


def test_patch_sends_a_form_body() -> None:
    recorder = Recorder(400, {"Message": "The request is invalid.", "ModelState": {"Sex": ["out of range"]}})
    answer = patch_customer.sync(client=recorder.client(), body=CustomerUpdateForm(customer_id=42, sex=2))
    assert isinstance(answer, Error)
    assert answer.model_state is not UNSET
    (request,) = recorder.requests
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.content == b"CustomerId=42&Sex=2"
