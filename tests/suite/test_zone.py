"""The server's time zone as the suite learns it, and how a DOB read back is judged (contract rule
1, "the platform's time zone"): unit tests of `suite/zone.py`, no server."""

from __future__ import annotations

from typing import Any

import pytest

from qflow_contracts.suite.dates import moment
from qflow_contracts.suite.zone import (
    BOUNDARY_DATES,
    Judgement,
    Zone,
    probe_time,
    probes,
    written_offset,
)

AT_TEN = Zone.learn([{"DOB": "1985-12-10T00:00:00+10:00"}, {"DOB": "1990-01-01T00:00:00"}], ["DOB"])


def test_the_offset_is_learned_from_dobs_written_with_one_and_z_or_none_say_nothing() -> None:
    records: list[dict[str, Any]] = [
        {"DOB": "1979-07-01T14:30:00.1234567+10:00"},
        {"DOB": "1972-06-23T00:00:00Z"},
        {"DOB": None},
    ]
    zone = Zone.learn(records, ["DOB"])
    assert (zone.offset, zone.keeps, zone.text) == (600, False, "+10:00")
    assert (
        Zone.learn([{"DOB": "1972-06-23T00:00:00Z"}, {"DOB": "1990-01-01T00:00:00"}], ["DOB"]).offset is None
    )
    assert written_offset("1972-06-23T00:00:00Z") is None and written_offset("2001-02-28T08:00:00+00:00") == 0


def test_records_in_several_offsets_keep_them_and_no_moved_date_is_a_conversion() -> None:
    zone = Zone.learn([{"DOB": "1985-12-10T00:00:00+10:00"}, {"DOB": "1979-06-30T23:30:00-05:00"}], ["DOB"])
    assert zone.keeps and zone.offset is None and "several offsets" in zone.how
    assert zone.judge("1999-12-31T23:30:00-05:00", "2000-01-01T14:30:00+10:00") is Judgement.MOVED
    zone.observe("2000-01-01T14:30:00+10:00")
    assert zone.offset is None  # a keeping server's answer teaches nothing


def test_an_unknown_offset_is_learned_from_an_answer() -> None:
    zone = Zone()
    zone.observe("2000-06-15T22:00:00+10:00")
    assert zone.offset == 600 and "PATCH answer" in zone.how


@pytest.mark.parametrize(
    ("sent", "got", "judged"),
    [
        # the same date, whatever the form
        ("1990-05-17T23:30:00-05:00", "1990-05-17T23:30:00.0000000-05:00", None),
        ("1990-05-17T00:30:00+10:00", "1990-05-17T00:00:00+10:00", None),
        # Json.NET's conversion to +10:00: the same instant, another date
        ("1999-12-31T23:30:00-05:00", "2000-01-01T14:30:00+10:00", Judgement.CONVERTED),
        ("1999-12-31T23:30:00.9472300-05:00", "2000-01-01T14:30:00.94723+10:00", Judgement.CONVERTED),
        ("1999-12-31T23:30:00Z", "2000-01-01T09:30:00+10:00", Judgement.CONVERTED),
        # a value of unspecified kind is read in the server's offset
        ("1999-12-31T23:30:00-05:00", "2000-01-01T14:30:00", Judgement.CONVERTED),
        # the breakages
        ("1984-02-29T00:30:00+10:00", "1984-02-28T00:00:00+10:00", Judgement.MOVED_IN_OWN_OFFSET),
        ("1999-12-31T23:30:00-05:00", "2000-01-01T09:30:00+10:00", Judgement.INSTANT_MOVED),
        ("1999-12-31T23:30:00-05:00", "2000-01-01T04:30:00+00:00", Judgement.NOT_THE_SERVER_OFFSET),
    ],
)
def test_a_dob_read_back_is_judged_by_the_server_offset(
    sent: str, got: str, judged: Judgement | None
) -> None:
    assert AT_TEN.judge(sent, got) is judged


def test_without_an_offset_every_moved_date_is_a_failure() -> None:
    assert Zone().judge("1999-12-31T23:30:00-05:00", "2000-01-01T14:30:00+10:00") is Judgement.MOVED


def test_instants_keep_seven_fractional_digits() -> None:
    one, other = moment("2000-01-01T00:00:00.0000001Z"), moment("2000-01-01T00:00:00Z")
    assert one is not None and other is not None and one.instant() == (other.instant() or 0) + 1


@pytest.mark.parametrize("offset", [600, 0, -300, -720, 840, 345])
def test_probes_stay_on_their_date_in_utc_and_cross_midnight_far_away(offset: int) -> None:
    values = probes(offset)
    zone = Zone(offset)
    own, across, boundaries = values[:2], values[2], values[3:]
    assert all(written_offset(v) == offset for v in own + boundaries)
    assert [v[:10] for v in boundaries] == list(BOUNDARY_DATES)
    for value in boundaries:
        found = moment(value)
        assert found is not None and found.instant() is not None
        assert 0 <= (found.instant() or 0) < moment("9999-12-31T23:59:59Z").instant()  # type: ignore[union-attr,operator]
    assert written_offset(across) != offset
    assert probe_time("1753-01-01", 600) == "1753-01-01T22:00:00+10:00"
    assert zone.judge(across, across) is None
