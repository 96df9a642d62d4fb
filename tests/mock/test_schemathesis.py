"""Schemathesis against a real `qflow-mock serve`: every phase, positive and negative data, all checks.

The run uses the CLI (`schemathesis run`), so the examples, coverage (boundary values, undocumented
methods, missing parameters), fuzzing and stateful phases all run, and every built-in check is on.
`schemathesis_hooks.py` supplies the only test data JSON Schema cannot carry (see its docstring).
Set QFLOW_ST_SEED to replay a run; otherwise the seed is fixed so a failure is reproducible.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mock.conftest import REPO, running

HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def schemathesis_run(tmp_path: Path, *serve_args: str) -> subprocess.CompletedProcess[str]:
    """One `schemathesis run` against a fresh server started with `serve_args`."""
    seed = os.environ.get("QFLOW_ST_SEED", "20261123")
    with running("--prefix", "/API", *serve_args) as server:
        return subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                str(REPO / "spec" / "qflow-customers.openapi.yaml"),
                "--url",
                server.url,
                "--checks",
                "all",
                "--mode",
                "all",
                "--max-examples",
                "80",
                "--seed",
                seed,
                "--no-color",
                "--generation-database",
                "none",
                "--request-timeout",
                "10",
            ],
            capture_output=True,
            text=True,
            timeout=150,
            cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
        )


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_schemathesis_finds_no_failure(tmp_path: Path, store: str) -> None:
    args = ("--db", str(tmp_path / "data.sqlite")) if store == "sqlite" else ()
    result = schemathesis_run(tmp_path, *args)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-6000:]
    assert "No issues found" in report, report[-3000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in report or f"✅  {phase}" in report, report[-3000:]
    assert "Tested: 2" in report


def test_the_same_run_fails_a_broken_server(tmp_path: Path) -> None:
    """The run above can fail: the same command against a server with one defect reports it."""
    result = schemathesis_run(tmp_path, "--defect", "customerid-as-string")
    assert result.returncode != 0
    assert "Response violates schema" in result.stdout + result.stderr
