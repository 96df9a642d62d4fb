"""The state machine (suite/machine.py) against the mock: no finding on the correct server, the rule
each catalogued defect breaks found in the ledger, every distinct failure of one server found in one
run, honest "not exercised", and the safety rules on a server it did not start (contract rules 11
and 13)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import urllib.parse
from typing import Any

import httpx
import pytest

from qflow_contracts.mock.cli import served_url
from qflow_contracts.mock.defects import CATALOGUE
from qflow_contracts.mock.fixtures import load_fixtures
from qflow_contracts.rules import Rule
from qflow_contracts.suite.bodies import form_pairs
from qflow_contracts.suite.errors import DeadlineReached, Unavailable
from qflow_contracts.suite.evidence import Status
from qflow_contracts.suite.exchange import curl_line
from qflow_contracts.suite.model import load_facts
from qflow_contracts.suite.target import Target
from qflow_contracts.suite.targets import candidates, patch_selector
from tests.suite.servers import (
    CUSTOMER_IDS,
    Recorder,
    describe,
    mock_server,
    read_originals,
    rules_failed,
    run,
)

FACTS = load_facts()
FINDS = 1
"""The budget of a test that a server's fault is found: the smallest (three examples), in which the
opening already sends every kind of request. Tests of a correct server keep larger budgets: there,
more data is more chances for a false finding."""

# ---- the correct server ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_the_correct_mock_has_no_finding(seed: int) -> None:
    with mock_server() as url:
        evidence = run(url, seed=seed)
    assert not evidence.findings(), describe(evidence)
    for rule in (Rule.GET_LOOKUP, Rule.PATCH_TARGET, Rule.PARTIAL_UPDATE, Rule.PATCH_ANSWER, Rule.ERRORS):
        assert evidence.status(rule) is Status.PASSED, rule
    assert evidence.status(Rule.LENIENCY) is Status.PASSED  # every conversion refused: strict is fine


def test_the_correct_mock_has_no_finding_as_a_server_the_suite_did_not_start() -> None:
    with mock_server() as url:
        evidence = run(url, owned=False, seed=4)
    assert not evidence.findings(), describe(evidence)


def test_the_correct_mock_has_no_finding_with_only_some_customers_given() -> None:
    with mock_server() as url:
        first = run(url, ids=(102, 103, 105), seed=5)
        second = run(url, ids=(101,), owned=False, seed=6)
    assert not first.findings() and not second.findings(), describe(first) + describe(second)


def test_the_mock_served_by_its_cli_under_a_base_path_has_no_finding() -> None:
    command = [sys.executable, "-m", "qflow_contracts.mock", "serve", "--port", "0", "--prefix", "/API"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = served_url(process.stdout.readline())
        assert url is not None and url.startswith("http://127.0.0.1:") and url.endswith("/API"), url
        evidence = run(url, seed=7, max_examples=2)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not evidence.findings(), describe(evidence)


# ---- the defect catalogue: each defect's rule is in the ledger -------------------------------------


@pytest.mark.parametrize("defect", sorted(CATALOGUE))
def test_each_defect_is_found_under_the_rule_it_breaks(defect: str) -> None:
    rule = CATALOGUE[defect].rule
    assert rule is not None
    with mock_server(defect) as url:
        evidence = run(url, seed=3, max_examples=FINDS)
    assert rule.id in rules_failed(evidence), describe(evidence)
    assert all(f.reproduction and f.reproduction.startswith("curl ") for f in evidence.findings())


@pytest.mark.parametrize(
    "defect",
    [
        "personalid-ignores-type",
        "extref-ignored",
        "patch-personalid-ignores-type",
        "stale-patch-response",
        "null-clears",
    ],
)
def test_a_defect_is_found_as_a_server_the_suite_did_not_start(defect: str) -> None:
    rule = CATALOGUE[defect].rule
    assert rule is not None
    with mock_server(defect) as url:
        evidence = run(url, owned=False, seed=8, max_examples=FINDS)
    assert rule.id in rules_failed(evidence), describe(evidence)


def test_three_defects_of_different_rules_are_all_found_in_one_run() -> None:
    defects = ["null-clears", "extref-ignored", "form-unsupported"]
    with mock_server(",".join(defects)) as url:
        evidence = run(url, seed=9, max_examples=FINDS)
    assert {"rule-5", "rule-3", "rule-10"} <= rules_failed(evidence), describe(evidence)


def test_each_distinct_failure_is_recorded_once() -> None:
    with mock_server("trim-whitespace") as url:
        evidence = run(url, seed=10, max_examples=4)
    keys = [(f.rule, f.key) for f in evidence.findings()]
    assert keys and len(keys) == len(set(keys))
    assert len(evidence.tallies[Rule.ROUND_TRIP].findings) <= 2, describe(evidence)


def test_a_failing_patch_is_reduced_to_the_property_that_fails() -> None:
    with mock_server("null-clears") as url:
        evidence = run(url, seed=11, max_examples=2)
    found = [f for f in evidence.findings() if f.rule is Rule.PARTIAL_UPDATE and "null-cleared" in f.key]
    assert found, describe(evidence)
    reduced = [f for f in found if f.reproduction and "Reduced" in f.detail]
    assert reduced, describe(evidence)
    for finding in reduced:
        assert finding.reproduction is not None
        *patches, read = finding.reproduction.splitlines()
        assert shlex.split(read)[:4] == ["curl", "-sS", "-X", "GET"]  # then the read that shows it
        last = shlex.split(patches[-1])
        body = json.loads(last[last.index("--data-binary") + 1])
        assert len(body) == 2, body
        assert "CustomerId" in body and None in body.values()


# ---- honest evidence -----------------------------------------------------------------------------


def test_read_only_against_a_patch_breaking_defect_leaves_patch_rules_not_exercised() -> None:
    with mock_server("null-clears") as url:
        evidence = run(url, read_only=True, seed=12)
    assert not evidence.findings(), describe(evidence)
    for rule in (Rule.PARTIAL_UPDATE, Rule.PATCH_ANSWER, Rule.PATCH_TARGET, Rule.FORM_BODIES, Rule.LENIENCY):
        assert evidence.status(rule) is Status.NOT_EXERCISED, rule
        assert "read-only" in evidence.tallies[rule].not_exercised[0]
    assert evidence.status(Rule.GET_LOOKUP) is Status.PASSED


def test_read_only_still_checks_lookups() -> None:
    with mock_server("extref-ignored") as url:
        evidence = run(url, read_only=True, seed=13)
    assert "rule-3" in rules_failed(evidence), describe(evidence)


@pytest.mark.parametrize("error", [Unavailable("timed out"), DeadlineReached("--max-time 1")])
def test_availability_propagates_and_is_never_a_finding(error: Exception) -> None:
    with mock_server() as url:
        recorder = Recorder()
        sent = {"n": 0}

        def handler(request: httpx.Request) -> httpx.Response:
            sent["n"] += 1
            if sent["n"] > 40:
                raise error
            return recorder.handle_request(request)

        with pytest.raises(type(error)) as caught:
            run(url, seed=15, transport=httpx.MockTransport(handler))
    assert caught.value is error
    assert sent["n"] == 41


def test_availability_leaves_unchecked_rules_not_exercised() -> None:
    with mock_server() as url:
        from qflow_contracts.suite.evidence import Evidence
        from qflow_contracts.suite.machine import run_machine
        from tests.suite.servers import connect

        def handler(request: httpx.Request) -> httpx.Response:
            raise DeadlineReached("over")

        client = connect(url)
        originals = read_originals(client, CUSTOMER_IDS)
        client.set_httpx_client(httpx.Client(base_url=url, transport=httpx.MockTransport(handler)))
        evidence = Evidence()
        target = Target(base_url=url, customer_ids=CUSTOMER_IDS, owned=True, seed=16)
        with pytest.raises(DeadlineReached):
            run_machine(target, client, originals, evidence)
    assert evidence.status(Rule.PARTIAL_UPDATE) is Status.NOT_EXERCISED
    assert "deadline" in evidence.tallies[Rule.PARTIAL_UPDATE].not_exercised[0]
    assert not evidence.findings()


# ---- leniency (contract rule 14) ---------------------------------------------------------------------


def test_a_lenient_json_net_server_gets_warnings_not_findings() -> None:
    with mock_server(lenient=True) as url:
        evidence = run(url, seed=17, max_examples=FINDS)
    assert not evidence.findings(), describe(evidence)
    kinds = {f.key for f in evidence.tallies[Rule.LENIENCY].leniencies}
    assert {"lenient:integer-as-string", "lenient:number-as-string", "lenient:number-as-boolean"} <= kinds
    assert {
        "lenient:json-with-comments",
        "lenient:json-with-single-quotes",
        "lenient:name-in-another-case",
    } <= kinds
    assert "lenient:number-as-dictionary-value" in kinds
    assert evidence.status(Rule.LENIENCY) is Status.LENIENT
    assert evidence.status(Rule.LENIENCY, strict=True) is Status.FAILED


def test_a_conversion_stored_wrong_is_a_finding() -> None:
    with mock_server("string-coerced") as url:
        evidence = run(url, seed=18, max_examples=FINDS)
    keys = {f.key for f in evidence.tallies[Rule.ERRORS].findings}
    assert "lenient-stored-wrong:integer-as-string" in keys, describe(evidence)


# ---- safety on a server the suite did not start (contract rules 11, 13) -------------------------------


def body_of(request: httpx.Request) -> Any:
    """A PATCH body as data: JSON, or form fields with `Name[k]` gathered."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body: dict[str, Any] = {}
        for key, value in urllib.parse.parse_qsl(request.content.decode(), keep_blank_values=True):
            inner = re.fullmatch(r"CustomProperties\[(.*)\]", key, re.S)
            if inner:
                body.setdefault("CustomProperties", {})[inner.group(1)] = value
            else:
                body[key] = int(value) if key in ("CustomerId", "PersonalIdTypeId") else value
        return body
    try:
        return json.loads(request.content)
    except ValueError:
        return None


