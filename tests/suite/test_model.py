"""The pure model of the contract (suite/model.py), the spec's facts it reads, and the value
strategies (suite/strategies.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qflow_contracts.suite import model
from qflow_contracts.suite import strategies as vs
from qflow_contracts.suite.model import STRING, load_facts

FACTS = load_facts()
STRINGS = {name: FACTS.max_length(name) or 0 for name in FACTS.of_kind(STRING)}


def record(**values: Any) -> dict[str, Any]:
    """A whole record: every property null but those given."""
    base: dict[str, Any] = dict.fromkeys(FACTS.names)
    base.update(CustomerId=1, PersonalId="A1", PersonalIdTypeId=1, PersonalIdTypeExtRef="NATID")
    base.update(values)
    return base


STORED = record(
    FirstName="Ada",
    LastName="Lovelace",
    Sex=2,
    IsActive=True,
    NotificationConsent=True,
    DOB="1990-01-02T00:00:00+10:00",
    CustomProperties={"Locker": "12", "Tier": "gold"},
)


# ---- NOTES rule 5: PATCH is partial ---------------------------------------------------------


def test_absent_and_null_properties_are_left_as_they_are() -> None:
    after = model.apply_patch(STORED, {"CustomerId": 1, "FirstName": None, "CustomProperties": None}, FACTS)
    assert after == STORED


@pytest.mark.parametrize(
    ("name", "value"), [("IsActive", False), ("NotificationConsent", False), ("Sex", 0), ("FirstName", "")]
)
def test_falsy_values_replace_the_stored_one(name: str, value: Any) -> None:
    after = model.apply_patch(STORED, {"CustomerId": 1, name: value}, FACTS)
    assert after[name] == value
    assert type(after[name]) is type(value)


def test_custom_properties_merge_key_by_key() -> None:
    after = model.apply_patch(STORED, {"CustomProperties": {"Tier": "", "New": "x"}}, FACTS)
    assert after["CustomProperties"] == {"Locker": "12", "Tier": "", "New": "x"}


def test_custom_properties_on_a_record_without_any() -> None:
    assert model.apply_patch(record(), {"CustomProperties": {"k": "v"}}, FACTS)["CustomProperties"] == {
        "k": "v"
    }
    assert model.apply_patch(record(), {"CustomProperties": {}}, FACTS)["CustomProperties"] is None
    empty = record(CustomProperties={})
    assert model.apply_patch(empty, {"CustomProperties": {}}, FACTS)["CustomProperties"] == {}


def test_identity_and_unknown_properties_never_change() -> None:
    body = {
        "CustomerId": 9,
        "PersonalId": "other",
        "PersonalIdTypeId": 7,
        "PersonalIdTypeExtRef": "X",
        "Unknown": "y",
    }
    after = model.apply_patch(STORED, body, FACTS)
    assert after == STORED
    assert "Unknown" not in after


def test_apply_patch_leaves_its_arguments_alone() -> None:
    stored = record(CustomProperties={"a": "1"})
    body = {"CustomProperties": {"b": "2"}}
    model.apply_patch(stored, body, FACTS)
    assert stored["CustomProperties"] == {"a": "1"}
    assert body == {"CustomProperties": {"b": "2"}}


@given(st.dictionaries(st.sampled_from(FACTS.mutable), st.none()))
def test_a_body_of_nulls_changes_nothing(body: dict[str, Any]) -> None:
    assert model.apply_patch(STORED, body, FACTS) == STORED


# ---- the spec's facts -----------------------------------------------------------------------------


def test_the_facts_are_the_specs() -> None:
    assert len(FACTS.names) == 16
    assert FACTS.identity == ("CustomerId", "PersonalId", "PersonalIdTypeId", "PersonalIdTypeExtRef")
    assert set(FACTS.mutable) == set(FACTS.names) - set(FACTS.identity)
    assert STRINGS == {
        "FirstName": 50,
        "LastName": 50,
        "Email": 100,
        "TelNumber1": 25,
        "TelNumber2": 25,
        "Notes": 250,
        "ExtRef": 200,
    }
    assert FACTS.int_range("Sex") == (0, 2)
    assert FACTS.kind("DOB") == model.DATE
    assert FACTS.kind("CustomProperties") == model.DICTIONARY


def test_no_property_list_or_limit_is_copied_into_the_suite() -> None:
    """Behaviour rules may name the identity properties they are about; nothing else of the record."""
    suite = Path(model.__file__).parent
    for name in ("model", "strategies", "bodies", "policy", "checks", "session", "machine", "exchange"):
        text = (suite / f"{name}.py").read_text(encoding="utf-8")
        for prop in FACTS.mutable:
            assert re.search(rf"(?<!Rule\.)\b{prop}\b", text) is None, f"{name}.py names {prop}"


@pytest.mark.parametrize(
    "dob", ["2025-09-13T08:31:19.9472300+10:00", "2025-09-13T08:31:19Z", "2025-09-13T08:31:19", None]
)
def test_dob_forms_dotnet_writes_are_accepted(dob: str | None) -> None:
    assert FACTS.invalid_names({**STORED, "DOB": dob}) == set()


@pytest.mark.parametrize("dob", ["2025-09-13", "13/09/2025", "2025-09-13T08:31:19.12345678+10:00", 5])
def test_other_dob_forms_break_the_response_pattern(dob: object) -> None:
    assert FACTS.invalid_names({**STORED, "DOB": dob}) == {"DOB"}


def test_invalid_names_name_wrong_types_and_sex_out_of_range() -> None:
    assert FACTS.invalid_names(STORED) == set()
    assert FACTS.invalid_names(record()) == set()
    bad = {**STORED, "Sex": 64, "IsActive": 1, "CustomProperties": [{"Key": "k"}], "FirstName": 5}
    assert FACTS.invalid_names(bad) == {"FirstName", "Sex", "IsActive", "CustomProperties"}
    assert FACTS.invalid_names({**STORED, "PersonalIdTypeId": 2**31}) == {"PersonalIdTypeId"}


def test_a_record_keeps_only_what_the_spec_allows() -> None:
    answered = {**STORED, "Sex": 64, "Extra": 1}
    del answered["Notes"]
    kept = model.record_from(answered, FACTS)
    assert "Sex" not in kept and "Notes" not in kept and "Extra" not in kept
    assert kept["FirstName"] == "Ada"


def rules_of(found: list[model.Difference]) -> list[tuple[str, str]]:
    """(rule, property) pairs."""
    return [(d.rule.id, d.name) for d in found]


def test_no_difference_when_equal_and_dob_compared_by_date() -> None:
    answered = {**STORED, "DOB": "1990-01-02T00:00:00"}
    assert model.differences(STORED, answered, FACTS) == []


def test_a_shifted_dob_breaks_rule_1_when_sent_else_rule_5() -> None:
    sent = {"DOB": "1990-01-02T01:00:00+10:00"}
    expected = model.apply_patch(STORED, sent, FACTS)
    shifted = {**expected, "DOB": "1990-01-01T15:00:00Z"}
    assert rules_of(model.differences(expected, shifted, FACTS, sent, STORED)) == [("rule-1", "DOB")]
    assert rules_of(model.differences(STORED, shifted, FACTS)) == [("rule-5", "DOB")]


def test_a_null_that_cleared_breaks_rule_5() -> None:
    sent = {"FirstName": None}
    found = model.differences(STORED, {**STORED, "FirstName": None}, FACTS, sent, STORED)
    assert rules_of(found) == [("rule-5", "FirstName")]
    assert "sent as null" in found[0].why


def test_an_ignored_falsy_value_breaks_rule_5() -> None:
    sent = {"IsActive": False, "FirstName": ""}
    expected = model.apply_patch(STORED, sent, FACTS)
    found = model.differences(expected, STORED, FACTS, sent, STORED)
    assert rules_of(found) == [("rule-5", "FirstName"), ("rule-5", "IsActive")]


def test_an_altered_string_breaks_rule_7() -> None:
    sent = {"FirstName": " Ada "}
    expected = model.apply_patch(STORED, sent, FACTS)
    found = model.differences(expected, {**expected, "FirstName": "Ada"}, FACTS, sent, STORED)
    assert rules_of(found) == [("rule-7", "FirstName")]


def test_changed_identity_breaks_rule_5() -> None:
    found = model.differences(STORED, {**STORED, "PersonalId": "B2"}, FACTS)
    assert rules_of(found) == [("rule-5", "PersonalId")]


def test_replaced_custom_properties_break_rule_5_and_altered_values_rule_7() -> None:
    sent = {"CustomProperties": {"Tier": "silver"}}
    expected = model.apply_patch(STORED, sent, FACTS)
    replaced = {**expected, "CustomProperties": {"Tier": "silver"}}
    found = model.differences(expected, replaced, FACTS, sent, STORED)
    assert rules_of(found) == [("rule-5", "CustomProperties")]
    assert "lost ['Locker']" in found[0].why
    mangled = {**expected, "CustomProperties": {"Locker": "12", "Tier": "SILVER"}}
    assert rules_of(model.differences(expected, mangled, FACTS, sent, STORED)) == [
        ("rule-7", "CustomProperties")
    ]
    wrong_type = {**expected, "CustomProperties": ["Tier"]}
    assert rules_of(model.differences(expected, wrong_type, FACTS, sent, STORED)) == [
        ("rule-2", "CustomProperties")
    ]


def test_a_bool_is_not_an_int() -> None:
    stored = record(Sex=1)
    assert rules_of(model.differences(stored, {**stored, "Sex": True}, FACTS)) == [("rule-5", "Sex")]


# ---- strategies ----------------------------------------------------------------------------------


@settings(max_examples=200)
@given(st.sampled_from(sorted(STRINGS)).flatmap(lambda n: st.tuples(st.just(n), vs.value_for(FACTS, n))))
def test_string_values_fit_their_limit_in_code_points(pair: tuple[str, str]) -> None:
    name, value = pair
    assert len(value) <= STRINGS[name]
    value.encode("utf-8")  # no lone surrogates


@settings(max_examples=50)
@given(
    st.sampled_from(sorted(STRINGS)).flatmap(
        lambda n: st.tuples(st.just(n), vs.invalid_value_for(FACTS, n, "too-long"))
    )
)
def test_overlong_values_exceed_their_limit(pair: tuple[str, str]) -> None:
    name, value = pair
    assert len(value) > STRINGS[name]


@settings(max_examples=300)
@given(vs.dob_values())
def test_dob_values_are_rfc3339_with_an_offset(value: str) -> None:
    assert FACTS.invalid_names({"DOB": value}) == set()
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None
    assert 1900 <= moment.year <= 2099


def test_dob_values_mostly_fall_on_another_day_in_utc() -> None:
    shifted = []

    @settings(max_examples=200, database=None)
    @given(vs.dob_values())
    def collect(value: str) -> None:
        moment = datetime.fromisoformat(value)
        shifted.append(moment.astimezone(UTC).date() != moment.date())

    collect()
    assert sum(shifted) > len(shifted) // 3


@given(vs.custom_property_keys(form_safe=True))
def test_form_safe_keys_have_no_brackets(key: str) -> None:
    assert key
    assert "[" not in key and "]" not in key
    assert key.strip() == key


@pytest.mark.parametrize(
    ("flavour", "name"),
    [(flavour, name) for flavour in vs.INVALID_FLAVOURS for name in vs.invalid_names(FACTS, flavour)],
)
def test_invalid_values_are_invalid(flavour: str, name: str) -> None:
    @settings(max_examples=30, database=None)
    @given(vs.invalid_value_for(FACTS, name, flavour))
    def check(value: Any) -> None:
        if name in STRINGS:
            assert not isinstance(value, str) or len(value) > STRINGS[name]
        elif name == "Sex":
            assert not isinstance(value, int) or not 0 <= value <= 2
        elif name == "DOB":
            with pytest.raises((ValueError, TypeError)):
                datetime.fromisoformat(value)
        elif name == "CustomProperties":
            assert not isinstance(value, dict)
        else:
            assert not isinstance(value, bool)

    check()


@given(vs.custom_properties(form_safe=True))
def test_custom_properties_for_a_form_have_safe_keys_and_non_empty_values(props: dict[str, str]) -> None:
    assert len(props) <= 4
    assert all(key and "[" not in key and "]" not in key for key in props)
    assert all(props.values())


@given(vs.custom_properties())
def test_custom_properties_are_string_to_string(props: dict[str, str]) -> None:
    assert all(isinstance(key, str) and key and isinstance(value, str) for key, value in props.items())


@settings(max_examples=300)
@given(vs.dob_values(shifted=True))
def test_shifted_dob_values_always_fall_on_another_day_in_utc(value: str) -> None:
    moment = datetime.fromisoformat(value)
    assert moment.astimezone(UTC).date() != moment.date()


@given(vs.value_for(FACTS, "TelNumber1", falsy=False), vs.custom_property_values(empty=False))
def test_non_empty_values_are_never_empty(text: str, value: str) -> None:
    assert text and len(text) <= 25
    assert value


def test_the_hardest_string_fits_every_limit_and_is_hard() -> None:
    assert len(vs.HARDEST) <= min(STRINGS.values())
    assert vs.HARDEST.strip() != vs.HARDEST
    assert any(ord(ch) > 0xFFFF for ch in vs.HARDEST)
    assert "\x00" in vs.HARDEST


def test_a_change_after_a_refused_patch_says_no_patch_was_applied_not_that_it_was_unsent() -> None:
    record = {"CustomerId": 1, "FirstName": "Ann", "LastName": "Lee"}
    after = {**record, "FirstName": "0"}
    (refused,) = model.differences(record, after, FACTS)
    assert (
        refused.describe().count("no PATCH was applied to it") == 1 and "not sent" not in refused.describe()
    )
    (unsent,) = model.differences(record, after, FACTS, {"CustomerId": 1, "LastName": "Lee"})
    assert "not sent" in unsent.describe()
