"""The generated client parses every shape the contract allows, and turns errors into typed results."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
import qflow_client
import yaml
from qflow_client import Client, errors
from qflow_client.api.customers import get_customer, patch_customer
from qflow_client.models import Customer, CustomerUpdate, CustomerUpdateForm, Error
from qflow_client.types import UNSET

from qflow_contracts.resources import spec_path
from tests.conftest import REPO
from tests.spec.vendor_pages import read_get_page, read_patch_page

# the answer's properties as the spec lists them, so a property added to the spec is covered here too
PROPERTIES = tuple(
    yaml.safe_load(spec_path().read_text(encoding="utf-8"))["components"]["schemas"]["Customer"]["properties"]
)
NULL_RECORD: dict[str, Any] = {**dict.fromkeys(PROPERTIES), "CustomerId": 42}


def _corrected(sample: dict[str, Any]) -> dict[str, Any]:
    """A vendor sample with Sex in range, and null for the spec's properties the pages do not show."""
    return {**dict.fromkeys(PROPERTIES), **sample, "Sex": 1}


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


class Raw:
    """An httpx transport that answers every request with fixed bytes."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.status, self.body, self.content_type = status, body, content_type

    def __call__(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(self.status, content=self.body, headers={"Content-Type": self.content_type})

    def client(self, **options: Any) -> Client:
        client = Client(base_url="http://qflow.test/API", **options)
        client.set_httpx_client(
            httpx.Client(base_url="http://qflow.test/API", transport=httpx.MockTransport(self))
        )
        return client


HTML = b"<html><body><h1>Server Error in '/API' Application.</h1></body></html>"


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (500, b'{"Message": "An error has occurred."}', "application/json"),
        (502, HTML, "text/html"),
        (503, b"", "text/plain"),
    ],
)
def test_an_undocumented_status_raises_with_the_status_and_the_body(
    status: int, body: bytes, content_type: str
) -> None:
    raw = Raw(status, body, content_type)
    with pytest.raises(errors.UnexpectedStatus) as caught:
        get_customer.sync("42", client=raw.client())
    assert (caught.value.status_code, caught.value.content) == (status, body)
    with pytest.raises(errors.UnexpectedStatus):
        patch_customer.sync_detailed(client=raw.client(), body=CustomerUpdate(customer_id=42))


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, HTML),  # a proxy's or the framework's page where a record was documented
        (404, HTML),
        (200, b'{"CustomerId": 42}'),  # a record without the properties the spec requires
        (200, b"[]"),
        (400, b'{"ModelState": {}}'),  # an error body without its Message
    ],
)
def test_a_documented_status_with_an_undocumented_body_raises(status: int, body: bytes) -> None:
    raw = Raw(status, body, "text/html" if body.startswith(b"<") else "application/json")
    with pytest.raises(errors.UnexpectedBody) as caught:
        get_customer.sync("42", client=raw.client())
    assert (caught.value.status_code, caught.value.content) == (status, body)
    assert isinstance(caught.value, errors.UnexpectedStatus)
    assert f"status code {status}" in str(caught.value)


def test_a_client_that_opts_out_gets_none_instead_of_an_exception() -> None:
    assert (
        get_customer.sync("42", client=Raw(500, HTML, "text/html").client(raise_on_unexpected_status=False))
        is None
    )
    assert (
        get_customer.sync("42", client=Raw(200, HTML, "text/html").client(raise_on_unexpected_status=False))
        is None
    )


def test_the_client_version_is_the_spec_version(spec: dict[str, Any]) -> None:
    assert qflow_client.__version__ == spec["info"]["version"]
    pyproject = (REPO / "generated" / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{spec["info"]["version"]}"' in pyproject
