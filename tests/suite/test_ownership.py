"""What a PATCH made the server store (`suite/ownership.py`): from its answer, or from the next read
when the answer is not the record or is stale; what was only sent is not the run's own."""

from __future__ import annotations

from typing import Any

from qflow_contracts.suite.ownership import Ownership, owned, sent_slots
from qflow_contracts.suite.slots import ABSENT

ORIGINAL = {
    "CustomerId": 7,
    "PersonalId": "P7",
    "FirstName": "Ann",
    "Notes": "n",
    "Sex": 1,
    "CustomProperties": {"Tier": "gold"},
}


def _watch() -> Ownership:
    return Ownership({7: dict(ORIGINAL)})


def test_an_answer_shows_what_was_stored_and_what_the_server_changed_unasked() -> None:
    watch = _watch()
    watch.sending(1, [{"CustomerId": 7, "FirstName": "Bo"}])
    answer: dict[str, Any] = {**ORIGINAL, "FirstName": "Bo", "Notes": None, "CustomProperties": None}
    [entry] = watch.answered(1, answer)
    assert entry.values["FirstName"] == "Bo" and entry.values["Notes"] is None
    assert entry.values["CustomProperties[Tier]"] is ABSENT and entry.values["CustomProperties"] is None
    assert sorted(entry.unsent) == ["CustomProperties", "CustomProperties[Tier]", "Notes"]
    assert watch.read(answer) == []  # the answer said it all


def test_a_stale_answer_does_not_count_and_the_next_read_decides() -> None:
    watch = _watch()
    watch.sending(1, [{"CustomerId": 7, "FirstName": "Bo"}])
    assert watch.answered(1, dict(ORIGINAL)) == []  # the record as before the PATCH
    [entry] = watch.read({**ORIGINAL, "FirstName": "Bo"})
    assert entry.by == "read" and entry.values == {"FirstName": "Bo"} and entry.unsent == []


def test_what_a_refused_or_ignored_patch_only_sent_is_not_the_runs_own() -> None:
    watch = _watch()
    watch.sending(1, [{"CustomerId": 7, "Sex": "2", "Notes": ""}])
    assert watch.answered(1, None) == []  # 400: no record
    assert watch.read(dict(ORIGINAL)) == []  # nothing changed
    watch.sending(2, [{"CustomerId": 7, "Notes": ""}])
    assert watch.answered(2, dict(ORIGINAL)) == []  # a falsy value the server ignored
    assert watch.read(dict(ORIGINAL)) == []


def test_a_refused_patch_that_wrote_anyway_is_seen_by_the_next_read() -> None:
    watch = _watch()
    watch.sending(1, [{"CustomerId": 7, "FirstName": "Bo", "Sex": 9}])
    assert watch.answered(1, None) == []
    [entry] = watch.read({**ORIGINAL, "FirstName": "Bo"})
    assert entry.values == {"FirstName": "Bo"}


def test_another_users_edit_seen_by_a_read_without_a_patch_is_not_the_runs() -> None:
    watch = _watch()
    assert watch.read({**ORIGINAL, "Notes": "theirs"}) == []
    watch.sending(1, [{"CustomerId": 7, "FirstName": "Bo"}])
    [entry] = watch.answered(1, {**ORIGINAL, "Notes": "theirs", "FirstName": "Bo"})
    assert entry.values == {"FirstName": "Bo"}  # Notes was theirs before this PATCH


def test_the_last_value_the_run_left_is_its_own() -> None:
    watch = _watch()
    entries = []
    for number, name in enumerate(["Bo", "Cy"], 1):
        watch.sending(number, [{"CustomerId": 7, "FirstName": name}])
        entries += watch.answered(number, {**ORIGINAL, "FirstName": name})
    assert owned(entries)[7]["FirstName"].value == "Cy"


def test_sent_slots_read_json_and_both_form_encodings_of_the_dictionary() -> None:
    names = list(ORIGINAL)
    assert sent_slots([{"customerid": 7, "firstname": "Bo", "Notes": None}], names) == {"FirstName": "Bo"}
    form = {
        "CustomProperties[Tier]": "x",
        "CustomProperties[0].Key": "Locker",
        "CustomProperties[0].Value": "3",
    }
    assert sent_slots([form], names) == {"CustomProperties[Tier]": "x", "CustomProperties[Locker]": "3"}
