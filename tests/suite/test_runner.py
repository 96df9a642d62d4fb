"""`qflow-contracts run` end to end: exit codes, set-up mistakes in one line, credentials, base path,
restore, reports, the plain pytest path. Signals and hostile servers: `test_safety.py`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from qflow_contracts.config import HEADER_WARNING
from qflow_contracts.mock import create_app
from tests.suite.jsonreport import read_report
from tests.suite.servers import serve_app

BIN = Path(sys.executable).parent
KEY = "s3cr3t"
IDS = ["101", "102", "103", "104", "105", "106", "107"]


FAST = ["--rate-limit", "1000", "--max-examples", "1"]
"""Paced at the most a run allows, the smallest budget: these tests check the runner, not coverage."""


@pytest.fixture(autouse=True)
def _own_state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each run's journal under the test's own directory, not the home directory shared by workers."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def deployment() -> Iterator[str]:
    """A mock apart from the runner (on a thread of the test process) and requiring a key, as a
    vendor deployment would be."""
    with serve_app(create_app(prefix="/API", api_key=KEY)) as (url, _):
        yield url


def _records(url: str) -> dict[str, bytes]:
    records = {}
    for cid in IDS:
        request = urllib.request.Request(f"{url}/Customers/{cid}", headers={"X-Api-Key": KEY})
        with urllib.request.urlopen(request, timeout=10) as response:
            records[cid] = response.read()
    return records


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "qflow-contracts"), "run", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **(env or {})},
    )


def _told(result: subprocess.CompletedProcess[str]) -> str:
    """What a failed assertion shows of a run: its seed line (to replay it with --seed) and the end
    of what it printed."""
    seed = next((line for line in result.stdout.splitlines() if line.startswith("seed ")), "no seed line")
    return f"{seed}\n{result.stdout[-3000:]}\n{result.stderr[-1000:]}"


def _ids() -> list[str]:
    return [arg for cid in IDS for arg in ("--customer-id", cid)]


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused run printed (besides the warning a command-line --header gets)."""
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line != HEADER_WARNING]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_bad_flag_is_one_line_and_exit_2() -> None:
    result = _run("--no-such-flag")
    assert result.returncode == 2
    assert "--no-such-flag" in _one_line(result)


def test_base_url_without_customers_is_bad_usage(deployment: str) -> None:
    result = _run("--base-url", deployment)
    assert result.returncode == 2
    assert "--customer-id" in _one_line(result)


def test_an_unreachable_server_is_one_line_and_exit_3() -> None:
    result = _run("--base-url", "http://127.0.0.1:9/API", "--customer-id", "1")
    assert result.returncode == 3
    assert "cannot reach" in _one_line(result)


@pytest.mark.parametrize("headers", [[], ["--header", "X-Api-Key: wrong-key"]], ids=["no-key", "wrong-key"])
def test_refused_credentials_are_one_line_and_exit_3(deployment: str, headers: list[str]) -> None:
    result = _run("--base-url", deployment, "--customer-id", "101", *headers)
    assert result.returncode == 3
    line = _one_line(result)
    assert "401" in line
    assert "wrong" not in line


def test_a_run_under_a_base_path_with_a_key_passes_restores_and_leaks_nothing(
    deployment: str, tmp_path: Path
) -> None:
    before = _records(deployment)
    report, junit = tmp_path / "report.md", tmp_path / "junit.xml"
    result = _run(
        "--base-url", deployment, *_ids(), "--header", f"Authorization: Bearer {KEY}",
        "--header-env", "X-Api-Key=QFLOW_TEST_KEY", *FAST, "--report", str(report), "--junit-xml", str(junit),
        env={"QFLOW_TEST_KEY": KEY},
    )  # fmt: skip
    assert result.returncode == 0, _told(result)
    assert "restore: all 7 customers read back as they were before the run" in result.stdout
    assert _records(deployment) == before
    for text in (result.stdout, result.stderr, report.read_text(), junit.read_text()):
        assert KEY not in text
    assert "CONFORMANT" in report.read_text() and "NOT CONFORMANT" not in report.read_text()
    # the report replays the run: the whole command line, masked, and every setting
    text = report.read_text()
    assert (
        "| Command | qflow-contracts run --base-url" in text and "--header 'Authorization: \\*\\*\\*'" in text
    )
    assert "--header-env X-Api-Key=QFLOW\\_TEST\\_KEY" in text and "rate-limit 1000/s" in text
    assert "credentials Authorization, X-Api-Key" in text
    cases = ET.fromstring(junit.read_text()).iter("testcase")
    timed = {case.get("classname"): float(case.get("time") or 0) for case in cases}
    assert timed["qflow.rule-5"] > 0 and timed["qflow.rule-3"] > 0  # the time spent on each rule


