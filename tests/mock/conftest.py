"""Shared helpers for the mock server's tests: an in-process client and real `qflow-mock serve` processes."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from qflow_contracts.mock import create_app
from qflow_contracts.mock.fixtures import default_fixtures_path, load_fixtures

REPO = Path(__file__).resolve().parents[2]
BASE = "http://testserver/API"
CUSTOMER_IDS = [c["CustomerId"] for c in load_fixtures(default_fixtures_path()).customers]


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A fresh correct mock under /API; any server exception fails the test (no 5xx can hide)."""
    with TestClient(create_app(prefix="/API"), base_url=BASE) as test_client:
        yield test_client


def snapshot(client: TestClient) -> dict[int, Any]:
    """Every fixture customer as GET answers it."""
    return {cid: client.get(f"/Customers/{cid}").json() for cid in CUSTOMER_IDS}


class Server:
    """A running `qflow-mock serve` subprocess."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url


def start_server(*args: str, timeout: float = 15.0) -> Server:
    """Start `python -m qflow_contracts.mock serve --port 0 ...` and read the URL it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "qflow_contracts.mock", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            if line.startswith("qflow-mock: serving on "):
                return Server(process, line.split(" on ", 1)[1].strip())
        if process.poll() is not None:
            break
    process.kill()
    _, err = process.communicate(timeout=5)
    raise AssertionError(f"qflow-mock did not start: {err}")


def stop_server(server: Server, sig: int = signal.SIGTERM) -> None:
    """Stop the server with `sig` and reap it."""
    if server.process.poll() is None:
        os.kill(server.process.pid, sig)
    try:
        server.process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.communicate(timeout=5)


@contextmanager
def running(*args: str) -> Iterator[Server]:
    """A server for the duration of a with-block."""
    server = start_server(*args)
    try:
        yield server
    finally:
        stop_server(server)
