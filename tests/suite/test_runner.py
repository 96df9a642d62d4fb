"""`qflow-contracts run` end to end: exit codes, credentials, base path, restore, Ctrl-C, reports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
KEY = "s3cr3t"
IDS = ["101", "102", "103", "104", "105", "106", "107"]


def _serve(*extra: str) -> tuple[subprocess.Popen[str], str]:
    command = [str(BIN / "qflow-mock"), "serve", "--port", "0", "--prefix", "/API", *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("qflow-mock: serving on "), line
    return process, line.rsplit(" ", 1)[-1].strip()


@pytest.fixture
def deployment() -> Iterator[str]:
    """A mock started apart from the runner and requiring a key, as a vendor deployment would be."""
    process, url = _serve("--api-key", KEY)
    yield url
    process.terminate()
    process.wait(timeout=30)


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


def _ids() -> list[str]:
    return [arg for cid in IDS for arg in ("--customer-id", cid)]


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
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


@pytest.mark.parametrize("headers", [[], ["--header", "X-Api-Key: wrong"]], ids=["no-key", "wrong-key"])
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
        "--header-env", "X-Api-Key=QFLOW_TEST_KEY", "--max-examples", "5",
        "--report", str(report), "--junit-xml", str(junit),
        env={"QFLOW_TEST_KEY": KEY},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert "restore: all 7 customers read back as they were before the run" in result.stdout
    assert _records(deployment) == before
    for text in (result.stdout, result.stderr, report.read_text(), junit.read_text()):
        assert KEY not in text
    assert "Verdict: **conformant**" in report.read_text()


def test_a_config_file_carries_the_options(deployment: str, tmp_path: Path) -> None:
    config = tmp_path / "deployment.toml"
    ids = ", ".join(IDS[:2])
    config.write_text(
        f'base-url = "{deployment}"\ncustomer-ids = [{ids}]\nheader-envs = ["X-Api-Key=QFLOW_TEST_KEY"]\n'
        "read-only = true\nmax-examples = 3\n"
    )
    before = _records(deployment)
    result = _run("--config", str(config), env={"QFLOW_TEST_KEY": KEY})
    assert result.returncode == 0, result.stdout[-3000:]
    assert "restore: not needed (read-only run)" in result.stdout
    assert _records(deployment) == before


def test_ctrl_c_mid_run_restores_every_record(deployment: str) -> None:
    before = _records(deployment)
    command = [str(BIN / "qflow-contracts"), "run", "--base-url", deployment, *_ids()]
    command += ["--header", f"X-Api-Key: {KEY}"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if "collected" in line:
            break
    time.sleep(2.0)  # inside the state machine, PATCHes under way
    process.send_signal(signal.SIGINT)
    rest = process.stdout.read()
    assert process.wait(timeout=120) == 130, rest[-3000:]
    assert "restore: all 7 customers read back as they were before the run" in rest
    assert _records(deployment) == before


@pytest.mark.parametrize("defect", ["stale-patch-response", "wrong-content-type"])
def test_a_broken_server_is_not_conformant(defect: str, tmp_path: Path) -> None:
    process, url = _serve("--defect", defect)
    try:
        report = tmp_path / "report.md"
        result = _run("--base-url", url, *_ids(), "--max-examples", "5", "--report", str(report))
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "NOT conformant" in report.read_text()


def test_the_embedded_mock_run_is_conformant() -> None:
    result = _run("--max-examples", "5")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "embedded mock" in result.stdout
    assert "restore: not needed (the embedded mock is discarded after the run)" in result.stdout
