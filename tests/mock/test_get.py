"""GET Customers/{id}: contract rules 2, 3 and the answer formats, by raw HTTP and the generated client."""

from __future__ import annotations

import pytest
from qflow_client import Client
from qflow_client.api.customers import get_customer
from qflow_client.models import Customer, Error
from starlette.testclient import TestClient

from qflow_contracts.mock.fixtures import default_fixtures_path, load_fixtures
from tests.mock.conftest import BASE

FIXTURES = load_fixtures(default_fixtures_path())
BY_ID = {c["CustomerId"]: c for c in FIXTURES.customers}
PROPERTIES = list(FIXTURES.customers[0])


def test_fixtures_have_the_corners() -> None:
    assert len(FIXTURES.customers) >= 6 and len(FIXTURES.id_types) >= 3
    shared = [c for c in FIXTURES.customers if c["PersonalId"] == "A1234567"]
    assert {c["PersonalIdTypeId"] for c in shared} == {3, 5}
    assert any(sum(v is None for v in c.values()) >= 12 for c in FIXTURES.customers)
    assert any(not c["FirstName"].isascii() for c in FIXTURES.customers if c["FirstName"])
    dobs = [c["DOB"] for c in FIXTURES.customers if c["DOB"]]
    assert any(d.endswith("+10:00") for d in dobs) and any(len(d) == 19 for d in dobs)
    full = [c for c in FIXTURES.customers if all(v is not None for v in c.values())]
    assert len(full) >= 4 and all(len(c["CustomProperties"]) >= 2 for c in full)


@pytest.mark.parametrize("customer_id", sorted(BY_ID))
def test_by_customer_id_answers_the_whole_record(client: TestClient, customer_id: int) -> None:
    response = client.get(f"/Customers/{customer_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == PROPERTIES  # all 16, always (rule 2)
    assert body == BY_ID[customer_id]


def test_shared_personal_id_is_told_apart_by_type(client: TestClient) -> None:
    assert client.get("/Customers/A1234567", params={"idType": 3}).json()["CustomerId"] == 101
    assert client.get("/Customers/A1234567", params={"idType": 5}).json()["CustomerId"] == 102
    assert client.get("/Customers/A1234567", params={"idType": 8}).status_code == 404


def test_ext_ref_selects_the_type_and_wins_over_id_type(client: TestClient) -> None:
    assert client.get("/Customers/A1234567?idTypeExtRef=PASSPORT").json()["CustomerId"] == 101
    assert client.get("/Customers/A1234567?idTypeExtRef=MEDICARE&idType=3").json()["CustomerId"] == 102
    assert client.get("/Customers/A1234567?idTypeExtRef=NOPE").status_code == 404


def test_empty_ext_ref_and_id_type_zero_or_less_mean_customer_id(client: TestClient) -> None:
    for query in ("", "?idType=0", "?idType=-4", "?idTypeExtRef=", "?idType=0&idTypeExtRef="):
        assert client.get(f"/Customers/104{query}").json()["CustomerId"] == 104, query
    # in CustomerId mode a PersonalId does not match
    assert client.get("/Customers/A1234567").status_code == 404


@pytest.mark.parametrize(
    "key", ["999", "abc", "0", "-101", "1.5", "", "101abc", "%F0%9F%98%80", "a/b", "9" * 400]
)
def test_no_match_is_404_with_message(client: TestClient, key: str) -> None:
    response = client.get(f"/Customers/{key}")
    assert response.status_code == 404
    assert isinstance(response.json()["Message"], str)


@pytest.mark.parametrize("value", ["abc", "", " ", "1.0", "2147483648", "-2147483649", "9" * 5000, "0x10"])
def test_malformed_id_type_is_400_naming_it(client: TestClient, value: str) -> None:
    response = client.get("/Customers/101", params={"idType": value})
    assert response.status_code == 400
    body = response.json()
    assert body["Message"] == "The request is invalid." and "idType" in body["ModelState"]


def test_id_type_limits_are_inclusive(client: TestClient) -> None:
    assert client.get("/Customers/101?idType=-2147483648").status_code == 200
    assert client.get("/Customers/101?idType=2147483647").status_code == 404


def test_accept_text_json_is_honoured(client: TestClient) -> None:
    ok = client.get("/Customers/101", headers={"Accept": "text/json"})
    assert ok.headers["content-type"] == "text/json; charset=utf-8"
    missing = client.get("/Customers/999", headers={"Accept": "text/json"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/json")
    both = client.get("/Customers/101", headers={"Accept": "application/json, text/json"})
    assert both.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/json", "text/json"),
        ("text/json, application/json", "text/json"),
        ("application/json;q=0.5, text/json", "text/json"),
        ("text/json;q=0.5, application/json", "application/json"),
        ("text/json;q=0", "application/json"),
        ("*/*", "application/json"),
        ("text/plain", "application/json"),
    ],
)
def test_accept_q_values(client: TestClient, accept: str, expected: str) -> None:
    for path in ("/Customers/101", "/Customers/999", "/Customers/1?idType=x"):
        assert (
            client.get(path, headers={"Accept": accept}).headers["content-type"]
            == f"{expected}; charset=utf-8"
        )


def test_unicode_and_dob_forms_come_back_as_stored(client: TestClient) -> None:
    li = client.get("/Customers/105").json()
    assert (li["FirstName"], li["LastName"]) == ("小龙", "李")
    assert "😀" in client.get("/Customers/104").json()["Notes"]
    assert client.get("/Customers/102").json()["DOB"] == "1990-01-01T00:00:00"  # no offset
    assert client.get("/Customers/101").json()["DOB"] == "1985-12-10T00:00:00+10:00"
    mostly_null = client.get("/Customers/103").json()
    assert mostly_null["FirstName"] is None and mostly_null["CustomProperties"] is None


def test_undocumented_method_and_path(client: TestClient) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.request(method, "/Customers/101")
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET, HEAD"
        assert "Message" in response.json()
    assert client.get("/Elsewhere").status_code == 404
    assert client.get("/API/Customers/101").status_code == 404  # the prefix is not doubled


def test_generated_client_reads_each_mode(client: TestClient) -> None:
    api = Client(base_url=BASE).set_httpx_client(client)
    ada = get_customer.sync("101", client=api)
    assert isinstance(ada, Customer) and ada.first_name == "Ada"
    zoe = get_customer.sync("A1234567", client=api, id_type=5)
    assert isinstance(zoe, Customer) and zoe.customer_id == 102 and zoe.first_name == "Zoë"
    by_ref = get_customer.sync("A1234567", client=api, id_type_ext_ref="PASSPORT")
    assert isinstance(by_ref, Customer) and by_ref.customer_id == 101
    missing = get_customer.sync("424242", client=api)
    assert isinstance(missing, Error) and missing.message
