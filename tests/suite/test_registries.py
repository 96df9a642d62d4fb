"""The registries of invalid bodies (`suite/refusals.py`) and Json.NET's conversions
(`suite/conversions.py`): every entry builds the body its title says, and every finding key it
can lead to has a stable code."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qflow_contracts.rules import Rule
from qflow_contracts.suite.codes import code_of
from qflow_contracts.suite.conversions import LENIENCIES, Spot
from qflow_contracts.suite.model import DICTIONARY, load_facts
from qflow_contracts.suite.refusals import REFUSALS, Draft
from qflow_contracts.suite.strategies import INVALID_FLAVOURS, invalid_names

FACTS = load_facts()
BODY: dict[str, Any] = {"CustomerId": 7, "FirstName": "Ann"}


def _name_of_kind(kind: str) -> str:
    return next(n for n in FACTS.mutable if FACTS.kind(n) == kind)


def test_the_registries_hold_each_way_once_in_a_fixed_order() -> None:
    assert list(REFUSALS) == [
        "too-long",
        "out-of-range",
        "wrong-type",
        "not-object",
        "not-json",
        "overflow",
        "media-type",
    ]
    assert set(INVALID_FLAVOURS) <= set(REFUSALS)
    assert len(LENIENCIES) == 10
    assert all(entry.id == key and entry.title for key, entry in REFUSALS.items())
    assert all(entry.id == key and entry.title for key, entry in LENIENCIES.items())


@pytest.mark.parametrize("kind", list(REFUSALS))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_every_refusal_is_invalid_keeps_the_valid_change_and_has_a_code(
    kind: str, data: st.DataObject
) -> None:
    names = [n for n in FACTS.mutable if n in _invalid(kind)]
    refusal = REFUSALS[kind].refusal(data, Draft(7, dict(BODY), FACTS, names))
    assert refusal is not None
    assert refusal.kind == kind
    assert set(refusal.statuses) <= {400, 415}
    assert code_of(Rule.ERRORS, f"refused-changed:{refusal.key}") is not None
    if kind == "media-type":
        assert refusal.content_type != "application/json" and refusal.statuses == (415,)
        return
    assert refusal.content_type == "application/json" and refusal.statuses == (400,)
    if kind == "not-json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(refusal.content)
        return
    document = json.loads(refusal.content)
    if kind == "not-object":
        assert not isinstance(document, dict)
    elif kind == "overflow":
        assert document["CustomerId"] == 7 + 2**32 and document["FirstName"] == "Ann"
    else:
        changed = [n for n in document if document[n] != BODY.get(n)]
        assert len(changed) == 1 and changed[0] in names


def _invalid(kind: str) -> tuple[str, ...]:
    return invalid_names(FACTS, kind) if kind in INVALID_FLAVOURS else ()


def test_a_bad_property_with_nothing_to_make_invalid_is_no_refusal() -> None:
    @given(data=st.data())
    @settings(max_examples=1)
    def check(data: st.DataObject) -> None:
        assert REFUSALS["too-long"].refusal(data, Draft(7, dict(BODY), FACTS, ())) is None

    check()


@pytest.mark.parametrize("kind", list(LENIENCIES))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_every_conversion_sends_another_type_and_has_a_code(kind: str, data: st.DataObject) -> None:
    conversion = LENIENCIES[kind]
    name = _name_of_kind(conversion.kind)
    keys = ("Colour",) if conversion.kind == DICTIONARY else ()
    probe = conversion.probe(data, Spot(7, name, FACTS, keys))
    assert probe.kind == kind and probe.name == name
    assert probe.stored
    text = kind in ("name-in-another-case", "json-with-comments", "json-with-single-quotes")
    # a value conversion sends what strict JSON reads as another value than the one stored
    assert text or json.dumps(probe.sent) != json.dumps(probe.stored[0])
    for key in (f"lenient:{kind}", f"lenient-status:{kind}", f"lenient-stored-wrong:{kind}"):
        assert code_of(Rule.LENIENCY, key) or code_of(Rule.ERRORS, key), key
    try:
        document = json.loads(probe.content)
    except json.JSONDecodeError:
        assert kind in ("json-with-comments", "json-with-single-quotes")
        return
    assert document["CustomerId"] == 7
    if kind == "name-in-another-case":
        assert name not in document and name.lower() in {n.lower() for n in document}
    else:
        assert document[name] == probe.sent
