"""The suite against a QFlow stand-in on the real ASP.NET Web API framework (Mono's, `tests/aspnet/`),
run as a user runs it against a deployment (issue 22). The stand-in keeps the framework's model
binding, Json.NET and DataAnnotations, and runs at +10:00: a faithful server, whose platform
behaviours (DOB converted to the server's offset, lengths counted in UTF-16 code units, Json.NET's
conversions) the suite must name as warnings, failing on them only when strict, and whose records
it must leave byte for byte as it found them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from qflow_contracts.spec import customer_properties
from tests.suite.aspnet_standin import OFFSET, Standin, customer_ids, running

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("aspnet")]  # slow: over about 20 s each

BIN = Path(sys.executable).parent
IDS = customer_ids()
GIVEN, WITNESS = IDS[:-1], IDS[-1]
PROPERTIES = {p.name: p for p in customer_properties()}


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standin]:
    with running(tmp_path_factory.mktemp("aspnet") / "stderr.log") as server:
        yield server


def _records(url: str) -> dict[int, bytes]:
    """Every seed customer's GET answer, byte for byte."""
    with httpx.Client(base_url=url, timeout=10) as client:
        return {cid: client.get(f"Customers/{cid}").content for cid in IDS}


def _run(url: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`qflow-contracts run` against the stand-in, as a user runs it against a deployment."""
    ids = [arg for cid in GIVEN for arg in ("--customer-id", str(cid))]
    command = [
        str(BIN / "qflow-contracts"), "run", "--base-url", url, *ids, "--witness-id", str(WITNESS),
        "--rate-limit", "1000", *extra,
    ]  # fmt: skip
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)


def _verdict_lines(stdout: str) -> list[str]:
    """The lines of the verdict block, after `Verdict: ...`."""
    _, _, block = stdout.partition("\nVerdict: ")
    return block.splitlines()


def _rules_named(lines: list[str], words: str) -> set[str]:
    """The rules a verdict line containing `words` names after `not failures:` or `against`."""
    for line in lines:
        if words in line:
            return set(re.findall(r"rule-\d+|spec-[a-z-]+", line))
    return set()


def test_the_standin_is_the_platform_in_the_offset_of_the_vendor_pages(standin: Standin) -> None:
    """What the suite is to tell apart is really there: Json.NET converts a DOB with an offset to
    the server's local time (the same instant), DataAnnotations count UTF-16 units, and every
    answer carries all the properties the spec lists."""
    assert standin.offset == OFFSET
    cid = GIVEN[0]
    with httpx.Client(base_url=standin.url, timeout=10) as client:
        original = client.get(f"Customers/{cid}").json()
        sent = "1980-01-01T00:30:00+14:00"
        answer = client.patch("Customers", json={"CustomerId": cid, "DOB": sent})
        limit = PROPERTIES["FirstName"].max_length
        assert limit is not None
        astral = client.patch("Customers", json={"CustomerId": cid, "FirstName": "\U0001f600" * limit})
        restored = client.patch("Customers", json={"CustomerId": cid, "DOB": original["DOB"]})
    assert answer.status_code == 200, answer.text
    stored = answer.json()["DOB"]
    assert stored.endswith(OFFSET) and stored.startswith("1979-12-31T20:30:00")
    assert datetime.fromisoformat(stored) == datetime.fromisoformat(sent)
    assert set(answer.json()) == set(PROPERTIES)
    assert astral.status_code == 400, astral.text
    assert list(astral.json()["ModelState"]) == ["customer.FirstName"]
    assert restored.status_code == 200 and restored.json() == original


def test_released_web_api_answers_are_ported_where_the_snapshot_differs(standin: Standin) -> None:
    """Mono's pre-release Web API answers an unsupported media type with 500, a bad action
    parameter with a bare string, and drops null properties; the stand-in answers as Web API 2."""
    with httpx.Client(base_url=standin.url, timeout=10) as client:
        text = client.patch("Customers", content=b'{"CustomerId": 1}', headers={"content-type": "text/plain"})
        empty_type = client.get(f"Customers/{GIVEN[0]}", params={"idType": ""})
        mostly_null = [client.get(f"Customers/{cid}").json() for cid in IDS]
    assert text.status_code == 415, text.text
    assert "text/plain" in text.json()["Message"]
    assert empty_type.status_code == 400 and "idType" in empty_type.json()["Message"]
    assert any(None in record.values() for record in mostly_null)
    assert all(set(record) == set(PROPERTIES) for record in mostly_null)


@dataclass(frozen=True)
class Run:
    """One run of the suite, and every seed customer's answer before and after it."""

    result: subprocess.CompletedProcess[str]
    before: dict[int, bytes]
    after: dict[int, bytes]


@pytest.fixture(scope="module")
def default_run(standin: Standin, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The suite at its default budget, as a user runs it against a deployment."""
    before = _records(standin.url)
    result = _run(standin.url, tmp_path_factory.mktemp("default-run"), "--seed", "22")
    return Run(result=result, before=before, after=_records(standin.url))


def test_a_run_leaves_every_record_byte_for_byte_as_it_found_it(default_run: Run) -> None:
    assert default_run.after == default_run.before
    assert f"restore: all {len(GIVEN)} customers read back as they were" in default_run.result.stdout


def test_a_run_is_conformant_with_the_platform_and_leniency_warnings_named(default_run: Run) -> None:
    result = default_run.result
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    lines = _verdict_lines(result.stdout)
    assert lines[0] == "CONFORMANT", lines
    assert {"rule-1", "rule-9"} <= _rules_named(lines, "platform warning(s)"), lines
    assert {"rule-3", "rule-14"} <= _rules_named(lines, "leniency warning(s)"), lines


def test_a_strict_run_fails_on_the_platform_and_leniency_and_restores_every_record(
    standin: Standin, tmp_path: Path
) -> None:
    before = _records(standin.url)
    result = _run(standin.url, tmp_path, "--seed", "23", "--max-examples", "4", "--strict")
    after = _records(standin.url)
    assert after == before, "the run did not leave every record byte for byte as it found it"
    assert result.returncode == 1, result.stdout[-6000:] + result.stderr[-2000:]
    lines = _verdict_lines(result.stdout)
    assert lines[0] == "NOT CONFORMANT", lines
    assert {"rule-9", "rule-14"} <= _rules_named(lines, "finding(s) against"), lines
    assert f"restore: all {len(GIVEN)} customers read back as they were" in result.stdout


def test_a_null_dictionary_value_is_refused_and_nothing_is_stored(standin: Standin) -> None:
    """Json.NET reads `{"k": null}` into a Dictionary<string, string>; the stand-in's model refuses
    it (IValidatableObject), as rule 8 wants, instead of storing a value the next GET could not give."""
    cid = GIVEN[0]
    with httpx.Client(base_url=standin.url, timeout=10) as client:
        before = client.get(f"Customers/{cid}").content
        refused = client.patch("Customers", json={"CustomerId": cid, "CustomProperties": {"k": None}})
        after = client.get(f"Customers/{cid}").content
    assert refused.status_code == 400, refused.text
    assert "CustomProperties" in json.dumps(refused.json()["ModelState"])
    assert after == before