def test_against_a_server_it_did_not_start_only_undoable_changes_to_given_customers() -> None:
    ids = (101, 102, 103, 105)
    fixtures = {c["CustomerId"]: c for c in load_fixtures().customers}
    recorder = Recorder()
    with mock_server() as url:
        evidence = run(url, ids=ids, owned=False, seed=None, max_examples=6, transport=recorder)
        after = read_originals(recorder_client(url), tuple(fixtures))
    assert not evidence.findings(), describe(evidence)
    prefix = urllib.parse.urlsplit(url).path
    patches = 0
    for request in recorder.requests:
        path = request.url.path
        documented = (request.method == "GET" and path.startswith(prefix + "/Customers/")) or (
            request.method,
            path,
        ) == ("PATCH", prefix + "/Customers")
        assert documented, f"{request.method} {path}"
        if request.method != "PATCH":
            continue
        patches += 1
        body = body_of(request)
        if isinstance(body, list):
            body = body[0] if body and isinstance(body[0], dict) else None
        if not isinstance(body, dict):
            continue
        target = patch_selector(body)
        if target.kind == "customer":
            assert target.customer_id in ids or (target.customer_id or 0) - 2**32 in ids, body
        elif target.kind in ("type", "extref"):
            assert candidates([fixtures[c] for c in ids], target), body
        else:
            assert target.kind == "none", body
            assert all(body.get(name) is None for name in FACTS.mutable), body
    assert patches > 20
    for cid, record in after.items():
        original = fixtures[cid]
        if cid not in ids:
            assert record == original, f"customer {cid} was not given, yet changed"
            continue
        for name in FACTS.identity:
            assert record[name] == original[name]
        for name in FACTS.mutable:
            if original[name] is None:
                assert record[name] is None, f"{cid}.{name} was null and can no longer be put back"
        assert set(record["CustomProperties"] or {}) <= set(original["CustomProperties"] or {})


