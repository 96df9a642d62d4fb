"""Schemathesis against a real `qflow-mock serve`: every phase, positive and negative data, all checks.

The runs use the CLI (`schemathesis run`), so the examples, coverage (boundary values, undocumented
methods, missing parameters), fuzzing and stateful phases all run, and every built-in check is on.
`schemathesis_hooks.py` supplies the only test data JSON Schema cannot carry (see its docstring).
Set QFLOW_ST_SEED to replay a run; otherwise the seed is fixed so a failure is reproducible.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.mock.conftest import REPO, running

HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# The full budget runs against the memory store. Against SQLite the same seed runs with a smaller one:
# every accepted PATCH goes through the same write path, so more examples add volume, not coverage.
EXAMPLES = {"memory": 80, "sqlite": 25}
STORES = tuple(EXAMPLES)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("schemathesis")]  # slow: over about 20 s each
"""One worker runs the module, so the two runs of the `reports` fixture are made once."""


@contextmanager
def schemathesis_run(
    folder: Path, *serve_args: str, examples: int = 80, extra: tuple[str, ...] = ()
) -> Iterator[subprocess.Popen[str]]:
    """One `schemathesis run`, started against a fresh server started with `serve_args`."""
    seed = os.environ.get("QFLOW_ST_SEED", "20261123")
    with running("--prefix", "/API", *serve_args) as server:
        command = [
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
            str(examples),
            "--seed",
            seed,
            "--no-color",
            "--generation-database",
            "none",
            "--request-timeout",
            "10",
            *extra,
        ]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)}
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=folder, env=env
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()


def output(process: subprocess.Popen[str]) -> str:
    """Everything the run printed, once it has finished (bounded: a run that hangs fails the test)."""
    try:
        out, _ = process.communicate(timeout=400)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        raise AssertionError(f"schemathesis run did not finish in 400 s: {out[-3000:]}") from None
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str]]:
    """The exit code and output of the run against each store; the two runs go on at the same time."""
    with ExitStack() as stack:
        processes = {}
        for store in STORES:
            folder = tmp_path_factory.mktemp(f"schemathesis-{store}")
            args = ("--db", str(folder / "data.sqlite")) if store == "sqlite" else ()
            run = schemathesis_run(folder, *args, examples=EXAMPLES[store])
            processes[store] = stack.enter_context(run)
        texts = {store: output(process) for store, process in processes.items()}
        return {store: (processes[store].returncode, texts[store]) for store in STORES}


@pytest.mark.parametrize("store", STORES)
def test_schemathesis_finds_no_failure(reports: dict[str, tuple[int, str]], store: str) -> None:
    code, report = reports[store]
    assert code == 0, report[-6000:]
    assert "No issues found" in report, report[-3000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in report or f"✅  {phase}" in report, report[-3000:]
    assert "Tested: 2" in report


def test_the_same_run_fails_a_broken_server(tmp_path: Path) -> None:
    """The run above can fail: the same command against a server with one defect reports it."""
    with schemathesis_run(tmp_path, "--defect", "customerid-as-string", extra=("--max-failures", "1")) as run:
        report = output(run)
    assert run.returncode != 0
    assert "Response violates schema" in report