def test_a_config_file_carries_the_options(deployment: str, tmp_path: Path) -> None:
    config = tmp_path / "deployment.toml"
    ids = ", ".join(IDS[:2])
    config.write_text(
        f'base-url = "{deployment}"\ncustomer-ids = [{ids}]\nheader-envs = ["X-Api-Key=QFLOW_TEST_KEY"]\n'
        "read-only = true\nmax-examples = 1\nrate-limit = 1000\n"
    )
    before = _records(deployment)
    result = _run("--config", str(config), env={"QFLOW_TEST_KEY": KEY})
    assert result.returncode == 0, _told(result)
    assert "restore: not needed (read-only run)" in result.stdout
    assert _records(deployment) == before


# customerid-as-string and camelcase-keys: the first read already shows them, the server's fault, not
# a set-up mistake (exit 1, not 2), and the restore still reads the records back
@pytest.mark.slow
@pytest.mark.parametrize(
    "defect", ["stale-patch-response", "wrong-content-type", "customerid-as-string", "camelcase-keys"]
)
def test_a_broken_server_is_not_conformant(defect: str, tmp_path: Path) -> None:
    report, data = tmp_path / "report.md", tmp_path / "run.jsonl"
    with serve_app(create_app(prefix="/API", defect=defect)) as (url, _):
        result = _run("--base-url", url, *_ids(), *FAST, "--report", str(report), "--json", str(data))
    assert result.returncode == 1, _told(result)
    assert "NOT CONFORMANT" in report.read_text()
    finish = read_report(data)[-1]
    assert finish["verdict"] == "NOT CONFORMANT" and finish["exitstatus"] == 1 and finish["failed_rules"]
    # findings are the verdict, not the suite failing; the verdict block is the last thing printed
    assert "stopped early" not in result.stdout and "suite failed" not in result.stdout
    assert "FAILURES" not in result.stdout and "[100%]" not in result.stdout
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    verdict_at = max(i for i, line in enumerate(lines) if line.startswith("Verdict: "))
    assert all(line.startswith("  - ") for line in lines[verdict_at + 1 :])


@pytest.mark.slow
def test_the_embedded_mock_run_is_conformant() -> None:
    result = _run("--max-examples", "1")
    assert result.returncode == 0, _told(result)
    assert "embedded mock" in result.stdout
    assert "restore: not needed (the embedded mock is discarded after the run)" in result.stdout


def test_a_customer_that_does_not_exist_is_one_line_and_exit_2(deployment: str) -> None:
    result = _run("--base-url", deployment, "--customer-id", "999", "--header", f"X-Api-Key: {KEY}")
    assert result.returncode == 2
    assert "999 does not exist" in _one_line(result)


def test_a_base_url_without_its_base_path_is_one_line_and_exit_2(deployment: str) -> None:
    root = deployment.rsplit("/API", 1)[0]
    result = _run("--base-url", root, "--customer-id", "101", "--header", f"X-Api-Key: {KEY}")
    assert result.returncode == 2
    assert "base path" in _one_line(result)


def test_a_header_value_too_short_to_mask_is_refused(deployment: str) -> None:
    result = _run("--base-url", deployment, "--customer-id", "101", "--header", "X-Api-Key: 1")
    assert result.returncode == 2
    line = _one_line(result)
    assert "X-Api-Key" in line and "6" in line


@pytest.mark.parametrize("command", ["qflow-contracts", "qflow-mock"])
def test_version_and_bare_usage(command: str) -> None:
    version = subprocess.run([str(BIN / command), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith(f"{command} 0.")
    bare = subprocess.run([str(BIN / command)], capture_output=True, text=True, timeout=60)
    assert bare.returncode == 2 and "usage:" in bare.stdout + bare.stderr


@pytest.mark.slow
def test_plain_pytest_goes_through_the_same_plugin_and_restores(deployment: str, tmp_path: Path) -> None:
    before = _records(deployment)
    contracts = Path(__file__).resolve().parents[2] / "contracts"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(contracts), "-p", "no:cacheprovider",
         "--qflow-base-url", deployment, "--qflow-customer-id", "101", "--qflow-customer-id", "104",
         "--qflow-header", f"X-Api-Key: {KEY}", "--qflow-rate-limit", "1000", "--qflow-max-examples", "1",
         f"--junitxml={tmp_path / 'junit.xml'}"],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )  # fmt: skip
    assert result.returncode == 0, _told(result)
    assert "restore: all 2 customers read back as they were before the run" in result.stdout
    assert "safe mode" in result.stdout
    assert _records(deployment) == before
    for text in (result.stdout, result.stderr, (tmp_path / "junit.xml").read_text()):
        assert KEY not in text
    assert list((tmp_path / "state").rglob("run-*.jsonl"))


