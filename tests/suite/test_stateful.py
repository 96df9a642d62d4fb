"""The stateful machine (suite/stateful.py) against the mock: it passes the correct server, fails
each broken one naming the rule that server breaks, and keeps to the safety rules on a server it
did not start (NOTES rules 11 and 13)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from qflow_client import Client

from qflow_contracts.mock import create_app
from qflow_contracts.mock.fixtures import load_fixtures
from qflow_contracts.suite import model
from qflow_contracts.suite.rules import ContractViolation
from qflow_contracts.suite.stateful import curl_line, form_pairs, run_machine
from qflow_contracts.suite.target import Target

CUSTOMER_IDS = tuple(customer["CustomerId"] for customer in load_fixtures().customers)


@contextmanager
def mock_server(defect: str | None = None, api_key: str | None = None) -> Iterator[str]:
    """The mock under /API in a thread of this process, on a free port of 127.0.0.1: its base URL."""
    app = create_app(prefix="/API", defect=defect, api_key=api_key)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/API"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def connect(base_url: str, headers: dict[str, str] | None = None) -> Client:
    """A generated client for `base_url`, as the runner's `client` fixture builds it."""
    return Client(base_url=base_url, headers=headers or {}, timeout=httpx.Timeout(10.0))


def read_originals(client: Client, ids: tuple[int, ...]) -> dict[int, dict[str, Any]]:
    """Each customer as first read by GET, as the runner's `originals` fixture holds them."""
    http = client.get_httpx_client()
    return {cid: http.get(f"Customers/{cid}").json() for cid in ids}


def run(
    base_url: str,
    *,
    owned: bool = True,
    read_only: bool = False,
    seed: int | None = 1,
    max_examples: int = 4,
    ids: tuple[int, ...] = CUSTOMER_IDS,
    headers: dict[str, str] | None = None,
    steps: int = 10,
) -> dict[int, dict[str, Any]]:
    """Run the machine against `base_url`; the originals it was given."""
    target = Target(
        base_url=base_url,
        customer_ids=ids,
        headers=headers or {},
        owned=owned,
        read_only=read_only,
        seed=seed,
        max_examples=max_examples,
    )
    client = connect(base_url, headers)
    originals = read_originals(client, ids)
    run_machine(target, client, originals, stateful_step_count=steps)
    return originals


# ---- the correct server ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_correct_mock_passes(seed: int) -> None:
    with mock_server() as url:
        run(url, seed=seed)


def test_the_correct_mock_passes_without_a_seed() -> None:
    with mock_server() as url:
        run(url, seed=None)


def test_the_correct_mock_passes_as_a_server_the_suite_did_not_start() -> None:
    with mock_server() as url:
        run(url, owned=False, seed=4)


def test_the_correct_mock_passes_with_only_some_customers_given() -> None:
    with mock_server() as url:
        run(url, ids=(102, 103, 105), seed=5)
        run(url, ids=(101,), owned=False, seed=6)


def test_the_mock_served_by_its_cli_under_a_base_path_passes() -> None:
    command = [sys.executable, "-m", "qflow_contracts.mock", "serve", "--port", "0", "--prefix", "/API"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"serving on (http://127\.0\.0\.1:\d+/API)", line)
        assert found, line
        run(found.group(1), seed=7)
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---- broken servers: each fails, naming the rule it breaks ----------------------------------------

DEFECTS = {
    "null-clears": "rule-5",
    "falsy-ignored": "rule-5",
    "custom-properties-replace": "rule-5",
    "identity-changed": "rule-5",
    "stale-patch-response": "rule-6",
    "personalid-ignores-type": "rule-3",
    "extref-ignored": "rule-3",
    "patch-personalid-ignores-type": "rule-4",
    "unicode-mangled": "rule-7",
    "trim-whitespace": "rule-7",
    "dob-shifted-to-utc": "rule-1",
    "partial-write-on-error": "rule-8",
    "patch-wrong-record": "rule-4",
    "no-identifier-accepted": "rule-4",
    "form-unsupported": "rule-10",
    "missing-property": "rule-2",
    "customerid-as-string": "rule-2",
    "dob-date-only": "rule-1",
    "sex-sample-64": "spec-schema",
    "error-without-message": "rule-8",
    "no-length-check": "rule-8",
    "no-range-check": "rule-8",
    "invalid-json-500": "rule-8",
    "no-415": "rule-8",
    "idtype-malformed-404": "rule-3",
    "non-object-500": "rule-8",
    "truncate-long-strings": "rule-8",
    "wrong-content-type": "spec-content-type",
    "camelcase-keys": "rule-2",
    "custom-properties-as-list": "spec-schema",
}


