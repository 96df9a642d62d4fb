"""The pytest plugin behind contracts/: options, the `target`, `client` and `originals` fixtures, the
restore at the end of the session, and the report. `pytest contracts --base-url URL` and
`qflow-contracts run` both go through it."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from qflow_client import Client

from qflow_contracts.suite.embedded import serve_embedded
from qflow_contracts.suite.redact import redact
from qflow_contracts.suite.report import RunRecord, render
from qflow_contracts.suite.safety import read_customer, restore_all
from qflow_contracts.suite.target import Target

HEADERS_ENV = "QFLOW_CONTRACTS_HEADERS"
RECORD = pytest.StashKey[RunRecord]()
STACK = pytest.StashKey[ExitStack]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The suite's options (the runner passes the same ones)."""
    group = parser.getgroup("qflow", "QFlow conformance suite")
    group.addoption("--base-url", help="server under test, base path included; default: the embedded mock")
    group.addoption("--customer-id", action="append", type=int, default=[], help="a customer it may use")
    group.addoption("--header", action="append", default=[], help="'Name: value' sent with every request")
    group.addoption("--read-only", action="store_true", help="GETs only")
    group.addoption("--owned", action="store_true", help="the server was started for this run")
    group.addoption("--max-examples", type=int, default=25, help="examples per test")
    group.addoption("--seed", type=int, default=None, help="seed of the data generation")
    group.addoption("--qflow-report", default=None, help="write the Markdown report here")


def _headers(config: pytest.Config) -> dict[str, str]:
    headers: dict[str, str] = json.loads(os.environ.get(HEADERS_ENV) or "{}")
    for line in config.getoption("header"):
        name, _, value = line.partition(":")
        if not name.strip() or not _:
            raise pytest.UsageError(f"--header wants 'Name: value', got {line.split(':')[0]!r}")
        headers[name.strip()] = value.strip()
    return headers


def pytest_configure(config: pytest.Config) -> None:
    """Resolve the target once: start the embedded mock when no --base-url is given."""
    if not hasattr(config.option, "base_url"):
        return
    stack = ExitStack()
    config.stash[STACK] = stack
    base_url, ids, owned = config.getoption("base_url"), tuple(config.getoption("customer_id")), False
    if base_url is None:
        embedded = stack.enter_context(serve_embedded())
        base_url, ids, owned = embedded.base_url, ids or embedded.customer_ids, True
    elif not ids:
        raise pytest.UsageError("--customer-id is required with --base-url")
    seed = config.getoption("seed")
    target = Target(
        base_url=base_url,
        customer_ids=ids,
        headers=_headers(config),
        owned=owned or bool(config.getoption("owned")),
        read_only=bool(config.getoption("read_only")),
        seed=seed if seed is not None else random.SystemRandom().randrange(2**32),
        max_examples=int(config.getoption("max_examples")),
    )
    config.stash[TARGET] = target
    config.stash[RECORD] = RunRecord(base_url=target.base_url, seed=target.seed)


TARGET = pytest.StashKey[Target]()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the embedded mock."""
    if STACK in config.stash:
        config.stash[STACK].close()


def pytest_report_header(config: pytest.Config) -> str | None:
    """Where the run goes, and its seed."""
    if TARGET not in config.stash:
        return None
    target = config.stash[TARGET]
    kind = "embedded mock" if target.owned else "a server not started by the suite: safe mode"
    return f"qflow: {target.base_url} ({kind}), customers {list(target.customer_ids)}, seed {target.seed}"


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The server under test and what the suite may do to it."""
    return pytestconfig.stash[TARGET]


@pytest.fixture(scope="session")
def client(target: Target) -> Client:
    """The generated client, pointed at the target with its headers."""
    return Client(
        base_url=target.base_url,
        headers=target.headers,
        timeout=httpx.Timeout(15.0),
        raise_on_unexpected_status=False,
    )


@pytest.fixture(scope="session")
def originals(target: Target, client: Client, pytestconfig: pytest.Config) -> Iterator[dict[int, Any]]:
    """Every given customer as read before any change; put back, and read again, at the end."""
    records = {cid: read_customer(client, cid) for cid in target.customer_ids}
    yield records
    if target.read_only:
        verdict_text, ok = "restore: not needed (read-only run)", True
    elif target.owned:
        verdict_text, ok = "restore: not needed (the embedded mock is discarded after the run)", True
    else:
        verdict = restore_all(client, records)
        verdict_text, ok = verdict.summary(), verdict.ok
    record = pytestconfig.stash[RECORD]
    record.restore, record.restore_ok = verdict_text, ok


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Gather failures for the report."""
    config = getattr(report, "config", None) or _CONFIG.get("config")
    if config is None or RECORD not in config.stash or report.when != "call":
        return
    record = config.stash[RECORD]
    if report.failed:
        record.add_failure(report.nodeid, redact(str(report.longreprtext), config.stash[TARGET].secrets))
    elif report.passed:
        record.passed.append(report.nodeid)


_CONFIG: dict[str, pytest.Config] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Remember the config for the report hooks."""
    _CONFIG["config"] = session.config


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say the restore's verdict and the seed at the end of every run."""
    if RECORD in config.stash:
        record = config.stash[RECORD]
        terminalreporter.write_line(record.restore, red=not record.restore_ok, green=record.restore_ok)
        terminalreporter.write_line(f"seed: {record.seed} (rerun with --seed {record.seed})")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A failed restore fails the run; write the report."""
    config = session.config
    if RECORD not in config.stash:
        return
    record = config.stash[RECORD]
    if not record.restore_ok:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    path = config.getoption("qflow_report")
    if path:
        Path(path).write_text(redact(render(record), config.stash[TARGET].secrets), encoding="utf-8")
