"""The vendor's platform judged right (contract rules 1, 3, 8, 9, 14): a server that behaves as
ASP.NET Web API does is CONFORMANT with its platform and leniency warnings named, NOT CONFORMANT
under `--strict`, its records restored; the platform's breakages stay NOT CONFORMANT; an offset the
suite cannot learn is said in the verdict; a 5xx on an undocumented query key with an unclosed `[`
is a robustness warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from schemathesis.core.failures import Failure, FailureGroup

from qflow_contracts.mock.app import ASPNET, Platform
from qflow_contracts.mock.fixtures import default_fixtures_path
from qflow_contracts.rules import Rule
from qflow_contracts.suite import stateless
from qflow_contracts.suite.evidence import Evidence, RunInfo, Status
from qflow_contracts.suite.target import Target
from qflow_contracts.suite.verdict import NOT_CONFORMANT, overall, rule_verdict
from tests.suite.servers import describe, mock_server, rules_failed
from tests.suite.servers import run as run_against

BIN = Path(sys.executable).parent
IDS = ["101", "102", "103", "104", "105", "106", "107"]
FAST = ["--rate-limit", "1000", "--max-examples", "1"]


@pytest.fixture(autouse=True)
def _own_state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def aspnet() -> Iterator[str]:
    """`qflow-mock serve --platform aspnet`, apart from the runner, as a deployment would be."""
    server = subprocess.Popen(
        [str(BIN / "qflow-mock"), "serve", "--port", "0", "--prefix", "/API", "--platform", "aspnet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert "serving on" in line, line
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        server.terminate()
        server.wait(timeout=30)


def _records(url: str) -> dict[str, bytes]:
    records = {}
    for cid in IDS:
        with urllib.request.urlopen(f"{url}/Customers/{cid}", timeout=10) as response:
            records[cid] = response.read()
    return records


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "qflow-contracts"), "run", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=dict(os.environ),
    )


def _told(result: subprocess.CompletedProcess[str]) -> str:
    seed = next((line for line in result.stdout.splitlines() if line.startswith("seed ")), "no seed line")
    return f"{seed}\n{result.stdout[-4000:]}\n{result.stderr[-1000:]}"


def _ids() -> list[str]:
    return [arg for cid in IDS for arg in ("--customer-id", cid)]


@pytest.mark.slow
@pytest.mark.xdist_group("aspnet")
def test_the_aspnet_platform_is_conformant_with_its_warnings_named_and_fails_strict(
    aspnet: str, tmp_path: Path
) -> None:
    before = _records(aspnet)
    report = tmp_path / "report.md"
    result = _run("--base-url", aspnet, *_ids(), *FAST, "--report", str(report))
    assert result.returncode == 0, _told(result)
    out = result.stdout
    assert "Verdict: CONFORMANT" in out
    assert "platform (the server's time zone, +10:00)" in out and "send DOB in the offset" in out
    assert "platform (lengths counted as .NET does)" in out and "count lengths in UTF-16 code units" in out
    assert "a malformed idType" in out and "read as the default 0" in out
    assert "platform warning(s)" in out and "leniency warning(s) (contract rule 14)" in out
    assert "restore: all 7 customers read back as they were before the run" in out
    assert _records(aspnet) == before
    assert "platform (the server's time zone" in report.read_text()

    strict = _run("--base-url", aspnet, *_ids(), *FAST, "--strict")
    assert strict.returncode == 1, _told(strict)
    assert "Verdict: NOT CONFORMANT" in strict.stdout and "strict run" in strict.stdout
    assert _records(aspnet) == before


def test_the_platform_in_process_warns_under_rules_1_9_3_and_14_and_fails_none() -> None:
    with mock_server(platform=ASPNET) as url:
        evidence = run_against(url, owned=False, seed=5)
    assert not evidence.findings(), describe(evidence)
    kinds = {(f.rule, f.kind) for t in evidence.tallies.values() for f in t.leniencies}
    assert {(Rule.DOB, "platform"), (Rule.UNKNOWN_AND_LIMITS, "platform")} <= kinds
    assert {(Rule.GET_LOOKUP, "leniency"), (Rule.LENIENCY, "leniency")} <= kinds
    assert not evidence.cautions  # the offset was learned from the records
    for rule in (Rule.DOB, Rule.UNKNOWN_AND_LIMITS):
        assert evidence.status(rule) is Status.LENIENT and evidence.status(rule, strict=True) is Status.FAILED


@pytest.mark.parametrize(
    ("defect", "rule", "key"),
    [
        ("dob-instant-moved", Rule.DOB, "dob:instant-moved"),
        ("dob-date-moved-in-own-offset", Rule.DOB, "dob:date-moved-in-own-offset"),
        ("length-over-code-points-accepted", Rule.UNKNOWN_AND_LIMITS, "length:over-code-points-accepted"),
        ("dob-before-1753-500", Rule.ERRORS, "5xx:PATCH"),
    ],
)
def test_the_platform_breakages_are_not_conformant_on_a_deployment(defect: str, rule: Rule, key: str) -> None:
    with mock_server(defect) as url:
        evidence = run_against(url, owned=False, seed=7, max_examples=2)
    assert key in {f.key for f in evidence.tallies[rule].findings}, describe(evidence)
    info = RunInfo(base_url=url)
    assert overall(evidence, info, asked=set(Rule)).name == NOT_CONFORMANT


def test_the_platform_breakages_stay_failures_with_the_lenient_platform_beside_them() -> None:
    """A server that converts as Json.NET does and also moves the instant is still broken."""
    with mock_server("dob-instant-moved", platform=ASPNET) as url:
        evidence = run_against(url, owned=False, seed=3, max_examples=2)
    assert "dob:instant-moved" in {f.key for f in evidence.tallies[Rule.DOB].findings}, describe(evidence)


def test_an_offset_that_cannot_be_learned_is_a_warning_line_of_the_verdict() -> None:
    # customer 102's DOB carries no offset: a deployment's DOB it cannot be changed (rule 13), and
    # nothing else tells the server's offset
    with mock_server() as url:
        evidence = run_against(url, owned=False, ids=(102,), seed=2, max_examples=2)
    assert rules_failed(evidence) == set(), describe(evidence)
    reasons = overall(evidence, RunInfo(base_url=url), asked=set(Rule)).reasons
    assert any(r.startswith("warning: the server's offset could not be learned") for r in reasons), reasons


def test_a_correct_server_keeping_offsets_gets_no_platform_warning() -> None:
    with mock_server() as url:
        evidence = run_against(url, owned=False, seed=4)
    assert not evidence.findings(), describe(evidence)
    assert not [f for t in evidence.tallies.values() for f in t.leniencies if f.kind == "platform"]


# ---- contract rule 8: an unclosed [ in an undocumented query key -----------------------------------


class _Case:
    """A Schemathesis case as `stateless.check` uses it, answered 500."""

    method, path = "GET", "/Customers/{id}"

    def __init__(self, query: dict[str, Any]) -> None:
        self.query = query

    def call(self, session: Any) -> Any:
        return SimpleNamespace(status_code=500)

    def validate_response(self, response: Any, transport_kwargs: Any) -> None:
        failure = Failure(operation="GET /Customers/{id}", title="Server error", message="500")
        failure.checks = ("not_a_server_error",)  # type: ignore[misc]
        raise FailureGroup([failure])

    def as_curl_command(self, headers: dict[str, str]) -> str:
        return "curl -X GET http://127.0.0.1/API/Customers/1"


@pytest.mark.parametrize(
    ("query", "robustness"),
    [
        ({"a[": "1"}, True),
        ({"idType": "0", "x[b": "2"}, True),
        ({"a[b]": "1"}, False),
        ({"idType": "1"}, False),
    ],
)
def test_a_5xx_on_an_undocumented_key_with_an_unclosed_bracket_is_a_robustness_warning(
    query: dict[str, Any], robustness: bool
) -> None:
    evidence = Evidence()
    target = Target(base_url="http://127.0.0.1/API", customer_ids=(1,))
    stateless.check(_Case(query), target, evidence, session=None)  # type: ignore[arg-type]
    warnings = evidence.tallies[Rule.ERRORS].leniencies
    if robustness:
        assert not evidence.findings() and [w.kind for w in warnings] == ["robustness"]
        assert "only the documented query parameters" in warnings[0].summary
        info = RunInfo(strict=True)
        assert rule_verdict(evidence, info, Rule.ERRORS, set(Rule)).status is Status.FAILED
    else:
        assert not warnings and rules_failed(evidence) == {"rule-8"}


def test_a_platform_in_another_offset_is_learned_as_that_offset() -> None:
    west = Platform(timezone=-210, utf16_lengths=True, lenient=True, idtype_default=True)
    with mock_server(platform=west) as url:
        evidence = run_against(url, owned=False, seed=6)
    assert not evidence.findings(), describe(evidence)
    dob = [f.summary for f in evidence.tallies[Rule.DOB].leniencies]
    assert dob and all("-03:30" in summary for summary in dob), dob


def test_an_offset_no_record_carries_is_learned_from_a_patch_answer(tmp_path: Path) -> None:
    data = json.loads(default_fixtures_path().read_text(encoding="utf-8"))
    for record in data["customers"]:
        record["DOB"] = None if record["DOB"] is None else "1990-01-01T00:00:00"  # unspecified kind
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps(data), encoding="utf-8")
    with mock_server(platform=ASPNET, fixtures=fixtures) as url:
        evidence = run_against(url, owned=True, seed=8)
    assert not evidence.findings(), describe(evidence)
    assert not evidence.cautions
    assert any("+10:00" in f.summary for f in evidence.tallies[Rule.DOB].leniencies)
