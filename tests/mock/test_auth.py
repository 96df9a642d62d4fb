"""`--api-key`: every request without `Authorization: Bearer KEY` or `X-Api-Key: KEY` gets 401."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from qflow_contracts.mock import create_app


@pytest.fixture
def locked() -> TestClient:
    return TestClient(create_app(prefix="/API", api_key="s3cret"), base_url="http://testserver/API")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "s3cret"},
        {"Authorization": "Basic czNjcmV0"},
        {"X-Api-Key": "S3CRET"},
        {"X-Api-Key": ""},
    ],
)
def test_without_the_key_every_request_is_401(locked: TestClient, headers: dict[str, str]) -> None:
    for method, path in (("GET", "/Customers/101"), ("PATCH", "/Customers"), ("POST", "/Elsewhere")):
        response = locked.request(method, path, headers=headers, json={"CustomerId": 101, "Notes": "x"})
        assert response.status_code == 401
        assert response.json()["Message"]
    assert locked.get("/Customers/101", headers={"X-Api-Key": "s3cret"}).json()["Notes"] != "x"


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer s3cret"}, {"X-Api-Key": "s3cret"}])
def test_with_the_key_requests_pass(locked: TestClient, headers: dict[str, str]) -> None:
    assert locked.get("/Customers/101", headers=headers).status_code == 200
    response = locked.patch("/Customers", headers=headers, json={"CustomerId": 101, "Notes": "ok"})
    assert response.status_code == 200 and response.json()["Notes"] == "ok"


def test_the_401_answer_honours_accept(locked: TestClient) -> None:
    response = locked.get("/Customers/101", headers={"Accept": "text/json"})
    assert response.status_code == 401 and response.headers["content-type"].startswith("text/json")
