"""The CI recipes in examples/ci/ work as pasted: the shell of each step, run in order against the mock
served apart with a key, as a deployment; the reports they upload exist; the job's exit gates on the
verdict. The install step runs for real (a new venv, this project installed from its directory), once
for both recipes. `uses:` steps are done by the test: the checkouts are folders, setup-python is the
Python running the tests, and an upload is checked by the files its `path` names."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from qflow_contracts.config import settings
from qflow_contracts.mock.cli import served_url
from tests.conftest import REPO
from tests.suite.jsonreport import read_report

pytestmark = pytest.mark.slow  # over about 20 s each: `-m 'not slow'` leaves them out

EXAMPLES = REPO / "examples" / "ci"
KEY = "ci-recipe-key-4f1e9a"
CUSTOMERS = (101, 102)
WITNESS = 105


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "qflow_contracts.mock", "serve", "--port", "0", "--prefix", "/API", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if select.select([process.stdout], [], [], 0.2)[0]:
            line = process.stdout.readline()
            url = served_url(line)
            if url is not None:
                return process, url
    process.kill()
    raise AssertionError("the mock did not start")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CI job's working directory: the user's repository with this project checked out beside it,
    `python` on PATH (what setup-python gives)."""
    root = tmp_path_factory.mktemp("job")
    (root / "qflow-contracts").symlink_to(REPO)
    (root / "bin").mkdir()
    (root / "bin" / "python").symlink_to(sys.executable)
    (root / "deployments").mkdir()
    return root


def _deployment(root: Path, url: str) -> None:
    """The user's deployments/production.toml, made from the shipped example: their server and their
    customers, and a rate for a loopback test server."""
    text = (REPO / "deployments" / "example.toml").read_text(encoding="utf-8")
    text = text.replace('base-url = "http://127.0.0.1:8000/API"', f'base-url = "{url}"')
    text = text.replace("rate-limit = 10\n", "rate-limit = 1000\n")
    assert f'base-url = "{url}"' in text and "rate-limit = 1000\n" in text
    (root / "deployments" / "production.toml").write_text(text, encoding="utf-8")


def _env(root: Path, **more: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "QFLOW"))}
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env['PATH']}"
    env.pop("VIRTUAL_ENV", None)
    env["QFLOW_API_KEY"] = KEY
    env["XDG_STATE_HOME"] = str(root / "state")
    return {**env, **more}


def _bash(script: str, root: Path, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", *flags, "-c", script],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def deployment() -> Iterator[str]:
    process, url = _serve("--api-key", KEY)
    yield url
    process.terminate()
    process.communicate(timeout=10)


@pytest.fixture(scope="module")
def broken() -> Iterator[str]:
    process, url = _serve("--api-key", KEY, "--defect", "custom-properties-replace")
    yield url
    process.terminate()
    process.communicate(timeout=10)


def _condition(expression: str | None, failed: bool, outputs: dict[str, dict[str, str]]) -> bool:
    """The two `if:` forms the recipe uses; any other form fails the test, so it cannot go unread."""
    if expression is None:
        return not failed
    if expression == "always()":
        return True
    if expression == "failure() && steps.run.outputs.exit == '4'":
        return failed and outputs.get("run", {}).get("exit") == "4"
    raise AssertionError(f"a condition this test does not know: {expression}")


def _uploaded(step: dict[str, Any], root: Path) -> list[Path]:
    paths = [line.strip() for line in str(step["with"]["path"]).splitlines() if line.strip()]
    return [root / path for path in paths]


@pytest.mark.xdist_group("ci-recipes")
def test_the_github_actions_workflow_runs_as_pasted(workspace: Path, deployment: str) -> None:
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["conformance"]
    _deployment(workspace, deployment)
    output = workspace / "github_output"
    env = _env(workspace, GITHUB_OUTPUT=str(output))
    for name, value in job["env"].items():
        if "${{" not in str(value):
            env[name] = str(value)
    failed = False
    outputs: dict[str, dict[str, str]] = {}
    ran: list[tuple[str | None, int]] = []
    uploads: list[Path] = []
    for step in job["steps"]:
        if not _condition(step.get("if"), failed, outputs):
            continue
        if "run" in step:
            output.write_text("", encoding="utf-8")
            result = _bash(step["run"], workspace, env, "-eo", "pipefail")
            ran.append((step.get("name"), result.returncode))
            assert "Traceback" not in result.stderr, result.stderr
            failed = failed or result.returncode != 0
            if "id" in step:
                outputs[step["id"]] = dict(
                    line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines()
                )
        elif step["uses"].startswith("actions/upload-artifact"):
            uploads += _uploaded(step, workspace)
    assert ran == [("Install qflow-contracts", 0), ("Validate the deployment", 0)], ran
    assert outputs["run"] == {"exit": "0"}
    assert uploads and all(path.is_file() and path.stat().st_size > 0 for path in uploads), uploads
    assert "CONFORMANT" in (workspace / "reports" / "conformance.md").read_text(encoding="utf-8")
    for path in (workspace / "reports").iterdir():
        assert KEY not in path.read_text(encoding="utf-8", errors="replace"), path


@pytest.mark.xdist_group("ci-recipes")
def test_the_gitlab_job_runs_as_pasted_and_fails_on_a_broken_deployment(workspace: Path, broken: str) -> None:
    job = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text(encoding="utf-8"))["qflow-conformance"]
    _deployment(workspace, broken)
    shutil.rmtree(workspace / "reports", ignore_errors=True)  # a new job's workspace; the venv is kept
    env = _env(workspace, **{k: str(v) for k, v in job["variables"].items() if k.startswith("QFLOW")})
    # GitLab runs the script's entries in one shell, stopping at the first that fails
    result = _bash("\n".join(job["script"]), workspace, env, "-e")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    reports = workspace / job["artifacts"]["paths"][0]
    junit = workspace / job["artifacts"]["reports"]["junit"]
    assert junit.is_file() and "<failure" in junit.read_text(encoding="utf-8")
    assert (reports / "conformance.md").is_file() and (reports / "conformance.html").is_file()
    assert not (reports / "journal.json").exists()  # kept only when the restore is incomplete

    # adopting a baseline: the starting file from the job's report, filled in and committed
    baseline = workspace / job["variables"]["QFLOW_BASELINE"]
    report = reports / "conformance.jsonl"
    start = f".qflow/bin/qflow-contracts baseline --from-report {report} --output {baseline}"
    made = _bash(start, workspace, env, "-e")
    assert made.returncode == 0, made.stderr
    text = baseline.read_text(encoding="utf-8")
    text = text.replace('"FILL IN: why this finding is accepted"', '"scheduled for the next release"')
    baseline.write_text(text.replace('"FILL IN: yyyy-mm-dd"', "2099-12-31"), encoding="utf-8")
    try:
        shutil.rmtree(reports)
        again = _bash("\n".join(job["script"]), workspace, env, "-e")
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert "CONFORMANT except" in again.stdout and "accepted finding(s)" in again.stdout
        assert "Accepted findings" in (reports / "conformance.md").read_text(encoding="utf-8")
        assert "<failure" not in junit.read_text(encoding="utf-8")
        read_report(reports / "conformance.jsonl")
    finally:
        baseline.unlink()


def test_the_example_deployment_file_is_read_as_shipped() -> None:
    read = settings({"config": str(REPO / "deployments" / "example.toml")}, environ={})
    assert read.base_url == "http://127.0.0.1:8000/API"
    assert read.customer_ids == CUSTOMERS and read.witness_ids == (WITNESS,)
    assert read.report == Path("reports/conformance.md") and not read.headers