def test_integers_outside_32_bits_that_are_not_refused_fail_rule_3_or_8() -> None:
    with mock_server("int32-overflow-404") as url, pytest.raises(ContractViolation) as caught:
        run(url, seed=None, max_examples=25)
    assert caught.value.rule.id in ("rule-3", "rule-8"), str(caught.value)


@pytest.mark.parametrize(("defect", "rule"), sorted(DEFECTS.items()))
def test_a_broken_mock_fails_naming_the_rule_it_breaks(defect: str, rule: str) -> None:
    with mock_server(defect) as url, pytest.raises(ContractViolation) as caught:
        run(url, seed=None, max_examples=25)
    assert caught.value.rule.id == rule, str(caught.value)
    assert caught.value.reproduction and caught.value.reproduction.startswith("curl ")


@pytest.mark.parametrize(
    "defect",
    ["personalid-ignores-type", "extref-ignored", "patch-personalid-ignores-type", "stale-patch-response"],
)
def test_a_broken_mock_fails_as_a_server_the_suite_did_not_start(defect: str) -> None:
    with mock_server(defect) as url, pytest.raises(ContractViolation) as caught:
        run(url, owned=False, seed=None, max_examples=25)
    assert caught.value.rule.id == DEFECTS[defect]


def test_read_only_still_checks_lookups() -> None:
    with mock_server("extref-ignored") as url, pytest.raises(ContractViolation) as caught:
        run(url, read_only=True, seed=None)
    assert caught.value.rule.id == "rule-3"


def test_a_failure_masks_header_values_and_lists_the_requests_before_it() -> None:
    secret = "s3cret-key-value"
    with mock_server("null-clears", api_key=secret) as url, pytest.raises(ContractViolation) as caught:
        run(url, headers={"X-Api-Key": secret}, seed=None)
    text = str(caught.value)
    assert caught.value.rule.id == "rule-5", text
    assert secret not in text
    assert caught.value.reproduction is not None
    assert secret not in caught.value.reproduction
    assert "-H 'x-api-key: ***'" in caught.value.reproduction
    assert "requests of this example" in text


# ---- safety on a server the suite did not start (NOTES rules 11, 13) -----------------------------


class Recorder(httpx.BaseTransport):
    """An httpx transport that forwards to the real one and keeps every request."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Keep the request, then send it."""
        request.read()
        self.requests.append(request)
        return self.inner.handle_request(request)


def recorded_run(url: str, ids: tuple[int, ...], *, read_only: bool = False) -> tuple[Recorder, Client]:
    """Run as against a vendor deployment, recording every request; the recorder and client."""
    recorder = Recorder()
    client = connect(url)
    client.set_httpx_client(httpx.Client(base_url=url, transport=recorder, timeout=10.0))
    originals = read_originals(client, ids)
    target = Target(base_url=url, customer_ids=ids, owned=False, read_only=read_only, max_examples=6)
    run_machine(target, client, originals)
    return recorder, client


