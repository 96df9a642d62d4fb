"""Which record a PATCH body targets (contract rule 4): the contract's reading (`patch_selector`,
`candidates`) and every server's (`identifiers`, `targets`), both from `suite/targets.py`."""

from __future__ import annotations

from typing import Any

from qflow_contracts.suite.targets import Selector, candidates, identifiers, patch_selector, targets


def record(**values: Any) -> dict[str, Any]:
    """A record carrying the identity properties, None where `values` does not set them."""
    base: dict[str, Any] = {
        "CustomerId": None,
        "PersonalId": None,
        "PersonalIdTypeId": None,
        "PersonalIdTypeExtRef": None,
    }
    return {**base, **values}


def test_patch_selector_customer_id_then_type_then_extref_then_lowest() -> None:
    assert patch_selector({"CustomerId": 3, "PersonalId": "A1", "PersonalIdTypeId": 2}).kind == "customer"
    by_type = patch_selector(
        {"CustomerId": 0, "PersonalId": "A1", "PersonalIdTypeId": 2, "PersonalIdTypeExtRef": "X"}
    )
    assert by_type == Selector("type", personal_id="A1", type_id=2)
    by_ext = patch_selector({"PersonalId": "A1", "PersonalIdTypeId": None, "PersonalIdTypeExtRef": "X"})
    assert by_ext == Selector("extref", personal_id="A1", extref="X")
    assert patch_selector({"PersonalId": "A1", "PersonalIdTypeExtRef": ""}).kind == "lowest"
    assert patch_selector({"CustomerId": -1}).kind == "none"
    assert patch_selector({"CustomerId": True, "FirstName": "x"}).kind == "none"
    assert patch_selector({}).kind == "none"


def test_two_customers_may_share_a_personal_id_under_different_types() -> None:
    first = record(CustomerId=1, PersonalId="A1", PersonalIdTypeId=1, PersonalIdTypeExtRef="NATID")
    second = record(CustomerId=2, PersonalId="A1", PersonalIdTypeId=2, PersonalIdTypeExtRef="PASSPORT")
    records = [first, second]
    assert candidates(records, Selector("type", personal_id="A1", type_id=2)) == [second]
    assert candidates(records, Selector("extref", personal_id="A1", extref="NATID")) == [first]
    assert candidates(records, Selector("lowest", personal_id="A1")) == [first]
    assert candidates(records, Selector("customer", customer_id=2)) == [second]
    assert candidates(records, Selector("type", personal_id="A1", type_id=3)) == []
    assert candidates(records, Selector("none")) == []


def test_identifiers_read_every_spelling_leniently_and_wrap_a_wide_customer_id() -> None:
    named = identifiers(
        {
            "customerid": "7",
            "CUSTOMERID": 2**32 + 5,
            "CustomerId": 2**31,
            "PersonalId": "A1",
            "personalID": 42,
        }
    )
    assert named.customer_ids == (7, 5, -(2**31))
    assert named.personal_ids == ("A1", "42")
    assert named.by_customer_id
    assert identifiers({"CustomerId": 1.0}).customer_ids == (1,)
    assert identifiers({"CustomerId": True}).customer_ids == (1,)
    assert identifiers({"CustomerId": "1.5"}).customer_ids == ()
    assert identifiers({"CustomerId": "\u00b2"}).customer_ids == ()  # a digit int() cannot read


def test_identifiers_pairs_by_type_id_else_by_ext_ref() -> None:
    both = identifiers({"PersonalId": "A1", "PersonalIdTypeId": "2", "PersonalIdTypeExtRef": "X"})
    assert both.pairs("A1") == [("type", "A1", 2)]
    ext = identifiers({"PersonalId": "A1", "PersonalIdTypeId": 0, "PersonalIdTypeExtRef": "X"})
    assert ext.pairs("A1") == [("extref", "A1", "X")]
    assert identifiers({"PersonalId": "A1", "PersonalIdTypeExtRef": ""}).pairs("A1") == []
    assert not identifiers({"CustomerId": 2**32, "PersonalId": "A1"}).by_customer_id  # wraps to 0


def test_targets_by_customer_id_else_by_personal_id_of_any_type() -> None:
    originals = {
        5: record(CustomerId=5, PersonalId="A1", PersonalIdTypeId=1),
        6: record(CustomerId=6, PersonalId="A1", PersonalIdTypeId=2),
        7: record(CustomerId=7, PersonalId="B2", PersonalIdTypeId=1),
    }
    assert targets([{"CustomerId": 2**32 + 5, "PersonalId": "B2"}], originals) == [5]
    assert targets([{"CustomerId": 5}, {"customerId": "5"}, {"CustomerId": 7}], originals) == [5, 7]
    assert targets([{"CustomerId": 99, "PersonalId": "A1", "PersonalIdTypeId": 1}], originals) == [5, 6]
    assert targets([{"PersonalId": ""}, {"FirstName": "x"}], originals) == []
    assert targets([{"PersonalId": "A1"}], {8: {"CustomerId": 8, "PersonalId": ["A1"]}}) == []
