"""A conformant server unlike the mock, run as a deployment: other ids and customer-id types, a
PersonalId with a slash and a query character, a PersonalId shared by two types, an empty key in
CustomProperties, properties the spec does not list in every answer, gzip-compressed answers, and
Json.NET's lenient reading. The suite must find nothing, warn of the leniency, restore every record
byte for byte, and fail only when asked to be strict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.middleware.gzip import GZipMiddleware

from qflow_contracts.mock import create_app
from tests.suite.hostile import serve

BIN = Path(sys.executable).parent
IDS = (900001, 900002, 900003)
FIXTURES: dict[str, Any] = {
    "customerIdTypes": [
        {"Id": 11, "ExtRef": "NHS", "Name": "health number"},
        {"Id": 42, "ExtRef": "loyalty card", "Name": "loyalty card"},
    ],
    "customers": [
        {
            "CustomerId": 900001, "PersonalId": "x/y z?#", "PersonalIdTypeId": 42,
            "PersonalIdTypeExtRef": "loyalty card", "FirstName": "Zoë", "LastName": "O'Brien",
            "Email": "z@example.org", "TelNumber1": "+61 2 9999 0000", "TelNumber2": "",
            "DOB": "1977-07-07T00:00:00.1234567+09:30", "Sex": 0, "Notes": "  padded  ", "ExtRef": "E-1",
            "NotificationConsent": False, "IsActive": True, "CustomProperties": {"a.b": "1", "": "empty key"},
        },
        {
            "CustomerId": 900002, "PersonalId": "0042", "PersonalIdTypeId": 11,
            "PersonalIdTypeExtRef": "NHS", "FirstName": "李", "LastName": "\U0001d518\U0001d52b\U0001d526",
        },
        {
            "CustomerId": 900003, "PersonalId": "0042", "PersonalIdTypeId": 42,
            "PersonalIdTypeExtRef": "loyalty card", "FirstName": "Ann", "LastName": "Lee",
            "Email": "ann@example.org", "TelNumber1": "1", "TelNumber2": "2", "DOB": "2001-01-01T12:00:00",
            "Sex": 2, "Notes": "n", "ExtRef": "r", "NotificationConsent": True, "IsActive": False,
            "CustomProperties": {"k": "v"},
        },
    ],
}  # fmt: skip


class ExtraProperties:
    """Adds two properties the spec does not list to every record answered."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if isinstance(data, dict) and "CustomerId" in data:
                body = json.dumps({**data, "MiddleName": None, "Created": "2020-01-01T00:00:00"}).encode()
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[str]:
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps(FIXTURES), encoding="utf-8")
    app = GZipMiddleware(ExtraProperties(create_app(prefix="/API", fixtures=fixtures, lenient=True)))
    with serve(app) as url:
        yield url


def _records(url: str) -> dict[int, bytes]:
    import httpx

    return {cid: httpx.get(f"{url}/Customers/{cid}").content for cid in IDS}


def _run(url: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    ids = [arg for cid in IDS for arg in ("--customer-id", str(cid))]
    command = [str(BIN / "qflow-contracts"), "run", "--base-url", url, *ids, "--rate-limit", "1000", *extra]
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)


def test_a_different_conformant_deployment_passes_with_leniency_warnings(
    deployment: str, tmp_path: Path
) -> None:
    before = _records(deployment)
    result = _run(deployment, tmp_path, "--max-examples", "4", "--seed", "3")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Verdict: CONFORMANT" in result.stdout
    assert "leniency warning" in result.stdout
    assert _records(deployment) == before


def test_the_same_deployment_fails_a_strict_run(deployment: str, tmp_path: Path) -> None:
    before = _records(deployment)
    result = _run(deployment, tmp_path, "--max-examples", "1", "--seed", "4", "--strict")
    assert result.returncode == 1, result.stdout[-4000:] + result.stderr[-2000:]
    assert "rule-14" in result.stdout
    assert _records(deployment) == before
