"""The stateful machine on data unlike the mock's default fixtures: other ids and types, a
PersonalId shared by three types, one that cannot be a path segment, a customer with nothing but
its id, falsy values stored, bracketed CustomProperties keys. Built for the contract, not for the
default fixtures, it must pass the correct server and still catch the broken ones."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from qflow_client import Client

from qflow_contracts.mock import create_app
from qflow_contracts.suite.rules import ContractViolation
from qflow_contracts.suite.stateful import run_machine
from qflow_contracts.suite.target import Target

EMPTY: dict[str, Any] = {
    "PersonalId": None,
    "PersonalIdTypeId": None,
    "PersonalIdTypeExtRef": None,
    "FirstName": None,
    "LastName": None,
    "Email": None,
    "TelNumber1": None,
    "TelNumber2": None,
    "DOB": None,
    "Sex": None,
    "Notes": None,
    "ExtRef": None,
    "NotificationConsent": None,
    "IsActive": None,
    "CustomProperties": None,
}

TYPES = [
    {"Id": 2, "ExtRef": "NAT", "Name": "National id"},
    {"Id": 4, "ExtRef": "DL", "Name": "Driver licence"},
    {"Id": 11, "ExtRef": "ext ref with space", "Name": "Other"},
]


def customer(cid: int, pid: str | None, type_id: int | None, **values: Any) -> dict[str, Any]:
    """A fixture record; the type's ext ref filled in from TYPES."""
    ext = next((t["ExtRef"] for t in TYPES if t["Id"] == type_id), None)
    return {
        **EMPTY,
        "CustomerId": cid,
        "PersonalId": pid,
        "PersonalIdTypeId": type_id,
        "PersonalIdTypeExtRef": ext,
        **values,
    }


CUSTOMERS = [
    customer(
        7001,
        "X/1",
        2,
        FirstName="Slash",
        DOB="2000-02-29T23:59:59.9999999-12:00",
        Sex=1,
        IsActive=True,
        CustomProperties={"a[b]": "bracketed", "plain": "p"},
    ),
    customer(
        7002, "shared", 2, FirstName="Two", LastName="", Sex=0, IsActive=False, NotificationConsent=False
    ),
    customer(7003, "shared", 4, FirstName="Four", Email="four@example.net", DOB="1950-06-15T12:00:00Z"),
    customer(7004, None, None),
    customer(
        7005,
        "Ünïcode 😀",
        11,
        FirstName="😀 " * 3,
        Notes="  spaced  ",
        CustomProperties={"k": ""},
        IsActive=True,
        NotificationConsent=True,
    ),
    customer(7006, "shared", 11, TelNumber1="+1 555 0100", CustomProperties={}),
]
IDS = tuple(c["CustomerId"] for c in CUSTOMERS)


@pytest.fixture(scope="module")
def fixture_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The other data, as a mock fixture file."""
    path = tmp_path_factory.mktemp("data") / "other.json"
    path.write_text(json.dumps({"customerIdTypes": TYPES, "customers": CUSTOMERS}), encoding="utf-8")
    return path


@contextmanager
def served(fixtures: Path, defect: str | None = None) -> Iterator[str]:
    """The mock with `fixtures` under /API on a free port of 127.0.0.1: its base URL."""
    app = create_app(prefix="/API", fixtures=fixtures, defect=defect)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/API"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def run(
    url: str, *, owned: bool, seed: int | None, ids: tuple[int, ...] = IDS, max_examples: int = 4
) -> None:
    """Run the machine against `url` with these customers given."""
    client = Client(base_url=url, timeout=httpx.Timeout(10.0))
    http = client.get_httpx_client()
    originals = {cid: http.get(f"Customers/{cid}").json() for cid in ids}
    target = Target(base_url=url, customer_ids=ids, owned=owned, seed=seed, max_examples=max_examples)
    run_machine(target, client, originals, stateful_step_count=10)


@pytest.mark.parametrize(("owned", "seed"), [(True, 11), (True, 12), (False, 13), (False, 14)])
def test_the_correct_mock_passes_on_other_data(fixture_file: Path, owned: bool, seed: int) -> None:
    with served(fixture_file) as url:
        run(url, owned=owned, seed=seed)


def test_the_correct_mock_passes_when_only_the_empty_customer_is_given(fixture_file: Path) -> None:
    with served(fixture_file) as url:
        run(url, owned=False, seed=15, ids=(7004,))
        run(url, owned=True, seed=16, ids=(7004,))


@pytest.mark.parametrize(
    ("defect", "rule"),
    [
        ("personalid-ignores-type", "rule-3"),
        ("extref-ignored", "rule-3"),
        ("patch-personalid-ignores-type", "rule-4"),
        ("null-clears", "rule-5"),
        ("falsy-ignored", "rule-5"),
        ("custom-properties-replace", "rule-5"),
        ("stale-patch-response", "rule-6"),
        ("trim-whitespace", "rule-7"),
        ("unicode-mangled", "rule-7"),
        ("dob-shifted-to-utc", "rule-1"),
        ("partial-write-on-error", "rule-8"),
        ("patch-wrong-record", "rule-4"),
        ("form-unsupported", "rule-10"),
    ],
)
def test_a_broken_mock_fails_on_other_data(fixture_file: Path, defect: str, rule: str) -> None:
    """As against a vendor deployment: only undoable changes to the given customers."""
    with served(fixture_file, defect) as url, pytest.raises(ContractViolation) as caught:
        run(url, owned=False, seed=None, max_examples=25)
    assert caught.value.rule.id == rule, str(caught.value)
