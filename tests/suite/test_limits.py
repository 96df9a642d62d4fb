"""Every limit is the spec's (issue 21): the guard's longest PersonalId is the spec's `maxLength`,
and where the spec bounds nothing, nothing is taken for "longer than any"."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from qflow_contracts.spec import customer_properties
from qflow_contracts.suite.errors import UnsafeRequest
from qflow_contracts.suite.guard import Guard
from qflow_contracts.suite.model import load_facts
from qflow_contracts.suite.stateless import NOBODY

JSON = {"content-type": "application/json"}


def _guard(**extra: object) -> Guard:
    return Guard(base_path="/API", readable=frozenset({101}), patchable=frozenset({101}), **extra)  # type: ignore[arg-type]


def _spec_limit() -> int:
    limit = next(p.max_length for p in customer_properties() if p.name == "PersonalId")
    assert isinstance(limit, int)
    return limit


def test_the_guards_longest_personal_id_is_the_specs() -> None:
    assert _guard().personal_id_max == _spec_limit()


def test_a_personal_id_one_over_the_specs_limit_names_nobody_and_one_at_it_may_name_someone() -> None:
    limit = _spec_limit()
    _guard().check(httpx.Request("GET", f"http://h/API/Customers/{'x' * (limit + 1)}?idType=3"))
    with pytest.raises(UnsafeRequest):
        _guard().check(httpx.Request("GET", f"http://h/API/Customers/{'x' * limit}?idType=3"))


@pytest.mark.parametrize("query", ["idType=3", "idTypeExtRef=NID"])
def test_without_a_limit_no_personal_id_is_too_long_to_name_someone(query: str) -> None:
    long = "x" * 10_000
    with pytest.raises(UnsafeRequest):
        _guard(personal_id_max=None).check(httpx.Request("GET", f"http://h/API/Customers/{long}?{query}"))
    body = b'{"PersonalId": "' + long.encode() + b'", "PersonalIdTypeId": 3}'
    with pytest.raises(UnsafeRequest):
        _guard(personal_id_max=None).check(
            httpx.Request(
                "PATCH", "http://h/API/Customers", content=body, headers={"content-type": "application/json"}
            )
        )


def test_a_string_property_holds_a_length_up_to_its_limit_and_any_without_one() -> None:
    facts = load_facts()
    limit = facts.max_length("Notes")
    assert limit is not None
    assert facts.holds("Notes", limit) and not facts.holds("Notes", limit + 1)
    unbounded = replace(facts.request["Notes"], max_length=None)
    assert replace(facts, request={**facts.request, "Notes": unbounded}).holds("Notes", 10**6)


def test_the_identifier_schemathesis_sends_for_nobody_is_longer_than_any_personal_id() -> None:
    """A negative case on a deployment reads `NOBODY`, by any lookup mode: the guard admits it by
    PersonalId only because the spec bounds PersonalId below its length."""
    assert len(NOBODY) > _spec_limit()
    _guard().check(httpx.Request("GET", f"http://h/API/Customers/{NOBODY}?idType=1"))
