"""The mock as ASP.NET Web API behaves where the contract lets a server choose: `--timezone`
(Json.NET stores DOB in local time), `--utf16-lengths` (DataAnnotations count UTF-16 units) and
the `--platform aspnet` preset (both, `--lenient`, and a malformed idType read as 0)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from qflow_contracts.mock.app import ASPNET, Platform, create_app
from qflow_contracts.mock.records import parse_offset, to_local

BIN = Path(sys.executable).parent
ASTRAL = "\U0001f600"


def client(platform: Platform | None = None, defect: str | None = None) -> TestClient:
    return TestClient(create_app(platform=platform, defect=defect), raise_server_exceptions=False)


def test_a_dob_with_another_offset_is_stored_as_the_same_instant_at_plus_ten() -> None:
    api = client(Platform(timezone=600))
    answer = api.patch("/Customers", json={"CustomerId": 101, "DOB": "1999-12-31T23:30:00.5-05:00"})
    assert answer.status_code == 200 and answer.json()["DOB"] == "2000-01-01T14:30:00.5+10:00"
    assert api.get("/Customers/101").json()["DOB"] == "2000-01-01T14:30:00.5+10:00"
    kept = api.patch("/Customers", json={"CustomerId": 101, "DOB": "1984-02-29T00:30:00+10:00"})
    assert kept.json()["DOB"] == "1984-02-29T00:30:00+10:00"


def test_z_and_no_offset_are_kept_and_the_fixtures_are_written_in_local_time() -> None:
    api = client(Platform(timezone=600))
    assert api.get("/Customers/104").json()["DOB"] == "1979-07-01T14:30:00.1234567+10:00"
    assert api.get("/Customers/102").json()["DOB"] == "1990-01-01T00:00:00"
    assert api.get("/Customers/107").json()["DOB"] == "1972-06-23T00:00:00Z"
    assert to_local("0001-01-01T00:00:00+11:00", 600) == "0001-01-01T00:00:00+11:00"  # no year 0


def test_without_a_timezone_dob_is_kept_as_sent() -> None:
    answer = client().patch("/Customers", json={"CustomerId": 101, "DOB": "1999-12-31T23:30:00-05:00"})
    assert answer.json()["DOB"] == "1999-12-31T23:30:00-05:00"


def test_utf16_lengths_refuse_astral_characters_over_the_limit_in_units() -> None:
    api = client(Platform(utf16_lengths=True))
    over = api.patch("/Customers", json={"CustomerId": 101, "FirstName": ASTRAL * 26})
    assert over.status_code == 400 and "FirstName" in over.json()["ModelState"]
    assert api.patch("/Customers", json={"CustomerId": 101, "FirstName": ASTRAL * 25}).status_code == 200
    form = api.patch(
        "/Customers",
        content=f"CustomerId=101&LastName={ASTRAL * 26}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 400
    assert client().patch("/Customers", json={"CustomerId": 101, "FirstName": ASTRAL * 50}).status_code == 200


def test_the_aspnet_preset_reads_a_malformed_idtype_as_zero_and_converts_as_json_net() -> None:
    api = client(ASPNET)
    assert api.get("/Customers/101?idType=abc").json()["CustomerId"] == 101
    assert client().get("/Customers/101?idType=abc").status_code == 400
    assert api.patch("/Customers", json={"CustomerId": 101, "Sex": 1.25}).json()["Sex"] == 1


@pytest.mark.parametrize(
    ("defect", "sent", "stored"),
    [
        ("dob-instant-moved", "1999-12-31T23:30:00-05:00", "2000-01-01T09:30:00+10:00"),
        ("dob-date-moved-in-own-offset", "1984-02-29T00:30:00+10:00", "1984-02-28T00:00:00+10:00"),
    ],
)
def test_the_dob_breakages_move_what_they_say(defect: str, sent: str, stored: str) -> None:
    answer = client(defect=defect).patch("/Customers", json={"CustomerId": 101, "DOB": sent})
    assert answer.json()["DOB"] == stored


def test_dob_before_1753_gets_500_and_lengths_over_code_points_are_accepted() -> None:
    broken = client(defect="dob-before-1753-500")
    assert (
        broken.patch("/Customers", json={"CustomerId": 101, "DOB": "1752-12-31T12:00:00Z"}).status_code == 500
    )
    assert (
        broken.patch("/Customers", json={"CustomerId": 101, "DOB": "1753-01-01T12:00:00Z"}).status_code == 200
    )
    lax = client(defect="length-over-code-points-accepted")
    assert lax.patch("/Customers", json={"CustomerId": 101, "FirstName": "a" * 60}).status_code == 200
    assert lax.patch("/Customers", json={"CustomerId": 101, "FirstName": "a" * 101}).status_code == 400


def test_a_malformed_idtype_defect_answers_404() -> None:
    assert client(defect="idtype-malformed-404").get("/Customers/101?idType=abc").status_code == 404


@pytest.mark.parametrize("text", ["+10:00", "-05:30", "+00:00", "+14:00"])
def test_offsets_parse(text: str) -> None:
    minutes = parse_offset(text)
    assert -840 <= minutes <= 840


@pytest.mark.parametrize("value", ["10:00", "+15:00", "+10:60", "UTC", ""])
def test_a_bad_timezone_is_one_line_and_exit_2(value: str) -> None:
    done = subprocess.run(
        [str(BIN / "qflow-mock"), "serve", "--port", "0", "--timezone", value],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith("qflow-mock: --timezone") and "Traceback" not in done.stderr
    )
