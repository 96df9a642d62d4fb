"""Mock servers in this process for the engine's tests, and a run of the machine against one."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
import uvicorn
from qflow_client import Client

from qflow_contracts.mock import create_app
from qflow_contracts.mock.fixtures import load_fixtures
from qflow_contracts.suite.evidence import Evidence
from qflow_contracts.suite.machine import run_machine
from qflow_contracts.suite.target import Target

CUSTOMER_IDS = tuple(customer["CustomerId"] for customer in load_fixtures().customers)
APIS: dict[str, Any] = {}
"""Each running mock's `CustomersApi`, by base URL (tests may change its answers)."""


class ThreadServer(uvicorn.Server):
    """uvicorn on a thread of this process, which says when it is up and when it holds no connection."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, then tell the waiting test (also when the start failed)."""
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Whether every connection to the server is closed (and its last request handled) within
        `timeout` seconds: once a client process is gone, the kernel closes its sockets."""
        deadline = time.monotonic() + timeout
        while self.server_state.connections:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


@contextmanager
def serve_app(app: Any, *, lifespan: Literal["on", "off"] = "on") -> Iterator[tuple[str, ThreadServer]]:
    """`app` on a free port of 127.0.0.1 in a thread of this process: its base URL (under /API) and
    the server, once it is ready to answer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="critical", lifespan=lifespan, timeout_graceful_shutdown=1)
    server = ThreadServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        assert server.ready.wait(timeout=30) and server.started, "the server in a thread did not start"
        yield f"http://127.0.0.1:{port}/API", server
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def mock_server(
    defect: str | None = None,
    *,
    api_key: str | None = None,
    lenient: bool = False,
    fixtures: Path | None = None,
) -> Iterator[str]:
    """The mock under /API in a thread of this process, on a free port of 127.0.0.1: its base URL."""
    app = create_app(prefix="/API", defect=defect, api_key=api_key, lenient=lenient, fixtures=fixtures)
    with serve_app(app) as (url, _):
        APIS[url] = app.state.api
        try:
            yield url
        finally:
            APIS.pop(url, None)


def mock_server_api(url: str) -> Any:
    """The `CustomersApi` of the mock serving `url`."""
    return APIS[url]


def connect(
    base_url: str, headers: dict[str, str] | None = None, transport: httpx.BaseTransport | None = None
) -> Client:
    """A generated client for `base_url`, as the runner's `client` fixture builds it."""
    client = Client(base_url=base_url, headers=headers or {}, timeout=httpx.Timeout(10.0))
    if transport is not None:
        client.set_httpx_client(
            httpx.Client(base_url=base_url, headers=headers or {}, transport=transport, timeout=10.0)
        )
    return client


def read_originals(client: Client, ids: tuple[int, ...]) -> dict[int, dict[str, Any]]:
    """Each customer as first read by GET, as the runner's `originals` fixture holds them."""
    http = client.get_httpx_client()
    return {cid: http.get(f"Customers/{cid}").json() for cid in ids}


def run(
    base_url: str,
    *,
    owned: bool = True,
    read_only: bool = False,
    strict: bool = False,
    seed: int | None = 1,
    max_examples: int = 4,
    steps: int = 10,
    ids: tuple[int, ...] = CUSTOMER_IDS,
    headers: dict[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Evidence:
    """Run the machine against `base_url`: the ledger it filled."""
    target = Target(
        base_url=base_url,
        customer_ids=ids,
        headers=headers or {},
        owned=owned,
        read_only=read_only,
        strict=strict,
        seed=seed,
        max_examples=max_examples,
    )
    client = connect(base_url, headers, transport)
    evidence = Evidence()
    run_machine(target, client, read_originals(client, ids), evidence, stateful_step_count=steps)
    return evidence


def rules_failed(evidence: Evidence) -> set[str]:
    """The ids of the rules the ledger has a finding for."""
    return {finding.rule.id for finding in evidence.findings()}


def describe(evidence: Evidence) -> str:
    """The findings, one line each, for an assertion message."""
    return "\n".join(f"[{f.rule.id}] {f.key}: {f.summary}" for f in evidence.findings()) or "no finding"


class Recorder(httpx.BaseTransport):
    """An httpx transport that forwards to the real one and keeps every request."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Keep the request, then send it."""
        request.read()
        self.requests.append(request)
        return self.inner.handle_request(request)
