"""A generic tool judges the mock correctly from the spec alone: plain `st run`, every phase and check.

No hooks and no configuration: what the contract decides about a valid request (an identifier is
required), about answers and about the form encoding must be in the spec's schemas for this to pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mock.conftest import REPO, running

pytestmark = pytest.mark.slow  # over about 20 s each: `-m 'not slow'` leaves them out

ST = Path(sys.executable).with_name("st")


def plain_st_run(
    tmp_path: Path, *serve_args: str, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`st run SPEC --url MOCK --checks all` against a fresh mock on loopback, small and seeded."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCHEMATHESIS_")}
    configured = ["--config-file", str(config)] if config else []
    with running("--prefix", "/API", *serve_args) as server:
        return subprocess.run(
            [
                str(ST),
                *configured,
                "run",
                str(REPO / "spec" / "qflow-customers.openapi.yaml"),
                "--url",
                server.url,
                "--checks",
                "all",
                "--max-examples",
                "25",
                "--seed",
                os.environ.get("QFLOW_ST_SEED", "20261123"),
                "--no-color",
                "--generation-database",
                "none",
                "--request-timeout",
                "10",
            ],
            capture_output=True,
            text=True,
            timeout=200,
            cwd=tmp_path,
            env=env,
        )


def test_plain_schemathesis_finds_no_failure_in_the_mock(tmp_path: Path) -> None:
    result = plain_st_run(tmp_path)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-6000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in report, report[-3000:]
    assert "Tested: 2" in report and " failed" not in report, report[-3000:]


def test_with_one_known_identifier_schemathesis_follows_the_links_and_warns_of_nothing(
    tmp_path: Path,
) -> None:
    result = plain_st_run(tmp_path, config=REPO / "examples" / "schemathesis.toml")
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-6000:]
    assert "WARNINGS" not in report and "Missing test data" not in report, report[-3000:]
    assert "API Links:    3 covered / 3 selected / 3 total" in report, report[-3000:]
    assert "No issues found" in report, report[-3000:]


def test_plain_schemathesis_fails_a_server_that_accepts_a_body_without_identifier(tmp_path: Path) -> None:
    result = plain_st_run(tmp_path, "--defect", "no-identifier-accepted")
    assert result.returncode != 0
    assert "Schema-violating request accepted" in result.stdout, result.stdout[-3000:]
