"""No input gets a 5xx, and a refused PATCH changes nothing: random bytes, fields and queries."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from qflow_contracts.mock import create_app
from tests.mock.conftest import snapshot

CLIENT = TestClient(create_app(prefix="/API"), base_url="http://testserver/API")
MEDIA = st.sampled_from(
    [
        "application/json",
        "text/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "",
        "application/json; x",
    ]
)
NAMES = st.sampled_from(
    [
        "CustomerId",
        "PersonalId",
        "PersonalIdTypeId",
        "FirstName",
        "Sex",
        "DOB",
        "IsActive",
        "CustomProperties[k]",
    ]
)
FIELD_VALUES = st.one_of(
    st.text(max_size=12), st.integers().map(str), st.sampled_from(["true", "False", "101"])
)
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(raw=st.binary(max_size=300), media=MEDIA)
def test_random_bytes_never_5xx(raw: bytes, media: str) -> None:
    before = snapshot(CLIENT)
    response = CLIENT.patch("/Customers", content=raw, headers={"Content-Type": media} if media else {})
    assert response.status_code in (400, 404, 415), response.text
    assert snapshot(CLIENT) == before


@SETTINGS
@given(fields=st.lists(st.tuples(NAMES, FIELD_VALUES), max_size=6))
def test_random_form_fields_never_5xx(fields: list[tuple[str, str]]) -> None:
    response = CLIENT.patch(
        "/Customers",
        content=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (200, 400, 404), response.text
    if response.status_code == 200:
        assert response.json() == CLIENT.get(f"/Customers/{response.json()['CustomerId']}").json()


@SETTINGS
@given(
    key=st.text(max_size=20),
    query=st.dictionaries(
        st.sampled_from(["idType", "idTypeExtRef", "other"]), st.text(max_size=12), max_size=3
    ),
)
def test_random_get_never_5xx(key: str, query: dict[str, str]) -> None:
    assume(key not in (".", ".."))  # a dot segment: the client itself rewrites the path to /Customers
    path = "/Customers/" + quote(key.encode("utf-8", "surrogatepass"), safe="")
    response = CLIENT.get(path, params=query)
    assert response.status_code in (200, 400, 404), response.text
    assert "Message" in response.json() or response.status_code == 200
