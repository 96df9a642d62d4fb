"""Every mutation of the corpus gets the verdict, the release and the rule it calls for."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from qflow_contracts.specdiff import Audience, Bump, compare
from qflow_contracts.specdiff.model import CLIENTS as CLIENTS_BROKEN
from qflow_contracts.specdiff.model import Verdict, classified, parse_version
from qflow_contracts.specdiff.rules import RULES, rule_of
from tests.specdiff.corpus import CLIENTS, COMPATIBLE, MUTATIONS, NO_CHANGE, SERVERS, Mutation


def _diff(spec: dict[str, Any], mutation: Mutation) -> Verdict:
    old = copy.deepcopy(spec)
    if mutation.base is not None:
        mutation.base(old)
    new = copy.deepcopy(old)
    mutation.edit(new)
    assert new != old or mutation.verdict == NO_CHANGE, "the mutation changed nothing"
    return compare(old, new)


def test_the_corpus_is_large_and_covers_every_class() -> None:
    assert len(MUTATIONS) >= 30
    assert {m.verdict for m in MUTATIONS} == {CLIENTS, SERVERS, COMPATIBLE, NO_CHANGE}
    assert {m.bump for m in MUTATIONS} == {"major", "minor", "patch", "none"}
    assert len({m.name for m in MUTATIONS}) == len(MUTATIONS)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_mutation_is_classified_as_expected(spec: dict[str, Any], mutation: Mutation) -> None:
    verdict = _diff(spec, mutation)
    listing = "\n".join(f"{c.category}: {c.rule} at {c.where}: {c.text}" for c in verdict.changes)
    assert verdict.category == mutation.verdict, listing
    assert str(verdict.bump) == mutation.bump, listing
    if mutation.rule is not None:
        assert mutation.rule in {c.rule for c in verdict.changes}, listing


def test_a_spec_compared_with_itself_has_no_change(spec: dict[str, Any]) -> None:
    verdict = compare(spec, copy.deepcopy(spec))
    assert verdict.changes == () and verdict.category == "no change" and verdict.bump is Bump.NONE


def test_a_change_in_a_shared_schema_is_reported_once_per_direction(spec: dict[str, Any]) -> None:
    new = copy.deepcopy(spec)
    new["components"]["schemas"]["CustomerUpdate"]["properties"]["FirstName"]["maxLength"] = 40
    (change,) = compare(spec, new).changes  # CustomerUpdate serves two media types: one change
    assert (change.where, change.text) == ("CustomerUpdate.FirstName", "maxLength 50 -> 40")
    assert change.breaks == {Audience.CLIENTS} and change.bump is Bump.MAJOR


def test_a_type_change_breaks_both_sides(spec: dict[str, Any]) -> None:
    new = copy.deepcopy(spec)
    new["components"]["schemas"]["CustomerUpdate"]["properties"]["Sex"]["type"] = "string"
    (change,) = compare(spec, new).changes
    assert change.breaks == {Audience.CLIENTS, Audience.SERVERS}


@pytest.mark.parametrize(
    ("old", "new", "bump", "ok", "suggested"),
    [
        ("1.0.0", "1.1.0", "minor", True, "1.1.0"),
        ("1.0.0", "1.0.1", "minor", False, "1.1.0"),
        ("1.0.0", "2.0.0", "minor", True, "1.1.0"),
        ("1.2.3", "1.2.3", "minor", False, "1.3.0"),
        ("1.0.0", "draft", "minor", None, "1.1.0"),
    ],
)
def test_the_version_bump_is_checked_against_the_changes(
    spec: dict[str, Any], old: str, new: str, bump: str, ok: bool | None, suggested: str
) -> None:
    before, after = copy.deepcopy(spec), copy.deepcopy(spec)
    before["info"]["version"], after["info"]["version"] = old, new
    after["paths"]["/Customers/{id}"]["get"]["responses"]["429"] = {"description": "slow down"}
    verdict = compare(before, after)
    assert (str(verdict.bump), verdict.version_ok, verdict.suggested_version) == (bump, ok, suggested)


def test_a_major_change_suggests_the_next_major(spec: dict[str, Any]) -> None:
    new = copy.deepcopy(spec)
    del new["paths"]["/Customers"]["patch"]
    verdict = compare(spec, new)
    major = (parse_version(spec["info"]["version"]) or (0, 0, 0))[0]
    assert (verdict.bump, verdict.suggested_version, verdict.version_ok) == (
        Bump.MAJOR,
        f"{major + 1}.0.0",
        False,
    )


def test_every_rule_of_the_registry_is_called_for_by_a_mutation(spec: dict[str, Any]) -> None:
    """The registry names only rules spec-diff gives, and the corpus checks each of them."""
    called = {rule_of(change.rule).pattern for m in MUTATIONS for change in _diff(spec, m).changes}
    assert [rule.pattern for rule in RULES if rule.pattern not in called] == []


def test_a_rule_id_nobody_registered_is_refused() -> None:
    with pytest.raises(KeyError, match="no registered rule"):
        classified("request-property-made-up-kind-of-change-", "Customer.Notes", "made up", CLIENTS_BROKEN)
    assert rule_of("request-property-max-length-decreased").title == "a bound lowered"