def recorder_client(url: str) -> Any:
    """A plain client for `url`."""
    from tests.suite.servers import connect

    return connect(url)


def test_read_only_sends_only_gets() -> None:
    recorder = Recorder()
    with mock_server() as url:
        run(url, ids=(101, 102, 104), read_only=True, owned=False, max_examples=6, transport=recorder)
    assert recorder.requests
    assert {request.method for request in recorder.requests} == {"GET"}


def test_the_same_seed_sends_the_same_requests_to_the_same_starting_state() -> None:
    sent: list[list[tuple[str, str, bytes]]] = []
    for _ in range(2):
        recorder = Recorder()
        with mock_server() as url:
            run(url, seed=5, max_examples=FINDS, transport=recorder)
        sent.append([(r.method, r.url.raw_path.decode(), r.content) for r in recorder.requests])
    assert len(sent[0]) > 50
    assert sent[0] == sent[1]


def test_a_finding_masks_header_values() -> None:
    secret = "s3cret-key-value"
    with mock_server("null-clears", api_key=secret) as url:
        evidence = run(url, headers={"X-Api-Key": secret}, seed=19, max_examples=FINDS)
    assert evidence.findings()
    for finding in evidence.findings():
        text = f"{finding.summary}{finding.detail}{finding.reproduction}"
        assert secret not in text
        assert finding.reproduction and "x-api-key: ***" in finding.reproduction


# ---- helpers -------------------------------------------------------------------------------------


def test_curl_line_masks_every_header_but_content_type_and_secrets_before_cutting() -> None:
    target = Target(
        base_url="http://127.0.0.1:1/API", customer_ids=(1,), headers={"Authorization": "Bearer tok3n"}
    )
    request = httpx.Request(
        "PATCH",
        "http://127.0.0.1:1/API/Customers",
        headers={"Authorization": "Bearer tok3n", "Content-Type": "application/json"},
        content=b'{"FirstName": "O\'Brien", "Notes": "Bearer tok3n"}',
    )
    line = curl_line(request, target)
    assert "tok3n" not in line
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
