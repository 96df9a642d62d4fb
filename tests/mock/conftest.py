"""Shared helpers for the mock server's tests: an in-process client and real `qflow-mock serve` processes.

The in-process mock is built once per session (building one parses and compiles the spec); each test
gets it back with a fresh store holding the default fixtures, which is all the state it has.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from qflow_contracts.mock import create_app
from qflow_contracts.mock.cli import main, served_url
from qflow_contracts.mock.fixtures import Fixtures, default_fixtures_path, load_fixtures
from qflow_contracts.mock.store import MemoryStore

REPO = Path(__file__).resolve().parents[2]
BASE = "http://testserver/API"
FIXTURES = load_fixtures(default_fixtures_path())
CUSTOMER_IDS = [c["CustomerId"] for c in FIXTURES.customers]


def reset(app: Starlette) -> None:
    """Give a correct in-memory mock a new store holding the default fixtures (its only state)."""
    customers = orjson.loads(orjson.dumps(FIXTURES.customers))
    store = MemoryStore(Fixtures(customers=customers, id_types=FIXTURES.id_types))
    app.state.api.store = store
    app.state.store = store


@pytest.fixture(scope="session")
def shared_client() -> Iterator[TestClient]:
    """The correct mock under /API, in process, for the whole session."""
    with TestClient(create_app(prefix="/API"), base_url=BASE) as test_client:
        yield test_client


@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    """A correct mock under /API with fresh data; any server exception fails the test (no 5xx can hide)."""
    assert isinstance(shared_client.app, Starlette)
    reset(shared_client.app)
    return shared_client


def snapshot(client: TestClient) -> dict[int, Any]:
    """Every fixture customer as GET answers it."""
    return {cid: client.get(f"/Customers/{cid}").json() for cid in CUSTOMER_IDS}


def stored(client: TestClient) -> dict[int, Any]:
    """Every fixture customer as the in-process mock's store holds it (what GET answers)."""
    assert isinstance(client.app, Starlette)
    store: MemoryStore = client.app.state.store
    return {cid: store.get(cid) for cid in CUSTOMER_IDS}


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
            url = served_url(line)
            if url is not None:
                return Server(process, url)
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


Refused = Callable[..., str]
Served = Callable[..., AbstractContextManager[TestClient]]


def _qflow_mock(args: tuple[str, ...]) -> int:
    try:
        return main(list(args))
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 1


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Refused:
    """`qflow-mock ARGS` in process, which must refuse with exit code 2; returns its stderr. Serving
    is replaced by a failure, so a command that is accepted fails the test instead of serving."""
    import uvicorn

    def serve_instead(self: uvicorn.Server, sockets: list[socket.socket]) -> None:
        for sock in sockets:
            sock.close()
        raise AssertionError("the command was accepted and would serve")

    monkeypatch.setattr(uvicorn.Server, "run", serve_instead)

    def refuse(*args: str) -> str:
        code = _qflow_mock(args)
        err = capsys.readouterr().err
        assert code == 2, err
        return err

    return refuse


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Served:
    """`qflow-mock serve ARGS` in process, up to the point of serving: a client of the app it would
    serve, built from exactly those flags (the socket it bound is closed)."""
    import uvicorn

    apps: list[Any] = []

    def capture(self: uvicorn.Server, sockets: list[socket.socket]) -> None:
        for sock in sockets:
            sock.close()
        apps.append(self.config.app)

    monkeypatch.setattr(uvicorn.Server, "run", capture)

    @contextmanager
    def serve(*args: str) -> Iterator[TestClient]:
        assert _qflow_mock(("serve", "--port", "0", *args)) == 0
        with TestClient(apps.pop()) as test_client:
            yield test_client

    return serve