def test_plain_pytest_rejects_a_wrong_option_value_in_one_line(tmp_path: Path) -> None:
    contracts = Path(__file__).resolve().parents[2] / "contracts"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(contracts), "--qflow-base-url", "http://127.0.0.1:9/API",
         "--qflow-customer-id", "twelve"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0
    assert "--qflow-customer-id must be a list of positive 32-bit integers" in result.stderr


def test_an_unwritable_report_path_is_one_line_exit_2_before_any_request(
    deployment: str, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _run("--base-url", deployment, "--customer-id", "101", "--header", f"X-Api-Key: {KEY}",
                  "--report", str(blocker / "report.md"))  # fmt: skip
    assert result.returncode == 2
    assert _one_line(result) == f"qflow-contracts: --report {blocker / 'report.md'}: cannot write there"


def test_a_report_that_cannot_be_written_after_the_verdict_is_one_line(tmp_path: Path) -> None:
    from qflow_contracts.config import Settings
    from qflow_contracts.suite.outcome import ReportError, write_reports
    from qflow_contracts.suite.result import judge
    from qflow_contracts.suite.target import Target
    from tests.suite.ledgers import asked, exercised, info

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = judge(exercised(asked()), info(), asked())
    with pytest.raises(ReportError) as raised:
        write_reports(result, Target("http://h/API", (1,)), Settings(json=blocker / "x" / "run.jsonl"))
    assert str(raised.value).startswith(f"--json {blocker / 'x' / 'run.jsonl'}: cannot write it (")
    assert "\n" not in str(raised.value)


def test_fixtures_that_no_longer_match_the_spec_are_one_line_exit_2(tmp_path: Path) -> None:
    spec = Path(__file__).resolve().parents[2] / "spec" / "qflow-customers.openapi.yaml"
    changed = tmp_path / "spec.yaml"
    changed.write_text(spec.read_text().replace("        Notes:", "        Remarks:"))
    result = _run("--max-examples", "1", env={"QFLOW_CONTRACTS_SPEC": str(changed)})
    assert result.returncode == 2
    line = _one_line(result)
    assert "the embedded mock did not start" in line and "Notes" in line


def _plain_pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    contracts = Path(__file__).resolve().parents[2] / "contracts"
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(contracts), "-p", "no:cacheprovider", *args],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )  # fmt: skip


@pytest.mark.slow
def test_plain_pytest_maps_the_suites_exit_codes_past_pytests_own(tmp_path: Path) -> None:
    usage = _plain_pytest(tmp_path, "--qflow-base-url", "http://127.0.0.1:9/API")
    assert usage.returncode == 12, usage.stderr  # 10 + bad usage (2), not pytest's 4
    unreachable = _plain_pytest(
        tmp_path, "--qflow-base-url", "http://127.0.0.1:9/API", "--qflow-customer-id", "1"
    )
    assert unreachable.returncode == 13, unreachable.stderr  # 10 + unavailable (3)
    assert "cannot reach" in unreachable.stderr


def test_plain_pytest_with_parallel_workers_says_they_are_not_supported(tmp_path: Path) -> None:
    result = _plain_pytest(tmp_path, "-n", "2")
    assert result.returncode == 12, result.stdout[-2000:] + result.stderr[-2000:]
    assert "parallel workers (-n) are not supported" in result.stdout + result.stderr


def _restore_cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "qflow-contracts"), "restore", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )  # fmt: skip


def test_restore_list_and_latest_find_the_unfinished_journals(deployment: str, tmp_path: Path) -> None:
    from qflow_contracts.suite.journal import Journal, state_folder

    assert _restore_cli("--latest", "--header", f"X-Api-Key: {KEY}", tmp_path=tmp_path).returncode == 2
    folder = state_folder({"XDG_STATE_HOME": str(tmp_path / "state")})
    record = _records(deployment)["101"]
    for name in ("run-20261201T100000-1.jsonl", "run-20261201T110000-2.jsonl"):
        journal = Journal(folder / name)
        journal.start(deployment, (101,), ())
        journal.original(101, json.loads(record), record)
        journal.change("application/json", b'{"CustomerId": 101, "Notes": "x"}')
        journal.close()
    listed = _restore_cli("--list", tmp_path=tmp_path)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert len(lines) == 2 and all(deployment in line and "customers 101" in line for line in lines)
    assert lines[0].startswith(str(folder / "run-20261201T100000-1.jsonl")) and " ago" in lines[0]
    latest = _restore_cli(
        "--latest", "--base-url", deployment, "--header", f"X-Api-Key: {KEY}", tmp_path=tmp_path
    )
    assert latest.returncode == 0, latest.stdout + latest.stderr
    assert "run-20261201T110000-2.jsonl" in latest.stdout
    left = _restore_cli("--list", tmp_path=tmp_path).stdout.splitlines()
    assert len(left) == 1 and "run-20261201T100000-1.jsonl" in left[0]
