"""The date vocabulary (contract rule 1): unit tests of `suite/dates.py`, no server."""

from __future__ import annotations

from qflow_contracts.suite.dates import calendar_date, same_day, same_dob, sendable_date, stored_dob


def test_the_calendar_date_is_what_a_value_starts_with() -> None:
    assert calendar_date("1985-12-10T00:00:00+10:00") == "1985-12-10"
    assert calendar_date("10/12/1985") is None and calendar_date(None) is None


def test_only_a_date_time_with_an_offset_may_be_sent() -> None:
    assert sendable_date("1985-12-10T00:00:00Z") and sendable_date("1985-12-10T00:00:00-05:30")
    assert not sendable_date("1985-12-10T00:00:00") and not sendable_date(19851210)


def test_the_same_dob_is_the_same_instant_in_the_same_offset_or_the_same_wall_clock() -> None:
    assert same_dob("2000-01-01T00:00:00Z", "2000-01-01T00:00:00.0000000+00:00")
    assert not same_dob("2000-01-01T10:00:00+10:00", "2000-01-01T00:00:00Z")  # same instant, other offset
    assert same_dob("2000-01-01T00:00:00", "2000-01-01T00:00:00.000")
    assert not same_dob("2000-01-01T00:00:00", "2000-01-01T00:00:00Z")


def test_a_dob_is_stored_as_the_same_instant_or_else_on_the_same_day_as_written() -> None:
    assert stored_dob("2000-01-01T10:00:00+10:00", "2000-01-01T00:00:00Z")
    assert not stored_dob("2000-01-01T10:00:00+10:00", "2000-01-01T10:00:00Z")
    assert stored_dob("2000-01-01T10:00:00+10:00", "2000-01-01T10:00:00")
    assert not stored_dob("", "") and not same_day("2000-01-01", None)
    assert same_day("2000-01-01T23:00:00", "2000-01-01T01:00:00-05:00")
