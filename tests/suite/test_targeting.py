"""The guard's proof of by-PersonalId targets (contract rules 4 and 11): a PATCH by a (PersonalId,
type) pair that changes something is sent only after a GET and a PATCH with nothing to change by
the same pair both answered the given customer; an answer of any status naming anyone else stops
that mode for the run and is withheld."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from qflow_contracts.suite.errors import UnsafeRequest
from qflow_contracts.suite.guard import Guard, named_customers
from qflow_contracts.suite.http import SafeTransport

GIVEN = {"CustomerId": 101, "PersonalId": "P-1001", "PersonalIdTypeId": 3, "PersonalIdTypeExtRef": "NID"}
CHANGE_BY_TYPE = {"PersonalId": "P-1001", "PersonalIdTypeId": 3, "FirstName": "Zoë"}
CHANGE_BY_EXTREF = {"PersonalId": "P-1001", "PersonalIdTypeExtRef": "NID", "Notes": "n"}
PROBE_BY_TYPE = {"PersonalId": "P-1001", "PersonalIdTypeId": 3}


def _policy() -> Guard:
    policy = Guard(base_path="/API", readable=frozenset({101, 105}), patchable=frozenset({101}))
    policy.learn(GIVEN)
    return policy


def _request(
    method: str, url: str, body: Any = None, content_type: str = "application/json"
) -> httpx.Request:
    content = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    headers = {"Content-Type": content_type} if content else {}
    return httpx.Request(method, f"http://h/API/{url}", content=content, headers=headers)


def _answer(policy: Guard, request: httpx.Request, status: int, record: dict[str, Any]) -> None:
    policy.observe(request, status, json.dumps(record).encode())


def _prove_by_type(policy: Guard, get_answers: int = 101, patch_answers: int = 101) -> None:
    _answer(policy, _request("GET", "Customers/P-1001?idType=3"), 200, {**GIVEN, "CustomerId": get_answers})
    _answer(
        policy, _request("PATCH", "Customers", PROBE_BY_TYPE), 200, {**GIVEN, "CustomerId": patch_answers}
    )


@pytest.mark.parametrize(
    "body",
    [
        CHANGE_BY_TYPE,
        CHANGE_BY_EXTREF,
        {**PROBE_BY_TYPE, "Notes": ""},
        {**PROBE_BY_TYPE, "CustomProperties": {"k": "v"}},
        {"personalid": "P-1001", "personalidtypeid": "3", "Sex": 1},
        {**PROBE_BY_TYPE, "CustomerId": 0, "IsActive": False},
    ],
)
def test_a_changing_patch_by_an_unproven_pair_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(UnsafeRequest, match="not proven"):
        _policy().check(_request("PATCH", "Customers", body))


def test_a_changing_form_patch_by_an_unproven_pair_is_refused() -> None:
    form = b"PersonalId=P-1001&PersonalIdTypeId=3&CustomProperties%5Bk%5D=v"
    with pytest.raises(UnsafeRequest, match="not proven"):
        _policy().check(_request("PATCH", "Customers", form, "application/x-www-form-urlencoded"))


def test_the_probe_itself_and_patches_by_customer_id_need_no_proof() -> None:
    policy = _policy()
    policy.check(_request("PATCH", "Customers", PROBE_BY_TYPE))
    policy.check(_request("PATCH", "Customers", {"PersonalId": "P-1001", "PersonalIdTypeExtRef": "NID"}))
    policy.check(_request("PATCH", "Customers", {"CustomerId": 101, "PersonalId": "P-1001", "Notes": "n"}))


def test_a_get_and_a_patch_naming_the_given_customer_prove_the_pair() -> None:
    policy = _policy()
    _answer(policy, _request("GET", "Customers/P-1001?idType=3"), 200, GIVEN)
    with pytest.raises(UnsafeRequest):  # the GET alone proves nothing about PATCH
        policy.check(_request("PATCH", "Customers", CHANGE_BY_TYPE))
    _answer(policy, _request("PATCH", "Customers", PROBE_BY_TYPE), 200, GIVEN)
    policy.check(_request("PATCH", "Customers", CHANGE_BY_TYPE))
    with pytest.raises(UnsafeRequest):  # the other mode is proven on its own
        policy.check(_request("PATCH", "Customers", CHANGE_BY_EXTREF))


@pytest.mark.parametrize(("get_answers", "patch_answers"), [(99, 101), (101, 99), (105, 101)])
def test_an_answer_naming_anyone_else_stops_the_mode_for_the_run(
    get_answers: int, patch_answers: int
) -> None:
    policy = _policy()
    _prove_by_type(policy, get_answers, patch_answers)
    _prove_by_type(policy)  # later answers naming the given customer do not undo it
    with pytest.raises(UnsafeRequest, match="answered customer"):
        policy.check(_request("PATCH", "Customers", CHANGE_BY_TYPE))


def test_a_refusal_naming_a_stranger_stops_the_mode_too() -> None:
    policy = _policy()
    _answer(policy, _request("GET", "Customers/P-1001?idType=3"), 200, GIVEN)
    conflict = {"Message": "conflict", "Existing": {"CustomerId": 99, "PersonalId": "p-1001"}}
    _answer(policy, _request("PATCH", "Customers", PROBE_BY_TYPE), 409, conflict)
    _answer(policy, _request("PATCH", "Customers", PROBE_BY_TYPE), 200, GIVEN)
    with pytest.raises(UnsafeRequest, match="answered customer 99"):
        policy.check(_request("PATCH", "Customers", CHANGE_BY_TYPE))


def test_a_pair_two_given_customers_share_is_never_proven() -> None:
    policy = _policy()
    policy.learn({**GIVEN, "CustomerId": 104})
    _prove_by_type(policy)
    with pytest.raises(UnsafeRequest):
        policy.check(_request("PATCH", "Customers", CHANGE_BY_TYPE))


def test_an_answer_of_any_status_naming_a_stranger_is_withheld_nested_too() -> None:
    policy = _policy()
    stranger = {"CustomerId": 99, "PersonalId": "p-1001", "Notes": "a medical note"}
    for status, body in [
        (200, stranger),
        (409, {"Message": "taken", "Customer": stranger}),
        (404, [stranger]),
    ]:
        stand_in = policy.withhold(_request("GET", "Customers/101"), status, json.dumps(body).encode())
        assert stand_in is not None and b"medical" not in stand_in and b"99" in stand_in
    own = {"Message": "x", "ModelState": {"CustomerId": ["bad"], "PersonalId": ["bad"]}}
    assert policy.withhold(_request("GET", "Customers/101"), 400, json.dumps(own).encode()) is None
    assert policy.withhold(_request("GET", "Customers/101"), 200, json.dumps(GIVEN).encode()) is None
    dictionary = {**GIVEN, "CustomProperties": {"CustomerId": "99"}}
    assert policy.withhold(_request("GET", "Customers/101"), 200, json.dumps(dictionary).encode()) is None


def test_named_customers_reads_names_in_any_case_and_bounds_its_depth() -> None:
    assert named_customers(b'{"customerId": "12", "x": 1}') == [12]
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    assert named_customers(deep) == []


def test_the_transport_proves_pairs_from_the_answers_it_reads() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=GIVEN)

    policy = _policy()
    transport = SafeTransport(
        rate_limit=None,
        request_timeout=5,
        max_answer_bytes=4096,
        policy=policy,
        inner=httpx.MockTransport(server),
    )
    with httpx.Client(transport=transport, base_url="http://h/API/") as http:
        http.get("Customers/P-1001", params={"idType": 3})
        http.patch("Customers", json=PROBE_BY_TYPE)
        assert http.patch("Customers", json=CHANGE_BY_TYPE).status_code == 200
