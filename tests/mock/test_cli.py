"""`qflow-mock` as a command: serve on a free port, print the URL, refuse bad flags cleanly."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from qflow_contracts.mock.cli import main
from qflow_contracts.mock.defects import CATALOGUE
from tests.mock.conftest import REPO, Refused, Served, running

QFLOW_MOCK = Path(sys.executable).with_name("qflow-mock")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(QFLOW_MOCK), *args], capture_output=True, text=True, timeout=30, cwd=REPO)


def test_serve_prints_its_url_and_answers() -> None:
    with running("--prefix", "/API") as server:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/API")
        response = httpx.get(f"{server.url}/Customers/101", timeout=5)
        assert response.status_code == 200 and response.json()["FirstName"] == "Ada"
        assert httpx.get(f"{server.url}/Customers/A1234567?idType=5", timeout=5).json()["CustomerId"] == 102


def test_serve_with_fixtures_and_defect(served: Served, tmp_path: Path) -> None:
    fixtures = tmp_path / "one.json"
    fixtures.write_text(
        '{"customerIdTypes": [{"Id": 2, "ExtRef": "X"}], "customers": [{"CustomerId": 7, "PersonalId": "p",'
        ' "PersonalIdTypeId": 2, "PersonalIdTypeExtRef": "X", "FirstName": null, "LastName": null,'
        ' "Email": null, "TelNumber1": null, "TelNumber2": null, "DOB": null, "Sex": 0, "Notes": null,'
        ' "ExtRef": null, "NotificationConsent": null, "IsActive": null, "CustomProperties": null}]}',
        encoding="utf-8",
    )
    with served("--fixtures", str(fixtures), "--defect", "sex-sample-64") as client:
        assert client.get("/Customers/7").json()["Sex"] == 64
        assert client.get("/Customers/101").status_code == 404


def test_api_key_flag(served: Served) -> None:
    with served("--api-key", "s3cret", "--prefix", "/API") as client:
        assert client.get("/API/Customers/101").status_code == 401
        assert client.get("/API/Customers/101", headers={"X-Api-Key": "s3cret"}).status_code == 200


def test_defects_lists_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["defects"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CATALOGUE) >= 25
    assert [line.split()[0] for line in lines] == list(CATALOGUE)


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--bogus"],
        ["serve", "--port", "abc"],
        ["serve", "--port", "70000"],
        ["serve", "--defect", "no-such-defect"],
        ["serve", "--fixtures", "/nonexistent/fixtures.json"],
        ["serve", "--db", "/nonexistent/dir/data.sqlite"],
        ["serve", "--host", "256.1.1.1", "--port", "0"],
        ["frobnicate"],
        [],
    ],
)
def test_bad_flags_exit_2_with_one_line(refused: Refused, args: list[str]) -> None:
    err = refused(*args)
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("qflow-mock: ")


def test_a_bad_flag_is_one_line_from_the_command_too() -> None:
    result = run("serve", "--port", "abc")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("qflow-mock: ") and len(result.stderr.strip().splitlines()) == 1


def test_bad_fixture_file_is_refused(refused: Refused, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    unknown_property = '{"customers": [{"Nickname": "x"}]}'
    for text in ("not json", "[]", '{"customers": [{"CustomerId": 0}]}', unknown_property):
        bad.write_text(text, encoding="utf-8")
        err = refused("serve", "--port", "0", "--fixtures", str(bad))
        assert err.startswith("qflow-mock: ") and len(err.strip().splitlines()) == 1, err
        assert str(bad) in err, err


def test_port_in_use_is_refused(refused: Refused) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        err = refused("serve", "--port", str(taken.getsockname()[1]))
    assert "cannot listen" in err
