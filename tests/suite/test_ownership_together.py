"""PATCHes of one customer in flight together (`suite/ownership.py`): a slot any of them wrote is the
run's own, whichever answer shows it first, never the server's unasked change; and the restore's
view, the last value the run left in each slot, holds every one of them."""

from __future__ import annotations

import itertools

import pytest

from qflow_contracts.suite.ownership import Ownership, owned

ORIGINAL = {"CustomerId": 7, "PersonalId": "P7", "FirstName": "Ann", "LastName": "Lee", "Email": "a@b"}
SENT = [
    {"CustomerId": 7, "FirstName": "One"},
    {"CustomerId": 7, "LastName": "Two"},
    {"CustomerId": 7, "Email": "three@b"},
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_patches_answered_in_any_order_are_all_the_runs_own(order: tuple[int, ...]) -> None:
    watch = Ownership({7: dict(ORIGINAL)})
    for number, body in enumerate(SENT, start=1):
        watch.sending(number, [body])
    record = dict(ORIGINAL)
    entries = []
    for index in order:  # a server with a lock: each answer holds every change stored before it
        record.update({k: v for k, v in SENT[index].items() if k != "CustomerId"})
        entries += watch.answered(index + 1, dict(record))
    assert all(entry.unsent == [] for entry in entries), entries
    left = owned(entries)[7]
    assert {slot: left[slot].value for slot in ("FirstName", "LastName", "Email")} == {
        "FirstName": "One",
        "LastName": "Two",
        "Email": "three@b",
    }
    assert not any(mine.server for mine in left.values())


def test_a_change_no_patch_in_flight_sent_is_still_the_servers_own() -> None:
    watch = Ownership({7: dict(ORIGINAL)})
    watch.sending(1, [SENT[0]])
    watch.sending(2, [SENT[1]])
    [first] = watch.answered(1, {**ORIGINAL, "FirstName": "One", "Email": "changed@server"})
    assert first.unsent == ["Email"]


def test_a_patch_sent_alone_after_a_group_is_judged_alone() -> None:
    watch = Ownership({7: dict(ORIGINAL)})
    watch.sending(1, [SENT[0]])
    watch.answered(1, {**ORIGINAL, "FirstName": "One"})
    watch.sending(2, [SENT[1]])
    [second] = watch.answered(2, {**ORIGINAL, "FirstName": "One", "LastName": "Two", "Email": "x@y"})
    assert second.unsent == ["Email"]


def test_after_a_lost_update_the_read_shows_what_the_group_left_so_the_restore_takes_it_back() -> None:
    watch = Ownership({7: dict(ORIGINAL)})
    watch.sending(1, [{"CustomerId": 7, "FirstName": "Earlier"}])
    watch.answered(1, {**ORIGINAL, "FirstName": "Earlier"})
    watch.sending(2, [SENT[0]])
    watch.sending(3, [SENT[1]])
    entries = watch.answered(2, {**ORIGINAL, "FirstName": "One"})
    entries += watch.answered(3, {**ORIGINAL, "FirstName": "Earlier", "LastName": "Two"})  # lost One
    entries += watch.read({**ORIGINAL, "FirstName": "Earlier", "LastName": "Two"})
    left = owned(entries)[7]
    assert left["FirstName"].value == "Earlier" and left["LastName"].value == "Two"


def test_a_refused_patch_leaves_nothing_in_flight() -> None:
    watch = Ownership({7: dict(ORIGINAL)})
    watch.sending(1, [{"CustomerId": 7, "Email": "x"}])
    assert watch.answered(1, None) == []  # 400
    watch.sending(2, [SENT[0]])
    [entry] = watch.answered(2, {**ORIGINAL, "FirstName": "One", "Email": "changed@server"})
    assert entry.unsent == ["Email"]  # not taken for a slot PATCH 1 sent in flight with it
    assert watch.read({**ORIGINAL, "FirstName": "One", "Email": "changed@server"}) == []