def body_of(request: httpx.Request) -> Any:
    """A PATCH body as data: JSON, or form fields with `CustomProperties[k]` gathered."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        body: dict[str, Any] = {}
        for key, value in urllib.parse.parse_qsl(request.content.decode(), keep_blank_values=True):
            inner = re.fullmatch(r"CustomProperties\[(.*)\]", key, re.S)
            if inner:
                body.setdefault("CustomProperties", {})[inner.group(1)] = value
            elif key in ("CustomerId", "PersonalIdTypeId"):
                body[key] = int(value)
            else:
                body[key] = value
        return body
    try:
        return json.loads(request.content)
    except ValueError:
        return None


def test_against_a_server_it_did_not_start_only_undoable_changes_to_given_customers() -> None:
    ids = (101, 102, 103, 105)
    fixtures = {c["CustomerId"]: c for c in load_fixtures().customers}
    with mock_server() as url:
        recorder, client = recorded_run(url, ids)
        after = read_originals(client, tuple(fixtures))
    prefix = urllib.parse.urlsplit(url).path
    patches = 0
    for request in recorder.requests:
        path = request.url.path
        assert (request.method, path.startswith(prefix + "/Customers/")) == ("GET", True) or (
            request.method,
            path,
        ) == ("PATCH", prefix + "/Customers"), f"{request.method} {path}"
        if request.method != "PATCH":
            continue
        patches += 1
        body = body_of(request)
        if isinstance(body, list):
            body = body[0] if body and isinstance(body[0], dict) else None
        if not isinstance(body, dict):
            continue
        target = model.patch_selector(body)
        if target.kind == "customer":
            customer_id = target.customer_id
            assert customer_id is not None
            assert customer_id in ids or customer_id - 2**32 in ids, body
        elif target.kind in ("type", "extref"):
            assert model.candidates([fixtures[c] for c in ids], target), body
        else:
            assert target.kind == "none", body
            assert all(body.get(name) is None for name in model.MUTABLE), body
    assert patches > 20
    for cid, record in after.items():
        original = fixtures[cid]
        if cid not in ids:
            assert record == original, f"customer {cid} was not given, yet changed"
            continue
        for name in model.IDENTITY:
            assert record[name] == original[name]
        for name in model.MUTABLE:
            if original[name] is None:
                assert record[name] is None, f"{cid}.{name} was null and can no longer be put back"
        assert set(record["CustomProperties"] or {}) <= set(original["CustomProperties"] or {})


def test_read_only_sends_only_gets() -> None:
    with mock_server() as url:
        recorder, _ = recorded_run(url, (101, 102, 104), read_only=True)
    assert recorder.requests
    assert {request.method for request in recorder.requests} == {"GET"}


# ---- helpers -------------------------------------------------------------------------------------


def test_curl_line_masks_every_header_but_content_type() -> None:
    request = httpx.Request(
        "PATCH",
        "http://127.0.0.1:1/API/Customers",
        headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
        content=b'{"FirstName": "O\'Brien"}',
    )
    line = curl_line(request)
    assert "Bearer x" not in line
    assert "'authorization: ***'" in line
    assert "'content-type: application/json'" in line
    assert line.startswith("curl -sS -X PATCH http://127.0.0.1:1/API/Customers")
    assert "O'\"'\"'Brien" in line


def test_form_pairs_write_one_field_per_property() -> None:
    body = {"CustomerId": 5, "IsActive": False, "Sex": 0, "Notes": None, "CustomProperties": {"Locker": "1"}}
    assert form_pairs(body) == [
        ("CustomerId", "5"),
        ("IsActive", "false"),
        ("Sex", "0"),
        ("CustomProperties[Locker]", "1"),
    ]


def test_the_same_seed_sends_the_same_requests_to_the_same_starting_state() -> None:
    sent: list[list[tuple[str, str, bytes]]] = []
    for _ in range(2):
        recorder = Recorder()
        with mock_server() as url:
            client = connect(url)
            client.set_httpx_client(httpx.Client(base_url=url, transport=recorder, timeout=10.0))
            originals = read_originals(client, CUSTOMER_IDS)
            target = Target(base_url=url, customer_ids=CUSTOMER_IDS, owned=True, seed=5, max_examples=3)
            run_machine(target, client, originals)
        sent.append([(r.method, r.url.raw_path.decode(), r.content) for r in recorder.requests])
    assert len(sent[0]) > 50
    assert sent[0] == sent[1]


def test_a_failure_names_the_seed_that_repeats_it() -> None:
    with mock_server("trim-whitespace") as url, pytest.raises(ContractViolation) as caught:
        run(url, seed=None)
    assert re.search(r"Hypothesis seed \d+", str(caught.value))
